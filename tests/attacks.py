"""Hostile and broken ps1_forward submissions, each with what grading must make of it.

Every attack is a submission a student could hand in: the released notebook, with the
attack written where a student would write it. Most attacks live in the `relu`
solution cell (1 of the 10 points); the other functions are answered correctly by code
that never calls `relu`. So each outcome is exact: the attacked tests (`lost`) earn
nothing, every other test keeps its full points, and the status and message say what
happened (`says`). Broken-input attacks change the files instead (`write`).

In attack code, COURSE, REPO, PORT and MARK stand for the course directory, this
repository, a port the test listens on and a word unique to the test run. An attack
that tries to *obtain* something (an answer key, another student's notebook, a
network peer, a write outside its sandbox) sets `loot`; with any loot its `relu`
answers correctly, so a leak would show as a point.
"""
from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass
from typing import Callable

ASSIGNMENT = "ps1_forward"
POINTS = {"test_relu": 1, "test_sigmoid": 1, "test_dense": 2, "test_init_layers": 2,
          "test_network_forward": 3, "test_accuracy": 1}
EVERYTHING = tuple(POINTS)

# --- the honest answers: no function calls relu, so an attack on relu stays there ---

RELU = ("def relu(x):\n    x = np.asarray(x, dtype=float)\n    return np.maximum(x, 0.0)\n")
WRONG_RELU = "def relu(x):\n    return np.full(np.shape(x), -1.0)  # never right: relu is never negative\n"
HONEST = {
    "relu": RELU,
    "sigmoid": ("def sigmoid(x):\n    x = np.asarray(x, dtype=float)\n    e = np.exp(-np.abs(x))\n"
                "    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))\n"),
    "dense": ("def dense(x, W, b, activation):\n    if activation not in ('relu', 'sigmoid', 'linear'):\n"
              "        raise ValueError('unknown activation %r' % (activation,))\n"
              "    x, W, b = (np.asarray(a, dtype=float) for a in (x, W, b))\n"
              "    if x.shape[-1] != W.shape[0]:\n        raise ValueError('x does not fit W')\n"
              "    z = x @ W + b\n    if activation == 'relu':\n        return np.maximum(z, 0.0)\n"
              "    if activation == 'sigmoid':\n        e = np.exp(-np.abs(z))\n"
              "        return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))\n    return z\n"),
    "init_layers": ("def init_layers(layer_sizes, seed, scheme='he'):\n"
                    "    if scheme not in ('he', 'xavier', 'zeros'):\n"
                    "        raise ValueError('unknown scheme %r' % (scheme,))\n"
                    "    sizes = [int(n) for n in layer_sizes]\n"
                    "    if len(sizes) < 2 or min(sizes) < 1:\n        raise ValueError('bad layer sizes')\n"
                    "    rng = np.random.default_rng(seed)\n    layers = []\n"
                    "    for n_in, n_out in zip(sizes[:-1], sizes[1:]):\n"
                    "        if scheme == 'zeros':\n            W = np.zeros((n_in, n_out))\n"
                    "        else:\n            gain = 2.0 if scheme == 'he' else 1.0\n"
                    "            W = rng.normal(0.0, np.sqrt(gain / n_in), size=(n_in, n_out))\n"
                    "        layers.append((W, np.zeros(n_out)))\n    return layers\n"),
    "network_forward": ("def network_forward(X, layers, hidden='relu'):\n"
                        "    if hidden not in ('relu', 'sigmoid', 'tanh'):\n"
                        "        raise ValueError('unknown hidden activation %r' % (hidden,))\n"
                        "    a = np.asarray(X, dtype=float)\n"
                        "    for index, (W, b) in enumerate(layers):\n"
                        "        z = a @ np.asarray(W, dtype=float) + np.asarray(b, dtype=float)\n"
                        "        if index == len(layers) - 1:\n            a = z\n"
                        "        elif hidden == 'relu':\n            a = np.maximum(z, 0.0)\n"
                        "        elif hidden == 'tanh':\n            a = np.tanh(z)\n"
                        "        else:\n            a = 0.5 * (1.0 + np.tanh(z / 2.0))\n"
                        "    e = np.exp(a - a.max(axis=1, keepdims=True))\n"
                        "    return e / e.sum(axis=1, keepdims=True)\n"),
    "accuracy": ("def accuracy(probs, labels):\n    probs, labels = np.asarray(probs, dtype=float), np.asarray(labels)\n"
                 "    if len(probs) != len(labels):\n        raise ValueError('probs and labels differ in rows')\n"
                 "    return float(np.mean(np.argmax(probs, axis=1) == labels))\n"),
}

