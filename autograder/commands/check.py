"""`python -m autograder check NOTEBOOK`: run your notebook and summarise its tests."""
from __future__ import annotations

import os

from ..errors import UsageError
from ..notebooks.selfcheck import DEFAULT_TIMEOUT, STUDENT_INSTALL, check, missing_modules


def configure_parser(parser) -> None:
    parser.add_argument("notebook", help="your assignment notebook, e.g. ps1_forward.ipynb")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help="seconds a cell may run (default %(default)s)")


def run(args) -> int:
    if not os.path.isfile(args.notebook):
        raise UsageError("no such notebook: %s" % args.notebook)
    missing = missing_modules()
    if missing:
        raise UsageError("running a notebook needs %s, which this environment lacks; install the course's "
                         "student environment: %s" % (", ".join(missing), STUDENT_INSTALL))
    text, ok = check(args.notebook, args.timeout)
    print(text)
    return 0 if ok else 1
