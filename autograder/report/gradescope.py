"""Gradescope's results.json, one per student: DIR/<student>/results.json.

The format is Gradescope's autograder output
(https://gradescope-autograders.readthedocs.io/en/latest/specs/): a total "score",
an "output" for the whole submission (the grading notes, if any) and one entry per
graded test with its "name", "score", "max_score", "status", "output" (the message
a student reads) and "visibility". Messages never hold hidden cases' expected
values, so every test is "visible". On Gradescope itself, where one container grades
one submission, `run_autograder` copies the student's file into submitted/, grades,
and copies its DIR/<student>/results.json to /autograder/results/results.json.
"""
from __future__ import annotations

import json
import os

from ..files import write_atomically


def gradescope_results(result) -> dict:
    document = {"score": result.score,
                "tests": [_test(test) for test in result.tests.values()],
                "extra_data": {"student": result.student, "assignment": result.assignment,
                               "status": result.status}}
    if result.message:
        document["output"] = "Grading notes (%s): %s" % (result.status, result.message)
    return document


def _test(test) -> dict:
    return {"name": "%s (%s)" % (test.title, test.grade_id) if test.title else test.grade_id,
            "score": test.score, "max_score": test.max_score,
            "status": "passed" if test.score >= test.max_score else "failed",
            "output": test.message(), "visibility": "visible"}


def write_gradescope(folder: str, results: dict) -> None:
    for student, result in results.items():
        write_atomically(os.path.join(folder, student, "results.json"),
                         json.dumps(gradescope_results(result), indent=2) + "\n")
