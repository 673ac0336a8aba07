"""The whole job on a bundled example class: release, fill in, grade, give feedback.

Copies the course into a folder, releases the assignments with nbgrader, writes a
small class of submissions made from the released notebooks (full marks, partly
wrong, blank, one that tries to cheat, one that hangs), grades them in the sandbox as
`grade --feedback` does and prints where everything is.
"""
from __future__ import annotations

import os
import sys
import time

from ..batch.grade import GradeOptions, check_sandbox, grade
from ..course import Course
from ..report.outputs import Outputs
from ..sandbox import Limits
from . import examples
from ..nbgrader_commands import new_course_copy


def run_demo(source: Course, folder: str, assignments: list[str], workers: int, timeout: float,
             unsafe: bool = False) -> Course:
    started = time.monotonic()
    check_sandbox(unsafe, sys.stdout)  # before releasing anything
    print("Releasing %s into %s ..." % (", ".join(assignments), folder))
    course = new_course_copy(source, folder, assignments)
    for assignment in assignments:
        students = examples.write_class(course.root, assignment)
        print("\n== %s: %d example students (%s)" % (assignment, len(students), ", ".join(students)))
        results = grade(GradeOptions(assignment, course=course.root, workers=workers, force=True,
                                     limits=Limits(call_timeout=timeout), outputs=Outputs(feedback=True),
                                     unsafe=unsafe))
        for student, result in results.items():
            if result.message:
                print("  %s: %s" % (student, result.message[:200]))
    print("\nDone in %.0f s. Everything is in %s:" % (time.monotonic() - started, course.root))
    print("  gradebook:          %s  (nbgrader export, formgrader)" % course.gradebook)
    print("  grades:             %s" % os.path.join(course.root, "grades", "<assignment>.csv / .json"))
    print("  feedback (HTML):    %s" % os.path.join(course.feedback(), "<student>", "<assignment>"))
    print("  autograded:         %s" % os.path.join(course.root, "autograded"))
    print("  example submissions: %s" % course.submitted())
    return course
