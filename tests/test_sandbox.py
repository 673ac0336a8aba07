"""The sandbox holds: student code cannot read what it must not, reach the network,
outlive its run, or take the grader down; every failure comes back as a status."""
import os
import shutil
import signal
import socket
import threading
import time

import numpy as np
import pytest

from autograder.sandbox import wire
from autograder.results import Status
from autograder.sandbox import Limits, SandboxStudent, Zygote
from autograder.sandbox.client import _interpret
from autograder.sandbox.framing import ConnectionEnded, TimedOut
from autograder.sandbox.inside import cgroups, isolation
from autograder.sandbox.student import ProcessLost
from autograder.sandbox.tiers import probe

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECRET = "secret-answer-%d" % os.getpid()


@pytest.fixture(scope="module")
def zygote():
    zygote = Zygote(("numpy",))
    yield zygote
    zygote.close()


@pytest.fixture(scope="module")
def secret_course(tmp_path_factory):
    """A course folder holding an answer key the sandbox must hide."""
    course = tmp_path_factory.mktemp("course")
    (course / "solutions").mkdir()
    (course / "solutions" / "ps1_forward.py").write_text("ANSWER = %r\n" % SECRET)
    (course / "gradebook.db").write_text(SECRET)
    return course


def run(zygote, code, function="f", *args, limits=None, **kwargs):
    """Define `code` in a fresh sandboxed child and call `function` there."""
    student = SandboxStudent(zygote, [("cell", code)], limits or Limits(call_timeout=5))
    try:
        return student, student.call(function, *args, **kwargs)
    except ProcessLost as lost:
        return student, lost
    finally:
        student.close()


def protected(student, what):
    return any(what in p for p in student.protections)


def test_answers_come_back_as_plain_data(zygote):
    student, outcome = run(zygote, "import numpy as np\ndef f(x):\n    return np.maximum(x, 0)\n",
                           "f", np.array([-1.0, 2.0]))
    np.testing.assert_array_equal(outcome.value, [0.0, 2.0])
    assert outcome.error is None


def test_course_files_are_hidden(zygote, secret_course):
    limits = Limits(call_timeout=5, hidden=[str(secret_course)])
    code = ("import os\ndef f(path):\n    try:\n        return open(path).read()\n"
            "    except OSError as error:\n        return type(error).__name__\n")
    for path in [secret_course / "solutions" / "ps1_forward.py", secret_course / "gradebook.db"]:
        student, outcome = run(zygote, code, "f", str(path), limits=limits)
        assert SECRET not in str(outcome.value)
        assert outcome.value in ("FileNotFoundError", "PermissionError")


def test_the_repository_answer_key_is_hidden_too(zygote):
    limits = Limits(call_timeout=5, hidden=[REPO])
    code = "import os\ndef f():\n    return os.path.exists(%r)\n" % os.path.join(REPO, "solutions")
    student, outcome = run(zygote, code, limits=limits)
    assert outcome.value is False


def test_nothing_outside_the_allow_list_exists(zygote, tmp_path):
    """Another course's answer key in a world-readable folder the grader was never told
    about: the child's filesystem holds only the system folders and Python."""
    elsewhere = os.path.join("/var/tmp", "other-course-%d" % os.getpid())
    os.makedirs(os.path.join(elsewhere, "solutions"), exist_ok=True)
    with open(os.path.join(elsewhere, "solutions", "ps1_forward.py"), "w") as handle:
        handle.write(SECRET)
    os.chmod(elsewhere, 0o755)
    try:
        code = "import os\ndef f(path):\n    return os.path.exists(path), sorted(os.listdir('/'))\n"
        student, outcome = run(zygote, code, "f", elsewhere)
    finally:
        shutil.rmtree(elsewhere)
    if not protected(student, "namespaces"):
        pytest.skip("no mount namespace on this machine")
    exists, top = outcome.value
    assert not exists
    assert "var" not in top and "home" not in top and set(top) >= {"usr", "etc", "proc", "tmp", "dev"}


def test_solutions_cannot_be_imported(zygote):
    code = ("import sys\nsys.path.insert(0, %r)\ndef f():\n    try:\n        import solutions.ps1_forward\n"
            "        return 'imported'\n    except ImportError:\n        return 'refused'\n" % REPO)
    student, outcome = run(zygote, code, limits=Limits(call_timeout=5, hidden=[REPO]))
    assert outcome.value == "refused"


def test_other_processes_are_invisible(zygote):
    code = "import os\ndef f():\n    return sorted(int(p) for p in os.listdir('/proc') if p.isdigit())\n"
    student, outcome = run(zygote, code)
    if not protected(student, "namespaces"):
        pytest.skip("no PID namespace on this machine")
    assert max(outcome.value) < 10 and os.getpid() not in outcome.value


