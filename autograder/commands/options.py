"""The arguments several commands share, and how their results become an exit code."""
from __future__ import annotations

import argparse

from .. import checks
from ..report.outputs import Outputs
from ..results import Status


def add_assignment(parser) -> None:
    parser.add_argument("assignment", choices=checks.names())


def add_unsafe(parser) -> None:
    parser.add_argument("--unsafe", action="store_true",
                        help="run student code even where this host gives no sandbox (tier 'none': "
                             "it could read the answer key and use the network); see `sandbox`")


def add_outputs(parser) -> None:
    parser.add_argument("--json", metavar="PATH", help="also write the grades as JSON here ('-' for stdout)")
    parser.add_argument("--junit", metavar="PATH", help="also write JUnit XML here (a testcase per student and test)")
    parser.add_argument("--gradescope", metavar="DIR",
                        help="also write Gradescope's DIR/<student>/results.json")
    parser.add_argument("--feedback", action="store_true",
                        help="also run nbgrader generate_feedback (HTML for each student)")
    parser.add_argument("--summary", metavar="PATH",
                        help="append a Markdown table of the grades here (e.g. \"$GITHUB_STEP_SUMMARY\")")


def outputs_of(args: argparse.Namespace) -> Outputs:
    return Outputs(json=args.json, junit=args.junit, gradescope=args.gradescope,
                   feedback=args.feedback, summary=args.summary)


def exit_code(results: dict) -> int:
    """0 whatever the scores; 1 if the grader itself failed on any submission."""
    return 1 if any(result.status == Status.GRADER_ERROR for result in results.values()) else 0
