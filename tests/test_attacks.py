"""Hostile and broken submissions: nothing unearned, nothing lost, the batch finishes.

Every attack of `attacks.ATTACKS` is one student of a single `grade` run, beside three
honest students; the batch runs in the best sandbox tier this host gives (`root` in
CI) and again as an ordinary user (uid 65534: the `userns` tier). Each attack's test checks its status, its message and its score
test by test; the tests after them check that the rest of the class was graded as if
the attackers were not there, that nothing outside the grader's own outputs changed,
and that nothing the attackers started outlived the run.
"""
import json
import os
import resource
import shutil
import socket
import sys
import threading
import time
from dataclasses import dataclass

import pytest

from autograder.authoring import examples
from autograder.course import Course
from autograder.batch.warm_workers import WarmWorkers

from attacks import ASSIGNMENT, ATTACKS, EVERYTHING, HONEST, POINTS, WRONG_RELU
from course_helpers import autograder_command
from grading_helpers import (REPO, changed_files, csv_students, file_hashes, give_to, gradebook_submissions,
                             outside_outputs, released_course, require_landlock_for_nobody,
                             require_userns_for_nobody, run_unprivileged,
                             unprivileged_environment, unprivileged_folder)

CONTROLS = {"honest": (HONEST, 10), "blank": ({}, 0),
            "wrong_relu": ({**HONEST, "relu": "import numpy as np\n" + WRONG_RELU}, 9)}
MARK = "dlcourse-attack-%d" % os.getpid()


def _listen():
    """A server on the loopback that records every connection made to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    calls = []

    def accept():
        while True:
            try:
                calls.append(server.accept())
            except OSError:
                return
    threading.Thread(target=accept, daemon=True).start()
    return server, calls


def _submit(course, released, student, answers, attack=None):
    folder = os.path.join(course.root, "submitted", student, ASSIGNMENT)
    os.makedirs(folder)
    notebook = examples.filled(released, answers)
    if attack is not None and attack.edit:
        attack.edit(notebook)
    if attack is not None and attack.write:
        attack.write(folder, notebook, course.root)
    else:
        examples.write_submission(course.root, ASSIGNMENT, student, notebook)


def _placed(code, course, port):
    for word, value in [("COURSE", course.root), ("REPO", REPO), ("PORT", str(port)), ("MARK", MARK)]:
        code = code.replace(word, value)
    return code


@dataclass
class Batch:
    """What one graded run of the attacked class left behind."""
    tier: str  # "best" (what this host gives the test suite), or "userns" or "landlock" (as uid 65534)
    course: Course
    students: dict  # the JSON document's results, by student
    before: dict  # file hashes of the course and the answer key, before and after
    after: dict
    calls: list  # connections made to the test's server
    seconds: float
    peak_mb_before: float  # the largest child process's peak memory, before and after
    peak_mb: float


@pytest.fixture(scope="module", params=["best", pytest.param("userns", marks=pytest.mark.slow),
                                        pytest.param("landlock", marks=pytest.mark.slow)])
def batch(request, tmp_path_factory):
    """The class graded once by the `grade` command, in each tier."""
    folder = home = environment = None
    if request.param in ("userns", "landlock"):
        folder, home = unprivileged_folder("dlcourse-attacked-")
    try:
        if request.param == "userns":
            require_userns_for_nobody(home)
            environment = unprivileged_environment(home)
        elif request.param == "landlock":
            environment = require_landlock_for_nobody(home)
        course = released_course(tmp_path_factory, "attacked",
                                 into=os.path.join(folder, "course") if folder else None)
        yield _graded_batch(request.param, course, folder, environment)
    finally:
        if folder:
            shutil.rmtree(folder, ignore_errors=True)


def _graded_batch(tier, course, folder, environment):
    released = examples.released_notebook(course.root, ASSIGNMENT)
    server, calls = _listen()
    for student, (answers, _) in CONTROLS.items():
        _submit(course, released, student, answers)
    for attack in ATTACKS:
        relu = {} if attack.relu is None else {"relu": _placed(attack.relu, course, server.getsockname()[1])}
        _submit(course, released, attack.name, {**HONEST, **relu}, attack)
    if folder:
        give_to(folder)
    before, started, peak_mb_before = _hashes(course), time.monotonic(), _peak_child_mb()
    command = ("grade", ASSIGNMENT, "--course", course.root, "--timeout", "3", "--memory", "512", "--json", "-")
    if environment is None:
        done = autograder_command(*command, cwd=course.root)
    else:
        done = run_unprivileged([sys.executable, "-m", "autograder", *command], cwd=course.root, env=environment)
    seconds, peak_mb = time.monotonic() - started, _peak_child_mb()
    WarmWorkers.of_this_process().close()
    server.close()
    assert done.returncode == 0, done.stderr[-5000:]
    return Batch(tier, course, json.loads(done.stdout)["students"], before, _hashes(course), calls, seconds,
                 peak_mb_before, peak_mb)


def _hashes(course):
    """The course's files, and the answer key this package was installed with."""
    answer_key = file_hashes(os.path.join(REPO, "solutions"))
    return {**file_hashes(course.root), **{"REPO/solutions/" + path: digest for path, digest in answer_key.items()}}


