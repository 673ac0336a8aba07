"""The `landlock` tier: no namespaces; Landlock, a seccomp filter and a memory watchdog.

This machine has namespaces, so the tier is forced (DLCOURSE_SANDBOX_TIER=landlock, or
a Zygote made for it): as root, and as uid 65534 running the `grade` command. A host
whose kernel gives no Landlock skips these tests, but fails them in CI (CI=true).
"""
import json
import os
import shutil
import sys

import pytest

from autograder.authoring import examples
from autograder.sandbox import Limits, SandboxStudent, Zygote
from autograder.sandbox.inside import isolation, landlock, seccomp
from autograder.sandbox.student import ProcessLost
from autograder.sandbox.tiers import ENVIRONMENT_SWITCH, select_tier

from attacks import ASSIGNMENT
from fork_helpers import in_child
from grading_helpers import (REPO, give_to, installation_revealed, released_course, run_unprivileged, unprivileged_environment,
                             unprivileged_folder)
from test_attacks import _listen
from test_sandbox import slow_hog_verdict


def require_landlock(why):
    if why and os.environ.get("CI", "").lower() == "true":
        pytest.fail("the landlock tier cannot be set up here: %s" % why)
    if why:
        pytest.skip("the landlock tier cannot be set up here: %s" % why)


def in_landlock_host(function):
    """function()'s JSON-able result, computed in a forked process where the landlock
    tier can be set up: as root, a runner's fresh uid must read the Python installation,
    which the test machines keep in a folder closed to others (/root), so there the
    process first gets a mount namespace in which that folder is open (see
    `grading_helpers.installation_revealed`); the tier itself makes no namespace."""
    def prepared():
        if os.geteuid() == 0:
            installation_revealed()()
        why = isolation.probe("landlock")
        return {"why": why} if why else {"result": function()}
    answer = in_child(prepared)
    assert "error" not in answer, answer["error"]
    require_landlock(answer.get("why"))
    return answer["result"]


# --- the pieces ---------------------------------------------------------------------------

def test_rights_are_masked_by_the_abi_as_the_kernel_documents():
    assert landlock.handled(1) == ((1 << 13) - 1, 0, 0, 8)
    assert landlock.handled(3) == ((1 << 15) - 1, 0, 0, 8)
    assert landlock.handled(4) == ((1 << 15) - 1, 3, 0, 16)
    assert landlock.handled(6) == ((1 << 16) - 1, 3, 3, 24)
    assert landlock.handled(7) == landlock.handled(6)


def test_the_seccomp_program_checks_the_architecture_first_and_jumps_forward():
    program = seccomp.program()
    assert program[0] == (seccomp.BPF_LD_W_ABS, 0, 0, seccomp.ARCH)
    assert program[1][0] == seccomp.BPF_JEQ_K and program[1][3] == seccomp.AUDIT_ARCH_X86_64
    assert all(index + 1 + max(jt, jf) < len(program) for index, (code, jt, jf, _) in enumerate(program)
               if code & 0x07 == 0x05)  # every jump lands inside the program
    assert program[-1] == (seccomp.BPF_RET_K, 0, 0, seccomp.SECCOMP_RET_ALLOW)


SECCOMP_CHECKS = """
import ctypes, errno, os, socket, threading
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def raw(number, *args):
    result = libc.syscall(ctypes.c_long(number), *[ctypes.c_long(a) for a in args])
    if result == 0 and number == 56:  # a clone that worked: the copy leaves at once
        os._exit(0)
    return 'ok' if result >= 0 else errno.errorcode[ctypes.get_errno()]
def sock(family):
    try:
        socket.socket(family, socket.SOCK_STREAM if family != socket.AF_NETLINK else socket.SOCK_RAW).close()
        return 'ok'
    except OSError as error:
        return errno.errorcode[error.errno]
seen = {'inet': sock(socket.AF_INET), 'inet6': sock(socket.AF_INET6), 'netlink': sock(socket.AF_NETLINK),
        'unix': sock(socket.AF_UNIX), 'clone_newuser': raw(56, 0x10000000 | 17, 0, 0, 0, 0),
        'clone3': raw(435, 0, 0), 'io_uring_setup': raw(425, 1, 0), 'personality': raw(135, 0xffffffff),
        'bpf': raw(321, 0, 0, 0), 'userfaultfd': raw(323, 0), 'x32_getpid': raw(0x40000000 + 39)}
pid = os.fork()
if pid == 0:
    os._exit(7)
seen['fork'] = os.waitpid(pid, 0)[1] >> 8
box = []
thread = threading.Thread(target=box.append, args=('ran',))
thread.start()
thread.join()
seen['thread'] = box
"""


