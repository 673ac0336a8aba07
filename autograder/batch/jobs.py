"""A class as jobs: one per student folder in submitted/, each read once.

A `Job` is everything needed to grade one submission, as plain picklable data (it may
travel to a Dask worker): the student, the assignment's source notebook (parsed once
for the whole batch) and the submitted notebook's bytes (read once, defensively). The
bytes the cache key hashes are the bytes graded and the bytes the feedback shows,
whatever happens to the file meanwhile.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..course import Course
from ..errors import UsageError
from ..notebooks.cells import Source
from ..notebooks.program import InvalidNotebook, read_submitted
from ..sandbox import Limits


@dataclass
class Job:
    course: str
    assignment: str
    student: str
    notebook: str | None  # path of the submitted notebook; None if there is none
    source: Source
    limits: Limits = field(default_factory=Limits)
    note: str = ""  # e.g. "graded x.ipynb in place of the missing ps1_forward.ipynb"
    missing: str = ""  # why there is no notebook to grade
    submitted: bytes | None = None  # the notebook's bytes, if they could be read
    unreadable: str = ""  # why they could not (a link, a FIFO, too large, ...)

    def read(self) -> None:
        """Read the submitted notebook, once."""
        if self.notebook is None:
            return
        try:
            self.submitted = read_submitted(self.notebook)
        except InvalidNotebook as problem:
            self.unreadable = str(problem)


def find_submissions(course: Course, assignment: str, students=None, limits: Limits | None = None) -> list[Job]:
    """One job per student folder in submitted/ that has this assignment, sorted by id."""
    limits = limits or Limits()
    limits.hidden = course.hidden_paths()
    source_path = course.source_notebook(assignment)
    if not os.path.isfile(source_path):
        raise UsageError("no source notebook %s" % source_path)
    source = Source.read(source_path)
    root = course.submitted()
    names = sorted(os.listdir(root)) if os.path.isdir(root) else []
    if students:
        unknown = sorted(set(students) - set(names))
        if unknown:
            raise UsageError("no submissions from %s in %s" % (", ".join(unknown), root))
        names = [name for name in names if name in set(students)]
    jobs = []
    for student, folder in _submitted(root, names, assignment):
        job = Job(course.root, assignment, student, None, source, limits)
        _locate(job, folder)
        job.read()
        jobs.append(job)
    return jobs


def students_who_submitted(course: Course, assignment: str) -> list[str]:
    """The ids of every student with a submission of `assignment`, sorted."""
    root = course.submitted()
    names = sorted(os.listdir(root)) if os.path.isdir(root) else []
    return [student for student, _ in _submitted(root, names, assignment)]


def _submitted(root: str, names: list[str], assignment: str):
    """(student, their assignment folder, or None where a link stands for either)."""
    for student in names:
        # Joined without a trailing separator: "home/" would resolve a link to a folder.
        home = os.path.join(root, student)
        folder = os.path.join(home, assignment)
        if os.path.islink(home) or os.path.islink(folder):
            yield student, None
        elif os.path.isdir(home) and os.path.lexists(folder):
            yield student, folder


def _locate(job: Job, folder: str | None) -> None:
    """Find the notebook to grade in the student's folder, or say why there is none."""
    if folder is None or not os.path.isdir(folder):
        job.missing = "the submission is a symbolic link or not a folder: nothing was read from it"
        return
    expected = os.path.join(folder, job.assignment + ".ipynb")
    if os.path.lexists(expected):
        job.notebook = expected
        return
    others = sorted(name for name in os.listdir(folder) if name.endswith(".ipynb"))
    if len(others) == 1:
        job.notebook = os.path.join(folder, others[0])
        job.note = "graded %s in place of the missing %s.ipynb" % (others[0], job.assignment)
    else:
        job.missing = "no %s.ipynb in the submission%s" % (
            job.assignment, " (found %s)" % ", ".join(others) if others else "")
