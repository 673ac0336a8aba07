"""What `python -m autograder grade` does: grade a class (or a shard of it) and publish.

`GradeOptions` is the command's typed configuration: the command line builds it from
its arguments, and `demo` and `bench` build it directly.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..course import Course
from ..errors import UsageError
from ..report import outputs
from ..report.gradebook_process import GradebookProcess
from ..results import StudentResult
from ..sandbox import Limits, refusal, remove_stale_cgroups, tier_in_force
from .cache import ResultCache
from .executors import runner
from .jobs import find_submissions, students_who_submitted
from .progress import Progress
from .run import grade_jobs
from .shards import Shard, write_shard_file
from .warm_workers import WarmWorkers


@dataclass
class GradeOptions:
    assignment: str
    course: str = "."
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)  # submissions graded at once
    students: tuple[str, ...] = ()  # grade only these (the class's outputs still describe everyone)
    limits: Limits = field(default_factory=Limits)
    force: bool = False  # regrade even what is cached
    executor: str = "local"  # or "dask"
    scheduler: str | None = None  # the Dask scheduler's address
    shard: Shard | None = None  # grade only this shard, into its shard file
    outputs: outputs.Outputs = field(default_factory=outputs.Outputs)
    unsafe: bool = False  # run student code even where there is no sandbox (tier "none")


def grade(options: GradeOptions) -> dict[str, StudentResult]:
    """Grade as `options` say and write every output; returns the results graded."""
    course = Course.at(options.course)
    if options.shard and options.outputs.requested():
        raise UsageError("--shard writes only its shard file: give %s to `merge`"
                         % ", ".join(options.outputs.requested()))
    check_sandbox(options.unsafe, options.outputs.log)
    options.limits.unsafe = options.unsafe  # for the processes that grade (a Dask worker checks again)
    with WarmWorkers() as warm:
        run_jobs = runner(options.executor, options.workers, warm, options.scheduler)
        if options.executor == "local":
            warm.warm_up(options.assignment)
        if options.shard:
            return _grade_shard(course, options, run_jobs)
        return _grade_class(course, options, run_jobs)


def check_sandbox(unsafe: bool, log) -> None:
    """Say which sandbox tier is in force; refuse to run student code unconfined unless
    `unsafe`; as root, remove the cgroups that crashed runs left behind."""
    tier = tier_in_force()
    print(tier.describe(), file=log)
    if not tier.confines_files and not unsafe:
        raise UsageError(refusal(tier))
    stale = remove_stale_cgroups(tier.name)
    if stale:
        print("removed %d cgroups left by an earlier run that crashed" % len(stale), file=log)


def _grade_class(course, options, run_jobs) -> dict:
    """Grade everyone (or the students asked for), write every output and say where.
    The gradebook is readied while grading runs, in a process of its own."""
    with GradebookProcess() as gradebook:
        gradebook_ready = gradebook.prepare(course, options.assignment)
        jobs, results = _graded(course, options, run_jobs)
        note = gradebook_ready.get()
        if note:
            print(note, file=options.outputs.log)
        whole_class = _with_the_rest_of_the_class(course, options, results)
        written = outputs.publish(course, options.assignment, jobs, whole_class, options.outputs,
                                  gradebook.write_gradebook)
    outputs.report(options.outputs, options.assignment, whole_class, written)
    return results


def _with_the_rest_of_the_class(course, options, results) -> dict:
    """`results`, and for a run that graded only some students, everyone else's last
    result (from the cache), in the class's order: the class files describe the class."""
    if not options.students:
        return results
    cache = ResultCache(course, options.assignment)
    whole = {}
    for student in students_who_submitted(course, options.assignment):
        result = results.get(student) or cache.last(student)
        if result is not None:
            whole[student] = result
    return whole


def _grade_shard(course, options, run_jobs) -> dict:
    """Grade this shard's students into its shard file, for `merge`."""
    jobs, results = _graded(course, options, run_jobs)
    path = options.shard.path(course, options.assignment)
    write_shard_file(path, course, options.assignment, options.shard, jobs, results)
    print("shard %s: %d submissions graded into %s" % (options.shard, len(results), path))
    return results


def _graded(course, options, run_jobs):
    """(jobs, results) of the class, of its shard, or of the students asked for."""
    jobs = find_submissions(course, options.assignment, options.students, options.limits)
    if options.shard:
        jobs = [job for job in jobs if options.shard.contains(job.student)]
    return jobs, grade_jobs(course, options.assignment, jobs, options.workers, options.force,
                            Progress(), run_jobs)
