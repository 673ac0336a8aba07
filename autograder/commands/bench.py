"""`python -m autograder bench`: this grader against stock `nbgrader autograde`."""
from __future__ import annotations

import os

from .. import checks
from ..authoring.benchmark import run_benchmark
from ..course import Course
from .demo import PACKAGE_COURSE



def configure_parser(parser) -> None:
    parser.add_argument("--copies", type=int, default=4,
                        help="submissions of each kind (full, partial, blank) per assignment (default %(default)s)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--assignment", action="append", dest="assignments", choices=checks.names(),
                        help="only this assignment (repeatable; default: all)")
    parser.add_argument("--trivial", type=int, default=10,
                        help="submissions with trivial functions timed one by one for the overhead")
    parser.add_argument("--keep", metavar="DIR", help="build the benchmark course here and keep it")
    parser.add_argument("--tier-children", type=int, default=20,
                        help="children started and stopped per run to time each sandbox tier (0: skip)")


def run(args) -> int:
    figures, _ = run_benchmark(Course.at(PACKAGE_COURSE), args.assignments or list(checks.names()), args.copies,
                            args.workers, args.trivial, args.keep, tier_children=args.tier_children)
    return 1 if any(figure["mismatches"] for figure in figures.values()) else 0
