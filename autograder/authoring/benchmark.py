"""Benchmark: this grader against `nbgrader autograde`, same course copy, same run.

For each assignment it writes N honest submissions of each kind (full marks, one
typical mistake, blank), grades them with both, checks that every per-test score
agrees, and prints throughput, the ratio, the per-submission overhead on a submission
whose functions are trivial, and peak memory per worker; then what one sandboxed
child costs in each tier the host gives. Both timings are of the
command staff run, in a fresh process, writing the gradebook and the autograded
notebooks (ours also writes the CSV and JSON).
"""
from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import psutil

from ..batch.jobs import find_submissions
from ..batch.run import grade_jobs
from ..batch.warm_workers import WarmWorkers
from ..course import Course
from ..errors import GraderFault
from ..nbgrader_commands import gradebook_scores, nbgrader, nbgrader_environment, new_course_copy, pin_stock_autograde
from ..sandbox import Limits, Zygote, tiers
from . import examples

HONEST = ("full", "partial", "blank")


def run_benchmark(source_course: Course, assignments, copies: int, workers: int, trivial: int = 10,
                  keep: str | None = None, out=print, tier_children: int = 20) -> tuple[dict, dict]:
    """(figures per assignment, milliseconds per child per tier)."""
    folder = keep or tempfile.mkdtemp(prefix="dlcourse-bench-")
    course = new_course_copy(source_course, folder, assignments)
    pin_stock_autograde(course)
    figures = {}
    try:
        for assignment in assignments:
            examples.write_class(course.root, assignment, HONEST, copies)
            figures[assignment] = _bench_assignment(course, assignment, workers, trivial, out)
    finally:
        WarmWorkers.of_this_process().close()
        if keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    _print_summary(figures, workers, out)
    return figures, tier_costs(tier_children, out) if tier_children else {}


def tier_costs(children: int, out=print, runs: int = 3) -> dict:
    """What one sandboxed child costs in each tier this host gives: the milliseconds from
    asking the warm worker for a child until it is ready for requests, plus stopping it
    (the part of a submission's time that the tier decides). The median of `children`
    children, in each of `runs` runs; a tier the host cannot give says why."""
    out("\nsandbox tiers: one child, started and stopped (median of %d, %d runs)" % (children, runs))
    costs = {}
    for tier in tiers.TIERS:
        why = tiers.probe(tier) if tier != "none" else None
        if tier == "root" and os.geteuid() != 0:
            why = "not running as root"
        if why:
            out("  %-9s not here: %s" % (tier, why))
            continue
        zygote = Zygote(tier=tier)
        try:
            medians = [_median_child_ms(zygote, children) for _ in range(runs)]
        finally:
            zygote.close()
        costs[tier] = medians
        over_root = ""
        if "root" in costs and tier != "root":
            over_root = "; %+.1f ms over root" % (statistics.median(medians) - statistics.median(costs["root"]))
        out("  %-9s %.1f ms (runs: %s)%s" % (tier, statistics.median(medians),
                                            ", ".join("%.1f" % m for m in medians), over_root))
    return costs


def _median_child_ms(zygote, children) -> float:
    times = []
    for _ in range(children):
        started = time.monotonic()
        zygote.spawn(Limits()).stop()
        times.append((time.monotonic() - started) * 1000)
    return statistics.median(times)


def _bench_assignment(course, assignment, workers, trivial, out):
    jobs = find_submissions(course, assignment, limits=Limits())
    out("%s: %d submissions" % (assignment, len(jobs)))
    nbgrader_seconds = _timed(nbgrader, course, "autograde", assignment, "--force")
    theirs = gradebook_scores(course, assignment)
    scores_file = os.path.join(course.state, "bench-%s.json" % assignment)
    our_seconds = _timed(_grade_command, course, assignment, workers, scores_file)
    mismatches = _compare(assignment, _scores_in(scores_file), theirs)
    zygote_mb, child_mb = _peak_memory(course, assignment, jobs, workers)
    overhead = _overhead(course, assignment, trivial)
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


def _timed(function, *args) -> float:
    started = time.monotonic()
    function(*args)
    return time.monotonic() - started


def _grade_command(course, assignment, workers, scores_file):
    """`python -m autograder grade`, the command staff run, beside `nbgrader autograde`:
    both start a fresh process and write the gradebook and the autograded notebooks."""
    command = [sys.executable, "-m", "autograder", "grade", assignment, "--course", course.root,
               "--force", "--workers", str(workers), "--json", scores_file]
    done = subprocess.run(command, env=nbgrader_environment(), capture_output=True, text=True)
    if done.returncode != 0:
        raise GraderFault("grade failed (exit %d):\n%s" % (done.returncode, (done.stdout + done.stderr)[-3000:]))


def _scores_in(scores_file) -> dict:
    with open(scores_file, encoding="utf-8") as handle:
        students = json.load(handle)["students"]
    return {student: {grade_id: test["score"] for grade_id, test in result["tests"].items()}
            for student, result in students.items()}


def _compare(assignment, ours, theirs) -> list[str]:
    """Every (student, test) whose score differs between the two graders."""
    problems = []
    for student, tests in ours.items():
        for grade_id, score in tests.items():
            other = theirs.get(student, {}).get(grade_id)
            if other is None or abs(other - score) > 1e-6:
                problems.append("%s %s %s: ours %g, nbgrader %s" % (assignment, student, grade_id, score, other))
    return problems


def _peak_memory(course, assignment, jobs, workers) -> tuple[float, float]:
    """(warm worker MB, largest child's peak MB) grading the full-marks submissions,
    which run every function to the end."""
    zygote = WarmWorkers.of_this_process().for_assignment(assignment)
    results = grade_jobs(course, assignment, [job for job in jobs if job.student.startswith("full")],
                         workers, force=True)
    return (psutil.Process(zygote.process.pid).memory_info().rss / 2**20,
            max(result.peak_memory_mb for result in results.values()))


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
    out("total: %d submissions, nbgrader %.1f s, ours %.1f s with %d workers: throughput x%.1f" % (
        total, total_theirs, total_ours, workers, total_theirs / total_ours))
