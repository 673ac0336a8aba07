"""The students' install: `pip install "dl-course-autograder[student]"` alone runs a
released notebook's test cells and `python -m autograder check`, and holds no answers.

The slow test builds that environment the way a student would, but offline: a fresh
`python -m venv`, then the package's wheel (built here from this checkout) with its
`student` extra, from the wheels `.ci/install` puts in wheelhouse/ and nothing else.
Where there is no wheelhouse it skips, except in CI (CI=true), which must test it.
The fast tests keep the extra's pins equal to requirements.txt's and `check` free of
the grader's own dependencies.
"""
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile

import nbformat
import pytest

from autograder import checks, commands
from autograder.authoring import release
from autograder.course import Course
from autograder.notebooks import cells as notebooks
from autograder.notebooks import selfcheck
from course_helpers import REPO, answers, course_copy, filled, source_notebook, with_mistake

WHEELHOUSE = os.path.join(REPO, os.environ.get("WHEELHOUSE", "wheelhouse"))
PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;#]+)")
GRADER_ONLY = ("nbgrader", "dask", "distributed", "solutions")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def student_requirements() -> list[str]:
    with open(os.path.join(REPO, "pyproject.toml"), "rb") as handle:
        return tomllib.load(handle)["project"]["optional-dependencies"]["student"]


def pinned(lines) -> dict[str, str]:
    """{canonical name: version} of the `name==version` lines."""
    return {canonical(match[1]): match[2] for match in map(PIN.match, lines) if match}


# --- fast: what the extra declares, what `check` imports ----------------------------------

def test_the_student_extra_pins_what_the_grader_runs():
    """Every requirement of the extra is pinned to requirements.txt's version (macOS's
    tensorflow to tensorflow-cpu's): a public test that passes at home passes the same
    way when graded."""
    with open(os.path.join(REPO, "requirements.txt")) as handle:
        grader = pinned(handle)
    extra = student_requirements()
    assert len(pinned(extra)) == len(extra), "every student requirement is pinned with ==: %s" % extra
    for name, version in pinned(extra).items():
        expected = grader.get("tensorflow-cpu" if name == "tensorflow" else name)
        assert version == expected, "%s==%s in the student extra, %s in requirements.txt" % (name, version, expected)
    needed = {"numpy", "nbformat", "nbclient", "jupyter-client", "ipykernel", "scikit-learn", "matplotlib",
              "tensorflow-cpu", "keras"}
    assert needed <= set(pinned(extra)), needed - set(pinned(extra))
    assert not set(GRADER_ONLY) & set(pinned(extra))


def test_check_and_the_test_cells_import_nothing_of_the_grader():
    """What a student's `check` and a released notebook's test cells import (every
    assignment's checks included) needs neither nbgrader, Dask nor the answers."""
    code = ("import sys\n"
            "import autograder.commands.check, autograder.notebooks.kernel\n"
            "from autograder import checks\n"
            "from autograder.notebook import Tests\n"
            "for name in checks.names():\n"
            "    checks.tests_for(name)\n"
            "print(' '.join(sorted({m.split('.')[0] for m in sys.modules} & set(%r))))\n" % (GRADER_ONLY,))
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_check_names_what_is_missing_and_how_to_install_it(tmp_path, monkeypatch, capsys):
    (tmp_path / "ps1_forward.ipynb").write_text("{}")
    monkeypatch.setattr(selfcheck, "KERNEL_MODULES", ("nbclient", "no_such_kernel_module"))
    monkeypatch.chdir(tmp_path)
    assert commands.main(["check", "ps1_forward.ipynb"]) == 2
    error = capsys.readouterr().err
    assert "needs no_such_kernel_module" in error and 'pip install "dl-course-autograder[student]"' in error


# --- slow: a student's environment, built from the wheelhouse alone ------------------------

def require_wheelhouse() -> None:
    """Skip without the wheelhouse (bash .ci/install makes it), but fail in CI."""
    wheels = [name for name in os.listdir(WHEELHOUSE) if name.endswith(".whl")] if os.path.isdir(WHEELHOUSE) else []
    if not wheels:
        why = "no wheels in %s: bash .ci/install prepares them (the students' install, offline)" % WHEELHOUSE
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(why)
        pytest.skip(why)


def run(command, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, **kwargs)


def build_wheel(folder) -> str:
    """The package's wheel, built offline from a copy of this checkout (answers included:
    the wheel must leave them out)."""
    source = folder / "checkout"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "wheelhouse", "build", "dist", "*.egg-info", "__pycache__", "release", "submitted",
        "autograded", "feedback", "grades", ".autograder", "gradebook.db", ".pytest_cache"))
    done = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-index", "--find-links", WHEELHOUSE,
                "--wheel-dir", str(folder / "dist"), str(source)], env=pip_environment())
    assert done.returncode == 0, done.stdout + done.stderr
    wheel, = (folder / "dist").glob("dl_course_autograder-*.whl")
    return str(wheel)