def _peak_child_mb():
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _messages(result):
    return "\n".join([result["message"]] + [test["message"] for test in result["tests"].values()])


@pytest.mark.slow
@pytest.mark.parametrize("attack", ATTACKS, ids=["%s-%s" % (attack.name, attack.status) for attack in ATTACKS])
def test_an_attack_earns_nothing_keeps_its_honest_points_and_says_what_happened(batch, attack):
    result = batch.students[attack.name]
    assert result["status"] == attack.status, _messages(result)
    assert attack.says in _messages(result)
    scores = {grade_id: test["score"] for grade_id, test in result["tests"].items()}
    expected = {grade_id: 0 if grade_id in attack.lost else points for grade_id, points in POINTS.items()}
    assert scores == expected, _messages(result)
    assert result["max_score"] == 10


def test_there_are_enough_distinct_attacks():
    assert len({attack.name for attack in ATTACKS}) == len(ATTACKS) >= 25


@pytest.mark.slow
def test_the_batch_grades_every_student_exactly_once(batch):
    students = sorted([attack.name for attack in ATTACKS] + list(CONTROLS))
    assert sorted(batch.students) == students
    assert sorted(csv_students(batch.course)) == students
    assert sorted(gradebook_submissions(batch.course)) == students


@pytest.mark.slow
def test_honest_students_are_graded_as_if_alone(batch):
    for student, (_, score) in CONTROLS.items():
        assert (batch.students[student]["status"], batch.students[student]["score"]) == ("graded", score), student


@pytest.mark.slow
def test_nothing_outside_the_outputs_changed(batch):
    assert outside_outputs(changed_files(batch.before, batch.after)) == []
    assert set(os.listdir(os.path.join(batch.course.root, "autograded"))) <= set(batch.students)
    assert not [name for name in os.listdir("/tmp") if MARK in name]


@pytest.mark.slow
def test_fake_output_never_reaches_a_report(batch):
    """The student's code (shown in its feedback) prints FAKE-PASS; no output or grade says it."""
    course = batch.course
    for path in [course.grades(ASSIGNMENT, "csv"), course.grades(ASSIGNMENT, "json")]:
        with open(path) as handle:
            assert "FAKE-PASS" not in handle.read(), path
    with open(os.path.join(course.autograded("prints_fake_results", ASSIGNMENT), ASSIGNMENT + ".ipynb")) as handle:
        cells = json.load(handle)["cells"]
    outputs = json.dumps([cell.get("outputs") for cell in cells] + [cell["source"] for cell in cells
                                                                    if cell["cell_type"] == "markdown"])
    assert "FAKE-PASS" not in outputs and "0 of 8 cases passed" in outputs


@pytest.mark.slow
def test_nobody_reached_the_network(batch):
    assert batch.calls == []


@pytest.mark.slow
def test_nothing_an_attacker_started_outlives_the_batch(batch):
    assert marked_processes() == []


def marked_processes() -> list[str]:
    """The pids of the processes whose command line carries this batch's MARK."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as handle:
                if MARK.encode() in handle.read():
                    found.append(pid)
        except OSError:
            pass
    return found


@pytest.mark.slow
def test_the_grader_stays_small_and_quick(batch):
    """A 200 MB notebook, a link to /dev/zero and 80 MB answers must not swell the grader
    (the largest child process's peak grows only if the grader became the largest)."""
    assert batch.peak_mb <= max(batch.peak_mb_before, 1000), "the grader grew to %.0f MB" % batch.peak_mb
    assert batch.seconds < 240, "the batch took %.0f s" % batch.seconds


def _runs(batch):
    cache = os.path.join(batch.course.state, "cache", ASSIGNMENT)
    runs = [json.load(open(os.path.join(cache, name)))["result"] for name in os.listdir(cache)]
    return [run for run in runs if run["status"] not in ("invalid_notebook", "missing_notebook")]


@pytest.mark.slow
def test_every_run_was_fully_sandboxed(batch):
    """The protections SECURITY.md tells staff to look for, recorded in each result."""
    if batch.tier == "best" and os.geteuid() != 0:
        pytest.skip("the full sandbox needs root")
    expected = {"best": ("root", {"namespaces", "memory cgroup", "pids cgroup", "cpu cgroup"}),
                "userns": ("userns", {"user namespace", "namespaces", "no capabilities"}),
                "landlock": ("landlock", {"memory watchdog", "seccomp filter", "landlock no TCP"})}[batch.tier]
    runs = _runs(batch)
    assert len(runs) > 50
    for run in runs:
        assert (run["sandbox"], expected[1] <= set(run["protections"])) == (expected[0], True), run["student"]


def test_every_expected_outcome_is_a_known_status():
    from autograder.results import Status
    assert {attack.status for attack in ATTACKS} <= set(Status)
    assert all(set(attack.lost) <= set(EVERYTHING) for attack in ATTACKS)
