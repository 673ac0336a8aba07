"""Results for a class's jobs: cached ones reused, the rest graded where `run` says.

Every finished result is cached at once (see `cache`), so an interrupted batch loses
nothing it finished.
"""
from __future__ import annotations

from ..course import Course
from ..results import Status, StudentResult
from ..sandbox import Limits
from .cache import ResultCache, cache_key, grading_fingerprint
from .executors import local_runner
from .jobs import Job, find_submissions
from .warm_workers import WarmWorkers


def grade_jobs(course: Course, assignment: str, jobs: list[Job], workers: int, force: bool = False,
               progress=None, run=None) -> dict[str, StudentResult]:
    """Results for every job, cached ones reused unless `force`.

    `run(jobs, on_result)` grades the jobs that are not cached (see `executors`); the
    default is a local pool of `workers` threads using this process's warm workers.
    """
    cache = ResultCache(course, assignment)
    fingerprint = grading_fingerprint(course, assignment)
    results, todo = {}, []
    for job in jobs:
        key = cache_key(job, fingerprint)
        cached = None if force else cache.get(job.student, key)
        if cached is not None:
            results[job.student] = cached
        else:
            todo.append((job, key))
    if progress:
        progress.start(total=len(jobs), cached=len(results))

    def on_result(job, key, result):
        if result.status != Status.GRADER_ERROR:
            cache.put_or_warn(job.student, key, result)
        results[job.student] = result
        if progress:
            progress.advance(result)

    (run or local_runner(workers, WarmWorkers.of_this_process()))(todo, on_result)
    if progress:
        progress.finish()
    return {job.student: results[job.student] for job in jobs}


def grade_assignment(course: Course, assignment: str, students=None, workers: int = 2,
                     limits: Limits | None = None, force: bool = False, progress=None, run=None,
                     select=None):
    """Find and grade the submissions of `assignment`: (jobs, results by student).

    `select(student)` keeps only some students (a shard of the class)."""
    jobs = find_submissions(course, assignment, students, limits)
    if select is not None:
        jobs = [job for job in jobs if select(job.student)]
    return jobs, grade_jobs(course, assignment, jobs, workers, force, progress, run)
