"""`python -m autograder check`: a student's summary of a filled-in released notebook.

The notebooks are copied out of the course, and the environment does not say where
the course is: a student has no reference solutions, and the check must not need them.
One test runs the command as students do; the others call its entry point here,
which spares a Python start-up each.
"""
import os

import nbformat
import pytest

from autograder import commands
from course_helpers import (answers, autograder_command, course_copy, filled, nbgrader, released_notebook,
                            source_notebook, with_mistake)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def student_folder(tmp_path_factory):
    """ps1_forward released by nbgrader, filled in three ways, in a folder of its own."""
    course = course_copy(tmp_path_factory.mktemp("course") / "course")
    nbgrader(course, "generate_assignment", "ps1_forward", "--force", "--no-db")
    released = released_notebook(course, "ps1_forward")
    right = answers(source_notebook(course, "ps1_forward"))
    folder = tmp_path_factory.mktemp("student")
    nbformat.write(filled(released, right), str(folder / "right.ipynb"))
    nbformat.write(released, str(folder / "blank.ipynb"))
    wrong = with_mistake(right, "init_layers", "np.sqrt(gain / n_in)", "gain / n_in")
    nbformat.write(filled(released, wrong), str(folder / "wrong.ipynb"))
    return folder


def check(folder, name, monkeypatch, capsys):
    """`python -m autograder check name` in `folder`, run in this process: (exit code, output)."""
    monkeypatch.chdir(folder)
    monkeypatch.delenv("DLCOURSE_ROOT", raising=False)
    code = commands.main(["check", name])
    output = capsys.readouterr()
    return code, output.out + output.err


def test_every_function_right_exits_zero(student_folder):
    environment = {key: value for key, value in os.environ.items() if key != "DLCOURSE_ROOT"}
    done = autograder_command("check", "right.ipynb", cwd=student_folder, env=environment)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("right.ipynb: 6 of 6 functions pass their public tests")
    for function in ("relu", "sigmoid", "dense", "init_layers", "network_forward", "accuracy"):
        assert "\u2713 %s: all " % function in done.stdout


def test_one_wrong_function_is_named_with_its_failure(student_folder, monkeypatch, capsys):
    code, output = check(student_folder, "wrong.ipynb", monkeypatch, capsys)
    assert code == 1
    assert "5 of 6 functions pass" in output
    assert "\u2717 init_layers: 2 of 4 cases passed" in output
    assert "you used the variance" in output
    assert "\u2713 dense: all 4 public cases passed" in output


def test_the_blank_release_fails_everything(student_folder, monkeypatch, capsys):
    code, output = check(student_folder, "blank.ipynb", monkeypatch, capsys)
    assert code == 1
    assert "0 of 6 functions pass" in output
    assert output.count("not implemented yet") >= 6


def test_a_missing_notebook_is_a_usage_error(tmp_path, monkeypatch, capsys):
    code, output = check(tmp_path, "nowhere.ipynb", monkeypatch, capsys)
    assert code == 2
    assert "no such notebook" in output