def test_the_seccomp_filter_refuses_what_it_lists_and_allows_the_rest():
    def checks():
        seccomp.install()
        scope = {}
        exec(SECCOMP_CHECKS, scope)  # noqa: S102
        return scope["seen"]
    assert in_child(checks) == {"inet": "EPERM", "inet6": "EPERM", "netlink": "EPERM", "unix": "ok", "clone_newuser": "EPERM",
                    "clone3": "ENOSYS", "io_uring_setup": "EPERM", "personality": "EPERM", "bpf": "EPERM",
                    "userfaultfd": "EPERM", "x32_getpid": "EPERM", "fork": 7, "thread": ["ran"]}


def test_landlock_comes_after_userns_and_before_none():
    def probe(**why_not):
        return lambda tier: why_not[tier]
    tier = select_tier(None, False, probe(userns="unshare(user): Operation not permitted", landlock=None))
    assert tier.name == "landlock" and tier.confines_files
    tier = select_tier(None, False, probe(userns="refused", landlock="Landlock is not available"))
    assert tier.name == "none" and "no landlock: Landlock is not available" in tier.describe()
    assert select_tier("landlock", True, probe(landlock=None)).forced


# --- a child of the landlock tier, as root ------------------------------------------------

PROBES = """
import ctypes, os, socket
libc = ctypes.CDLL(None, use_errno=True)
def attempt(action):
    try:
        result = action()
        return 'allowed' if result in (None, 0) or not isinstance(result, int) else 'failed %%d' %% ctypes.get_errno()
    except OSError as error:
        return 'denied %%d' %% error.errno
def write(path):
    with open(path, 'w') as handle:
        handle.write('x')
def f():
    return {
        'uid': os.getuid(), 'cwd': os.getcwd(),
        'read_solutions': attempt(lambda: open(%(solutions)r).read()),
        'read_own_file': attempt(lambda: write('mine.txt') or open('mine.txt').read() and None),
        'write_tmp': attempt(lambda: write('/tmp/dlcourse-landlock-%(pid)d')),
        'write_course': attempt(lambda: write(%(course)r)),
        'inet_socket': attempt(lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM)),
        'connect': attempt(lambda: socket.create_connection(('127.0.0.1', %(port)d), timeout=1)),
        'unix_pair': attempt(lambda: socket.socketpair() and None),
        'ptrace': 'failed' if libc.ptrace(16, os.getppid(), 0, 0) != 0 else 'allowed',  # PTRACE_ATTACH
        'unshare': 'failed' if libc.unshare(0x10000000) != 0 else 'allowed',
        'signal_grader': attempt(lambda: os.kill(%(pid)d, 0)),
    }
"""


@pytest.fixture(scope="module")
def seen_as_root():
    server, calls = _listen()
    code = PROBES % {"solutions": os.path.join(REPO, "solutions", "ps1_forward.py"), "pid": os.getpid(),
                     "course": os.path.join(REPO, "landlock-written"), "port": server.getsockname()[1]}

    def run():
        zygote = Zygote(("numpy",), tier="landlock")
        student = SandboxStudent(zygote, [("cell", code)], Limits(call_timeout=10))
        try:
            outcome = student.call("f")
            student.close()
            return {"sandbox": student.sandbox, "protections": student.protections, "seen": outcome.value,
                    "error": outcome.error}
        finally:
            student.close()
            zygote.close()
    try:
        run = in_landlock_host(run)
        assert run["error"] is None, run["error"]
        yield run, run["seen"], calls
    finally:
        server.close()


def test_the_child_records_the_landlock_tier_and_its_protections(seen_as_root):
    run, seen, _ = seen_as_root
    assert run["sandbox"] == "landlock"
    protections = set(run["protections"])
    assert {"memory watchdog", "seccomp filter"} <= protections
    assert any(p.startswith("landlock filesystem (ABI") for p in protections)
    if landlock.abi_version() >= 4:
        assert "landlock no TCP" in protections
    if os.geteuid() == 0:
        assert "fresh uid" in protections and seen["uid"] >= Limits().uid_base


def test_the_child_reads_and_writes_only_its_own_folder(seen_as_root):
    _, seen, _ = seen_as_root
    assert seen["read_solutions"].startswith("denied")
    assert seen["write_tmp"].startswith("denied") and seen["write_course"].startswith("denied")
    assert seen["read_own_file"] == "allowed" and seen["cwd"].startswith("/tmp/dlcourse-run-")
    assert not os.path.exists(os.path.join(REPO, "landlock-written"))
    assert not os.path.exists("/tmp/dlcourse-landlock-%d" % os.getpid())


def test_the_child_has_no_network_no_ptrace_no_namespaces(seen_as_root):
    _, seen, calls = seen_as_root
    assert seen["inet_socket"] == "denied 1" and seen["connect"] == "denied 1"
    assert calls == []
    assert seen["unix_pair"] == "allowed"
    assert seen["ptrace"] == "failed" and seen["unshare"] == "failed"
    assert seen["signal_grader"].startswith("denied")


