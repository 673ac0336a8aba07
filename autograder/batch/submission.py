"""Grade one submission on the trusted side: the unit of work of a batch.

`grade_submission` builds the program from the job's bytes, runs every test of the
assignment against a `SandboxStudent` and the reference solutions, and returns a
`StudentResult`. Whatever the student's code does, the result says what happened; only
a fault of the grader itself (its warm worker dying) raises, so the batch can retry.
"""
from __future__ import annotations

from .. import checks
from ..notebooks.program import InvalidNotebook, build_program, parse_notebook
from ..results import Status, StudentResult, TestResult
from ..sandbox import SandboxStudent, ZygoteLost, refusal, tier_in_force
from .jobs import Job
from .warm_workers import WarmWorkers


def grade_submission(job: Job, warm: WarmWorkers, retries: int = 1) -> StudentResult:
    """Grade one submission; a lost warm worker is restarted and the job retried."""
    for attempt in range(retries + 1):
        try:
            return _grade(job, warm)
        except ZygoteLost:
            if attempt == retries:
                raise


def submitted_program(job: Job):
    """The program to run for this job (see `notebooks.program`), or InvalidNotebook."""
    if job.notebook is None:
        raise InvalidNotebook(job.missing)
    if job.submitted is None:
        raise InvalidNotebook(job.unreadable)
    return build_program(job.source.cells, parse_notebook(job.submitted))


def _grade(job: Job, warm: WarmWorkers) -> StudentResult:
    declared = checks.declaration(job.assignment)
    tier = tier_in_force()
    if not tier.confines_files and not job.limits.unsafe:
        # The grader checked its own host; this process (a Dask worker) may have less.
        return failed_result(job, Status.GRADER_ERROR, refusal(tier))
    result = StudentResult(job.student, job.assignment, sandbox=tier.name)
    try:
        program = submitted_program(job)
    except InvalidNotebook as problem:
        result.status = Status.MISSING_NOTEBOOK if job.notebook is None else Status.INVALID_NOTEBOOK
        result.message = str(problem)
        result.tests = {test.grade_id: TestResult(test.grade_id, test.points, error=str(problem))
                        for test in declared.tests}
        return result
    answers = warm.reference(job.assignment, job.course)
    student = SandboxStudent(warm.for_assignment(job.assignment), program.cells, job.limits,
                             declared.time_factors)
    try:
        for test in declared.tests:
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
        if test.process_failure and result.status == Status.GRADED:
            result.status = Status(test.process_failure)
    result.message = "; ".join(notes)
    result.protections = student.protections
    result.sandbox = student.sandbox
    result.peak_memory_mb = student.peak_memory_mb


def failed_result(job: Job, status: Status, message: str) -> StudentResult:
    """A result for a submission the grader itself could not grade (kept, never lost)."""
    result = StudentResult(job.student, job.assignment, status=status, message=message)
    for test in checks.tests_for(job.assignment):
        result.tests[test.grade_id] = TestResult(test.grade_id, test.points, error=message)
    return result