def test_no_network(zygote):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    code = ("import socket\ndef f(port):\n    try:\n        socket.create_connection(('127.0.0.1', port), timeout=2)\n"
            "        return 'connected'\n    except OSError as error:\n        return 'refused'\n")
    student, outcome = run(zygote, code, "f", server.getsockname()[1])
    server.close()
    if not protected(student, "namespaces"):
        pytest.skip("no network namespace on this machine")
    assert outcome.value == "refused"


def test_runs_as_an_unprivileged_user_in_an_empty_folder(zygote):
    code = "import os\ndef f():\n    return os.getuid(), sorted(os.listdir('.')), 'DLCOURSE_ROOT' in os.environ\n"
    student, outcome = run(zygote, code)
    uid, files, leaked = outcome.value
    assert uid != 0 and not leaked
    assert files == ["output.txt"]


def test_an_infinite_loop_times_out_and_the_next_call_works(zygote):
    code = "def f():\n    while True:\n        pass\ndef g():\n    return 42\n"
    student = SandboxStudent(zygote, [("cell", code)], Limits(call_timeout=1))
    started = time.monotonic()
    with pytest.raises(ProcessLost) as lost:
        student.call("f")
    assert lost.value.status == "timeout"
    assert time.monotonic() - started < 5
    assert student.call("g").value == 42  # a fresh child, cells run again
    student.close()


def test_a_hanging_cell_is_skipped_and_the_rest_still_run(zygote):
    cells = [("a", "def f():\n    return 1\n"), ("b", "import time\ntime.sleep(1000)\n"),
             ("c", "def g():\n    return 2\n")]
    student = SandboxStudent(zygote, cells, Limits(call_timeout=1))
    assert student.call("g").value == 2 and student.call("f").value == 1
    assert student.bad_cells == {"b"} and student.losses[0][0] == "timeout"
    student.close()


def test_os_exit_is_a_crash(zygote):
    student, lost = run(zygote, "import os\ndef f():\n    os._exit(0)\n")
    assert isinstance(lost, ProcessLost) and lost.status == "crashed"
    assert "exit code 0" in lost.message


def test_sys_exit_is_an_error_of_that_call_only(zygote):
    student, outcome = run(zygote, "import sys\ndef f():\n    sys.exit(3)\n")
    assert outcome.raised("SystemExit")


def test_a_segfault_is_a_crash(zygote):
    student, lost = run(zygote, "import ctypes\ndef f():\n    ctypes.string_at(0)\n")
    assert isinstance(lost, ProcessLost) and lost.status == "crashed"
    assert "segmentation fault" in lost.message


def test_memory_is_limited(zygote):
    code = "def f():\n    hog = []\n    while True:\n        hog.append(bytearray(50 * 2**20))\n"
    student, lost = run(zygote, code, limits=Limits(call_timeout=20, memory_mb=256))
    assert isinstance(lost, ProcessLost) and lost.status == "memory_limit", lost


def test_one_allocation_larger_than_the_machine_is_the_memory_limit_too(zygote):
    """It fails at once with MemoryError (no OOM killer involved), under every tier, as
    a hog bounded by RLIMIT_DATA does where there is no memory cgroup."""
    student, lost = run(zygote, "import numpy as np\ndef f():\n    return np.ones(2**45)  # 256 TiB\n")
    assert isinstance(lost, ProcessLost) and lost.status == "memory_limit", lost
    assert "MemoryError" in lost.message


def test_the_run_reports_how_its_memory_ran_out(zygote):
    """The supervisor's report, read once the run has ended: the kernel's OOM kill and
    the peak at the limit, the evidence the grader decides by (see below)."""
    child = zygote.spawn(Limits(memory_mb=128))
    hog = "hog = []\nwhile True:\n    hog.append(bytearray(16 * 2**20))\n"
    with pytest.raises(ConnectionEnded):
        child.ask(wire.encode({"op": "exec", "name": "hog", "source": hog}), time.monotonic() + 60, 1 << 20)
    status = child.finish()
    if "memory cgroup" not in status["protections"]:
        pytest.skip("no memory cgroup here")
    assert status["signal"] == signal.SIGKILL and status["oom_kills"] == 1
    assert status["memory_limit_reached"] and status["max_memory_mb"] > 120


