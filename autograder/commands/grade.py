"""`python -m autograder grade <assignment>`: grade a class, isolated and in parallel.

Grades every submitted/<student>/<assignment>/ notebook (nbgrader's layout), each in
its own sandboxed process, on this machine's thread pool or on a Dask cluster
(`--executor dask`), and writes nbgrader's gradebook, autograded notebooks (for
`nbgrader generate_feedback`), grades/<assignment>.csv and .json, and on request
JUnit XML, Gradescope results and a Markdown summary. With `--shard K/N` it grades
only its share of the class and writes grades/<assignment>.shard-K-of-N.json, for
`merge` to combine. It says at its start which sandbox tier confines the code, and
refuses to run without one (tier `none`) unless given `--unsafe`. Exit code: 0 when
every submission got a result (whatever its score), 1 on a grader fault, 2 on bad
usage (including that refusal).
"""
from __future__ import annotations

import argparse
import os

from ..batch.executors import EXECUTORS
from ..batch.grade import GradeOptions, grade
from ..batch.shards import Shard
from ..sandbox import Limits
from . import options


def configure_parser(parser) -> None:
    options.add_assignment(parser)
    parser.add_argument("--course", default=".", help="the course directory (default: here)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="submissions graded at once on this machine (default: the number of cores)")
    parser.add_argument("--student", action="append", dest="students", metavar="ID",
                        help="grade only this student (repeatable); the class's files keep everyone else")
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
    options.add_unsafe(parser)
    options.add_outputs(parser)


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
    limits = Limits(call_timeout=args.timeout, total_timeout=max(Limits.total_timeout, 8 * args.timeout),
                    memory_mb=args.memory)
    results = grade(GradeOptions(
        assignment=args.assignment, course=args.course, workers=args.workers,
        students=tuple(args.students or ()), limits=limits, force=args.force, executor=args.executor,
        scheduler=args.scheduler, shard=args.shard, outputs=options.outputs_of(args), unsafe=args.unsafe))
    return options.exit_code(results)
