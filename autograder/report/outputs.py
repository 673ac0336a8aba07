"""What `grade` and `merge` write for a graded class, and the options that choose it.

Always: nbgrader's gradebook, the autograded notebooks and grades/<assignment>.csv
and .json. On request: the JSON elsewhere (or on stdout), JUnit XML, Gradescope's
results.json per student, nbgrader's feedback HTML and a Markdown summary.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, fields

from .. import checks

# The writers (and nbgrader, which they import) are imported where they are used: a
# shard run writes none of them, and nbgrader's imports take seconds.


@dataclass(frozen=True)
class Outputs:
    """The optional outputs of a graded class; `grade` and `merge` take them as options."""
    json: str | None = None  # also the grades as JSON here ("-" for stdout)
    junit: str | None = None  # JUnit XML, a testcase per student and test
    gradescope: str | None = None  # Gradescope's DIR/<student>/results.json
    feedback: bool = False  # nbgrader generate_feedback (HTML for each student)
    summary: str | None = None  # append a Markdown table here (e.g. $GITHUB_STEP_SUMMARY)

    def requested(self) -> list[str]:
        """The options given, as the command line spells them."""
        return ["--" + item.name for item in fields(self) if getattr(self, item.name)]

    @property
    def log(self):
        """Where to tell people what happened: stderr when the JSON goes to stdout."""
        return sys.stderr if self.json == "-" else sys.stdout


def prepare(course, assignment: str) -> str | None:
    """nbgrader must know the assignment before its gradebook can take grades; returns
    a note for staff if it had to be added."""
    from ..nbgrader_commands import nbgrader
    from .gradebook import has_assignment
    if has_assignment(course, assignment):
        return None
    nbgrader(course, "generate_assignment", assignment, "--force")
    return "%s was not in the gradebook yet: ran nbgrader generate_assignment" % assignment


def publish(course, assignment: str, jobs: list, results: dict, outputs: Outputs, write_gradebook=None) -> dict:
    """Write every output of `results`; returns what was written where.

    `results` may hold more students than `jobs` (a run that graded part of the
    class): the class files and optional outputs describe all of `results`, while the
    gradebook and the autograded notebooks are written for the jobs graded. The
    gradebook is written by `write_gradebook` if given (see `gradebook_process`)."""
    from ..nbgrader_commands import nbgrader
    from . import write_reports
    from .grades import grades_json
    from .gradescope import write_gradescope
    from .junit import write_junit
    from .markdown import append_summary, markdown_summary
    written = write_reports(course, assignment, jobs, results, write_gradebook)
    if outputs.feedback:
        nbgrader(course, "generate_feedback", assignment, "--force")
        written["feedback"] = course.feedback()
    if outputs.junit:
        write_junit(outputs.junit, assignment, results)
        written["junit"] = outputs.junit
    if outputs.gradescope:
        write_gradescope(outputs.gradescope, results)
        written["gradescope"] = outputs.gradescope
    if outputs.summary:
        append_summary(outputs.summary, markdown_summary(assignment, results, grade_ids(assignment)))
        written["summary"] = outputs.summary
    if outputs.json and outputs.json != "-":
        with open(outputs.json, "w", encoding="utf-8") as handle:
            handle.write(grades_json(assignment, results))
        written["json (requested)"] = outputs.json
    return written


def report(outputs: Outputs, assignment: str, results: dict, written: dict) -> None:
    """The JSON on stdout if asked, then the summary table and the files written."""
    from .grades import grades_json
    from .table import summary_table
    log = outputs.log
    if outputs.json == "-":
        sys.stdout.write(grades_json(assignment, results))
    print(summary_table(results, grade_ids(assignment)), file=log)
    for what, where in written.items():
        print("%-11s %s" % (what + ":", where), file=log)


def grade_ids(assignment: str) -> list[str]:
    return checks.declaration(assignment).grade_ids
