"""The sandbox's tiers: chosen best first (or forced by DLCOURSE_SANDBOX_TIER), named in
each child's configuration, recorded in every result; never unconfined unless told.

The suite runs as root in CI, so the `userns` tier is tested by running the grader as
uid 65534 (`nobody`) on a course of its own, with hostile submissions from `attacks`.
"""
import csv
import errno
import json
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

from autograder.authoring import examples
from autograder.batch.grade import check_sandbox
from autograder.errors import UsageError
from autograder.report.grades import grades_csv, grades_json
from autograder.report.table import summary_table
from autograder import results
from autograder.results import CaseResult, StudentResult
from autograder.sandbox import Limits, SandboxStudent, Zygote, tier_in_force
from autograder.sandbox.inside import cgroups, isolation
from autograder.sandbox.tiers import ENVIRONMENT_SWITCH, select_tier

from attacks import ASSIGNMENT, ATTACKS, POINTS
from course_helpers import autograder_command
from fork_helpers import in_child
from grading_helpers import (REPO, changed_files, file_hashes, give_to, outside_outputs, released_course,
                             require_userns_for_nobody, run_unprivileged, unprivileged_environment,
                             unprivileged_folder)
from test_attacks import CONTROLS, MARK, _listen, _messages, _placed, _submit, marked_processes

# --- (a) which tier: best first, or the switch's ------------------------------------------

def probes(**why_not):
    """A probe that says `why_not[tier]` (None: the tier works) and records what it tried."""
    tried = []

    def probe(tier):
        tried.append(tier)
        return why_not[tier]
    probe.tried = tried
    return probe


def test_the_best_tier_the_host_gives_is_chosen():
    assert select_tier(None, True, probes(root=None, userns=None)).name == "root"
    tier = select_tier(None, True, probes(root="mount: Operation not permitted", userns=None))
    assert tier.name == "userns" and tier.missing == (("root", "mount: Operation not permitted"),)
    probe = probes(userns=None)  # root is never tried without root
    assert select_tier(None, False, probe).name == "userns" and probe.tried == ["userns"]
    tier = select_tier(None, False, probes(userns="unshare(user): Operation not permitted",
                                           landlock="Landlock is not available in this kernel"))
    assert tier.name == "none" and not tier.confines_files and not tier.forced
    assert "unshare(user): Operation not permitted" in tier.describe() and "NOT confined" in tier.describe()


def test_the_switch_forces_a_tier():
    probe = probes()  # none needs no probe: any call would fail the test
    tier = select_tier("none", True, probe)
    assert (tier.name, tier.forced, probe.tried) == ("none", True, [])
    probe = probes(userns=None)
    assert select_tier(" USERNS ", True, probe).name == "userns" and probe.tried == ["userns"]
    assert select_tier("root", True, probes(root=None)).name == "root"
    assert "forced by %s" % ENVIRONMENT_SWITCH in select_tier("none", False, probes()).describe()


@pytest.mark.parametrize("forced, is_root, why_not, says", [
    ("root", False, {}, "not running as root"),
    ("userns", False, {"userns": "unshare(user): Operation not permitted"}, "Operation not permitted"),
    ("chroot", True, {}, "expected one of root, userns, landlock, none"),
])
def test_a_forced_tier_the_host_cannot_give_is_refused(forced, is_root, why_not, says):
    with pytest.raises(UsageError, match=says):
        select_tier(forced, is_root, probes(**why_not))


def test_the_grader_reads_the_switch(monkeypatch):
    monkeypatch.setenv(ENVIRONMENT_SWITCH, "none")
    assert (tier_in_force().name, tier_in_force().forced) == ("none", True)
    monkeypatch.delenv(ENVIRONMENT_SWITCH)
    assert not tier_in_force().forced


def test_the_probe_says_why_the_kernel_refuses_a_tier():
    """A chrooted process may not make a user namespace (the kernel's rule): the probe,
    run from one, must report the refusal rather than a tier."""
    if os.geteuid() != 0:
        pytest.skip("chroot needs root")
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.chroot("/usr")
            os.write(write_fd, json.dumps(isolation.probe("userns")).encode())
        finally:
            os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd) as handle:
        why = json.loads(handle.read() or '"no report"')
    os.waitpid(pid, 0)
    assert why == "unshare(user): Operation not permitted"


# --- the child runs in the tier its configuration names ----------------------------------

def run_in(tier, code, function="f"):
    zygote = Zygote(("numpy",), tier=tier)
    student = SandboxStudent(zygote, [("cell", code)], Limits(call_timeout=10))
    try:
        return student, student.call(function).value
    finally:
        student.close()
        zygote.close()