LOOT_RELU = ("\ndef relu(x):\n    if loot:  # a leak would earn the point\n"
             "        return np.maximum(np.asarray(x, dtype=float), 0.0)\n"
             "    return np.full(np.shape(x), -1.0)\n")


def stealing(code: str) -> str:
    """A relu cell whose `code` tries to set `loot`; relu is right only with loot."""
    return "import numpy as np\nloot = []\n" + code + LOOT_RELU


def attacking(code: str) -> str:
    """A relu cell that runs `code`, then defines a wrong relu."""
    return "import numpy as np\n" + code + "\n" + WRONG_RELU


@dataclass
class Attack:
    name: str  # the student's id; it says what the attack does and what happens to it
    status: str  # the student's expected status
    says: str  # words the student's messages must contain
    relu: str | None = None  # the relu cell
    edit: Callable | None = None  # edit(notebook): what the student did to the notebook
    write: Callable | None = None  # write(folder, notebook, course): makes the files itself
    lost: tuple = ("test_relu",)  # tests that earn nothing; the others earn full points


# --- notebook edits ------------------------------------------------------------------

def _meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def _tests(notebook):
    return [cell for cell in notebook["cells"] if _meta(cell).get("grade")]


def _code_cell(source, nbgrader=None):
    cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}
    if nbgrader:
        cell["metadata"]["nbgrader"] = nbgrader
    return cell


def test_cells_return_points(notebook):
    """nbgrader's partial credit: a test cell whose result is a number scores it."""
    for cell in _tests(notebook):
        cell["source"] = "%g" % (10 * cell["metadata"]["nbgrader"]["points"])
        cell["outputs"] = [{"output_type": "execute_result", "execution_count": 1, "metadata": {},
                            "data": {"text/plain": "100"}}]


def cells_added_between_tests(notebook):
    cells = []
    for cell in notebook["cells"]:
        cells.append(cell)
        if _meta(cell).get("grade"):
            cells.append(_code_cell("tests.check = lambda *a, **k: 1.0\nnp.allclose = lambda *a, **k: True\n"
                                    "def relu(x):\n    return np.maximum(x, 0.0)\n"))
            cells.append(_code_cell("1000", {"grade": True, "grade_id": "bonus_%d" % len(cells),
                                             "points": 100, "solution": False, "locked": True}))
    notebook["cells"] = cells


def test_cells_edited(notebook):
    for cell in _tests(notebook):
        cell["source"] = "print('all tests passed')\n"
        cell["metadata"]["nbgrader"]["points"] = 100


def test_cells_deleted(notebook):
    notebook["cells"] = [cell for cell in notebook["cells"] if not _meta(cell).get("grade")]


def cells_retyped(notebook):
    """Test cells become markdown, the relu solution cell a raw cell, a markdown cell code."""
    for cell in notebook["cells"]:
        if _meta(cell).get("grade"):
            cell["cell_type"] = "markdown"
            cell.pop("outputs", None)
        elif _meta(cell).get("grade_id") == "relu":
            cell["cell_type"] = "raw"
        elif cell["cell_type"] == "markdown":
            cell.update(cell_type="code", outputs=[], execution_count=None,
                        metadata={"nbgrader": {"grade": True, "grade_id": "test_relu", "points": 5}})


def cells_duplicated(notebook):
    """Every test cell twice; relu's solution cell twice, the right one first."""
    cells = []
    for cell in notebook["cells"]:
        if _meta(cell).get("grade_id") == "relu":
            right = copy.deepcopy(cell)
            right["source"] = RELU
            cells.append(right)
        cells.append(cell)
        if _meta(cell).get("grade"):
            cells.append(copy.deepcopy(cell))
    notebook["cells"] = cells


def grade_ids_renamed(notebook):
    for number, cell in enumerate(_tests(notebook)):
        cell["metadata"]["nbgrader"].update(grade_id="test_bonus_%d" % number, points=50)
    notebook["cells"].insert(1, _code_cell(RELU, {"solution": True, "grade_id": "relu_v0", "locked": False}))


def setup_cell_edited(notebook):
    """The locked setup cell defines a right relu; the relu cell defines nothing."""
    for cell in notebook["cells"]:
        if _meta(cell).get("grade_id") == "setup":
            cell["source"] = "import numpy as np\n" + RELU + "np.allclose = lambda *a, **k: True\n"
        elif _meta(cell).get("grade_id") == "relu":
            cell["source"] = "pass\n"


def metadata_stripped(notebook):
    for cell in notebook["cells"]:
        cell.get("metadata", {}).pop("nbgrader", None)


