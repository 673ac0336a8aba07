"""Benchmark: this grader against `nbgrader autograde`, same course copy, same run.

For each assignment it writes N honest submissions of each kind (full marks, one
typical mistake, blank), grades them with both, checks that every per-test score
agrees, and prints throughput, the ratio, the per-submission overhead on a submission
whose functions are trivial, and peak memory per worker. Both timings cover the same
work: grading, the gradebook and the autograded notebooks (ours also starts its warm
worker, and writes the CSV and JSON).
"""
from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time

import psutil

from . import examples
from .checks import ASSIGNMENTS
from .batch import grade_jobs, find_submissions
from .course import Course
from .grader import preload_for, shutdown_zygotes, zygote_for
from .nbgrader_tools import gradebook_scores, nbgrader, new_course_copy
from .report import write_reports
from .sandbox import Limits

HONEST = ("full", "partial", "blank")


def run_benchmark(source_course: Course, assignments, copies: int, workers: int, trivial: int = 10,
                  keep: str | None = None, out=print) -> dict:
    folder = keep or tempfile.mkdtemp(prefix="dlcourse-bench-")
    course = new_course_copy(source_course, folder, assignments)
    figures = {}
    try:
        for assignment in assignments:
            examples.write_class(course.root, assignment, HONEST, copies)
            figures[assignment] = _bench_assignment(course, assignment, workers, trivial, out)
    finally:
        shutdown_zygotes()
        if keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    _print_summary(figures, workers, out)
    return figures


def _bench_assignment(course, assignment, workers, trivial, out):
    jobs = find_submissions(course, assignment, limits=Limits())
    out("%s: %d submissions" % (assignment, len(jobs)))

    started = time.monotonic()
    nbgrader(course, "autograde", assignment, "--force")
    nbgrader_seconds = time.monotonic() - started
    theirs = gradebook_scores(course, assignment)

    started = time.monotonic()
    zygote = zygote_for(preload_for(assignment))
    ours = grade_jobs(course, assignment, jobs, workers, force=True)
    write_reports(course, assignment, jobs, ours)  # nbgrader's time includes its gradebook too
    our_seconds = time.monotonic() - started

    mismatches = _compare(assignment, ours, theirs)
    overhead = _overhead(course, assignment, trivial)
    zygote_mb = psutil.Process(zygote.process.pid).memory_info().rss / 2**20
    child_mb = max(result.peak_memory_mb for result in ours.values())
    figure = {"submissions": len(jobs), "nbgrader_s": nbgrader_seconds, "ours_s": our_seconds,
              "ratio": nbgrader_seconds / our_seconds, "overhead_median_s": overhead,
              "zygote_mb": zygote_mb, "child_peak_mb": child_mb,
              "worker_peak_mb": zygote_mb + child_mb, "mismatches": mismatches}
    out("  nbgrader %.1f s, ours %.1f s (x%.1f); trivial submission %.3f s median; "
        "worker peak %.0f MB; %d score mismatches" % (
            nbgrader_seconds, our_seconds, figure["ratio"], overhead, figure["worker_peak_mb"],
            len(mismatches)))
    for line in mismatches[:10]:
        out("    mismatch: " + line)
    return figure


def _compare(assignment, ours, theirs) -> list[str]:
    """Every (student, test) whose score differs between the two graders."""
    problems = []
    for student, result in ours.items():
        for grade_id, test in result.tests.items():
            other = theirs.get(student, {}).get(grade_id)
            if other is None or abs(other - test.score) > 1e-6:
                problems.append("%s %s %s: ours %g, nbgrader %s" % (assignment, student, grade_id, test.score, other))
    return problems


def _overhead(course, assignment, count) -> float:
    """Median seconds to grade one submission whose functions return at once."""
    released = examples.released_notebook(course.root, assignment)
    answers = {grade_id: "def %s(*args, **kwargs):\n    return 0.0\n" % grade_id
               for grade_id in examples.solution_cells(released)}
    for index in range(count):
        examples.write_submission(course.root, assignment, "trivial-%03d" % index,
                                  examples.filled(released, answers))
    jobs = [job for job in find_submissions(course, assignment) if job.student.startswith("trivial-")]
    times = []
    for job in jobs:
        started = time.monotonic()
        grade_jobs(course, assignment, [job], workers=1, force=True)
        times.append(time.monotonic() - started)
        shutil.rmtree(os.path.dirname(job.notebook))
    return statistics.median(times)


def _print_summary(figures, workers, out):
    total_theirs = sum(f["nbgrader_s"] for f in figures.values())
    total_ours = sum(f["ours_s"] for f in figures.values())
    total = sum(f["submissions"] for f in figures.values())
    out("")
    out("%-14s %6s %12s %10s %7s %12s %12s %10s" % (
        "assignment", "subs", "nbgrader s/sub", "ours s/sub", "ratio", "overhead s", "worker MB", "mismatch"))
    for name, f in figures.items():
        out("%-14s %6d %14.2f %10.3f %7.1f %12.3f %12.0f %10d" % (
            name, f["submissions"], f["nbgrader_s"] / f["submissions"], f["ours_s"] / f["submissions"],
            f["ratio"], f["overhead_median_s"], f["worker_peak_mb"], len(f["mismatches"])))
    out("all four: %d submissions, nbgrader %.1f s, ours %.1f s with %d workers: throughput x%.1f" % (
        total, total_theirs, total_ours, workers, total_theirs / total_ours))


def configure_parser(parser) -> None:
    parser.add_argument("--copies", type=int, default=4,
                        help="submissions of each kind (full, partial, blank) per assignment (default %(default)s)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--assignment", action="append", dest="assignments", choices=ASSIGNMENTS,
                        help="only this assignment (repeatable; default: all four)")
    parser.add_argument("--trivial", type=int, default=10,
                        help="submissions with trivial functions timed one by one for the overhead")
    parser.add_argument("--keep", metavar="DIR", help="build the benchmark course here and keep it")


def run(args) -> int:
    course = Course.at(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    figures = run_benchmark(course, args.assignments or list(ASSIGNMENTS), args.copies, args.workers,
                            args.trivial, args.keep)
    return 1 if any(figure["mismatches"] for figure in figures.values()) else 0
