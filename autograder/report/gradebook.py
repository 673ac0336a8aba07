"""Write results into nbgrader's gradebook, as `nbgrader autograde` would.

Then `nbgrader export`, `nbgrader generate_feedback` and the formgrader show them: one
submission per student, an auto_score per graded test cell. A grade an instructor set
by hand is kept and flagged for review, as nbgrader does.
"""
from __future__ import annotations

import os
import time
import warnings

from nbgrader.api import Gradebook, MissingEntry
from sqlalchemy.exc import OperationalError, SAWarning

from ..course import Course


class GradebookBusy(RuntimeError):
    """The gradebook stayed locked by another process."""


def has_assignment(course: Course, assignment: str) -> bool:
    """Whether nbgrader knows `assignment` (generate_assignment records it)."""
    if not os.path.exists(course.gradebook):
        return False
    with Gradebook(course.db_url) as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            return False
    return True


def write_gradebook(course: Course, assignment: str, results: dict, timestamps: dict,
                    wait_seconds: float = 60.0) -> None:
    """Record every result; retry while another process holds the database lock."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return _write(course, assignment, results, timestamps)
        except OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise GradebookBusy("the gradebook %s is locked by another process (%s); "
                                    "nothing is lost: run the same command again"
                                    % (course.gradebook, str(error).splitlines()[0])) from None
            time.sleep(0.5)


def _write(course, assignment, results, timestamps):
    with warnings.catch_warnings(), Gradebook(course.db_url) as gb:
        # nbgrader's own queries trigger SQLAlchemy autoflush warnings; they are harmless.
        warnings.simplefilter("ignore", SAWarning)
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            raise RuntimeError("%s is not in the gradebook: release it first "
                               "(python -m autograder release %s)" % (assignment, assignment)) from None
        for student, result in results.items():
            gb.update_or_create_student(student)
            if timestamps.get(student):
                gb.update_or_create_submission(assignment, student, timestamp=timestamps[student])
            else:
                gb.update_or_create_submission(assignment, student)
            for grade_id, test in result.tests.items():
                grade = gb.find_grade(grade_id, assignment, assignment, student)
                grade.auto_score = test.score
                grade.needs_manual_grade = grade.manual_score is not None
        gb.db.commit()
