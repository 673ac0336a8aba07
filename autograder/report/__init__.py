"""Where grades go: nbgrader's gradebook, autograded notebooks, CSV, JSON, a table."""
from __future__ import annotations

import os

from .. import checks
from ..course import Course
from ..errors import GraderFault
from ..notebooks.program import InvalidNotebook, build_program, parse_notebook, read_regular_file
from .autograded import autograded_notebook, write_autograded
from .grades import write_grade_files


class ReportsNotWritten(GraderFault):
    """An output could not be written (a full disk, a read-only folder)."""


def write_reports(course: Course, assignment: str, jobs: list, results: dict, write_gradebook=None) -> dict:
    """Write every output for `results`; returns what was written where. The class
    files describe all of `results`; the autograded notebooks and the gradebook are
    written for `jobs`, the submissions graded.

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
    for job in jobs:
        path = os.path.join(course.autograded(job.student, assignment), assignment + ".ipynb")
        write_autograded(path, autograded_notebook(job.source.notebook, _solutions(job), results[job.student]))
    write_grade_files(course.grades(assignment, "csv"), course.grades(assignment, "json"),
                      assignment, results, checks.declaration(assignment).grade_ids)
    write_gradebook(course, assignment, {job.student: results[job.student] for job in jobs},
                    {job.student: _timestamp(job) for job in jobs})
    return {"gradebook": course.gradebook, "csv": course.grades(assignment, "csv"),
            "json": course.grades(assignment, "json"),
            "autograded": os.path.join(course.root, "autograded")}


def _solutions(job) -> dict:
    """The solution cells as graded: from the bytes the job read, not the file now."""
    if job.submitted is None:
        return {}
    try:
        return dict(build_program(job.source.cells, parse_notebook(job.submitted)).cells)
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
