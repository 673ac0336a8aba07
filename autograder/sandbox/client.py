"""The grader's (trusted) side of the sandbox: start the zygote, fork children, talk.

`SandboxStudent` is the `Student` that batch grading hands to the checks. It runs the
submission's cells in a fresh sandboxed child, forwards each request with a deadline,
and turns every way the child can fail (timeout, crash, memory limit, garbage on the
socket, an answer too large) into `ProcessLost` with a status and a message. After a
loss the next request starts a new child, so one hanging function costs that test,
not the whole submission.
"""
from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

from ..results import Status
from . import framing, wire
from .inside.cgroups import RunGauge
from .student import Outcome, ProcessLost, Student
from .tiers import run_cgroups, tier_in_force

SIGNAL_NAMES = {signal.SIGSEGV: "a segmentation fault", signal.SIGKILL: "SIGKILL",
                signal.SIGABRT: "an abort", signal.SIGXCPU: "the CPU-time limit",
                signal.SIGBUS: "a bus error", signal.SIGFPE: "a floating-point exception"}


# A run still taking memory when its call's time is up is watched every OVERTIME_POLL
# seconds while it takes at least OVERTIME_GROWTH more bytes per OVERTIME_IDLE_CPU
# seconds of CPU time it gets (see `Child.overtime`), for at most OVERTIME_FACTOR times
# the call's limit.
OVERTIME_POLL = 0.2
OVERTIME_GROWTH = 1 << 20
OVERTIME_IDLE_CPU = 0.1
OVERTIME_FACTOR = 10

OUT_OF_MEMORY = "the code used more than the memory limit (it raised MemoryError) and was stopped"

# The zygote's environment, set before it imports TensorFlow: one thread per pool (the
# children run under a task limit), no C++ log noise, a non-interactive plot backend.
SANDBOX_ENVIRONMENT = {
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "TF_NUM_INTRAOP_THREADS": "1",
    "TF_NUM_INTEROP_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "KERAS_BACKEND": "tensorflow",
    "MPLBACKEND": "Agg",
}


@dataclass
class Limits:
    """What one sandboxed run may use."""
    call_timeout: float = 10.0  # seconds for one cell or one function call
    total_timeout: float = 240.0  # seconds for the whole submission
    cpu_seconds: int = 120
    memory_mb: int = 1024
    max_tasks: int = 64  # processes plus threads
    file_mb: int = 16
    open_files: int = 64
    tmp_size_mb: int = 32
    max_answer_mb: int = 64
    max_restarts: int = 4
    uid_base: int = 200000
    hidden: list = field(default_factory=list)
    unsafe: bool = False  # may run where the host gives no sandbox (tier "none"): --unsafe

    def config(self) -> dict:
        return {"memory_mb": self.memory_mb, "max_tasks": self.max_tasks,
                "cpu_seconds": self.cpu_seconds, "file_mb": self.file_mb,
                "open_files": self.open_files, "tmp_size_mb": self.tmp_size_mb,
                "uid_base": self.uid_base, "hidden": list(self.hidden)}


class ZygoteLost(RuntimeError):
    """The warm worker died, could not set up a child, or a child's supervisor ended
    without reporting: a grader fault, so the submission is retried rather than
    charged to the student."""


