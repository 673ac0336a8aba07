"""`python -m autograder release`: the student version of assignments, verified."""
from __future__ import annotations

from .. import checks
from ..authoring.release import DEFAULT_TIMEOUT, release


def configure_parser(parser) -> None:
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("assignment", nargs="?", choices=checks.names(), help="the assignment to release")
    which.add_argument("--all", action="store_true", help="release every assignment")
    parser.add_argument("--course", default=".", help="the course directory (default: the current one)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help="seconds per notebook cell when verifying (default %(default)s)")


def run(args) -> int:
    assignments = list(checks.names()) if args.all else [args.assignment]
    print("\n".join(release(args.course, assignments, args.timeout)))
    return 0
