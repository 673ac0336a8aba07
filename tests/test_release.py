"""`python -m autograder release`: nbgrader's student version, verified before it is handed out."""
import os
import re
import shutil

import nbformat
import pytest

from autograder.authoring import leaks, release
from autograder.notebooks import cells as notebooks
from autograder.notebooks import scoring
from course_helpers import REPO, autograder_command, course_copy

SOURCE_TEST_CELL = '### BEGIN HIDDEN TESTS\ntests.include_hidden()\n### END HIDDEN TESTS\ntests.check("mse")'
SOURCE_SOLUTION_CELL = ('def mse(y_true, y_pred):\n    """Mean squared error."""\n    ### BEGIN SOLUTION\n'
                        '    errors = np.asarray(y_true) - np.asarray(y_pred)\n    return float(np.mean(errors ** 2))\n'
                        '    ### END SOLUTION')


def edit_cell(course, assignment, name, change):
    """Change the source notebook's cell `name` (grade_id or cell id) with `change(source)`."""
    path = os.path.join(course, "assignments", assignment, assignment + ".ipynb")
    notebook = nbformat.read(path, as_version=4)
    cell, = [cell for cell in notebooks.cells(notebook) if cell.name == name]
    notebook.cells[cell.index].source = change(cell.source)
    nbformat.write(notebook, path)


@pytest.mark.slow
def test_release_all_generates_and_verifies_every_assignment(tmp_path):
    course = course_copy(tmp_path / "course")
    done = autograder_command("release", "--all", "--course", course, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    for assignment in ("ps1_forward", "ps2_learning", "ps3_backprop", "ps4_keras"):
        assert "%s: release/%s verified" % (assignment, assignment) in done.stdout
        assert os.listdir(os.path.join(course, "release", assignment)) == [assignment + ".ipynb"]


@pytest.mark.slow
def test_planted_problems_stop_the_release_and_are_named(tmp_path):
    """A hidden test left visible, a solution line in a markdown cell, a source solution
    that fails its own test, and a reference copied into an assignment folder."""
    course = course_copy(tmp_path / "course")
    edit_cell(course, "ps1_forward", "test_relu", lambda source: source.replace("### BEGIN HIDDEN TESTS\n", "")
              .replace("### END HIDDEN TESTS\n", ""))
    edit_cell(course, "ps2_learning", "task_mse",
              lambda source: source + "\n\n    return float(np.mean((y_true - y_pred) ** 2))")
    edit_cell(course, "ps3_backprop", "momentum_step",
              lambda source: source.replace("beta * velocity + grad", "beta * velocity + (1 - beta) * grad"))
    shutil.copy(os.path.join(course, "solutions", "ps4_keras.py"),
                os.path.join(course, "assignments", "ps4_keras", "helpers.py"))

    done = autograder_command("release", "--all", "--course", course, cwd=tmp_path)

    assert done.returncode == 1
    assert ("ps1_forward: ps1_forward.ipynb: released cell 'test_relu' (code) refers to 'include_hidden'"
            in done.stderr)
    assert ("ps2_learning: ps2_learning.ipynb: released cell 'task_mse' (markdown) contains solution line "
            "'return float(np.mean((y_true - y_pred) ** 2))'" in done.stderr)
    assert re.search(r"ps3_backprop: the source notebook scored [\d.]+ of 1 on test_momentum_step \(expected 1\)",
                     done.stderr)
    assert "ps4_keras: helpers.py contains reference line" in done.stderr
    assert os.listdir(os.path.join(course, "release")) == []


def test_secrets_are_answer_lines_not_what_students_get_anyway(tmp_path):
    source = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import numpy as np\nerrors = np.asarray(y_true) - np.asarray(y_pred)",
                                  metadata={"nbgrader": {"grade_id": "setup", "locked": True}}),
        nbformat.v4.new_code_cell(SOURCE_SOLUTION_CELL, metadata={"nbgrader": {"grade_id": "mse", "solution": True}}),
        nbformat.v4.new_code_cell(SOURCE_TEST_CELL, metadata={"nbgrader": {"grade_id": "test_mse", "grade": True,
                                                                           "points": 1}}),
    ])
    os.makedirs(tmp_path / "solutions")
    (tmp_path / "solutions" / "ps2_learning.py").write_text(
        'def mae(y_true, y_pred):\n    """Mean absolute error."""\n    return float(np.mean(np.abs(y_true - y_pred)))\n')

    secrets = leaks.course_secrets({"ps2_learning": source}, str(tmp_path / "solutions"))

    assert {(secret.text, secret.kind) for secret in secrets} == {
        ("return float(np.mean(errors ** 2))", "solution line"),
        ("tests.include_hidden()", "hidden test line"),
        ("return float(np.mean(np.abs(y_true - y_pred)))", "reference line"),
    }