def test_the_child_takes_its_tier_from_the_grader_not_from_its_environment(monkeypatch):
    monkeypatch.setenv(ENVIRONMENT_SWITCH, "root")  # the zygote's children never see this
    student, cwd = run_in("none", "import os\ndef f():\n    return os.getcwd()\n")
    assert student.sandbox == "none" and "no namespaces (tier none)" in student.protections
    assert cwd != "/tmp/work"  # a temporary folder of the host's


def test_in_a_user_namespace_the_runner_has_no_capabilities():
    if isolation.probe("userns"):
        pytest.skip("this host gives no unprivileged user namespaces: %s" % isolation.probe("userns"))
    code = ("import os\ndef f():\n    status = dict(line.split(':', 1) for line in open('/proc/self/status'))\n"
            "    return {key: status[key].strip() for key in ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb',"
            " 'NoNewPrivs']} | {'uid': os.getuid(), 'cwd': os.getcwd(),"
            " 'course': os.path.exists(%r)}\n" % os.path.join(REPO, "solutions"))
    student, seen = run_in("userns", code)
    assert student.sandbox == "userns" and {"user namespace", "namespaces"} <= set(student.protections)
    assert {seen[key] for key in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"]} == {"0000000000000000"}
    assert seen["NoNewPrivs"] == "1" and seen["uid"] == isolation.USERNS_ID
    assert seen["cwd"] == "/tmp/work" and seen["course"] is False


@pytest.mark.parametrize("tier", ["root", "userns"])
def test_nothing_is_writable_beside_a_kept_path_under_the_hosts_tmp(tier, tmp_path):
    """A checkout (and its virtual environment) under the host's /tmp is bound into the
    private /tmp; the folders made there to hold it must be read-only, or a run that
    owns them (in a user namespace, it does) could write beside the kept paths. Tested
    with a kept folder made under /tmp here, wherever this checkout lies."""
    if os.geteuid() != 0:
        pytest.skip("the namespaces are made as root here (and for userns, as uid 65534)")
    outer = tempfile.mkdtemp(prefix="dlcourse-kept-", dir="/tmp")
    kept = os.path.join(outer, "venv", "lib")
    os.makedirs(kept)
    for folder in (outer, os.path.join(outer, "venv"), kept):
        os.chmod(folder, 0o755)

    def tries():
        return {path: _write_error(path) for path in
                (os.path.join(outer, "beside"), os.path.join(outer, "venv", "beside"),
                 os.path.join(kept, "inside"), "/tmp/the-runs-own")}

    def in_namespaces():
        if tier == "userns":
            isolation.become_ordinary_user(65534)
            isolation.unshare_user_namespaces()
        else:
            isolation.unshare_namespaces()
        return in_child(lambda: (isolation.enter_minimal_root([kept], [], 8), tries())[1])

    try:
        written = in_child(in_namespaces)
    finally:
        shutil.rmtree(outer)
    assert "error" not in written, written
    assert written == {os.path.join(outer, "beside"): "EROFS", os.path.join(outer, "venv", "beside"): "EROFS",
                       os.path.join(kept, "inside"): "EROFS", "/tmp/the-runs-own": None}


def _write_error(path):
    try:
        with open(path, "w") as handle:
            handle.write("x")
    except OSError as error:
        return errno.errorcode.get(error.errno, str(error.errno))
    return None


# --- (b) never silently unconfined ---------------------------------------------------------

@pytest.fixture(scope="module")
def small_class(tmp_path_factory):
    course = released_course(tmp_path_factory, "tiers")
    examples.write_class(course.root, ASSIGNMENT, ("full", "blank"))
    return course


def test_without_a_sandbox_grade_refuses_unless_unsafe(small_class):
    root = small_class.root
    environment = {**os.environ, ENVIRONMENT_SWITCH: "none"}
    done = autograder_command("grade", ASSIGNMENT, "--course", root, "--timeout", "5", cwd=root, env=environment)
    assert done.returncode == 2, done.stderr[-3000:]
    assert "refusing to run student code without a sandbox" in done.stderr
    assert "user namespaces" in done.stderr and "--unsafe" in done.stderr and "run the grader as root" in done.stderr
    assert "sandbox: none" in done.stdout
    assert not os.path.exists(small_class.grades(ASSIGNMENT, "json"))
    done = autograder_command("grade", ASSIGNMENT, "--course", root, "--timeout", "5", "--unsafe", "--json", "-",
                              cwd=root, env=environment)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "sandbox: none" in done.stderr  # the log goes to stderr when the JSON takes stdout
    students = json.loads(done.stdout)["students"]
    assert {student: (result["score"], result["sandbox"]) for student, result in students.items()} == \
        {"blank": (0, "none"), "full": (10, "none")}
    with open(small_class.grades(ASSIGNMENT, "csv"), newline="") as handle:
        assert {row["student"]: row["sandbox"] for row in csv.DictReader(handle)} == {"blank": "none", "full": "none"}


def test_a_process_that_grades_without_a_sandbox_refuses_too_unless_unsafe(small_class, monkeypatch):
    """A Dask worker may have less than the grader that checked its own host."""
    from autograder.batch.jobs import find_submissions
    from autograder.batch.submission import grade_submission
    from autograder.batch.warm_workers import WarmWorkers
    monkeypatch.setenv(ENVIRONMENT_SWITCH, "none")
    job = next(job for job in find_submissions(small_class, ASSIGNMENT, ["full"], Limits(call_timeout=5)))
    with WarmWorkers() as warm:
        refused = grade_submission(job, warm)
        assert (refused.status, refused.score) == ("grader_error", 0)
        assert "refusing to run student code without a sandbox" in refused.message
        job.limits.unsafe = True
        graded = grade_submission(job, warm)
    assert (graded.status, graded.score, graded.sandbox) == ("graded", 10, "none")


def test_without_a_sandbox_demo_refuses_before_doing_anything(tmp_path):
    done = autograder_command("demo", "--assignment", ASSIGNMENT, "--dir", str(tmp_path / "demo"), cwd=str(tmp_path),
                              env={**os.environ, ENVIRONMENT_SWITCH: "none"})
    assert done.returncode == 2 and "refusing to run student code without a sandbox" in done.stderr
    assert not os.path.exists(tmp_path / "demo")


def test_the_sandbox_command_says_what_the_host_gives(tmp_path):
    done = autograder_command("sandbox", cwd=str(tmp_path))
    best = tier_in_force() if ENVIRONMENT_SWITCH not in os.environ else None
    assert "This host gives the sandbox tier:" in done.stdout and "filesystem allow-list" in done.stdout
    if best is not None:
        assert done.returncode == (0 if best.confines_files else 1), done.stdout + done.stderr
    done = autograder_command("sandbox", cwd=str(tmp_path), env={**os.environ, ENVIRONMENT_SWITCH: "none"})
    assert done.returncode == 1 and "refuse to run it without --unsafe" in done.stdout
    assert "kernel.apparmor_restrict_unprivileged_userns=0" in done.stdout


# --- results record their tier -------------------------------------------------------------

def a_result(**changes):
    test = results.TestResult("test_relu", 1, cases=[CaseResult("x", True)])
    return StudentResult("ana", ASSIGNMENT, tests={"test_relu": test}, protections=["namespaces"], **changes)


def test_a_result_records_its_tier_and_old_records_still_load():
    result = a_result(sandbox="userns")
    assert StudentResult.from_record(json.loads(json.dumps(result.to_record()))) == result
    old = result.to_record()
    del old["sandbox"]
    assert StudentResult.from_record(old).sandbox == ""
    assert json.loads(grades_json(ASSIGNMENT, {"ana": result}))["students"]["ana"]["sandbox"] == "userns"
    rows = list(csv.DictReader(grades_csv({"ana": result}, ["test_relu"]).splitlines()))
    assert rows[0]["sandbox"] == "userns"
    assert summary_table({"ana": result}, ["test_relu"]).splitlines()[-1].endswith("sandbox: userns")
    mixed = summary_table({"ana": result, "bo": a_result(sandbox="root")}, ["test_relu"]).splitlines()[-1]
    assert mixed.endswith("sandbox: root (1), userns (1)")


# --- stale cgroups -------------------------------------------------------------------------

def test_cgroups_of_a_crashed_run_are_removed_at_the_next_start(small_class):
    if os.geteuid() != 0:
        pytest.skip("cgroups need root")
    parent = os.path.join(cgroups.ROOT, "pids", cgroups.GROUP)
    if not os.path.isdir(os.path.dirname(parent)):
        pytest.skip("no pids cgroup controller here")
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale, alive = (os.path.join(parent, cgroups.run_name(pid)) for pid in (dead.pid, os.getpid()))
    os.makedirs(stale)
    os.makedirs(alive, exist_ok=True)
    try:
        # The grader's start, at once: other tests' graders on this machine clean up at
        # their start too, so which process removes a stale group first is a race; this
        # one leaves them no time.
        log = io.StringIO()
        check_sandbox(unsafe=False, log=log)
        assert re.search(r"^removed [1-9]\d* cgroups left by an earlier run that crashed$", log.getvalue(), re.M)
        assert not os.path.exists(stale) and os.path.exists(alive)
        os.makedirs(stale)
        done = autograder_command("grade", ASSIGNMENT, "--course", small_class.root, "--timeout", "5",
                                  "--student", "blank", cwd=small_class.root)
        assert done.returncode == 0, done.stderr[-3000:]
        assert done.stdout.startswith("sandbox: root")
        assert not os.path.exists(stale) and os.path.exists(alive)
    finally:
        for path in (stale, alive):
            if os.path.exists(path):
                os.rmdir(path)


# --- (c) an ordinary user: the userns tier, under attack ----------------------------------

UNPRIVILEGED_ATTACKS = ["reads_solutions_by_absolute_path", "reads_solutions_by_relative_path",
                        "reads_the_gradebook_and_other_students", "finds_the_course_through_the_environment",
                        "imports_solutions", "reads_through_proc", "writes_outside_its_sandbox",
                        "changes_directory_and_writes_relative_paths", "uses_the_network", "tries_to_become_root",
                        "unmounts_the_hiding_in_a_user_namespace", "leaves_a_daemon_behind"]


@pytest.fixture(scope="module")
def unprivileged_batch(tmp_path_factory):
    """A class of one full-marks student, the controls and some attacks, graded by uid 65534."""
    folder, home = unprivileged_folder("dlcourse-nobody-")
    try:
        require_userns_for_nobody(home)
        course = released_course(tmp_path_factory, "nobody", into=os.path.join(folder, "course"))
        released = examples.released_notebook(course.root, ASSIGNMENT)
        examples.write_class(course.root, ASSIGNMENT, ("full",))
        server, calls = _listen()
        for student, (answers, _) in CONTROLS.items():
            _submit(course, released, student, answers)
        attacks = [attack for attack in ATTACKS if attack.name in UNPRIVILEGED_ATTACKS]
        for attack in attacks:
            relu = {} if attack.relu is None else {"relu": _placed(attack.relu, course, server.getsockname()[1])}
            _submit(course, released, attack.name, {**CONTROLS["honest"][0], **relu}, attack)
        give_to(folder)
        before = {**file_hashes(course.root), **{"REPO/solutions/" + path: digest for path, digest
                                                 in file_hashes(os.path.join(REPO, "solutions")).items()}}
        started = time.monotonic()
        done = run_unprivileged([sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--course", course.root,
                                 "--timeout", "5", "--json", "-"], cwd=course.root,
                                env=unprivileged_environment(home))
        seconds = time.monotonic() - started
        server.close()
        after = {**file_hashes(course.root), **{"REPO/solutions/" + path: digest for path, digest
                                                in file_hashes(os.path.join(REPO, "solutions")).items()}}
        assert done.returncode == 0, done.stderr[-5000:]
        yield {"course": course, "students": json.loads(done.stdout)["students"], "log": done.stderr,
               "attacks": attacks, "calls": calls, "changed": changed_files(before, after), "seconds": seconds}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.slow
def test_an_ordinary_user_grades_in_the_userns_tier(unprivileged_batch):
    students = unprivileged_batch["students"]
    assert "sandbox: userns" in unprivileged_batch["log"]
    assert {result["sandbox"] for result in students.values()} == {"userns"}
    assert (students["full"]["status"], students["full"]["score"], students["full"]["max_score"]) == ("graded", 10, 10)
    for student, (_, score) in CONTROLS.items():
        assert (students[student]["status"], students[student]["score"]) == ("graded", score), student
    cache = os.path.join(unprivileged_batch["course"].state, "cache", ASSIGNMENT)
    for name in os.listdir(cache):
        with open(os.path.join(cache, name)) as handle:
            result = json.load(handle)["result"]
        assert {"user namespace", "namespaces", "no capabilities"} <= set(result["protections"]), result["student"]


@pytest.mark.slow
@pytest.mark.parametrize("name", UNPRIVILEGED_ATTACKS)
def test_in_the_userns_tier_an_attack_earns_nothing(unprivileged_batch, name):
    attack = next(attack for attack in unprivileged_batch["attacks"] if attack.name == name)
    result = unprivileged_batch["students"][name]
    assert result["status"] == attack.status, _messages(result)
    assert attack.says in _messages(result)
    scores = {grade_id: test["score"] for grade_id, test in result["tests"].items()}
    assert scores == {grade_id: 0 if grade_id in attack.lost else points for grade_id, points in POINTS.items()}, \
        _messages(result)


@pytest.mark.slow
def test_in_the_userns_tier_nothing_leaks_out(unprivileged_batch):
    assert outside_outputs(unprivileged_batch["changed"]) == []  # the course, its cache, the answer key
    assert unprivileged_batch["calls"] == []  # the loopback listener
    assert not [name for name in os.listdir("/tmp") if MARK in name]
    assert marked_processes() == []
