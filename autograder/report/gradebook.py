"""Write results into nbgrader's gradebook, as `nbgrader autograde` would.

Then `nbgrader export`, `nbgrader generate_feedback` and the formgrader show them: one
submission per student, an auto_score per graded test cell. A grade an instructor set
by hand is kept and flagged for review, as nbgrader does. Written answers (markdown
cells graded by hand) get no auto_score: they are flagged as needing a manual grade
until staff give one in the formgrader, and nbgrader adds both kinds to the total.
"""
from __future__ import annotations

import os
import time
import warnings

from nbgrader.api import (Assignment, Grade, GradeCell, Gradebook, MissingEntry, Notebook, SubmittedAssignment,
                          SubmittedNotebook)
from nbgrader.utils import parse_utc
from sqlalchemy.exc import OperationalError, SAWarning

from ..course import Course
from ..errors import GraderFault


class GradebookBusy(GraderFault):
    """The gradebook stayed locked by another process."""


class GradebookError(GraderFault):
    """The gradebook could not be written (e.g. the disk is full); it is unchanged."""


def has_assignment(course: Course, assignment: str, wait_seconds: float = 60.0) -> bool:
    """Whether nbgrader knows `assignment` (generate_assignment records it)."""
    if not os.path.exists(course.gradebook):
        return False
    return _waiting_for_the_lock(course, wait_seconds, _has_assignment, course, assignment)


def _has_assignment(course, assignment):
    with Gradebook(course.db_url) as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            return False
    return True


def write_gradebook(course: Course, assignment: str, results: dict, timestamps: dict,
                    wait_seconds: float = 60.0) -> None:
    """Record every result; wait while another process holds the lock.

    New students and submissions are added as nbgrader adds them (a commit each, so a
    rerun finds them); then every score and submission time is set in one transaction."""
    _waiting_for_the_lock(course, wait_seconds, _write, course, assignment, results, timestamps)


def _waiting_for_the_lock(course, wait_seconds, function, *args):
    """function(*args), retried while SQLite says the database is locked.

    Only a lock is worth waiting for; any other database error (a full disk) is
    reported as what it is, not as a busy gradebook.
    """
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return function(*args)
        except OperationalError as error:
            first_line = str(error).splitlines()[0]
            if "locked" not in str(error):
                raise GradebookError("cannot use the gradebook %s (%s); it is unchanged: run the same "
                                     "command again once this is fixed" % (course.gradebook, first_line)) from None
            if time.monotonic() > deadline:
                raise GradebookBusy("the gradebook %s is locked by another process (%s); "
                                    "nothing is lost: run the same command again"
                                    % (course.gradebook, first_line)) from None
            time.sleep(0.5)


def _write(course, assignment, results, timestamps):
    with warnings.catch_warnings(), Gradebook(course.db_url) as gb:
        # nbgrader's own queries trigger SQLAlchemy autoflush warnings; they are harmless.
        warnings.simplefilter("ignore", SAWarning)
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            raise GraderFault("%s is not in the gradebook: release it first "
                               "(python -m autograder release %s)" % (assignment, assignment)) from None
        _record_submissions(gb, assignment, list(results), timestamps)
        grades = _grade_rows(gb, assignment)
        for student, result in results.items():
            for grade_id, test in result.tests.items():
                grade = grades.get((student, grade_id)) or gb.find_grade(grade_id, assignment, assignment, student)
                grade.auto_score = test.score
                grade.needs_manual_grade = grade.manual_score is not None
        for (student, grade_id), grade in grades.items():
            # a written answer, graded by hand: it waits for staff until they have graded it
            if student in results and grade.cell.cell_type == "markdown":
                grade.needs_manual_grade = grade.manual_score is None
        gb.db.commit()


def _record_submissions(gb, assignment: str, students: list, timestamps: dict) -> None:
    """Every student and submission in the gradebook, with its timestamp. Existing ones
    are found in two queries and updated in the final transaction; nbgrader's
    `update_or_create_*` would make a query and a commit for each."""
    known = {student.id for student in gb.students}
    submissions = {submission.student_id: submission for submission in
                   gb.db.query(SubmittedAssignment).join(Assignment).filter(Assignment.name == assignment)}
    for student in students:
        if student not in known:
            gb.add_student(student)
        when = _time(timestamps.get(student))
        timestamp = {"timestamp": when} if when else {}
        if student not in submissions:
            gb.add_submission(assignment, student, **timestamp)
        elif timestamp:
            submissions[student].timestamp = timestamp["timestamp"]


def _time(timestamp):
    """A submission time (text as nbgrader writes it, or a datetime) in UTC; None if
    there is none or it cannot be read."""
    try:
        return parse_utc(timestamp)
    except (ValueError, OverflowError, TypeError):
        return None


def _grade_rows(gb, assignment: str) -> dict:
    """{(student, grade_id): Grade} of every submission of `assignment`, in one query
    (nbgrader's `find_grade` makes one per student and test)."""
    rows = gb.db.query(Grade, GradeCell.name, SubmittedAssignment.student_id) \
        .join(GradeCell, GradeCell.id == Grade.cell_id) \
        .join(SubmittedNotebook, SubmittedNotebook.id == Grade.notebook_id) \
        .join(Notebook, Notebook.id == SubmittedNotebook.notebook_id) \
        .join(SubmittedAssignment, SubmittedAssignment.id == SubmittedNotebook.assignment_id) \
        .join(Assignment, Assignment.id == SubmittedAssignment.assignment_id) \
        .filter(Notebook.name == assignment, Assignment.name == assignment).all()
    return {(student, cell): grade for grade, cell, student in rows}