def test_a_run_stopped_at_its_memory_limit_used_up_its_memory():
    """Evidence before timing: if the grader's deadline stops a run that had reached
    its memory limit (the kernel still reclaiming, or choosing what to kill), the run
    used up its memory; reaching the limit says nothing about other losses."""
    stopped = {"protections": ["memory cgroup"], "signal": signal.SIGKILL, "oom_kills": 0,
               "memory_limit_reached": True, "stopped": True}
    assert _interpret(stopped, Status.TIMEOUT, "f did not return")[0] == Status.MEMORY_LIMIT
    assert _interpret({**stopped, "memory_limit_reached": False}, Status.TIMEOUT, "f did not return") \
        == (Status.TIMEOUT, "f did not return")
    assert _interpret(stopped, Status.CRASHED, "the answer was too large")[0] == Status.CRASHED


def test_memory_taken_past_the_deadline_still_ends_at_the_memory_limit(zygote):
    """On a busy machine a hog fills its memory more slowly (fresh memory costs CPU
    time, and it gets less of that): its verdict must not depend on it. A run still
    taking memory when its time is up goes on, with its time counted in CPU seconds,
    until the memory limit stops it. This hog is slow by itself: its 16 steps of 8 MB,
    a tenth of a second apart, cannot fill 128 MB within the 1 s limit."""
    student, lost = run(zygote, SLOW_HOG, limits=Limits(call_timeout=1, memory_mb=128))
    assert isinstance(lost, ProcessLost) and lost.status == "memory_limit", lost


SLOW_HOG = ("import time\ndef f():\n    hog = []\n    while True:\n"
            "        hog.append(bytearray(8 * 2**20))\n        time.sleep(0.1)\n")


@pytest.mark.slow
def test_a_hog_starved_of_cpu_time_still_ends_at_the_memory_limit(zygote):
    """A busy machine can leave a run without the CPU for longer than the grader waits
    between two looks at it: such a run takes no memory in that time, and must not be
    taken for one that stopped taking memory. The load is made real here with the
    run's own CPU quota: 0.1 s in every second, so the hog waits 0.9 s at a time. It
    needs about 0.3 s of CPU time to fill its 128 MB (8 MB per 20 ms), which it gets
    long after its 1 s deadline."""
    where = cgroups.hierarchy(os.geteuid() == 0)
    cpu_parent = cgroups._parents(where).get("cpu") if where else None
    if cpu_parent is None:
        pytest.skip("no cpu cgroup for the runs here")
    student = SandboxStudent(zygote, [("cell", STEADY_HOG)], Limits(call_timeout=1, memory_mb=128))
    student._ensure_child()
    group = os.path.join(cpu_parent, cgroups.run_name(student.child.pid))
    if where["version"] == 1:
        cgroups._write(group, "cpu.cfs_period_us", "1000000")
        cgroups._write(group, "cpu.cfs_quota_us", "100000")
        assert cgroups._read_int(group, "cpu.cfs_quota_us") == 100000
    else:
        cgroups._write(group, "cpu.max", "100000 1000000")
        assert isolation.read_quietly(group, "cpu.max").split() == ["100000", "1000000"]
    with pytest.raises(ProcessLost) as lost:
        student.call("f")
    student.close()
    assert lost.value.status == "memory_limit", lost.value


STEADY_HOG = ("import time\nimport numpy as np\ndef f():\n    hog = []\n    while True:\n"
              "        hog.append(np.ones(2**20))\n        start = time.process_time()\n"
              "        while time.process_time() - start < 0.02:\n            pass\n")


def slow_hog_verdict(tier: str) -> list:
    """[status, message, the run's protections] of SLOW_HOG in `tier`."""
    zygote = Zygote(("numpy",), tier=tier)
    try:
        student, lost = run(zygote, SLOW_HOG, limits=Limits(call_timeout=1, memory_mb=256))
    finally:
        zygote.close()
    return [getattr(lost, "status", "returned"), str(lost), student.protections]


def test_without_a_memory_cgroup_memory_taken_past_the_deadline_still_ends_at_the_memory_limit():
    """The same where RLIMIT_DATA bounds memory (the `userns` tier; `test_landlock` has
    the `landlock` one): the run's processes are read through /proc instead of a cgroup,
    and the MemoryError it raises past its deadline is its memory limit, not a timeout.
    (Forced on root, the tier runs without cgroups, as an ordinary user's would.)"""
    why = probe("userns")
    if why:
        pytest.skip("no userns tier here: %s" % why)
    status, message, protections = slow_hog_verdict("userns")
    assert "memory cgroup" not in protections
    assert status == "memory_limit", message


def test_memory_taken_while_computing_still_times_out_in_cpu_time(zygote):
    """The extra time is CPU time: code that takes 1 MB per 20 ms of computing needs
    over 2 CPU seconds to fill 128 MB, so with a 1 s limit it times out, however
    slowly the machine gives it those seconds."""
    code = ("import time\ndef f():\n    hog = []\n    while True:\n"
            "        hog.append(bytearray(2**20))\n        start = time.process_time()\n"
            "        while time.process_time() - start < 0.02:\n            pass\n")
    student, lost = run(zygote, code, limits=Limits(call_timeout=1, memory_mb=128))
    assert isinstance(lost, ProcessLost) and lost.status == "timeout", lost


