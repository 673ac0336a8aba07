"""The four assignments under nbgrader itself: release, submit, autograde, feedback, export.

A class is graded with nbgrader's own commands: for every assignment a student who
writes the reference answers, one who hands in the blank release and one with a
typical mistake in one function, each filling in the released notebook as students do
(only solution cells change). nbgrader's scores must be the checks' scores: full
marks, zero, and exactly the partial credit the check gives the wrong function. One
more student tampers with test cells, which nbgrader must restore from the source.

The class is one test, so that under `pytest -n 2` it keeps one worker busy and the
other runs the rest of the suite; grading all four assignments in one course runs
each nbgrader command once, instead of once per assignment.
"""
import csv
import os

import pytest

from autograder import checks
from autograder.course import Course
from autograder.nbgrader_commands import pin_stock_autograde
from autograder.notebooks import cells as notebooks
from autograder.notebooks import scoring
from course_helpers import (REPO, answers, check_score, course_copy, filled, gradebook_scores, nbgrader,
                            released_notebook, source_notebook, submit)

TEST_CELL = '### BEGIN HIDDEN TESTS\ntests.include_hidden()\n### END HIDDEN TESTS\ntests.check("%s")'


@pytest.mark.parametrize("assignment", checks.names())
def test_each_source_notebook_keeps_the_layout_the_graders_rely_on(assignment):
    """Introduction, locked setup cells, then per function: task, solution cell, test cell.

    Between the parts may come ungraded cells (text, a plot, a look at real data): cells
    nbgrader does not track, so the grader never runs them and students may change them.
    """
    notebook = source_notebook(REPO, assignment)
    cells = notebooks.cells(notebook)
    assert notebook.metadata.kernelspec.name == "python3"
    assert all(not cell.get("outputs") and not cell.get("execution_count") for cell in notebook.cells)
    assert all(cell.metadata.nbgrader["schema_version"] == 3 for cell in notebook.cells if "nbgrader" in cell.metadata)
    setup = notebooks.setup_cells(notebook)
    assert cells[0].cell_type == "markdown" and cells[1:1 + len(setup)] == setup
    assert 'tests = Tests("%s", globals())' % assignment in setup[0].source
    parts = cells[1 + len(setup):]
    tests = checks.tests_for(assignment)
    graded = [cell for cell in parts if cell.kind in (notebooks.SOLUTION, notebooks.TEST)]
    assert [cell.kind for cell in graded] == [notebooks.SOLUTION, notebooks.TEST] * len(tests)
    # Written answers graded by hand come after the last test cell, as markdown with points.
    manual = [cell for cell in parts if cell.kind == notebooks.MANUAL]
    assert all(cell.index > graded[-1].index and cell.cell_type == "markdown" and cell.points > 0
               and notebooks.solution_body(cell.source) for cell in manual)
    assert all("nbgrader" not in notebook.cells[cell.index].metadata for cell in parts if not cell.kind)
    for test, solution, test_cell in zip(tests, graded[::2], graded[1::2]):
        task = cells[solution.index - 1]
        assert task.cell_type == "markdown" and "(%g point" % test.points in task.source
        assert (solution.kind, solution.name) == (notebooks.SOLUTION, test.function)
        assert "def %s(" % test.function in solution.source and notebooks.solution_body(solution.source)
        assert test_cell.index == solution.index + 1
        assert (test_cell.kind, test_cell.name, test_cell.points) == (notebooks.TEST, test.grade_id, test.points)
        assert test_cell.source == TEST_CELL % test.function
    total = "**Total** | **%g**" % sum(test.points for test in tests)
    assert total in cells[0].source


def points(assignment):
    return {test.grade_id: test.points for test in checks.tests_for(assignment)}


def autograded(course, student, assignment):
    return notebooks.read(os.path.join(course, "autograded", student, assignment, assignment + ".ipynb"))


@pytest.mark.slow
def test_nbgrader_scores_a_class_as_the_checks_do(tmp_path):
    course = course_copy(tmp_path / "course")
    pin_stock_autograde(Course.at(course))  # the comparison is with nbgrader's own pipeline
    nbgrader(course, "generate_assignment", "*", "--force")
    expected = {}  # (assignment, student, grade_id) -> score
    for assignment in checks.names():
        released = released_notebook(course, assignment)
        right = answers(source_notebook(course, assignment))
        mistake = checks.declaration(assignment).mistake
        function = mistake.function
        wrong = {**right, function: mistake.applied_to(right[function])}
        partial = check_score(course, assignment, wrong, function)
        full = points(assignment)
        assert 0 <= partial < full["test_" + function], "the mistake in %s is not one its check sees" % function
        for student, written, scores in (("full", right, full), ("blank", {}, dict.fromkeys(full, 0.0)),
                                         ("partial", wrong, {**full, "test_" + function: partial})):
            submit(course, student, assignment, filled(released, written))
            expected.update({(assignment, student, grade_id): score for grade_id, score in scores.items()})
    submit(course, "tamperer", "ps1_forward", tampered(course))
    expected.update({("ps1_forward", "tamperer", grade_id): score
                     for grade_id, score in {**points("ps1_forward"), "test_accuracy": 0.0}.items()})

    nbgrader(course, "autograde", "*", "--force")
    nbgrader(course, "generate_feedback", "*", "--force")
    nbgrader(course, "export", "--to", "grades.csv")

    recorded = {(assignment, student, grade_id): score for assignment in checks.names()
                for student, scores in gradebook_scores(course, assignment).items()
                for grade_id, score in scores.items()}
    assert recorded == pytest.approx(expected)

    # nbgrader scores any stderr 0: TensorFlow's C++ logging must not reach a test cell.
    stderr = {(assignment, result.grade_id): result.stderr for assignment in checks.names()
              for result in scoring.test_cell_scores(autograded(course, "full", assignment))}
    assert stderr == dict.fromkeys(stderr, "")

    totals = {}
    for (assignment, student, _), score in recorded.items():
        totals[(assignment, student)] = totals.get((assignment, student), 0.0) + score
    with open(os.path.join(course, "grades.csv"), newline="") as handle:
        exported = {(row["assignment"], row["student_id"]): float(row["score"]) for row in csv.DictReader(handle)}
    assert {key: exported.get(key) for key in totals} == pytest.approx(totals)
    missing = [(assignment, student) for assignment, student in totals if not os.path.isfile(
        os.path.join(course, "feedback", student, assignment, assignment + ".html"))]
    assert missing == []

    restored = notebooks.test_cells(autograded(course, "tamperer", "ps1_forward"))
    source = notebooks.test_cells(source_notebook(course, "ps1_forward"))
    assert restored["test_accuracy"].source == source["test_accuracy"].source
    assert "was missing from the submission" in restored["test_relu"].source
    assert restored["test_relu"].source.endswith(source["test_relu"].source)


def tampered(course):
    """ps1 with relu right but its test cell deleted, and accuracy blank but its test cell
    edited to pass."""
    right = answers(source_notebook(course, "ps1_forward"))
    notebook = filled(released_notebook(course, "ps1_forward"),
                      {name: code for name, code in right.items() if name != "accuracy"})
    test_cells = notebooks.test_cells(notebook)
    notebook.cells[test_cells["test_accuracy"].index].source = 'print("all good")'
    del notebook.cells[test_cells["test_relu"].index]
    return notebook
