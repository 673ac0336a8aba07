"""`python -m autograder grade <assignment>`: grade a class, isolated and in parallel.

Grades every submitted/<student>/<assignment>/ notebook (nbgrader's layout), each in
its own sandboxed process, on this machine's thread pool or on a Dask cluster
(`--executor dask`), and writes nbgrader's gradebook, autograded notebooks (for
`nbgrader generate_feedback`), grades/<assignment>.csv and .json, and on request
JUnit XML, Gradescope results and a Markdown summary. With `--shard K/N` it grades
only its share of the class and writes grades/<assignment>.shard-K-of-N.json, for
`merge` to combine. Exit code: 0 when every submission got a result (whatever its
score), 1 on a grader fault, 2 on bad usage.
"""
from __future__ import annotations

import argparse
import os
import sys

from . import checks, outputs
from .batch import grade_assignment
from .course import Course
from .executors import EXECUTORS, runner
from .grader import shutdown_zygotes, warm_up
from .progress import Progress
from .report.gradebook_process import GradebookProcess
from .sandbox import Limits
from .shards import Shard, write_shard_file


def configure_parser(parser) -> None:
    parser.add_argument("assignment", choices=checks.ASSIGNMENTS)
    parser.add_argument("--course", default=".", help="the course directory (default: here)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="submissions graded at once on this machine (default: the number of cores)")
    parser.add_argument("--student", action="append", dest="students", metavar="ID",
                        help="grade only this student (repeatable)")
    parser.add_argument("--timeout", type=float, default=Limits.call_timeout,
                        help="seconds one cell or one function call may take (default %(default)g)")
    parser.add_argument("--memory", type=_megabytes, default=Limits.memory_mb, metavar="MB",
                        help="memory one submission may use (default %(default)s MB; a cgroup limit where "
                             "the host allows one, else an address-space limit)")
    parser.add_argument("--force", action="store_true", help="regrade even what is cached")
    parser.add_argument("--executor", choices=EXECUTORS, default="local",
                        help="where the grading jobs run: this machine's thread pool (default) or a Dask cluster")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="the Dask scheduler, e.g. tcp://10.0.0.5:8786 (with --executor dask)")
    parser.add_argument("--shard", type=_shard_argument, metavar="K/N",
                        help="grade only shard K of N of the class, into grades/<assignment>.shard-K-of-N.json")
    outputs.add_options(parser)


def _megabytes(text):
    """At least enough for Python and NumPy to start."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a whole number of megabytes, got %r" % text) from None
    if value < 128:
        raise argparse.ArgumentTypeError("%d MB is too little to run Python and NumPy (at least 128)" % value)
    return value


def _shard_argument(text):
    try:
        return Shard.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def run(args) -> int:
    try:
        course = Course.at(args.course)
        if args.shard and outputs.requested(args):
            raise ValueError("--shard writes only its shard file: give %s to `merge`"
                             % ", ".join(outputs.requested(args)))
        run_jobs = runner(args.executor, args.workers, args.scheduler)
    except (ValueError, FileNotFoundError) as error:
        print("error: %s" % error, file=sys.stderr)
        return 2
    limits = Limits(call_timeout=args.timeout, total_timeout=max(Limits.total_timeout, 8 * args.timeout),
                    memory_mb=args.memory)
    try:
        if args.executor == "local":
            warm_up(args.assignment)
        results = (_grade_shard if args.shard else _grade_class)(course, args, limits, run_jobs)
    except (ValueError, FileNotFoundError, RuntimeError) as error:
        print("error: %s" % error, file=sys.stderr)
        return 1 if isinstance(error, RuntimeError) else 2
    except KeyboardInterrupt:
        print("\ninterrupted: finished results are kept; run the same command to grade the rest",
              file=sys.stderr)
        return 130
    finally:
        shutdown_zygotes()
    return outputs.exit_code(results)


def _grade_class(course, args, limits, run_jobs) -> dict:
    """Grade everyone (or --student), write every output and say where. The gradebook
    is readied while grading runs, in a process of its own (see `GradebookProcess`)."""
    with GradebookProcess() as gradebook:
        gradebook_ready = gradebook.prepare(course, args.assignment)
        jobs, results = _grade(course, args, limits, run_jobs)
        note = gradebook_ready.get()
        if note:
            print(note, file=outputs.log_stream(args))
        written = outputs.publish(course, args.assignment, jobs, results, args, gradebook.write_gradebook)
    outputs.report(args, args.assignment, results, written)
    return results


def _grade_shard(course, args, limits, run_jobs) -> dict:
    """Grade this shard's students into its shard file, for `merge`."""
    jobs, results = _grade(course, args, limits, run_jobs)
    path = args.shard.path(course, args.assignment)
    write_shard_file(path, course, args.assignment, args.shard, jobs, results)
    print("shard %s: %d submissions graded into %s" % (args.shard, len(results), path))
    return results


def _grade(course, args, limits, run_jobs):
    """(jobs, results) of the class, or of its shard."""
    return grade_assignment(course, args.assignment, args.students, args.workers, limits, args.force,
                            Progress(), run_jobs, select=args.shard.contains if args.shard else None)