class Zygote:
    """A warm fork server process (see `inside/zygote.py`), shared by this process's threads.

    Creating one starts the process and returns at once; the first `spawn` waits
    until it has imported everything, so the import overlaps with whatever the
    grader does meanwhile. Its children run in `tier` (a name of `tiers.TIERS`; by
    default the tier in force in this process), which each child's configuration names.
    """

    def __init__(self, preload=("numpy",), tier: str | None = None):
        self.preload = list(preload)
        self.tier = tier or tier_in_force().name
        self.cgroups = run_cgroups(self.tier)  # where its children's cgroups go, if anywhere
        self._lock = threading.Lock()
        self._ready = False
        self._start()

    def _start(self):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        environment = {key: value for key, value in os.environ.items()
                       if key in ("PATH", "LANG", "LC_ALL", "PYTHONPATH")}
        environment.update(SANDBOX_ENVIRONMENT)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "autograder.sandbox.inside.zygote", str(theirs.fileno()),
             ",".join(self.preload)],
            pass_fds=[theirs.fileno()], cwd="/", env=environment,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            start_new_session=True)  # Ctrl-C in a terminal stops the grader, not the students
        theirs.close()
        self.control = ours

    def _wait_until_ready(self):
        if self._ready:
            return
        try:
            ready = json.loads(self.control.recv(4096) or b"{}")
        except (OSError, ValueError):
            ready = {}
        if not ready.get("ready"):
            raise ZygoteLost("the warm worker failed to start (exit code %s)" % self.process.poll())
        self._ready = True

    def spawn(self, limits: Limits) -> "Child":
        """Fork a sandboxed child; it waits for requests on the returned connection."""
        ours, theirs = socket.socketpair()
        status_read, status_write = os.pipe()
        try:
            with self._lock:
                self._wait_until_ready()
                try:
                    config = {**limits.config(), "tier": self.tier, "cgroups": self.cgroups}
                    socket.send_fds(self.control, [json.dumps(config).encode()],
                                    [theirs.fileno(), status_write])
                    reply = self.control.recv(4096)
                except OSError as error:
                    raise ZygoteLost("the warm worker is gone (%s)" % error) from None
                if not reply:
                    raise ZygoteLost("the warm worker is gone")
        except BaseException:
            ours.close()
            os.close(status_read)
            raise
        finally:
            theirs.close()
            os.close(status_write)
        child = Child(json.loads(reply)["pid"], ours, status_read, self.cgroups)
        try:
            ready = wire.decode(framing.receive(ours, time.monotonic() + 60, 1024))
        except (framing.ConnectionEnded, framing.TimedOut, wire.Malformed) as error:
            ready = {"error": str(error)}
        if not ready.get("ready"):
            raise ZygoteLost("a sandboxed child failed to start: %s %s" % (ready, child.stop()))
        return child

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self):
        self.control.close()
        if not self._ready:
            self.process.kill()  # still importing: nothing of it is in use
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Child:
    """One sandboxed child, seen from the grader."""

    def __init__(self, pid: int, conn: socket.socket, status_fd: int, cgroups: dict | None):
        self.pid = pid
        self.conn = conn
        self.status_fd = status_fd
        self._status = None
        self.gauge = RunGauge(cgroups, pid)

    def overtime(self, cpu_at_start: float | None, limit: float) -> bool:
        """Past a call's deadline, let a run that is still taking memory go on until
        it has had `limit` seconds of CPU time since the call began; return sooner if
        it ends (the OOM killer, the watchdog) or answers (True: e.g. a MemoryError
        where RLIMIT_DATA bounds it), or stops taking memory.

        Whether code that takes memory without end meets its memory limit or its time
        limit first must not depend on how busy the machine is: on a loaded machine
        (or a virtual one that hands out fresh memory slowly) it gets less CPU time per
        second, and may get none between two looks. So its time is counted here as CPU
        time, which is what the load takes away: the run is stopped once it has had
        OVERTIME_IDLE_CPU s of CPU time without taking memory (an infinite loop), or
        when it waits for nothing but itself (a sleep); a run that is waiting for the
        CPU is looked at again. The wall-clock bound only ends a run starved of CPU time.
        """
        memory, cpu_then = self.gauge.memory(), self.gauge.cpu_seconds()
        if memory is None or cpu_then is None or cpu_at_start is None:
            return False  # the run has ended
        end = time.monotonic() + OVERTIME_FACTOR * limit
        while (left := end - time.monotonic()) > 0:
            if select.select([self.conn], [], [], min(left, OVERTIME_POLL))[0]:
                return True
            now, cpu = self.gauge.memory(), self.gauge.cpu_seconds()
            if now is None or cpu is None or cpu - cpu_at_start >= limit:
                return False
            if now >= memory + OVERTIME_GROWTH:
                memory, cpu_then = now, cpu
            elif cpu - cpu_then >= OVERTIME_IDLE_CPU or not self.gauge.runnable():
                return False  # it computes without taking memory, or it sleeps
        return False

    def late_answer(self, max_bytes: int):
        """The answer a run sent past its deadline, if it is there and readable."""
        try:
            return wire.decode(framing.receive(self.conn, time.monotonic() + 1, max_bytes), max_bytes=max_bytes)
        except (framing.ConnectionEnded, framing.TimedOut, framing.TooLarge, wire.Malformed):
            return None

    def ask(self, payload: bytes, deadline: float, max_bytes: int) -> bytes:
        try:
            framing.send(self.conn, payload)
        except OSError as error:
            raise framing.ConnectionEnded(str(error)) from None
        return framing.receive(self.conn, deadline, max_bytes)

    def stop(self) -> dict:
        """Kill the child (if still running) and return how it ended."""
        if self._status is None:
            self.conn.close()
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            self._status = self._read_status()
            os.close(self.status_fd)
        return self._status

    def finish(self, timeout: float = 10.0) -> dict:
        """How the child ended on its own (it closed the connection or died)."""
        if self._status is None:
            self.conn.close()
            self._status = self._read_status(timeout)
            os.close(self.status_fd)
        return self._status

    def _read_status(self, timeout: float = 10.0) -> dict:
        """The supervisor's one-line report (it goes on cleaning up after sending it)."""
        chunks, deadline = [], time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            if not select.select([self.status_fd], [], [], remaining)[0]:
                continue
            chunk = os.read(self.status_fd, 65536)
            chunks.append(chunk)
            if not chunk or chunk.endswith(b"\n"):
                break
        else:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            return {"lost": "the supervisor did not report"}
        try:
            return json.loads(b"".join(chunks) or b"{}")
        except ValueError:
            return {"lost": "an unreadable status report"}


