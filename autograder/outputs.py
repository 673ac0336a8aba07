"""What `grade` and `merge` write for a graded class, and the options that choose it.

Always: nbgrader's gradebook, the autograded notebooks and grades/<assignment>.csv
and .json. On request: the JSON elsewhere (or on stdout), JUnit XML, Gradescope's
results.json per student, nbgrader's feedback HTML and a Markdown summary.
"""
from __future__ import annotations

import sys

from . import checks

# The writers (and nbgrader, which they import) are imported where they are used: a
# shard run writes none of them, and nbgrader's imports take seconds.

REQUESTED = ("json", "junit", "gradescope", "feedback", "summary")


def add_options(parser) -> None:
    parser.add_argument("--json", metavar="PATH", help="also write the grades as JSON here ('-' for stdout)")
    parser.add_argument("--junit", metavar="PATH", help="also write JUnit XML here (a testcase per student and test)")
    parser.add_argument("--gradescope", metavar="DIR",
                        help="also write Gradescope's DIR/<student>/results.json")
    parser.add_argument("--feedback", action="store_true",
                        help="also run nbgrader generate_feedback (HTML for each student)")
    parser.add_argument("--summary", metavar="PATH",
                        help="append a Markdown table of the grades here (e.g. \"$GITHUB_STEP_SUMMARY\")")


def requested(args) -> list[str]:
    """The options of `add_options` that were given."""
    return ["--" + name for name in REQUESTED if getattr(args, name)]


def log_stream(args):
    """Where to tell people what happened: stderr when the JSON goes to stdout."""
    return sys.stderr if args.json == "-" else sys.stdout


def prepare(course, assignment: str) -> str | None:
    """nbgrader must know the assignment before its gradebook can take grades; returns
    a note for staff if it had to be added."""
    from .nbgrader_tools import nbgrader
    from .report.gradebook import has_assignment
    if has_assignment(course, assignment):
        return None
    nbgrader(course, "generate_assignment", assignment, "--force")
    return "%s was not in the gradebook yet: ran nbgrader generate_assignment" % assignment


def publish(course, assignment: str, jobs: list, results: dict, args, write_gradebook=None) -> dict:
    """Write every output of `results`; returns what was written where. The gradebook
    is written by `write_gradebook` if given (see `report.gradebook_process`)."""
    from .nbgrader_tools import nbgrader
    from .report import write_reports
    from .report.files import grades_json
    from .report.gradescope import write_gradescope
    from .report.junit import write_junit
    from .report.markdown import append_summary, markdown_summary
    written = write_reports(course, assignment, jobs, results, write_gradebook)
    if args.feedback:
        nbgrader(course, "generate_feedback", assignment, "--force")
        written["feedback"] = course.feedback()
    if args.junit:
        write_junit(args.junit, assignment, results)
        written["junit"] = args.junit
    if args.gradescope:
        write_gradescope(args.gradescope, results)
        written["gradescope"] = args.gradescope
    if args.summary:
        append_summary(args.summary, markdown_summary(assignment, results, grade_ids(assignment)))
        written["summary"] = args.summary
    if args.json and args.json != "-":
        with open(args.json, "w", encoding="utf-8") as handle:
            handle.write(grades_json(assignment, results))
        written["json (requested)"] = args.json
    return written


def report(args, assignment: str, results: dict, written: dict) -> None:
    """The JSON on stdout if asked, then the summary table and the files written."""
    from .report.files import grades_json
    from .report.table import summary_table
    log = log_stream(args)
    if args.json == "-":
        sys.stdout.write(grades_json(assignment, results))
    print(summary_table(results, grade_ids(assignment)), file=log)
    for what, where in written.items():
        print("%-11s %s" % (what + ":", where), file=log)


def grade_ids(assignment: str) -> list[str]:
    return [test.grade_id for test in checks.tests_for(assignment)]


def exit_code(results: dict) -> int:
    """0 whatever the scores; 1 if the grader itself failed on any submission."""
    return 1 if any(result.status == "grader_error" for result in results.values()) else 0
