"""Batch grading end to end: a released course, a class of submissions, `grade`.

The honest class (a full, a partial and a blank submission) is graded once by the
command: its scores, its reports (the gradebook, the CSV and the autograded notebooks
agree), the course left untouched but for the outputs, and a second run that reuses
every result. Hostile and broken submissions are tests/test_attacks.py's.
"""
import csv
import json
import os

import pytest
from nbgrader.api import Gradebook

from autograder import checks
from autograder.authoring import examples
from autograder.batch import cache
from autograder.batch.run import grade_assignment
from autograder.batch.warm_workers import WarmWorkers
from autograder.nbgrader_commands import gradebook_scores
from autograder.sandbox import Limits

from course_helpers import autograder_command
from grading_helpers import changed_files, file_hashes, outside_outputs, released_course

ASSIGNMENT = "ps1_forward"
CLASS = ("full", "partial", "blank")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One batch: the example class; graded, reports written."""
    course = released_course(tmp_path_factory, "graded")
    examples.write_class(course.root, ASSIGNMENT, CLASS)
    before = file_hashes(course.root)
    done = autograder_command("grade", ASSIGNMENT, "--course", course.root, "--timeout", "3",
                              "--json", "-", cwd=course.root)
    WarmWorkers.of_this_process().close()
    return course, done, json.loads(done.stdout), before


def test_the_command_succeeds_and_reports(graded):
    course, done, document, _ = graded
    assert done.returncode == 0, done.stderr[-3000:]
    assert document["assignment"] == ASSIGNMENT
    assert set(document["students"]) == set(CLASS)


def test_honest_students_get_what_they_earned(graded):
    """The partial student makes the assignment's declared typical mistake: that
    function's test loses points, every other test earns them all."""
    students = graded[2]["students"]
    assert students["full"]["score"] == students["full"]["max_score"] == 10
    assert students["blank"]["score"] == 0
    wrong = "test_" + checks.declaration(ASSIGNMENT).mistake.function
    partial = students["partial"]["tests"]
    assert partial[wrong]["score"] < partial[wrong]["max_score"]
    assert all(test["score"] == test["max_score"] for grade_id, test in partial.items() if grade_id != wrong)
    assert students["partial"]["score"] == pytest.approx(sum(test["score"] for test in partial.values()))
    assert all(s["status"] == "graded" for s in students.values())


def test_only_the_outputs_changed_in_the_course(graded):
    course, _, _, before = graded
    changed = changed_files(before, file_hashes(course.root))
    assert changed and outside_outputs(changed) == []


def test_gradebook_csv_and_autograded_notebooks_agree(graded):
    course, _, document, _ = graded
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
    package = os.path.dirname(os.path.dirname(cache.__file__))
    sources = {os.path.relpath(path, package) for path in cache._package_sources()}
    assert {os.path.join("sandbox", "inside", "handlers.py"), os.path.join("sandbox", "inside", "child.py"),
            os.path.join("checks", "ps1_forward.py"), os.path.join("checks", "compare.py")} <= sources


def test_usage_errors_are_clear(tmp_path):
    done = autograder_command("grade", ASSIGNMENT, "--course", str(tmp_path), cwd=str(tmp_path))
    assert done.returncode == 2 and "not a course directory" in done.stderr
    done = autograder_command("grade", ASSIGNMENT, "--memory", "64", cwd=str(tmp_path))
    assert done.returncode == 2 and "too little" in done.stderr
