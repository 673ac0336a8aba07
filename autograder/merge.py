"""`python -m autograder merge <assignment> SHARD_FILE...`: one class from its shards.

Reads the shard files that `grade --shard K/N` wrote on several machines, checks that
they are the whole class of this course, each student graded exactly once and under
the same submission and grader as here, and writes every output `grade` writes (the
gradebook, CSV, JSON, autograded notebooks and the optional ones) as one unsharded
run would, byte for byte. Exit code: 0 when every submission has a result, 1 when a
shard is missing or does not fit (or the grader failed on a submission), 2 on bad usage.
"""
from __future__ import annotations

import sys

from . import checks, outputs
from .batch import cache_key, find_submissions, grading_fingerprint
from .course import Course
from .shards import read_shard_file


class MergeError(RuntimeError):
    """The shards are not exactly this course's class."""


def configure_parser(parser) -> None:
    parser.add_argument("assignment", choices=checks.ASSIGNMENTS)
    parser.add_argument("shard_files", nargs="+", metavar="SHARD_FILE",
                        help="the grades/<assignment>.shard-K-of-N.json files of every shard")
    parser.add_argument("--course", default=".", help="the course directory (default: here)")
    outputs.add_options(parser)


def run(args) -> int:
    try:
        course = Course.at(args.course)
        shards = [read_shard_file(path) for path in args.shard_files]
    except (ValueError, FileNotFoundError) as error:
        print("error: %s" % error, file=sys.stderr)
        return 2
    try:
        jobs, results = merge_shards(course, args.assignment, shards)
        note = outputs.prepare(course, args.assignment)
        if note:
            print(note, file=outputs.log_stream(args))
        written = outputs.publish(course, args.assignment, jobs, results, args)
    except (ValueError, FileNotFoundError, RuntimeError) as error:
        print("error: %s" % error, file=sys.stderr)
        return 1 if isinstance(error, RuntimeError) else 2
    outputs.report(args, args.assignment, results, written)
    return outputs.exit_code(results)


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