def test_landlock_alone_denies_tcp_connect():
    """Without the seccomp filter (which refuses the socket itself), Landlock's own
    network rule (ABI >= 4) refuses a TCP connect to a listener on the loopback."""
    if landlock.abi_version() < 4:
        require_landlock("Landlock ABI %d has no network rules" % landlock.abi_version())
    server, calls = _listen()

    def run():
        import socket
        landlock.restrict(isolation.SYSTEM_PATHS + isolation.paths_python_needs(), [])
        try:
            socket.create_connection(server.getsockname(), timeout=2).close()
            return "connected"
        except OSError as error:
            return "denied %d" % error.errno
    try:
        assert in_landlock_host(run) == "denied 13" and calls == []
    finally:
        server.close()


HOG = """
import os, time
import numpy as np
def f():
    for _ in range(3):  # each under RLIMIT_DATA; together over the limit
        if os.fork() == 0:
            hog = np.ones(%d // 8)
            time.sleep(30)
            os._exit(0)
    time.sleep(30)
"""


def test_a_memory_hog_of_several_processes_ends_as_memory_limit():
    def run():
        zygote = Zygote(("numpy",), tier="landlock")
        student = SandboxStudent(zygote, [("cell", HOG % (150 << 20))], Limits(call_timeout=20, memory_mb=300))
        try:
            student.call("f")
            return "returned"
        except ProcessLost as lost:
            return [lost.status, lost.message]
        finally:
            student.close()
            zygote.close()
    assert in_landlock_host(run) == ["memory_limit", "the code used more than the memory limit and was stopped"]


def test_memory_taken_past_the_deadline_still_ends_at_the_memory_limit():
    """As `test_sandbox`'s slow hog under `userns`: past its deadline, the MemoryError
    that RLIMIT_DATA gives it (or the watchdog's kill) is its memory limit."""
    status, message, protections = in_landlock_host(lambda: slow_hog_verdict("landlock"))
    assert "memory watchdog" in protections and "memory cgroup" not in protections
    assert status == "memory_limit", message


def test_what_a_run_leaves_behind_ends_with_it():
    code = "import os, sys, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n" \
           "        time.sleep(3600)\n    os._exit(0)\ntime.sleep(0.2)\ndef f():\n    return os.getpid()\n"

    def run():
        zygote = Zygote(("numpy",), tier="landlock")
        student = SandboxStudent(zygote, [("cell", code)], Limits(call_timeout=10))
        try:
            runner = student.call("f").value
            uid = os.stat("/proc/%d" % runner).st_uid
        finally:
            student.close()
            zygote.close()
        return [pid for pid in os.listdir("/proc") if pid.isdigit() and os.path.exists("/proc/" + pid)
                and os.stat("/proc/" + pid).st_uid == uid] if uid != os.getuid() else "same uid"
    left = in_landlock_host(run)
    assert left in ([], "same uid")


# --- the grade command as uid 65534, forced into the landlock tier ------------------------

def why_nobody_cannot_run_python(home):
    done = run_unprivileged([sys.executable, "-c", "import autograder, numpy; print(autograder.__file__)"],
                            cwd=home, env=unprivileged_environment(home))
    if done.returncode != 0 or done.stdout.strip() != os.path.join(REPO, "autograder", "__init__.py"):
        return "uid 65534 cannot run this Python and package: %s" % (done.stdout + done.stderr)[-2000:]
    return None


def require_landlock_for_nobody(home):
    why = why_nobody_cannot_run_python(home)
    if why and os.environ.get("CI", "").lower() == "true":
        pytest.fail(why)
    if why:
        pytest.skip(why)


def nobody_in_landlock(home):
    return {**unprivileged_environment(home), ENVIRONMENT_SWITCH: "landlock"}


@pytest.mark.slow
def test_an_ordinary_user_grades_full_marks_in_the_landlock_tier(tmp_path_factory):
    folder, home = unprivileged_folder("dlcourse-landlock-")
    try:
        require_landlock_for_nobody(home)
        course = released_course(tmp_path_factory, "landlock", into=os.path.join(folder, "course"))
        examples.write_class(course.root, ASSIGNMENT, ("full", "blank"))
        give_to(folder)
        done = run_unprivileged([sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--course", course.root,
                                 "--timeout", "5", "--json", "-"], cwd=course.root, env=nobody_in_landlock(home))
        assert done.returncode == 0, done.stderr[-5000:]
        assert "sandbox: landlock" in done.stderr
        students = json.loads(done.stdout)["students"]
        assert {name: (r["status"], r["score"], r["sandbox"]) for name, r in students.items()} == \
            {"full": ("graded", 10, "landlock"), "blank": ("graded", 0, "landlock")}
        done = run_unprivileged([sys.executable, "-m", "autograder", "sandbox"], cwd=home, env=nobody_in_landlock(home))
        assert done.returncode == 0 and "grading here would use the landlock tier" in done.stdout, done.stdout
        assert "[x] seccomp filter" in done.stdout and "[ ] PID namespace" in done.stdout
    finally:
        shutil.rmtree(folder, ignore_errors=True)
