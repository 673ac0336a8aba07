"""`python -m autograder grade <assignment>`: grade a class, isolated and in parallel.

Grades every submitted/<student>/<assignment>/ notebook (nbgrader's layout), each in
its own sandboxed process, and writes nbgrader's gradebook, autograded notebooks (for
`nbgrader generate_feedback`), grades/<assignment>.csv and .json. Exit code: 0 when
every submission got a result (whatever its score), 1 on a grader fault, 2 on bad usage.
"""
from __future__ import annotations

import os
import sys

from . import checks
from .batch import grade_assignment
from .course import Course
from .grader import shutdown_zygotes
from .nbgrader_tools import nbgrader
from .progress import Progress
from .report import write_reports
from .report.files import grades_json
from .report.gradebook import GradebookBusy, has_assignment
from .report.table import summary_table
from .sandbox import Limits


def configure_parser(parser) -> None:
    parser.add_argument("assignment", choices=checks.ASSIGNMENTS)
    parser.add_argument("--course", default=".", help="the course directory (default: here)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="submissions graded at once (default: the number of cores)")
    parser.add_argument("--student", action="append", dest="students", metavar="ID",
                        help="grade only this student (repeatable)")
    parser.add_argument("--timeout", type=float, default=Limits.call_timeout,
                        help="seconds one cell or one function call may take (default %(default)g)")
    parser.add_argument("--json", metavar="PATH", help="also write the grades as JSON here ('-' for stdout)")
    parser.add_argument("--force", action="store_true", help="regrade even what is cached")
    parser.add_argument("--feedback", action="store_true",
                        help="also run nbgrader generate_feedback (HTML for each student)")


def run(args) -> int:
    try:
        course = Course.at(args.course)
    except FileNotFoundError as error:
        print("error: %s" % error, file=sys.stderr)
        return 2
    limits = Limits(call_timeout=args.timeout, total_timeout=max(Limits.total_timeout, 8 * args.timeout))
    log = sys.stderr if args.json == "-" else sys.stdout
    try:
        if not has_assignment(course, args.assignment):
            print("%s is not in the gradebook yet: running nbgrader generate_assignment" % args.assignment,
                  file=log)
            nbgrader(course, "generate_assignment", args.assignment, "--force")
        jobs, results = grade_assignment(course, args.assignment, args.students, args.workers, limits,
                                         args.force, Progress())
        written = write_reports(course, args.assignment, jobs, results)
        if args.feedback:
            nbgrader(course, "generate_feedback", args.assignment, "--force")
            written["feedback"] = course.feedback()
    except (ValueError, FileNotFoundError, GradebookBusy, RuntimeError) as error:
        print("error: %s" % error, file=sys.stderr)
        return 1 if isinstance(error, RuntimeError) else 2
    except KeyboardInterrupt:
        print("\ninterrupted: finished results are kept; run the same command to grade the rest",
              file=sys.stderr)
        return 130
    finally:
        shutdown_zygotes()
    if args.json:
        document = grades_json(args.assignment, results)
        if args.json == "-":
            sys.stdout.write(document)
        else:
            with open(args.json, "w", encoding="utf-8") as handle:
                handle.write(document)
            written["json (requested)"] = args.json
    print(summary_table(results, [t.grade_id for t in checks.tests_for(args.assignment)]), file=log)
    for what, where in written.items():
        print("%-11s %s" % (what + ":", where), file=log)
    return 1 if any(result.status == "grader_error" for result in results.values()) else 0