class SandboxStudent(Student):
    """A submission's code running in sandboxed children (see module docstring)."""

    def __init__(self, zygote: Zygote, cells: list[tuple[str, str]], limits: Limits,
                 time_factors: dict | None = None):
        self.zygote = zygote
        self.time_factors = time_factors or {}  # request -> multiple of the call timeout
        self.cells = cells  # (name, source) in notebook order
        self.limits = limits
        self.deadline = time.monotonic() + limits.total_timeout
        self.child: Child | None = None
        self.cell_errors: dict[str, str] = {}
        self.bad_cells: set[str] = set()
        self.losses: list[tuple[str, str]] = []
        self.protections: list[str] = []
        self.sandbox = zygote.tier  # the tier its runs had (as their supervisors report it)
        self.peak_memory_mb = 0.0

    # --- the Student interface ---

    def request(self, op: str, **params) -> dict:
        self._ensure_child()
        what = params.get("function") or op
        return self._ask({"op": op, **params}, "%s did not return" % what, self.time_factors.get(op, 1))

    # --- running the cells ---

    def _ensure_child(self):
        while self.child is None:
            if len(self.losses) > self.limits.max_restarts:
                raise ProcessLost(self.losses[-1][0], "not run: the code crashed or hung %d times (%s)"
                                  % (len(self.losses), self.losses[-1][1]))
            self._check_budget()
            self.child = self.zygote.spawn(self.limits)
            self.cell_errors = {}
            for name, source in self.cells:
                if name in self.bad_cells:
                    continue
                try:
                    response = self._ask({"op": "exec", "name": name, "source": source},
                                         "the cell %r did not finish" % name)
                except ProcessLost:
                    self.bad_cells.add(name)  # run the others without it
                    break
                error = Outcome.from_response(response).error  # the student's code may have forged it
                if error:
                    self.cell_errors[name] = _describe_error(error)

    def _ask(self, request: dict, timeout_message: str, factor: float = 1) -> dict:
        started = time.monotonic()
        deadline = min(started + factor * self.limits.call_timeout, self.deadline)
        cpu_at_start = self.child.gauge.cpu_seconds()
        try:
            data = self.child.ask(wire.encode(request), deadline, self.limits.max_answer_mb << 20)
            response = wire.decode(data, max_bytes=self.limits.max_answer_mb << 20)
        except framing.TimedOut:
            if self.child.overtime(cpu_at_start, deadline - started) \
                    and _ran_out_of_memory(self.child.late_answer(self.limits.max_answer_mb << 20)):
                raise self._lost(self._lose_child(stop=True), Status.MEMORY_LIMIT, OUT_OF_MEMORY)
            status = self._lose_child(stop=True)
            limit = "the %g s limit" % (factor * self.limits.call_timeout)
            if time.monotonic() >= self.deadline:
                limit = "the submission's %g s budget" % self.limits.total_timeout
            raise self._lost(status, Status.TIMEOUT, "%s within %s (an infinite loop or a sleep?)"
                             % (timeout_message, limit))
        except framing.TooLarge as error:
            status = self._lose_child(stop=True)
            raise self._lost(status, Status.CRASHED, "the answer was too large: %s" % error)
        except (framing.ConnectionEnded, wire.Malformed) as error:
            status = self._lose_child(stop=isinstance(error, wire.Malformed))
            raise self._lost(status, Status.CRASHED, "the process ended (%s)" % error
                             if isinstance(error, framing.ConnectionEnded)
                             else "it sent a malformed answer (%s)" % error)
        if _ran_out_of_memory(response):
            raise self._lost(self._lose_child(stop=True), Status.MEMORY_LIMIT, OUT_OF_MEMORY)
        return response

    def _lose_child(self, stop: bool) -> dict:
        """How the lost child ended. Its supervisor always reports, unless it was
        killed from outside (it is invisible to the student's code): then the run
        says nothing about the student, and the grader's fault is raised instead."""
        child, self.child = self.child, None
        status = dict(child.stop(), stopped=True) if stop else child.finish()
        if "protections" not in status:
            raise ZygoteLost("a sandboxed child's supervisor ended without a report (%s)"
                             % (status.get("lost") or status.get("setup_error") or "it was killed"))
        self._note(status)
        return status

    def _note(self, status):
        self.protections = status.get("protections", self.protections)
        self.sandbox = status.get("sandbox", self.sandbox)
        self.peak_memory_mb = max(self.peak_memory_mb, status.get("max_memory_mb", 0.0))

    def _lost(self, status: dict, default: Status, message: str) -> ProcessLost:
        kind, explanation = _interpret(status, default, message)
        self.losses.append((kind, explanation))
        return ProcessLost(kind, explanation)

    def _check_budget(self):
        if time.monotonic() >= self.deadline:
            raise ProcessLost(Status.TIMEOUT, "not run: the submission used up its %g s budget"
                              % self.limits.total_timeout)

    def close(self):
        if self.child is not None:
            child, self.child = self.child, None
            self._note(child.stop())


