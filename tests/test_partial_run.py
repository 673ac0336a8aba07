"""`grade --student ID` after a whole-class run: every output still describes the class.

The example class is graded once; then blank-000 resubmits (full-000's notebook) and
only blank-000 is graded again, with every optional output requested. The class
files, the requested outputs and nbgrader's gradebook must list all 8 students, with
blank-000's new grade and everyone else's grade exactly as the first run left it.
"""
import csv
import json
import os
import shutil

import pytest

from autograder import checks
from autograder.nbgrader_commands import gradebook_scores

from course_helpers import autograder_command
from format_checks import check_gradescope, check_junit, junit_scores
from grading_helpers import ASSIGNMENT, csv_students, example_class, file_hashes, gradebook_submissions

CHANGED = "blank-000"
MODEL = "full-000"


def csv_rows(course) -> dict:
    with open(course.grades(ASSIGNMENT, "csv"), newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def json_students(path) -> dict:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)["students"]


def notebook_path(course, student) -> str:
    return os.path.join(course.root, "submitted", student, ASSIGNMENT, ASSIGNMENT + ".ipynb")


@pytest.mark.slow
def test_a_partial_run_keeps_every_output_describing_the_whole_class(tmp_path_factory):
    course = example_class(tmp_path_factory, "partial-run")
    everyone = sorted(os.listdir(course.submitted()))
    assert len(everyone) == 8 and CHANGED in everyone and MODEL in everyone
    grade_ids = checks.declaration(ASSIGNMENT).grade_ids

    # 1. The whole class, once.
    first = autograder_command("grade", ASSIGNMENT, "--course", course.root, "--timeout", "3", cwd=course.root)
    assert first.returncode == 0, (first.stdout + first.stderr)[-3000:]
    first_order = csv_students(course)
    first_rows = csv_rows(course)
    first_json = json_students(course.grades(ASSIGNMENT, "json"))
    first_gradebook = gradebook_scores(course, ASSIGNMENT)
    assert sorted(first_order) == everyone and sorted(first_json) == everyone
    assert first_json[MODEL]["score"] == first_json[MODEL]["max_score"] == 10
    assert first_json[CHANGED]["score"] == 0  # so that the update below is visible
    assert sorted(first_gradebook) == everyone
    autograded_before = file_hashes(os.path.join(course.root, "autograded"))

    # 2. blank-000 resubmits full-000's notebook; only blank-000 is graded.
    shutil.copyfile(notebook_path(course, MODEL), notebook_path(course, CHANGED))
    out = tmp_path_factory.mktemp("partial-run-outputs")
    requested_json, junit, gradescope, summary = (str(out / "grades.json"), str(out / "grades.junit.xml"),
                                                  str(out / "gradescope"), str(out / "summary.md"))
    second = autograder_command("grade", ASSIGNMENT, "--course", course.root, "--student", CHANGED,
                                "--timeout", "3", "--json", requested_json, "--junit", junit,
                                "--gradescope", gradescope, "--summary", summary, cwd=course.root)
    assert second.returncode == 0, (second.stdout + second.stderr)[-3000:]

    # What everyone should have now: the first run's grades, blank-000 with full-000's.
    expected = {**first_json, CHANGED: first_json[MODEL]}
    others = [student for student in everyone if student != CHANGED]

    # 3a. grades/<assignment>.csv: all 8, in the first run's order, blank-000 updated.
    assert csv_students(course) == first_order
    rows = csv_rows(course)
    assert rows[CHANGED]["total"] == "10" and rows[CHANGED]["status"] == "graded"
    assert {g: rows[CHANGED][g] for g in grade_ids} == {g: first_rows[MODEL][g] for g in grade_ids}
    assert {s: rows[s] for s in others} == {s: first_rows[s] for s in others}

    # 3b. grades/<assignment>.json and the --json file: all 8, blank-000 updated.
    students = json_students(course.grades(ASSIGNMENT, "json"))
    assert list(students) == first_order
    assert students == expected
    assert json_students(requested_json) == expected

    # 3c. JUnit: a testcase per student and test, with each student's scores.
    with open(junit, encoding="utf-8") as handle:
        scores = junit_scores(check_junit(handle.read()))
    assert set(scores) == {(s, g) for s in everyone for g in grade_ids}
    for student, result in expected.items():
        for grade_id, test in result["tests"].items():
            assert float(scores[(student, grade_id)]["score"]) == pytest.approx(test["score"]), (student, grade_id)

    # 3d. Gradescope: a results.json per student, each with that student's score.
    assert sorted(os.listdir(gradescope)) == everyone
    for student, result in expected.items():
        with open(os.path.join(gradescope, student, "results.json"), encoding="utf-8") as handle:
            document = json.load(handle)
        check_gradescope(document)
        assert document["extra_data"]["student"] == student
        assert document["score"] == pytest.approx(result["score"]), student

    # 3e. The Markdown summary: the class of 8, a row each, blank-000 at 10 / 10.
    with open(summary, encoding="utf-8") as handle:
        text = handle.read()
    assert "### ps1\\_forward: 8 submissions" in text
    table = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| student ")]
    assert sorted(line.split(" | ")[0][2:] for line in table) == everyone
    assert "| %s | graded | 1 | 1 | 2 | 2 | 3 | 1 | 10 / 10 |" % CHANGED in table
    for student in others:
        assert any(line.startswith("| %s |" % student) and line.endswith(
            "| %g / %g |" % (first_json[student]["score"], first_json[student]["max_score"])) for line in table), student

    # 3f. nbgrader's gradebook: still all 8 (once each), blank-000 updated.
    assert sorted(gradebook_submissions(course)) == everyone
    gradebook = gradebook_scores(course, ASSIGNMENT)
    assert sorted(gradebook) == everyone
    assert gradebook[CHANGED] == pytest.approx(first_gradebook[MODEL])
    assert gradebook[CHANGED] != pytest.approx(first_gradebook[CHANGED])
    assert {s: gradebook[s] for s in others} == {s: first_gradebook[s] for s in others}

    # The autograded notebooks: rewritten for blank-000 only.
    autograded_after = file_hashes(os.path.join(course.root, "autograded"))
    assert set(autograded_after) == set(autograded_before)
    changed = {path for path in autograded_after if autograded_after[path] != autograded_before[path]}
    assert changed and all(path.startswith(CHANGED + os.sep) for path in changed), sorted(changed)
