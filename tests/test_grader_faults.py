"""Faults of the grader itself: killed workers, Ctrl-C, a locked gradebook, a full disk.

Each test grades a small class, hits the grader with one fault while it works, and
then runs the same command again: the class must end up graded exactly once per
student, with every score right. The first run is a real `grade` process (so it can
be killed and interrupted); the re-run calls the same command line in this process,
which spares the test a second interpreter start-up.
"""
import contextlib
import csv
import os
import signal
import subprocess
import sys
import time

import pytest

from autograder import commands
from autograder.sandbox.inside import zygote as zygote_module
from autograder.authoring import examples
from autograder.batch.warm_workers import WarmWorkers
from autograder.report.gradebook import GradebookBusy, write_gradebook

from attacks import ASSIGNMENT, HONEST, WRONG_RELU
from grading_helpers import csv_students, file_hashes, gradebook_submissions, released_course

SLOW = {**HONEST, "sigmoid": "import time\ntime.sleep(1.5)  # a slow cell: grading is under way a while\n"
        + HONEST["sigmoid"]}
CLASS = {"honest": (HONEST, 10), "wrong_relu": ({**HONEST, "relu": "import numpy as np\n" + WRONG_RELU}, 9),
         "blank": ({}, 0), **{"slow_%d" % n: (SLOW, 10) for n in range(1, 5)}}
COMMAND = ["grade", ASSIGNMENT, "--timeout", "3", "--workers", "2"]


def _class_course(tmp_path_factory, name, into=None):
    course = released_course(tmp_path_factory, name, into)
    released = examples.released_notebook(course.root, ASSIGNMENT)
    for student, (answers, _) in CLASS.items():
        examples.write_submission(course.root, ASSIGNMENT, student, examples.filled(released, answers))
    return course


def _start(course, logs):
    """`grade` in a process group of its own, as a terminal would run it."""
    log = open(os.path.join(str(logs), "grade.log"), "w+")
    process = subprocess.Popen([sys.executable, "-m", "autograder", *COMMAND, "--course", course.root],
                               cwd=course.root, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return process, log


def _finish(process, log, timeout=240):
    process.wait(timeout=timeout)
    with log:
        log.seek(0)
        return process.returncode, log.read()


def _rerun(course, capsys):
    """The same command again, in this process; (exit code, what it printed)."""
    try:
        code = commands.main([*COMMAND, "--course", course.root])
    finally:
        WarmWorkers.of_this_process().close()
    printed = capsys.readouterr()
    return code, printed.out + printed.err


def _assert_graded_once_and_right(course):
    students = sorted(CLASS)
    assert sorted(csv_students(course)) == students
    assert sorted(gradebook_submissions(course)) == students
    with open(course.grades(ASSIGNMENT, "csv"), newline="") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    for student, (_, score) in CLASS.items():
        assert (rows[student]["status"], float(rows[student]["total"])) == ("graded", score), rows[student]


def _children(pid):
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/stat" % entry) as handle:
                if int(handle.read().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry))
        except (OSError, ValueError, IndexError):
            pass
    return found


def _descendants(pid):
    found, todo = [], [pid]
    while todo:
        children = _children(todo.pop())
        found += children
        todo += children
    return found


def _wait_for(condition, timeout=60, what="a condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting for %s" % what)


def _alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _zygote_of(grader):
    def is_zygote(pid):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as handle:
                return zygote_module.__name__.encode() in handle.read()
        except OSError:  # a short-lived child (the sandbox tier's probe) already gone
            return False
    return [pid for pid in _children(grader.pid) if is_zygote(pid)]


@pytest.mark.slow
def test_killed_workers_cost_a_retry_not_a_result(tmp_path_factory, capsys):
    """SIGKILL to a sandbox supervisor, then to the warm zygote, mid-batch: the runs
    they held are graded again (nobody is charged with a crash), the rest goes on."""
    course = _class_course(tmp_path_factory, "killed")
    grader, log = _start(course, tmp_path_factory.mktemp("logs"))
    zygote = _wait_for(lambda: _zygote_of(grader), what="the zygote")[0]
    supervisor = _wait_for(lambda: _children(zygote), what="a sandboxed run")[0]
    os.kill(supervisor, signal.SIGKILL)
    _wait_for(lambda: [pid for pid in _children(zygote) if pid != supervisor], what="another sandboxed run")
    doomed = _descendants(zygote)
    os.kill(zygote, signal.SIGKILL)
    code, output = _finish(grader, log)
    assert code in (0, 1) and "Traceback" not in output, output[-3000:]
    for student, (_, score) in CLASS.items():  # right, or a grader error to retry: never charged
        assert ("%s: graded %g/10" % (student, score) in output
                or "%s: grader_error" % student in output), output[-3000:]
    assert not [pid for pid in doomed if _alive(pid)]
    code, output = _rerun(course, capsys)
    assert code == 0, output[-3000:]
    _assert_graded_once_and_right(course)


