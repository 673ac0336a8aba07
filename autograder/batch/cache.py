"""The result cache: a finished result is kept, keyed by everything that decides it.

The key covers the submission's bytes and everything besides them that decides a
grade (the source notebook, the reference solutions, every module of this package).
So a batch that is killed or interrupted loses nothing: running the same command again
grades only what is missing, and a late submission costs one grading, not a whole class.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys

from .. import __version__
from ..course import Course
from ..files import write_atomically
from ..results import StudentResult
from ..sandbox import tier_in_force
from .jobs import Job


def grading_fingerprint(course: Course, assignment: str) -> str:
    """Everything besides the submission that decides a grade, hashed: the source
    notebook, the reference solutions, every module of this package (the checks, but
    also how the sandbox runs and answers them) and the sandbox tier in force (a result
    graded unconfined, where the code could read the answer key, is not reused once
    the host confines)."""
    digest = hashlib.sha256(__version__.encode())
    digest.update(b"sandbox:" + tier_in_force().name.encode())
    for path in [course.source_notebook(assignment),
                 os.path.join(course.root, "solutions", assignment + ".py")] + _package_sources():
        with open(path, "rb") as handle:
            digest.update(handle.read())
    return digest.hexdigest()


def _package_sources() -> list[str]:
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return sorted(os.path.join(folder, name) for folder, _, names in os.walk(package)
                  for name in names if name.endswith(".py"))


def cache_key(job: Job, fingerprint: str) -> str:
    """The hash of what decides this job's grade: the bytes the job read (or why it
    could not read them), and how its notebook was found."""
    digest = hashlib.sha256(fingerprint.encode())
    digest.update(json.dumps([job.note, job.missing, job.unreadable]).encode())
    if job.submitted is not None:
        digest.update(b"%d:" % len(job.submitted) + job.submitted)
    return digest.hexdigest()


class ResultCache:
    """One JSON file per student and assignment under .autograder/cache/."""

    def __init__(self, course: Course, assignment: str):
        self.folder = os.path.join(course.state, "cache", assignment)
        self.failed = False

    def _path(self, student):
        return os.path.join(self.folder, hashlib.sha256(student.encode()).hexdigest()[:32] + ".json")

    def get(self, student: str, key: str) -> StudentResult | None:
        """The cached result of exactly this submission, graded as today."""
        entry = self._entry(student)
        if entry is None or entry.get("key") != key:
            return None
        return StudentResult.from_record(entry["result"])

    def last(self, student: str) -> StudentResult | None:
        """The student's last result, whatever has changed since."""
        entry = self._entry(student)
        return None if entry is None else StudentResult.from_record(entry["result"])

    def _entry(self, student):
        try:
            with open(self._path(student)) as handle:
                entry = json.load(handle)
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("student") != student:
            return None
        return entry

    def put(self, student: str, key: str, result: StudentResult) -> None:
        os.makedirs(self.folder, exist_ok=True)
        write_atomically(self._path(student), json.dumps(
            {"key": key, "student": student, "result": result.to_record()}))

    def put_or_warn(self, student: str, key: str, result: StudentResult) -> None:
        """Cache a result; if the disk is full (or read-only), say so once and go on.

        The result stays in this run's results, so the batch still finishes and its
        reports are written where they can be; an uncached result is graded again by
        the next run, so nothing is lost.
        """
        try:
            self.put(student, key, result)
        except OSError as error:
            if not self.failed:
                print("warning: cannot cache results in %s (%s): they will be graded again next time"
                      % (self.folder, error.strerror or error), file=sys.stderr)
            self.failed = True
