"""`python -m autograder demo`: the whole job on a bundled example class.

Copies this course into a scratch directory, releases the four assignments with
nbgrader, writes a small class of submissions made from the released notebooks (full
marks, partly wrong, blank, one that tries to cheat, one that hangs), grades them in
the sandbox, writes nbgrader's feedback and prints where everything is.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

from . import checks, examples, outputs
from .batch import grade_assignment
from .course import Course
from .grader import shutdown_zygotes
from .nbgrader_tools import new_course_copy
from .progress import Progress
from .report.table import summary_table
from .sandbox import Limits

COURSE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The grade command's outputs with feedback HTML and nothing else optional.
FEEDBACK_ONLY = argparse.Namespace(json=None, junit=None, gradescope=None, feedback=True, summary=None)


def configure_parser(parser) -> None:
    parser.add_argument("--dir", help="where to create the demo course (default: a new temporary folder)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--timeout", type=float, default=5.0,
                        help="seconds a function may run before it counts as hanging (default %(default)g)")
    parser.add_argument("--assignment", action="append", dest="assignments", choices=checks.ASSIGNMENTS,
                        help="only this assignment (repeatable; default: all four)")


def run(args) -> int:
    folder = args.dir or tempfile.mkdtemp(prefix="dlcourse-demo-")
    assignments = args.assignments or list(checks.ASSIGNMENTS)
    started = time.monotonic()
    print("Releasing %s into %s ..." % (", ".join(assignments), folder))
    course = new_course_copy(Course.at(COURSE), folder, assignments)
    limits = Limits(call_timeout=args.timeout)
    try:
        for assignment in assignments:
            students = examples.write_class(course.root, assignment)
            print("\n== %s: %d example students (%s)" % (assignment, len(students), ", ".join(students)))
            jobs, results = grade_assignment(course, assignment, workers=args.workers, limits=limits,
                                             force=True, progress=Progress())
            outputs.publish(course, assignment, jobs, results, FEEDBACK_ONLY)
            print(summary_table(results, outputs.grade_ids(assignment)))
            for student, result in results.items():
                if result.message:
                    print("  %s: %s" % (student, result.message[:200]))
    finally:
        shutdown_zygotes()
    print("\nDone in %.0f s. Everything is in %s:" % (time.monotonic() - started, course.root))
    print("  gradebook:          %s  (nbgrader export, formgrader)" % course.gradebook)
    print("  grades:             %s" % os.path.join(course.root, "grades", "<assignment>.csv / .json"))
    print("  feedback (HTML):    %s" % os.path.join(course.feedback(), "<student>", "<assignment>"))
    print("  autograded:         %s" % os.path.join(course.root, "autograded"))
    print("  example submissions: %s" % course.submitted())
    return 0