def junk_cells(notebook):
    """Cells and metadata of every wrong type, around the honest answers."""
    notebook["cells"][1:1] = [7, None, "cell", {"cell_type": "code"}, {"cell_type": "code", "source": 5},
                              {"cell_type": "code", "metadata": [], "source": ["x = ", 1]},
                              {"cell_type": "code", "metadata": {"nbgrader": "solution"}, "source": ""},
                              _code_cell("x", {"solution": True, "grade_id": ["relu"]}),
                              _code_cell("x", {"solution": "yes", "grade_id": None})]


# --- files written by the student (or a broken upload) ----------------------------------

def _notebook_path(folder):
    return os.path.join(folder, ASSIGNMENT + ".ipynb")


def write_bytes(data: bytes):
    def write(folder, notebook, course):
        with open(_notebook_path(folder), "wb") as handle:
            handle.write(data)
    return write


def write_notebook_as(*names):
    def write(folder, notebook, course):
        for name in names:
            with open(os.path.join(folder, name), "w") as handle:
                json.dump(notebook, handle)
    return write


def link_notebook_to(target):
    """`target(course)` is what the submitted notebook is a symbolic link to."""
    def write(folder, notebook, course):
        os.symlink(target(course), _notebook_path(folder))
    return write


def link_student_folder(folder, notebook, course):
    home = os.path.dirname(folder)
    os.rmdir(folder)
    os.rmdir(home)
    os.symlink(os.path.join(course, "submitted", "honest"), home)


def link_assignment_folder(folder, notebook, course):
    os.rmdir(folder)
    os.symlink(os.path.join(course, "release", ASSIGNMENT), folder)


def notebook_is_a_fifo(folder, notebook, course):
    os.mkfifo(_notebook_path(folder))


def honest_with_strange_timestamp(kind):
    def write(folder, notebook, course):
        write_notebook_as(ASSIGNMENT + ".ipynb")(folder, notebook, course)
        stamp = os.path.join(folder, "timestamp.txt")
        if kind == "fifo":
            os.mkfifo(stamp)
        else:
            os.symlink(os.path.join(course, "gradebook.db"), stamp)
    return write


def nbformat3(folder, notebook, course):
    import nbformat
    # Read as Jupyter reads a file (sources joined into strings), then saved as version 3.
    old = nbformat.convert(nbformat.reads(json.dumps(notebook), as_version=4), 3)
    with open(_notebook_path(folder), "w") as handle:
        handle.write(nbformat.writes(old, version=3))


def nbformat_version(version):
    def write(folder, notebook, course):
        write_bytes(json.dumps({**notebook, "nbformat": version}).encode())(folder, notebook, course)
    return write


def latin1_notebook(folder, notebook, course):
    """Saved by an editor in Latin-1: an accented comment becomes the byte 0xe9."""
    text = json.dumps(notebook).replace("def relu(x):", "def relu(x):  # r\xe9sum\xe9")  # ASCII but for these
    write_bytes(text.encode("latin-1"))(folder, notebook, course)


def huge_notebook(folder, notebook, course, megabytes=200):
    """A real notebook, 200 MB of it one cell's output (a student printed in a loop)."""
    notebook = copy.deepcopy(notebook)
    cell = _code_cell("print('x' * 10**9)")
    cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "@@OUTPUT@@"}]
    notebook["cells"].append(cell)
    head, tail = json.dumps(notebook).split("@@OUTPUT@@")
    with open(_notebook_path(folder), "w") as handle:
        handle.write(head)
        for _ in range(megabytes):
            handle.write("x" * 2**20)
        handle.write(tail)


def nothing_but_a_readme(folder, notebook, course):
    with open(os.path.join(folder, "README.txt"), "w") as handle:
        handle.write("I could not finish, sorry\n")


def empty_notebook(folder, notebook, course):
    write_bytes(json.dumps({**notebook, "cells": []}).encode())(folder, notebook, course)


# --- the catalogue -------------------------------------------------------------------

LOOT_FROM_FILES = """
import glob, os
def grab(path):
    try:
        with open(path, 'rb') as handle:
            if handle.read(100):
                loot.append(path)
    except OSError:
        pass
"""