def test_a_released_file_is_searched_everywhere(tmp_path):
    secrets = [leaks.Secret("return float(np.mean(errors ** 2))", "solution line", "solution cell 'mse'")]
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("Hint: `return float(np.mean(errors ** 2))`"),
        nbformat.v4.new_code_cell("from solutions import ps2_learning", metadata={"nbgrader": {"grade_id": "setup",
                                                                                               "locked": True}}),
    ])
    notebook.cells[0].id = "task_mse"
    nbformat.write(notebook, str(tmp_path / "ps2.ipynb"))
    (tmp_path / "notes.txt").write_text("### BEGIN SOLUTION")

    problems = leaks.find_leaks(str(tmp_path), secrets)

    assert problems == [
        "notes.txt contains the marker 'BEGIN SOLUTION'",
        "ps2.ipynb: released cell 'task_mse' (markdown) contains solution line "
        "'return float(np.mean(errors ** 2))' (from solution cell 'mse')",
        "ps2.ipynb: released cell 'setup' (code) refers to 'solutions', a way to the reference solutions",
    ]


def test_a_stub_defines_the_function_and_raises_not_implemented():
    assert release.is_stub('def relu(x):\n    """Doc."""\n    # YOUR CODE HERE\n    raise NotImplementedError()', "relu")
    assert not release.is_stub("def relu(x):\n    return x", "relu")
    assert not release.is_stub("def sigmoid(x):\n    raise NotImplementedError()", "relu")
    assert not release.is_stub("def relu(x:\n    raise NotImplementedError()", "relu")


def test_regions_of_a_source_cell():
    assert notebooks.solution_body(SOURCE_SOLUTION_CELL) == [
        "    errors = np.asarray(y_true) - np.asarray(y_pred)", "    return float(np.mean(errors ** 2))"]
    assert notebooks.hidden_tests(SOURCE_TEST_CELL) == ["tests.include_hidden()"]
    assert notebooks.outside_regions(SOURCE_TEST_CELL) == ['tests.check("mse")']
    assert notebooks.outside_regions(SOURCE_SOLUTION_CELL) == [
        "def mse(y_true, y_pred):", '    """Mean squared error."""']


@pytest.mark.parametrize("outputs", [
    [],
    [{"output_type": "stream", "name": "stdout", "text": "relu: 8 of 8 cases passed\n"}],
    [{"output_type": "stream", "name": "stderr", "text": "W0000 00:00 warning\n"}],
    [{"output_type": "error", "ename": "CheckFailed", "evalue": "relu: 0 of 2", "traceback": []}],
    [{"output_type": "execute_result", "data": {"text/plain": "0.6"}, "metadata": {}, "execution_count": 1}],
    [{"output_type": "execute_result", "data": {"text/plain": "'a string'"}, "metadata": {}, "execution_count": 1}],
    [{"output_type": "stream", "name": "stdout", "text": "ok\n"},
     {"output_type": "execute_result", "data": {"text/plain": "2.0"}, "metadata": {}, "execution_count": 1}],
])
def test_test_cells_are_scored_as_nbgrader_scores_them(outputs):
    from nbgrader.utils import determine_grade

    cell = nbformat.v4.new_code_cell("tests.check('relu')", metadata={
        "nbgrader": {"grade": True, "solution": False, "grade_id": "test_relu", "points": 2}})
    cell.outputs = [nbformat.from_dict(output) for output in outputs]
    assert scoring.nbgrader_score(cell.outputs, 2.0) == determine_grade(cell)[0]


def test_the_repository_keeps_nothing_but_notebooks_in_assignment_folders():
    """nbgrader copies every other file of assignments/<name>/ into the release."""
    folder = os.path.join(REPO, "assignments")
    for name in os.listdir(folder):
        assert os.listdir(os.path.join(folder, name)) == [name + ".ipynb"]