def test_a_fork_bomb_is_contained_and_leaves_nothing_behind(zygote):
    bomb = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    limits = Limits(call_timeout=2, max_tasks=32)
    child = zygote.spawn(limits)
    with pytest.raises(TimedOut):
        child.ask(wire.encode({"op": "exec", "name": "bomb", "source": bomb}), time.monotonic() + 2, 1 << 20)
    status = child.stop()
    assert "signal" in status
    # The supervisor removes the run's cgroup after reporting (the kernel frees it a
    # little after the last task has gone).
    group = os.path.join(cgroups.ROOT, "pids", cgroups.GROUP, cgroups.run_name(child.pid))
    deadline = time.monotonic() + 5
    while os.path.exists(group) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not os.path.exists(group)


def test_a_thread_bomb_is_contained(zygote):
    code = ("import threading, time\ndef f():\n    n = 0\n    while True:\n        try:\n"
            "            threading.Thread(target=time.sleep, args=(100,), daemon=True).start()\n"
            "            n += 1\n        except RuntimeError:\n            return n\n")
    student, outcome = run(zygote, code, limits=Limits(call_timeout=10, max_tasks=32))
    assert outcome.value is not None and outcome.value < 32


def test_huge_output_and_huge_files_fail_inside_the_sandbox(zygote):
    code = ("def f():\n    while True:\n        print('x' * 10**6)\n"
            "def g():\n    with open('big', 'wb') as out:\n        while True:\n            out.write(b'x' * 10**6)\n")
    student = SandboxStudent(zygote, [("cell", code)], Limits(call_timeout=10, file_mb=8))
    assert student.call("f").raised("OSError")
    assert student.call("g").raised("OSError")
    student.close()


def test_a_huge_answer_is_refused(zygote):
    code = "import numpy as np\ndef f():\n    return np.zeros(20 * 2**20)\n"
    student, lost = run(zygote, code, limits=Limits(call_timeout=10, max_answer_mb=16))
    assert isinstance(lost, ProcessLost) and "too large" in lost.message


def test_lying_objects_are_refused(zygote):
    code = ("class Liar(float):\n    def __eq__(self, other):\n        return True\n"
            "    def __float__(self):\n        return 0.8\n"
            "class Fake:\n    def __array__(self, *a, **k):\n        import numpy\n        return numpy.zeros(3)\n"
            "def f():\n    return Liar(5.0)\ndef g():\n    return Fake()\n")
    student = SandboxStudent(zygote, [("cell", code)], Limits(call_timeout=5))
    assert student.call("f").value == 5.0  # the stored value, not what __float__ claims
    assert student.call("g").error["type"] == "ReturnTypeError"
    student.close()


def test_children_run_in_parallel(zygote):
    code = "import time\ndef f():\n    time.sleep(1)\n    return 1\n"
    results = []

    def one():
        results.append(run(zygote, code)[1].value)

    threads = [threading.Thread(target=one) for _ in range(4)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [1, 1, 1, 1]
    assert time.monotonic() - started < 3.5


@pytest.fixture(scope="module")
def keras_zygote():
    zygote = Zygote(("numpy", "keras"))
    yield zygote
    zygote.close()


@pytest.mark.slow
def test_a_submission_can_plot_although_the_warm_worker_skipped_matplotlib(keras_zygote):
    """Keras's optional matplotlib import is blocked while the worker warms up (it
    costs a second per start); a student's own import afterwards works as usual."""
    code = ("import sys\nloaded_before = 'matplotlib' in sys.modules\n"
            "import matplotlib.pyplot as plt\nplt.plot([1, 2])\n"
            "def f():\n    return [loaded_before, plt.get_backend().lower()]\n")
    _, outcome = run(keras_zygote, code)
    assert outcome.error is None and outcome.value == [False, "agg"]


def test_keras_trains_in_a_child_with_the_graph_optimiser_off(keras_zygote):
    code = ("import keras, numpy as np, tensorflow as tf\n"
            "def f():\n"
            "    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])\n"
            "    model.compile(optimizer='sgd', loss='mse')\n"
            "    history = model.fit(np.ones((8, 2)), np.ones((8, 1)), epochs=2, verbose=0)\n"
            "    return [len(history.history['loss']),\n"
            "            tf.config.optimizer.get_experimental_options().get('disable_meta_optimizer')]\n")
    _, outcome = run(keras_zygote, code)
    assert outcome.error is None and outcome.value == [2, True]