ATTACKS = [
    # Monkeypatching what a notebook's tests would use, and objects that lie.
    Attack("patches_numpy_comparisons", "graded", "0 of 8 cases passed", attacking(
        "import math\nnp.allclose = lambda *a, **k: True\nnp.isclose = lambda *a, **k: True\n"
        "np.array_equal = lambda *a, **k: True\nnp.testing.assert_allclose = lambda *a, **k: None\n"
        "np.testing.assert_array_equal = lambda *a, **k: None\nmath.isclose = lambda *a, **k: True\n")),
    Attack("patches_builtins", "graded", "0 of 8 cases passed", attacking(
        "import builtins\nbuiltins.isinstance = lambda *a: True\nbuiltins.len = lambda *a: 0\n"
        "builtins.abs = lambda *a: 0\nbuiltins.all = lambda *a: True\nbuiltins.any = lambda *a: False\n"
        "builtins.float = lambda *a: 0.0\nbuiltins.str = lambda *a: 'passed'\nbuiltins.type = lambda *a: float\n")),
    Attack("patches_the_checks_in_its_process", "graded", "0 of 8 cases passed", attacking(
        "import autograder.checks.compare, autograder.checks.cases, autograder.results, autograder.notebook\n"
        # Each target must exist, so that a moved module fails this attack instead of
        # letting it pass without patching anything.
        "assert callable(autograder.checks.compare.compare)\n"
        "assert callable(autograder.checks.cases.FunctionTest.problem)\n"
        "assert isinstance(autograder.results.TestResult.score, property)\n"
        "assert callable(autograder.notebook.Tests.check)\n"
        "autograder.checks.compare.compare = lambda *a, **k: None\n"
        "autograder.checks.cases.FunctionTest.problem = lambda *a, **k: None\n"
        "autograder.results.TestResult.score = property(lambda self: self.max_score)\n"
        "autograder.notebook.Tests.check = lambda self, name: 1.0\n")),
    Attack("patches_the_wire_in_its_process", "graded", "0 of 8 cases passed", attacking(
        "import autograder.sandbox.inside.handlers as ops, autograder.sandbox.wire as wire\n"
        "assert callable(ops.handle) and callable(wire.to_plain)\n_handle = ops.handle\n"
        "def handle(namespace, store, request):\n    if request.get('function') == 'relu':\n"
        "        return {'value': 'passed', 'passed': True, 'score': 1.0, 'cases': 'all'}\n"
        "    return _handle(namespace, store, request)\nops.handle = handle\n"
        "wire.to_plain = lambda value, _depth=0: value\n")),
    Attack("patches_showtraceback", "graded", "raised ZeroDivisionError", "import numpy as np\n"
           "get_ipython().showtraceback = lambda *a, **k: None\n"
           "try:\n    import IPython.core.interactiveshell as shell\n"
           "    shell.InteractiveShell.showtraceback = lambda *a, **k: None\nexcept ImportError:\n    pass\n"
           "def relu(x):\n    return 1 / 0\n"),
    Attack("returns_a_float_whose_eq_lies", "graded", "0 of 8 cases passed", attacking(
        "class Liar(float):\n    def __eq__(self, other):\n        return True\n    __ne__ = lambda s, o: False\n"
        "    def __float__(self):\n        return 0.5\n    def __abs__(self):\n        return 0.0\n"
        "    def __sub__(self, other):\n        return 0.0\n    __rsub__ = __sub__\n")
        + "def relu(x):\n    return Liar(-1.0)\n"),
    Attack("returns_objects_with_lying_array_protocols", "graded", "returned a value of type Fake",
           attacking("class Fake:\n    def __array__(self, *a, **k):\n        return np.zeros(5)\n"
                     "    def __array_function__(self, *a, **k):\n        return True\n"
                     "    def __array_ufunc__(self, *a, **k):\n        return True\n"
                     "    def __len__(self):\n        return 5\n    def __eq__(self, other):\n        return True\n"
                     "    def __float__(self):\n        return 0.0\n    shape = property(lambda self: (5,))\n")
           + "def relu(x):\n    return Fake()\n"),
    Attack("returns_an_ndarray_subclass", "graded", "0 of 8 cases passed", attacking(
        "class Sly(np.ndarray):\n    def __eq__(self, other):\n        return np.ones(np.shape(other), bool)\n"
        "    def __array_finalize__(self, obj):\n        pass\n    def view(self, *a, **k):\n"
        "        return np.maximum(np.asarray(self), 0)\n    def tolist(self):\n        return []\n"
        "    def __array_function__(self, func, types, args, kwargs):\n        return True\n"
        "    def astype(self, *a, **k):\n        return self\n    def copy(self, *a, **k):\n        return self\n")
        + "def relu(x):\n    return np.full(np.shape(x), -1.0).view(Sly)\n"),
    Attack("returns_containers_whose_len_and_iter_lie", "graded", "0 of 8 cases passed", attacking(
        "class L(list):\n    def __len__(self):\n        return 5\n    def __iter__(self):\n"
        "        return iter([0.0, 0.0, 0.0, 0.5, 3.0])\n    def __getitem__(self, i):\n        return 0.0\n"
        "class D(dict):\n    def items(self):\n        return [('value', 1.0)]\n")
        + "def relu(x):\n    return L([-1.0] * 5) if np.ndim(x) == 1 else D(a=1)\n"),

    # Output and notebook structure: only the source's test list decides.
    Attack("prints_fake_results", "graded", "0 of 8 cases passed", attacking(
        "import os, sys\nFAKE = 'test_relu: 8 of 8 cases passed (1 of 1 points) FAKE-PASS\\nScore: 10/10\\n'\n"
        "print(FAKE)\nsys.__stdout__.write(FAKE)\nos.write(1, FAKE.encode())\nos.write(2, FAKE.encode())\n")
        + "_wrong = relu\ndef relu(x):\n    print(FAKE)\n    return _wrong(x)\n"),
    Attack("test_cells_return_points", "graded", "0 of 8 cases passed", attacking(""),
           edit=test_cells_return_points),
    Attack("cells_added_between_tests", "graded", "0 of 8 cases passed", attacking(""),
           edit=cells_added_between_tests),
    Attack("test_cells_edited", "graded", "0 of 8 cases passed", attacking(""), edit=test_cells_edited),
    Attack("test_cells_deleted", "graded", "0 of 8 cases passed", attacking(""), edit=test_cells_deleted),
    Attack("cells_retyped", "graded", "solution cell 'relu' is missing", attacking(""), edit=cells_retyped),
    Attack("cells_duplicated", "graded", "0 of 8 cases passed", attacking(""), edit=cells_duplicated),
    Attack("grade_ids_renamed", "graded", "0 of 8 cases passed", attacking(""), edit=grade_ids_renamed),
    Attack("setup_cell_edited", "graded", "relu is not defined", edit=setup_cell_edited),
    Attack("metadata_stripped", "graded", "used a cell that defines relu", attacking(""), edit=metadata_stripped),

    # Ending the process, or the call, in every way Python offers.
    Attack("sys_exit_in_a_call", "graded", "raised SystemExit", attacking("import sys")
           + "def relu(x):\n    sys.exit(0)\n"),
    Attack("sys_exit_in_a_cell", "graded", "cell 'relu' raised SystemExit",
           attacking("") + "import sys\nsys.exit('done here')\n"),
    Attack("os_exit_in_a_cell", "crashed", "exit code 0", "import os\nos._exit(0)\n"),
    Attack("sigkills_itself", "crashed", "SIGKILL", attacking("import os, signal")
           + "def relu(x):\n    os.kill(os.getpid(), signal.SIGKILL)\n"),
    Attack("segfaults", "crashed", "segmentation fault", attacking("import ctypes")
           + "def relu(x):\n    ctypes.string_at(0)\n"),
    Attack("raises_keyboard_interrupt", "graded", "KeyboardInterrupt", attacking("")
           + "def relu(x):\n    raise KeyboardInterrupt\nraise KeyboardInterrupt('from the cell')\n"),
    Attack("raises_a_hostile_base_exception", "graded", "raised Hostile", attacking(
        "class Hostile(BaseException):\n    def __str__(self):\n        raise Hostile()\n"
        "    def __repr__(self):\n        raise Hostile()\n"
        "    @property\n    def args(self):\n        raise Hostile()\n")
        + "def relu(x):\n    raise Hostile()\n"),
    Attack("raises_text_no_file_can_hold", "graded", "raised ValueError", attacking("")
           + "def relu(x):\n    raise ValueError('\\ud800 a lone surrogate')\n"),
    Attack("recursion_bomb", "graded", "RecursionError", attacking("") + "def relu(x):\n    return relu(x)\n"),
    Attack("overflows_the_c_stack", "crashed", "segmentation fault", attacking("import sys")
           + "def relu(x):\n    sys.setrecursionlimit(10**8)\n"
             "    deeper = lambda: list(map(lambda _: deeper(), [0]))\n"
             "    return deeper()\n"),

    # Using up time, memory, processes, threads, output and disk.
    Attack("loops_forever", "timeout", "did not return within the 3 s limit", attacking("")
           + "def relu(x):\n    while True:\n        pass\n"),
    Attack("sleeps_forever_in_a_cell", "timeout", "cell 'relu' did not finish", attacking("import time")
           + "time.sleep(10**6)\n"),
    Attack("hogs_memory", "memory_limit", "memory limit", attacking("")
           + "def relu(x):\n    hog = []\n    while True:\n        hog.append(np.ones(2**24))\n"),
    Attack("fork_bomb", "timeout", "cell 'relu' did not finish", attacking(
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n")),
    Attack("thread_bomb", "graded", "0 of 8 cases passed", attacking("import threading, time")
           + "_wrong = relu\ndef relu(x):\n    try:\n        while True:\n"
             "            threading.Thread(target=time.sleep, args=(10**6,), daemon=True).start()\n"
             "    except RuntimeError:\n        return _wrong(x)\n"),
    Attack("huge_cell_is_parsed_only_in_the_sandbox", "timeout", "cell 'relu' did not finish",
           attacking("x = 1\n" * 2_000_000 + "%time pass\n")),
    Attack("prints_gigabytes", "graded", "raised OSError", attacking("")
           + "def relu(x):\n    line = 'x' * 2**20\n    for _ in range(4096):\n        print(line)\n"),
    Attack("returns_a_huge_value", "crashed", "the answer was too large", attacking("")
           + "def relu(x):\n    return np.zeros(10**7)  # 80 MB, over the 64 MB an answer may have\n"),
    Attack("writes_huge_files", "graded", "0 of 8 cases passed", attacking("")
           + "_wrong = relu\ndef relu(x):\n    for path in ['big', '/tmp/big-MARK', '/dev/shm/big']:\n"
             "        try:\n            with open(path, 'wb') as out:\n"
             "                for _ in range(1024):\n                    out.write(b'x' * 2**20)\n"
             "        except OSError:\n            pass\n    return _wrong(x)\n"),

    # Reaching what the sandbox hides: answer keys, other students, the grader's files.
    Attack("reads_solutions_by_absolute_path", "graded", "0 of 8 cases passed", stealing(
        LOOT_FROM_FILES + "for path in ['COURSE/solutions/ps1_forward.py', 'REPO/solutions/ps1_forward.py',\n"
        "             'COURSE/assignments/ps1_forward/ps1_forward.ipynb', 'COURSE/nbgrader_config.py']:\n"
        "    grab(path)\n")),
    Attack("reads_solutions_by_relative_path", "graded", "0 of 8 cases passed", stealing(
        LOOT_FROM_FILES + "for up in range(12):\n    for rest in ['solutions/ps1_forward.py', "
        "'assignments/ps1_forward/ps1_forward.ipynb',\n"
        "                 'submitted/honest/ps1_forward/ps1_forward.ipynb']:\n"
        "        grab('../' * up + rest)\n        grab(os.path.join(os.getcwd(), *['..'] * up, rest))\n")),
    Attack("finds_the_course_through_the_environment", "graded", "0 of 8 cases passed", stealing(
        LOOT_FROM_FILES + "for name in ['DLCOURSE_ROOT', 'PWD', 'OLDPWD', 'HOME', 'PYTHONPATH', 'VIRTUAL_ENV']:\n"
        "    for root in os.environ.get(name, '').split(os.pathsep):\n"
        "        if root:\n            grab(os.path.join(root, 'solutions', 'ps1_forward.py'))\n"
        # Imported outside any try: a moved module fails this attack rather than skipping it.
        "from autograder.checks import reference\nfor root in [None, 'COURSE', 'REPO']:\n"
        "    try:\n        loot.append(reference.load('ps1_forward', root).relu)\n"
        "    except Exception:\n        pass\n")),
    Attack("reads_through_proc", "graded", "0 of 8 cases passed", stealing(
        LOOT_FROM_FILES + "for proc in glob.glob('/proc/[0-9]*'):\n"
        "    for link in ['cwd', 'root']:\n"
        "        for rest in ['solutions/ps1_forward.py', 'COURSE/solutions/ps1_forward.py',\n"
        "                     'gradebook.db', 'COURSE/gradebook.db']:\n"
        "            grab(os.path.join(proc, link, rest.lstrip('/')))\n"
        "    try:\n        seen = open(proc + '/environ', 'rb').read() + open(proc + '/cmdline', 'rb').read()\n"
        "        if b'COURSE' in seen:\n"
        "            loot.append(proc)\n    except OSError:\n        pass\n")),
    Attack("imports_solutions", "graded", "0 of 8 cases passed", stealing(
        "import sys, importlib, importlib.util\nsys.path[:0] = ['COURSE', 'REPO', '../../..', '.']\n"
        "for name in ['solutions.ps1_forward', 'ps1_forward']:\n    try:\n"
        "        loot.append(importlib.import_module(name).relu)\n    except Exception:\n        pass\n"
        "try:\n    spec = importlib.util.spec_from_file_location('s', 'COURSE/solutions/ps1_forward.py')\n"
        "    module = importlib.util.module_from_spec(spec)\n    spec.loader.exec_module(module)\n"
        "    loot.append(module.relu)\nexcept Exception:\n    pass\n")),
    Attack("reads_the_gradebook_and_other_students", "graded", "0 of 8 cases passed", stealing(
        LOOT_FROM_FILES + "for pattern in ['COURSE/gradebook.db', 'COURSE/submitted/*/ps1_forward/*.ipynb',\n"
        "                'COURSE/release/*/*', 'COURSE/.autograder/**/*.json', 'COURSE/grades/*',\n"
        "                'COURSE/**/solutions/*.py'] + ['/' + '*/' * depth + name for depth in range(4) for name in\n"
        "                ['solutions/ps1_forward.py', 'assignments/ps1_forward/*.ipynb', 'gradebook.db',\n"
        "                 'submitted/honest/ps1_forward/*.ipynb']]:\n"
        "    for path in glob.glob(pattern, recursive=True):\n        grab(path)\n")),
    Attack("runs_shell_magics", "graded", "0 of 8 cases passed", stealing(
        "answer = !cat COURSE/solutions/ps1_forward.py\n%load COURSE/solutions/ps1_forward.py\n"
        "%run COURSE/solutions/ps1_forward.py\n!cp COURSE/solutions/ps1_forward.py stolen.py\n"
        "import os\nos.system('cat COURSE/solutions/ps1_forward.py > stolen.py')\n"
        "if answer or (os.path.exists('stolen.py') and os.path.getsize('stolen.py')) or 'relu' in globals():\n"
        "    loot.append('shell')\n")),
    Attack("uses_the_network", "graded", "0 of 8 cases passed", stealing(
        "import socket\nfor address in [('127.0.0.1', PORT), ('10.0.2.2', PORT), ('1.1.1.1', 53)]:\n"
        "    try:\n        socket.create_connection(address, timeout=1).close()\n        loot.append(address)\n"
        "    except OSError:\n        pass\ntry:\n    loot.append(socket.getaddrinfo('pypi.org', 443))\n"
        "except OSError:\n    pass\n")),
    Attack("writes_outside_its_sandbox", "graded", "0 of 8 cases passed", stealing(
        "import os\nfor path in ['COURSE/gradebook.db', 'COURSE/grades/ps1_forward.csv', 'COURSE/grades/x.csv',\n"
        "             'COURSE/submitted/honest/ps1_forward/ps1_forward.ipynb',\n"
        "             'COURSE/autograded/writes_outside_its_sandbox/ps1_forward/ps1_forward.ipynb',\n"
        "             'COURSE/.autograder/cache/ps1_forward/x.json', 'COURSE/solutions/ps1_forward.py',\n"
        "             'REPO/solutions/ps1_forward.py', 'REPO/MARK']:\n"
        "    try:\n        with open(path, 'a') as handle:\n            handle.write('tampered')\n"
        "        loot.append(path)\n    except OSError:\n        pass\n"
        "with open('/tmp/written-MARK', 'w') as handle:  # its own /tmp: allowed, and gone after the run\n"
        "    handle.write('x')\n")),
    Attack("changes_directory_and_writes_relative_paths", "graded", "0 of 8 cases passed", stealing(
        "import os\nfor folder in ['..', '../..', '/', 'COURSE', '/proc/1/cwd']:\n"
        "    try:\n        os.chdir(folder)\n    except OSError:\n        pass\n"
        "    for path in ['grades/ps1_forward.csv', 'gradebook.db', 'solutions/ps1_forward.py']:\n"
        "        try:\n            with open(path, 'a') as handle:\n                handle.write('tampered')\n"
        "        except OSError:\n            continue\n"
        "        if os.path.abspath(path).startswith(('COURSE/', 'REPO/')):  # not its own /tmp\n"
        "            loot.append(path)\n")),
    Attack("tries_to_become_root", "graded", "0 of 8 cases passed", stealing(
        "import os, ctypes\nos.chdir('/')\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "for attempt in [lambda: os.setuid(0), lambda: os.chroot('/'), lambda: os.setgroups([0])]:\n"
        "    try:\n        attempt()\n        loot.append(attempt)\n    except OSError:\n        pass\n"
        "if libc.mount(b'none', b'/mnt', b'tmpfs', 0, None) == 0 or libc.umount2(b'COURSE', 2) == 0:\n"
        "    loot.append('mount')\n")),
    Attack("unmounts_the_hiding_in_a_user_namespace", "graded", "0 of 8 cases passed", stealing(
        LOOT_FROM_FILES + "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "uid, gid = os.getuid(), os.getgid()\n"
        "if libc.unshare(0x10000000 | 0x00020000) == 0:  # a user and a mount namespace of its own\n"
        "    for name, text in [('setgroups', 'deny'), ('uid_map', '0 %d 1' % uid), ('gid_map', '0 %d 1' % gid)]:\n"
        "        try:\n            with open('/proc/self/' + name, 'w') as handle:\n"
        "                handle.write(text)\n        except OSError:\n            pass\n"
        "    for path in [b'COURSE', b'REPO', b'/tmp', b'/root', b'/home']:\n"
        "        libc.umount2(path, 2)\n"
        "    grab('COURSE/solutions/ps1_forward.py')\n    grab('REPO/solutions/ps1_forward.py')\n")),
    Attack("leaves_a_daemon_behind", "graded", "0 of 8 cases passed", attacking(
        "import os, sys\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
        "        os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(3600)', 'MARK'])\n"
        "    os._exit(0)\n")),
    Attack("garbles_the_grader_socket", "crashed", "malformed", attacking("import os, socket")
           + "def relu(x):\n    for fd in range(3, 64):\n        try:\n"
             "            socket.socket(fileno=os.dup(fd)).sendall(b'\\x10' + b'\\x00' * 7 + b'garbage!' * 2)\n"
             "        except OSError:\n            pass\n    return np.zeros(1)\n"),

    # Links and special files in the submission folder.
    Attack("notebook_links_to_another_student", "invalid_notebook", "symbolic link", lost=EVERYTHING,
           write=link_notebook_to(lambda course: os.path.join(course, "submitted", "honest", ASSIGNMENT,
                                                              ASSIGNMENT + ".ipynb"))),
    Attack("notebook_links_to_solutions", "invalid_notebook", "symbolic link", lost=EVERYTHING,
           write=link_notebook_to(lambda course: os.path.join(course, "solutions", ASSIGNMENT + ".py"))),
    Attack("notebook_links_to_the_source", "invalid_notebook", "symbolic link", lost=EVERYTHING,
           write=link_notebook_to(lambda course: os.path.join(course, "assignments", ASSIGNMENT,
                                                              ASSIGNMENT + ".ipynb"))),
    Attack("notebook_links_to_dev_zero", "invalid_notebook", "symbolic link", lost=EVERYTHING,
           write=link_notebook_to(lambda course: "/dev/zero")),
    Attack("notebook_is_a_fifo", "invalid_notebook", "is a FIFO", lost=EVERYTHING, write=notebook_is_a_fifo),
    Attack("student_folder_is_a_link", "missing_notebook", "symbolic link", lost=EVERYTHING,
           write=link_student_folder),
    Attack("assignment_folder_is_a_link", "missing_notebook", "symbolic link", lost=EVERYTHING,
           write=link_assignment_folder),
    Attack("timestamp_is_a_fifo", "graded", "", lost=(), write=honest_with_strange_timestamp("fifo")),
    Attack("timestamp_links_to_the_gradebook", "graded", "", lost=(), write=honest_with_strange_timestamp("link")),

    # Broken files.
    Attack("invalid_json", "invalid_notebook", "not valid JSON", lost=EVERYTHING, write=write_bytes(b'{"cells": [')),
    Attack("json_nested_too_deeply", "invalid_notebook", "nested too deeply", lost=EVERYTHING,
           write=write_bytes(b"[" * 200000 + b"]" * 200000)),
    Attack("json_but_not_a_notebook", "invalid_notebook", "not a notebook", lost=EVERYTHING,
           write=write_bytes(b'{"cells": "none", "nbformat": 4}')),
    Attack("empty_file", "invalid_notebook", "not valid JSON", lost=EVERYTHING, write=write_bytes(b"")),
    Attack("empty_notebook", "graded", "is missing", lost=EVERYTHING, write=empty_notebook),
    Attack("nbformat_3", "graded", "", lost=(), write=nbformat3),
    Attack("nbformat_5", "invalid_notebook", "format version 5", lost=EVERYTHING, write=nbformat_version(5)),
    Attack("not_utf8", "invalid_notebook", "not UTF-8", lost=EVERYTHING, write=latin1_notebook),
    Attack("notebook_of_200_mb", "invalid_notebook", "200 MB", lost=EVERYTHING, write=huge_notebook),
    Attack("no_notebook", "missing_notebook", "no ps1_forward.ipynb", lost=EVERYTHING, write=nothing_but_a_readme),
    Attack("extra_notebooks", "graded", "", lost=(),
           write=write_notebook_as(ASSIGNMENT + ".ipynb", "Untitled.ipynb", "ps1_forward-checkpoint.ipynb")),
    Attack("wrong_file_name", "graded", "in place of the missing", lost=(),
           write=write_notebook_as("ps1_forward (1).ipynb")),
    Attack("two_wrong_file_names", "missing_notebook", "found", lost=EVERYTHING,
           write=write_notebook_as("ps1_forward (1).ipynb", "ps1-forward.ipynb")),
    Attack("junk_cells_and_metadata", "graded", "", lost=(), edit=junk_cells),
]
