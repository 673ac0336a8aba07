"""What `grade` records in nbgrader's gradebook, on a second run as on the first:
new and returning students, submission times, instructors' manual grades, and written
answers that staff grade by hand, added by nbgrader to the same total."""
import datetime
import warnings

import pytest
from nbgrader.api import Gradebook
from sqlalchemy.exc import SAWarning

from autograder import checks
from autograder.errors import GraderFault
from autograder.report.gradebook import write_gradebook
from autograder.report.gradebook_process import GradebookProcess
from autograder import results as records

from autograder.course import Course
from autograder.nbgrader_commands import new_course_copy
from grading_helpers import ASSIGNMENT, REPO, released_course

GRADE_IDS = [test.grade_id for test in checks.tests_for(ASSIGNMENT)]


def results(passed: dict) -> dict:
    """{student: StudentResult} where each test passes its one case if passed[student]."""
    return {student: records.StudentResult(student, ASSIGNMENT, tests={
        grade_id: records.TestResult(grade_id, 2.0, cases=[records.CaseResult("case", ok)]) for grade_id in GRADE_IDS})
        for student, ok in passed.items()}


def recorded(course) -> dict:
    """{student: (timestamp, {grade_id: (auto, manual, needs_manual_grade)})}."""
    with warnings.catch_warnings(), Gradebook(course.db_url) as gb:
        warnings.simplefilter("ignore", SAWarning)
        found = {}
        for submission in gb.assignment_submissions(ASSIGNMENT):
            grades = {grade.name: (grade.auto_score, grade.manual_score, grade.needs_manual_grade)
                      for notebook in submission.notebooks for grade in notebook.grades}
            found[submission.student_id] = (submission.timestamp, grades)
        return found


@pytest.fixture
def course(tmp_path_factory):
    return released_course(tmp_path_factory, "gradebook")


def test_first_run_records_every_student_with_their_submission_time(course):
    monday = datetime.datetime(2026, 11, 16, 9, 30)
    write_gradebook(course, ASSIGNMENT, results({"ann": True, "ben": False}), {"ann": monday})
    found = recorded(course)
    assert set(found) == {"ann", "ben"}
    assert found["ann"][0] == monday
    assert {grade_id: scores[0] for grade_id, scores in found["ann"][1].items()} == dict.fromkeys(GRADE_IDS, 2.0)
    assert {grade_id: scores[0] for grade_id, scores in found["ben"][1].items()} == dict.fromkeys(GRADE_IDS, 0.0)


def test_a_second_run_updates_scores_and_times_adds_newcomers_and_keeps_manual_grades(course):
    write_gradebook(course, ASSIGNMENT, results({"ann": False, "ben": True}), {})
    with warnings.catch_warnings(), Gradebook(course.db_url) as gb:
        warnings.simplefilter("ignore", SAWarning)
        gb.find_grade(GRADE_IDS[0], ASSIGNMENT, ASSIGNMENT, "ben").manual_score = 1.5
        gb.db.commit()
    tuesday = datetime.datetime(2026, 11, 17, 18, 0)
    write_gradebook(course, ASSIGNMENT, results({"ann": True, "ben": True, "cat": False}), {"ann": tuesday})
    found = recorded(course)
    assert set(found) == {"ann", "ben", "cat"}
    assert found["ann"][0] == tuesday
    assert all(scores == (2.0, None, False) for scores in found["ann"][1].values())
    assert found["ben"][1][GRADE_IDS[0]] == (2.0, 1.5, True)  # kept, and flagged for review
    assert all(scores[0] == 0.0 for scores in found["cat"][1].values())


def test_the_gradebook_process_does_the_work_and_raises_its_errors_here(course):
    with GradebookProcess() as gradebook:
        assert gradebook.prepare(course, ASSIGNMENT).get() is None  # released, so known
        with pytest.raises(GraderFault, match="ps2_learning is not in the gradebook"):
            gradebook.write_gradebook(course, "ps2_learning", results({"ann": True}), {})
        gradebook.write_gradebook(course, ASSIGNMENT, results({"ann": True}), {"ann": "2026-11-16 09:30:00 UTC"})
    assert recorded(course)["ann"][0] == datetime.datetime(2026, 11, 16, 9, 30)


def test_a_gradebook_process_that_dies_is_an_error_not_a_hang(course):
    with pytest.raises(GraderFault, match="ended unexpectedly"):
        with GradebookProcess() as gradebook:
            gradebook._process.kill()
            gradebook.prepare(course, ASSIGNMENT).get()


# --- written answers graded by hand (ps4_keras) ------------------------------------------

MANUAL_ASSIGNMENT = "ps4_keras"
MANUAL_IDS = ("answer_dropout", "answer_inference", "answer_test_once")


@pytest.fixture
def manual_course(tmp_path):
    return new_course_copy(Course.at(REPO), str(tmp_path / "course"), [MANUAL_ASSIGNMENT])


def test_written_answers_wait_for_staff_and_both_kinds_of_points_make_the_total(manual_course):
    tests = checks.tests_for(MANUAL_ASSIGNMENT)
    graded = {"ann": records.StudentResult("ann", MANUAL_ASSIGNMENT, tests={
        test.grade_id: records.TestResult(test.grade_id, test.points, cases=[records.CaseResult("case", True)])
        for test in tests})}
    write_gradebook(manual_course, MANUAL_ASSIGNMENT, graded, {})
    with warnings.catch_warnings(), Gradebook(manual_course.db_url) as gb:
        warnings.simplefilter("ignore", SAWarning)
        submission = gb.find_submission(MANUAL_ASSIGNMENT, "ann")
        assert submission.max_score == 13 + 6  # nbgrader counts the written answers' points
        assert submission.score == 13
        for grade_id in MANUAL_IDS:
            grade = gb.find_grade(grade_id, MANUAL_ASSIGNMENT, MANUAL_ASSIGNMENT, "ann")
            assert (grade.auto_score, grade.manual_score, grade.max_score) == (None, None, 2)
            assert grade.needs_manual_grade  # the formgrader lists it for staff
        assert submission.needs_manual_grade
        # staff grade the answers in the formgrader: 2, 1.5 and 0 points
        for grade_id, points in zip(MANUAL_IDS, (2.0, 1.5, 0.0)):
            grade = gb.find_grade(grade_id, MANUAL_ASSIGNMENT, MANUAL_ASSIGNMENT, "ann")
            grade.manual_score = points
            grade.needs_manual_grade = False
        gb.db.commit()
    # a second grading run keeps the staff's grades and their total
    write_gradebook(manual_course, MANUAL_ASSIGNMENT, graded, {})
    with warnings.catch_warnings(), Gradebook(manual_course.db_url) as gb:
        warnings.simplefilter("ignore", SAWarning)
        submission = gb.find_submission(MANUAL_ASSIGNMENT, "ann")
        assert (submission.score, submission.max_score) == (13 + 3.5, 19)
        assert not submission.needs_manual_grade
        assert gb.find_grade("answer_inference", MANUAL_ASSIGNMENT, MANUAL_ASSIGNMENT, "ann").manual_score == 1.5
