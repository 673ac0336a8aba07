"""One class from the shard files of `grade --shard K/N`, checked to be exactly the class.

Each student must be graded exactly once, by a shard of the same split, from the same
submission and grader as this course has now; then the class is what one unsharded
run would have given, and `merge` writes the same outputs byte for byte.
"""
from __future__ import annotations

from ..course import Course
from ..errors import GraderFault
from .cache import cache_key, grading_fingerprint
from .jobs import find_submissions


class MergeError(GraderFault):
    """The shards are not exactly this course's class."""


def merge_shards(course: Course, assignment: str, shards: list) -> tuple[list, dict]:
    """(jobs, results) of the whole class, in the order one unsharded run gives them."""
    problems = _shard_problems(assignment, shards)
    jobs = find_submissions(course, assignment)
    graded_by = {}
    for shard in shards:
        for student in shard.graded:
            graded_by.setdefault(student, []).append(shard)
    submitted = {job.student for job in jobs}
    problems += _named("submitted but graded by no shard", sorted(submitted - set(graded_by)))
    problems += _named("graded by more than one shard", [
        "%s (%s)" % (student, ", ".join(str(s.shard) for s in found))
        for student, found in sorted(graded_by.items()) if len(found) > 1])
    problems += _named("graded but not submitted in %s" % course.submitted(), sorted(set(graded_by) - submitted))
    once = {student: found[0].graded[student] for student, found in graded_by.items() if len(found) == 1}
    fingerprint = grading_fingerprint(course, assignment)
    problems += _named("graded from another submission or grader than this course's (regrade their shards)", [
        job.student for job in jobs if job.student in once and once[job.student][0] != cache_key(job, fingerprint)])
    if problems:
        raise MergeError("the shards do not make up the class of %s:\n  %s" % (assignment, "\n  ".join(problems)))
    return jobs, {job.student: once[job.student][1] for job in jobs}


def _shard_problems(assignment: str, shards: list) -> list[str]:
    problems = ["%s is a shard of %s, not %s" % (s.shard, s.assignment, assignment)
                for s in shards if s.assignment != assignment]
    counts = sorted({s.shard.count for s in shards})
    if len(counts) > 1:
        return problems + ["the shards split the class differently (into %s)" % " and ".join(map(str, counts))]
    given = [s.shard.index for s in shards]
    problems += _named("shards missing", ["%d/%d" % (k, counts[0]) for k in range(1, counts[0] + 1)
                                          if k not in given])
    problems += _named("shards given more than once", sorted({"%d/%d" % (k, counts[0])
                                                              for k in given if given.count(k) > 1}))
    return problems


def _named(problem: str, names: list) -> list[str]:
    return ["%s: %s" % (problem, ", ".join(names))] if names else []
