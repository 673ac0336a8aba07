"""Batch grading end to end: a released course, a class of submissions, `grade`.

Each attacker writes its attack where a student would (the relu solution cell, with
every other function answered correctly): its relu earns nothing, its honest functions
keep their points, its status says what happened, and the rest of the class is graded
as if it were not there.
"""
import csv
import json
import os
import socket
import threading

import pytest
from nbgrader.api import Gradebook

from autograder import batch, examples
from autograder.batch import grade_assignment
from autograder.grader import shutdown_zygotes
from autograder.nbgrader_tools import gradebook_scores
from autograder.sandbox import Limits

from course_helpers import autograder_command
from grading_helpers import changed_files, file_hashes, outside_outputs, released_course

ASSIGNMENT = "ps1_forward"
WRONG = "    return np.full(np.shape(x), -1.0)  # never right: relu is never negative\n"


def attack(code):
    """A relu cell: `code` tries to obtain `answer` (a module with the right relu)."""
    return ("import numpy as np\n" + code +
            "\ndef relu(x):\n    if answer is not None:\n        return answer.relu(x)\n" + WRONG)


ATTACKS = {
    "steals-absolute": ("graded", attack(
        "import types\nanswer = None\ntry:\n    text = open({solutions!r}).read()\n"
        "    answer = types.ModuleType('a')\n    exec(text, answer.__dict__)\nexcept OSError:\n    pass\n")),
    "steals-relative": ("graded", attack(
        "import os, types\nanswer = None\nfor path in ['../../../solutions/ps1_forward.py',\n"
        "             os.path.join(os.environ.get('DLCOURSE_ROOT', '/'), 'solutions/ps1_forward.py')]:\n"
        "    try:\n        text = open(path).read()\n        answer = types.ModuleType('a')\n"
        "        exec(text, answer.__dict__)\n    except OSError:\n        pass\n")),
    "imports-solutions": ("graded", attack(
        "import sys\nsys.path[:0] = [{course!r}, '../../..']\ntry:\n    import solutions.ps1_forward as answer\n"
        "except ImportError:\n    answer = None\n")),
    "phones-home": ("graded", attack(
        "import socket\nanswer = None\ntry:\n    socket.create_connection(('127.0.0.1', {port}), timeout=1).close()\n"
        "except OSError:\n    pass\n")),
    "fork-bomb": ("timeout", "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"),
    "sleeps": ("timeout", "import numpy as np\ndef relu(x):\n    import time\n    time.sleep(10**6)\n"),
    "hogs-memory": ("memory_limit", "import numpy as np\ndef relu(x):\n    hog = []\n    while True:\n"
                                    "        hog.append(np.ones(2**24))\n"),
    "exits": ("crashed", "import os\ndef relu(x):\n    os._exit(0)\n"),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One batch: the example class plus every attacker; graded, reports written."""
    course = released_course(tmp_path_factory, "graded")
    examples.write_class(course.root, ASSIGNMENT, ("full", "partial", "blank"))
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    calls = []
    threading.Thread(target=lambda: calls.append(server.accept()), daemon=True).start()
    source = json.load(open(course.source_notebook(ASSIGNMENT)))
    released = examples.released_notebook(course.root, ASSIGNMENT)
    right = examples.answers_of("full", ASSIGNMENT, source)
    for student, (_, code) in ATTACKS.items():
        code = code.format(solutions=os.path.join(course.root, "solutions", "ps1_forward.py"),
                           course=course.root, port=server.getsockname()[1])
        examples.write_submission(course.root, ASSIGNMENT, student,
                                  examples.filled(released, {**right, "relu": code}))
    before = file_hashes(course.root)
    # 512 MB: the memory hog reaches its limit in half the time (on a virtual machine,
    # touching fresh memory can be slow, and the hog must be stopped within 3 s).
    done = autograder_command("grade", ASSIGNMENT, "--course", course.root, "--timeout", "3", "--memory", "512",
                              "--json", "-", cwd=course.root)
    shutdown_zygotes()
    server.close()
    return course, done, json.loads(done.stdout), before, calls


def test_the_command_succeeds_and_reports(graded):
    course, done, document, _, _ = graded
    assert done.returncode == 0, done.stderr[-3000:]
    assert document["assignment"] == ASSIGNMENT
    assert set(document["students"]) == {"full", "partial", "blank", *ATTACKS}


def test_honest_students_get_what_they_earned(graded):
    students = graded[2]["students"]
    assert students["full"]["score"] == students["full"]["max_score"] == 10
    assert students["blank"]["score"] == 0
    assert students["partial"]["tests"]["test_dense"]["score"] < 3
    assert students["partial"]["score"] == 10 - 3 - 3 + students["partial"]["tests"]["test_dense"]["score"] \
        + students["partial"]["tests"]["test_forward_pass"]["score"]
    assert all(s["status"] == "graded" for name, s in students.items() if name in ("full", "partial", "blank"))


@pytest.mark.parametrize("student", sorted(ATTACKS))
def test_an_attack_earns_nothing_and_says_what_happened(graded, student):
    expected_status, _ = ATTACKS[student]
    result = graded[2]["students"][student]
    assert result["status"] == expected_status, result["message"]
    assert result["tests"]["test_relu"]["score"] == 0
    # sigmoid does not use relu (neuron, dense and forward_pass do): it keeps its points.
    assert result["tests"]["test_sigmoid"]["score"] == 2, result["message"]
    if expected_status != "graded":
        assert result["message"]


def test_nobody_answered_the_phone(graded):
    assert graded[4] == []


def test_only_the_outputs_changed_in_the_course(graded):
    course, _, _, before, _ = graded
    changed = changed_files(before, file_hashes(course.root))
    assert changed and outside_outputs(changed) == []


def test_gradebook_csv_and_autograded_notebooks_agree(graded):
    course, _, document, _, _ = graded
    scores = gradebook_scores(course, ASSIGNMENT)
    with open(course.grades(ASSIGNMENT, "csv")) as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    for student, result in document["students"].items():
        for grade_id, test in result["tests"].items():
            assert scores[student][grade_id] == pytest.approx(test["score"])
            assert float(rows[student][grade_id]) == pytest.approx(test["score"])
        assert rows[student]["status"] == result["status"]
        path = os.path.join(course.autograded(student, ASSIGNMENT), ASSIGNMENT + ".ipynb")
        text = open(path).read()
        assert "include_hidden" not in text and "BEGIN HIDDEN TESTS" not in text


def test_a_second_run_reuses_every_result(graded):
    course, graded_again = graded[0], []
    jobs, results = grade_assignment(course, ASSIGNMENT, workers=2, limits=Limits(call_timeout=3),
                                     run=lambda todo, on_result: graded_again.extend(todo))
    assert graded_again == []
    assert {s: r.score for s, r in results.items()} == {s: r["score"] for s, r in graded[2]["students"].items()}
    with Gradebook(course.db_url) as gb:
        assert len(gb.assignment_submissions(ASSIGNMENT)) == len(results)


def test_the_cache_key_covers_how_answers_are_obtained_not_only_judged():
    """A change to the sandbox or to the requests it answers can change a grade, so it
    must invalidate cached results as a change to the checks does."""
    sources = {os.path.relpath(path, os.path.dirname(batch.__file__)) for path in batch._package_sources()}
    assert {"operations.py", os.path.join("sandbox", "child.py"), os.path.join("checks", "ps1_forward.py"),
            "compare.py"} <= sources


def test_usage_errors_are_clear(tmp_path):
    done = autograder_command("grade", ASSIGNMENT, "--course", str(tmp_path), cwd=str(tmp_path))
    assert done.returncode == 2 and "not a course directory" in done.stderr
    done = autograder_command("grade", ASSIGNMENT, "--memory", "64", cwd=str(tmp_path))
    assert done.returncode == 2 and "too little" in done.stderr
