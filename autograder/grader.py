"""Grade one submission on the trusted side: the unit of work of a batch.

`grade_submission` reads the notebook, builds the program, runs every test of the
assignment against a `SandboxStudent` and the reference solutions, and returns a
`StudentResult`. Whatever the student's code does, the result says what happened; only
a fault of the grader itself (its warm worker dying) raises, so the batch can retry.
Each process keeps one warm zygote per preload set, started on first use, so this
runs the same in a local thread pool and on a Dask worker.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

from . import checks, notebooks, reference
from .results import GRADED, StudentResult, TestResult
from .sandbox import Limits, SandboxStudent, Zygote, ZygoteLost
from .submission import InvalidNotebook, build_program, read_notebook

_zygotes: dict = {}
_zygotes_lock = threading.Lock()
_stopped = threading.Event()


@dataclass
class Job:
    """Everything needed to grade one submission, as plain picklable data."""
    course: str
    assignment: str
    student: str
    notebook: str | None  # path of the submitted notebook; None if there is none
    source_notebook: str
    limits: Limits = field(default_factory=Limits)
    note: str = ""  # e.g. "graded x.ipynb in place of the missing ps1_forward.ipynb"
    missing: str = ""  # why there is no notebook to grade


def zygote_for(preload: tuple) -> Zygote:
    """This process's warm worker for `preload`, (re)started when needed."""
    with _zygotes_lock:
        if _stopped.is_set():
            raise ZygoteLost("grading was stopped")
        zygote = _zygotes.get(preload)
        if zygote is None or not zygote.alive():
            if zygote is not None:
                zygote.close()
            zygote = _zygotes[preload] = Zygote(preload)
        return zygote


def warm_up(assignment: str) -> None:
    """Start the warm worker for `assignment` now: its imports (seconds, for
    TensorFlow) then overlap with the gradebook check and the cache lookup."""
    zygote_for(preload_for(assignment))


def shutdown_zygotes() -> None:
    with _zygotes_lock:
        for zygote in _zygotes.values():
            zygote.close()
        _zygotes.clear()


def stop_grading() -> None:
    """End every run in progress now (the batch was interrupted): the warm workers
    are stopped, taking their sandboxed children with them, and no new ones start
    until `resume_grading`. The submissions in progress end as grader faults, which
    are never cached, so the next run grades them."""
    _stopped.set()
    shutdown_zygotes()


def resume_grading() -> None:
    _stopped.clear()


def preload_for(assignment: str) -> tuple:
    """What the warm worker imports for `assignment`: what its setup cell and its
    checks import (numpy.random is imported lazily by NumPy, at the first seed), so
    that no child pays for an import. The checks module holds only what a student may
    import anyway: its cases' inputs, never an expected value of a hidden case."""
    module = checks.module_for(assignment)
    frameworks = ("tensorflow", "keras") if getattr(module, "NEEDS_KERAS", False) else ()
    return ("numpy", "numpy.random") + frameworks + ("autograder.notebook", module.__name__)


def grade_submission(job: Job, retries: int = 1) -> StudentResult:
    """Grade one submission; a lost warm worker is restarted and the job retried."""
    for attempt in range(retries + 1):
        try:
            return _grade(job)
        except ZygoteLost:
            if attempt == retries:
                raise


def _grade(job: Job) -> StudentResult:
    tests = checks.tests_for(job.assignment)
    result = StudentResult(job.student, job.assignment)
    source = notebooks.cells(notebooks.read(job.source_notebook))
    try:
        if job.notebook is None:
            raise InvalidNotebook(job.missing)
        program = build_program(source, read_notebook(job.notebook))
    except InvalidNotebook as problem:
        result.status = "missing_notebook" if job.notebook is None else "invalid_notebook"
        result.message = str(problem)
        result.tests = {test.grade_id: TestResult(test.grade_id, test.points, error=str(problem))
                        for test in tests}
        return result
    answers = reference.load(job.assignment, job.course)
    student = SandboxStudent(zygote_for(preload_for(job.assignment)), program.cells, job.limits)
    try:
        for test in tests:
            result.tests[test.grade_id] = test.run(student, answers)
    finally:
        student.close()
    _explain(result, job, program, student)
    return result


def _explain(result: StudentResult, job: Job, program, student: SandboxStudent) -> None:
    """Status and message: what went wrong, and how the notebook was read."""
    notes = ([job.note] if job.note else []) + program.notes
    notes += ["cell %r raised %s" % (name, error) for name, error in student.cell_errors.items()]
    if student.losses:
        result.status = student.losses[0][0]
        notes += ["%s: %s" % loss for loss in dict.fromkeys(student.losses)]
    for test in result.tests.values():
        if test.process_failure and result.status == GRADED:
            result.status = test.process_failure
    result.message = "; ".join(notes)
    result.protections = student.protections
    result.peak_memory_mb = student.peak_memory_mb


def failed_result(job: Job, status: str, message: str) -> StudentResult:
    """A result for a submission the grader itself could not grade (kept, never lost)."""
    result = StudentResult(job.student, job.assignment, status=status, message=message)
    for test in checks.tests_for(job.assignment):
        result.tests[test.grade_id] = TestResult(test.grade_id, test.points, error=message)
    return result

