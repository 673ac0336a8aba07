"""`python -m autograder demo`: the whole job on a bundled example class."""
from __future__ import annotations

import os
import tempfile

from .. import checks
from ..authoring.demo import run_demo
from ..course import Course
from . import options

PACKAGE_COURSE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def configure_parser(parser) -> None:
    parser.add_argument("--dir", help="where to create the demo course (default: a new temporary folder)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--timeout", type=float, default=5.0,
                        help="seconds a function may run before it counts as hanging (default %(default)g)")
    parser.add_argument("--assignment", action="append", dest="assignments", choices=checks.names(),
                        help="only this assignment (repeatable; default: all)")
    options.add_unsafe(parser)


def run(args) -> int:
    folder = args.dir or tempfile.mkdtemp(prefix="dlcourse-demo-")
    run_demo(Course.at(PACKAGE_COURSE), folder, args.assignments or list(checks.names()), args.workers,
             args.timeout, unsafe=args.unsafe)
    return 0