def pip_environment() -> dict:
    """pip with no configuration of this machine's (no other index, no extra links) and
    no PYTHONPATH (through which this checkout would count as installed already)."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("PIP_", "PYTHON"))}
    return {**environment, "PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def install_student_environment(work, wheel):
    """A fresh venv with `pip install "<wheel>[student]"` from the wheelhouse alone, and
    the environment variables of a student's shell in it."""
    venv = work / "venv"
    done = run([sys.executable, "-m", "venv", str(venv)])
    assert done.returncode == 0, done.stdout + done.stderr
    # Byte-compiled as pip does for students: --no-compile saves a third of the install
    # but the kernel then compiles TensorFlow's modules on import, and ps4's check is slower.
    done = run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-index",
                "--find-links", WHEELHOUSE, wheel + "[student]"], env=pip_environment())
    assert done.returncode == 0, done.stdout + done.stderr
    home = work / "home"  # no Jupyter configuration or kernels of this machine's user
    home.mkdir()
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(("PYTHON", "JUPYTER", "DLCOURSE", "PIP_", "VIRTUAL_ENV"))}
    environment.update(HOME=str(home), PATH=os.pathsep.join([str(venv / "bin"), os.defpath]))
    return venv, environment


def assert_no_answers_in(wheel) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(next(name for name in names if name.endswith(".dist-info/METADATA"))).decode()
    tops = {name.split("/")[0] for name in names}
    assert "autograder" in tops and len(tops) == 2 and (tops - {"autograder"}).pop().endswith(".dist-info"), tops
    assert not [name for name in names if "solutions" in name.split("/")]
    assert "Provides-Extra: student" in metadata


def students_folder(work, venv):
    """ps1 released and filled in (right, and with a mistake), ps4 as released."""
    course = course_copy(work / "course")
    release.generate(Course.at(course), ["ps1_forward", "ps4_keras"])
    folder = work / "work"
    folder.mkdir()
    right = answers(source_notebook(course, "ps1_forward"))
    # The student's code runs in this environment's kernel, where the answers are not.
    right["relu"] = ("import importlib.util, sys\n"
                     "assert sys.prefix == %r, sys.prefix\n"
                     "assert importlib.util.find_spec('solutions') is None\n" % str(venv)) + right["relu"]
    mistake = checks.declaration("ps1_forward").mistake
    wrong = with_mistake(right, mistake.function, mistake.right, mistake.wrong)
    ps1 = notebooks.read(os.path.join(course, "release", "ps1_forward", "ps1_forward.ipynb"))
    nbformat.write(filled(ps1, right), str(folder / "ps1_forward.ipynb"))
    nbformat.write(filled(ps1, wrong), str(folder / "wrong.ipynb"))
    shutil.copy(os.path.join(course, "release", "ps4_keras", "ps4_keras.ipynb"), folder / "ps4_keras.ipynb")
    return folder


@pytest.mark.slow
def test_the_student_install_alone_runs_released_notebooks_and_check(tmp_path):
    """One test, so that parallel workers do not each build the 2 GB environment."""
    require_wheelhouse()
    wheel = build_wheel(tmp_path)
    assert_no_answers_in(wheel)
    venv, environment = install_student_environment(tmp_path, wheel)
    try:
        folder = students_folder(tmp_path, venv)

        # The course's package and data are there; the grader and the answers are not.
        code = ("import importlib.util, sys, autograder\n"
                "from sklearn.datasets import load_breast_cancer, load_digits, make_moons\n"
                "print(autograder.__file__.startswith(sys.prefix), load_digits().data.shape,"
                " load_breast_cancer().data.shape, make_moons(10)[0].shape)\n"
                "print(' '.join(name for name in %r if importlib.util.find_spec(name)))\n" % (GRADER_ONLY,))
        done = run(["python", "-c", code], cwd=folder, env=environment)
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines() == ["True (1797, 64) (569, 30) (10, 2)", ""]
        done = run(["python", "-c", "import solutions"], cwd=folder, env=environment)
        assert done.returncode != 0 and "No module named 'solutions'" in done.stderr

        # check runs the test cells in this environment's kernel.
        done = run(["python", "-m", "autograder", "check", "ps1_forward.ipynb"], cwd=folder, env=environment)
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.startswith("ps1_forward.ipynb: 6 of 6 functions pass their public tests"), done.stdout
        done = run(["python", "-m", "autograder", "check", "wrong.ipynb"], cwd=folder, env=environment)
        assert done.returncode == 1, done.stdout + done.stderr
        assert "\u2717 init_layers: 2 of 4 cases passed" in done.stdout and "you used the variance" in done.stdout

        # ps4 as handed out: its setup imports Keras, and every test cell runs (and fails
        # on the stubs, with the stub's message).
        done = run(["python", "-m", "autograder", "check", "ps4_keras.ipynb"], cwd=folder, env=environment)
        assert done.returncode == 1, done.stdout + done.stderr
        assert re.match(r"ps4_keras\.ipynb: 0 of \d+ functions pass", done.stdout), done.stdout
        assert "note:" not in done.stdout and done.stdout.count("not implemented yet") >= 5, done.stdout
    finally:
        shutil.rmtree(venv, ignore_errors=True)  # 2 GB, TensorFlow's mostly
