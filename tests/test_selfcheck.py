"""`python -m autograder check`: a student's summary of a filled-in released notebook.

The notebooks are copied out of the course, and the environment does not say where
the course is: a student has no reference solutions, and the check must not need them.
"""
import os

import nbformat
import pytest

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
    wrong = with_mistake(right, "neuron", "inputs @ weights + bias", "inputs @ weights")
    nbformat.write(filled(released, wrong), str(folder / "wrong.ipynb"))
    return folder


def check(folder, name):
    environment = {key: value for key, value in os.environ.items() if key != "DLCOURSE_ROOT"}
    return autograder_command("check", name, cwd=folder, env=environment)


def test_every_function_right_exits_zero(student_folder):
    done = check(student_folder, "right.ipynb")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("right.ipynb: 5 of 5 functions pass their public tests")
    for function in ("relu", "sigmoid", "neuron", "dense", "forward_pass"):
        assert "\u2713 %s: all " % function in done.stdout


def test_one_wrong_function_is_named_with_its_failure(student_folder):
    done = check(student_folder, "wrong.ipynb")
    assert done.returncode == 1
    assert "4 of 5 functions pass" in done.stdout
    assert "\u2717 neuron: 1 of 2 cases passed" in done.stdout
    assert "the bias is missing" in done.stdout
    assert "\u2713 dense: all 4 public cases passed" in done.stdout


def test_the_blank_release_fails_everything(student_folder):
    done = check(student_folder, "blank.ipynb")
    assert done.returncode == 1
    assert "0 of 5 functions pass" in done.stdout
    assert done.stdout.count("not implemented yet") >= 5


def test_a_missing_notebook_is_a_usage_error(tmp_path):
    done = check(tmp_path, "nowhere.ipynb")
    assert done.returncode == 2
    assert "no such notebook" in done.stderr