def test_ctrl_c_stops_at_once_and_the_rerun_grades_the_rest(tmp_path_factory, capsys):
    course = _class_course(tmp_path_factory, "interrupted")
    cache = os.path.join(course.state, "cache", ASSIGNMENT)
    grader, log = _start(course, tmp_path_factory.mktemp("logs"))
    _wait_for(lambda: os.path.isdir(cache) and os.listdir(cache), what="a first result")
    zygote = _zygote_of(grader)
    started = _descendants(grader.pid)
    os.killpg(grader.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    interrupted = time.monotonic()
    code, output = _finish(grader, log)
    assert time.monotonic() - interrupted < 30, "the interrupted grader waited for the runs in progress"
    assert code == 130 and "run the same command" in output and "Traceback" not in output, output[-3000:]
    assert not [pid for pid in started if _alive(pid)] and zygote
    cached = len(os.listdir(cache))
    assert 0 < cached < len(CLASS)
    code, output = _rerun(course, capsys)
    assert code == 0, output[-3000:]
    assert "(%d already graded, from the cache)" % cached in output
    _assert_graded_once_and_right(course)


def _has_open(pid, path):
    folder = "/proc/%d/fd" % pid
    try:
        return any(os.readlink(os.path.join(folder, fd)) == path for fd in os.listdir(folder))
    except OSError:
        return False


LOCKER = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], timeout=0, isolation_level=None)
connection.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.read()
"""


@contextlib.contextmanager
def _locked(gradebook):
    """An exclusive SQLite lock on the gradebook, held by another process (as another
    nbgrader command would) until the block ends."""
    locker = subprocess.Popen([sys.executable, "-c", LOCKER, gradebook], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert locker.stdout.readline() == "locked\n"
        yield
    finally:
        locker.stdin.close()
        locker.wait(timeout=30)


@pytest.mark.slow
def test_a_locked_gradebook_is_waited_for(tmp_path_factory, capsys):
    course = _class_course(tmp_path_factory, "locked")
    before = file_hashes(course.root)["gradebook.db"]
    with _locked(course.gradebook):
        with pytest.raises(GradebookBusy, match="run the same command again"):
            write_gradebook(course, ASSIGNMENT, {}, {}, wait_seconds=1)
        grader, log = _start(course, tmp_path_factory.mktemp("logs"))
        _wait_for(lambda: any(_has_open(pid, course.gradebook) for pid in [grader.pid] + _descendants(grader.pid)),
                  what="the grader to open the gradebook")
        time.sleep(6)  # longer than SQLite's own 5 s wait: the grader's retries carry it
        assert grader.poll() is None, _finish(grader, log)
        assert file_hashes(course.root)["gradebook.db"] == before
    code, output = _finish(grader, log)
    assert code == 0, output[-3000:]
    _assert_graded_once_and_right(course)
    code, output = _rerun(course, capsys)
    assert code == 0 and "(%d already graded, from the cache)" % len(CLASS) in output
    _assert_graded_once_and_right(course)


@pytest.fixture
def small_disk(tmp_path):
    """A 48 MB tmpfs: a disk the test can fill."""
    folder = str(tmp_path / "disk")
    os.makedirs(folder)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", folder]).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    yield folder
    subprocess.run(["umount", "-l", folder])


def _fill(folder, leave_kb):
    """Fill the disk of `folder` but for about `leave_kb` KB."""
    filler = os.path.join(folder, "filler")
    with open(filler, "wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError:
            pass
    os.truncate(filler, max(0, os.path.getsize(filler) - leave_kb * 1024))
    return filler


@pytest.mark.slow
def test_a_full_disk_fails_cleanly_and_the_rerun_finishes(tmp_path_factory, small_disk, capsys):
    course = _class_course(tmp_path_factory, "full", into=os.path.join(small_disk, "course"))
    gradebook = file_hashes(course.root)["gradebook.db"]
    filler = _fill(small_disk, leave_kb=48)  # room for a few results, not for the reports
    grader, log = _start(course, tmp_path_factory.mktemp("logs"))
    code, output = _finish(grader, log)
    assert code == 1, output[-3000:]
    assert "No space left on device" in output and "run the same command again" in output, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    after = file_hashes(course.root)
    assert after["gradebook.db"] == gradebook
    assert not [path for path in after if os.path.basename(path).startswith(".tmp-")]
    os.unlink(filler)
    code, output = _rerun(course, capsys)
    assert code == 0, output[-3000:]
    _assert_graded_once_and_right(course)