def _interpret(status: dict, default: Status, message: str) -> tuple[Status, str]:
    """The student status and message for a child that ended early.

    `default` and `message` say what the grader saw; how the child ended can say more
    (the out-of-memory killer, the CPU limit, a signal, an exit), except where the
    grader stopped the child itself, which `status["stopped"]` records. Evidence comes
    before timing: a run the grader stopped for taking too long, but that had met its
    memory limit (the kernel was reclaiming or choosing what to kill when the grader
    stopped it), used up its memory.
    """
    if status.get("oom_kills") or (status.get("stopped") and default == Status.TIMEOUT
                                   and status.get("memory_limit_reached")):
        return Status.MEMORY_LIMIT, "the code used more than the memory limit and was stopped"
    if status.get("stopped"):
        return default, message
    sig = status.get("signal")
    if sig == signal.SIGXCPU:
        return Status.TIMEOUT, "the code used up its CPU-time limit (an infinite loop?)"
    if sig is not None:
        return Status.CRASHED, "the process was killed by %s" % SIGNAL_NAMES.get(sig, "signal %d" % sig)
    if "exit_code" in status:
        return Status.CRASHED, "the code ended the process itself (exit code %d), e.g. with os._exit" % status["exit_code"]
    return default, message


def _ran_out_of_memory(response) -> bool:
    """Whether the code raised MemoryError. Where a memory cgroup bounds the run, taking
    too much brings in the OOM killer; where RLIMIT_DATA does (the tiers without
    cgroups), the allocation fails and Python raises MemoryError instead, as it also
    does under root for one allocation larger than the machine. Either way the run used
    up its memory, and is reported so under every tier. A student who raises
    MemoryError themselves only loses that child."""
    error = response.get("error") if isinstance(response, dict) else None
    types = error.get("types") if isinstance(error, dict) else None
    return isinstance(types, list) and "MemoryError" in types


def _describe_error(error: dict) -> str:
    line = "%s: %s" % (error.get("type"), error.get("message")) if error.get("message") else error.get("type")
    return line or "an error"
