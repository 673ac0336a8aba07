"""Where grades go: nbgrader's gradebook, autograded notebooks, CSV, JSON, a table."""
from __future__ import annotations

import os

from .. import checks, notebooks
from ..course import Course
from ..submission import InvalidNotebook, build_program, read_notebook, read_regular_file
from .files import write_grade_files
from .autograded import autograded_notebook, write_autograded


class ReportsNotWritten(RuntimeError):
    """An output could not be written (a full disk, a read-only folder)."""


def write_reports(course: Course, assignment: str, jobs: list, results: dict, write_gradebook=None) -> dict:
    """Write every output for `results`; returns what was written where.

    Every file is replaced atomically and the gradebook's scores in one transaction, so
    a failure (a full disk) leaves each output either as it was or complete; it is
    raised as `ReportsNotWritten`, which says that running again finishes the job.
    """
    try:
        return _write_reports(course, assignment, jobs, results, write_gradebook)
    except OSError as error:
        where = ": %s" % error.filename if error.filename else ""
        raise ReportsNotWritten("cannot write the results (%s%s); what was graded is cached where the "
                                "disk allowed it: fix this and run the same command again"
                                % (error.strerror or error, where)) from None


def _write_reports(course: Course, assignment: str, jobs: list, results: dict, write_gradebook) -> dict:
    if write_gradebook is None:
        from .gradebook import write_gradebook
    grade_ids = [test.grade_id for test in checks.tests_for(assignment)]
    source_notebook = notebooks.read(course.source_notebook(assignment))
    source = notebooks.cells(source_notebook)
    for job in jobs:
        path = os.path.join(course.autograded(job.student, assignment), assignment + ".ipynb")
        write_autograded(path, autograded_notebook(source_notebook, _solutions(source, job), results[job.student]))
    write_grade_files(course.grades(assignment, "csv"), course.grades(assignment, "json"),
                      assignment, results, grade_ids)
    write_gradebook(course, assignment, results, {job.student: _timestamp(job) for job in jobs})
    return {"gradebook": course.gradebook, "csv": course.grades(assignment, "csv"),
            "json": course.grades(assignment, "json"),
            "autograded": os.path.join(course.root, "autograded")}


def _solutions(source, job) -> dict:
    if job.notebook is None:
        return {}
    try:
        return dict(build_program(source, read_notebook(job.notebook)).cells)
    except InvalidNotebook:
        return {}


def _timestamp(job):
    """nbgrader's submission time as written in timestamp.txt beside the notebook (if
    any); the gradebook parses it."""
    if job.notebook is None:
        return None
    path = os.path.join(os.path.dirname(job.notebook), "timestamp.txt")
    try:
        return read_regular_file(path, 200)[0][:200].decode("utf-8").strip() or None
    except (OSError, UnicodeDecodeError):
        return None
