"""The trusted Keras worker: a process of the grader's where Keras rebuilds students' models.

Judging a Keras model means running Keras on data the student chose (a config, weights).
The grader process itself never does that: a config that makes Keras allocate, hang
or crash would take the whole batch with it. So one worker process per grading
process imports Keras once (seconds: it is started with the warm workers, in parallel
with grading) and serves `keras_rebuild.answer` requests over a socket, as `wire`
messages in `framing` frames. No student code ever runs in it; it has its own address
space limit (`MEMORY_MB`) and each request a deadline (`REQUEST_SECONDS`).

If the worker dies or times out on a request, the request's answer is an error that
names what happened (the student's failed case, never a grader fault) and the next
request starts a new worker. Only a worker that cannot start at all is the grader's
fault (`KerasWorkerUnavailable`).

In a student's own kernel (a notebook's test cells) Keras is already loaded and the
student runs their own code anyway: there `judge_in_this_process` makes the same
requests be answered in process, through the same wire round trip.
"""
from __future__ import annotations

import atexit
import os
import resource
import socket
import subprocess
import sys
import threading
import time

from ..sandbox import framing, wire
from ..sandbox.client import SANDBOX_ENVIRONMENT
from . import keras_rebuild

MEMORY_MB = 1536  # address space: TensorFlow and a capped model fit in about 550 MB
REQUEST_SECONDS = 60.0
START_SECONDS = 180.0  # importing TensorFlow on a busy machine
MAX_ANSWER_BYTES = 64 << 20


class KerasWorkerUnavailable(RuntimeError):
    """The worker could not be started: a fault of the grader's host, not a student's."""


class KerasWorker:
    """The worker process, (re)started when needed; one request at a time."""

    def __init__(self, memory_mb: int = MEMORY_MB, request_seconds: float = REQUEST_SECONDS):
        self.memory_mb = memory_mb
        self.request_seconds = request_seconds
        self._lock = threading.Lock()
        self._process = self._socket = None
        self._ready = False
        self._closed = False

    def start(self) -> None:
        """Start the process now, without waiting for its imports."""
        with self._lock:
            self._start_if_needed()

    def request(self, op: str, **params) -> dict:
        """`keras_rebuild.answer` to {"op": op, **params}, or {"error": what happened}."""
        with self._lock:
            self._start_if_needed()
            self._wait_until_ready()
            try:
                framing.send(self._socket, wire.encode({"op": op, **params}))
                reply = framing.receive(self._socket, time.monotonic() + self.request_seconds, MAX_ANSWER_BYTES)
                return wire.decode(reply)
            except framing.TimedOut:
                self._stop()
                return {"error": "the grader's Keras worker took longer than %d s on it (it was restarted)"
                        % self.request_seconds}
            except (framing.ConnectionEnded, framing.TooLarge, wire.Malformed, OSError):
                how = self._stop()
                self._refuse_if_closed()
                return {"error": "the grader's Keras worker %s on it, most likely out of its %d MB of "
                        "memory (it was restarted)" % (how, self.memory_mb)}

    def close(self) -> None:
        """Stop the worker for good, at once: a request in progress then fails as the
        grader's fault (the batch was stopped), not as the student's."""
        self._closed = True
        process = self._process
        if process is not None and process.poll() is None:
            process.kill()
        with self._lock:
            self._stop()

    def _refuse_if_closed(self):
        if self._closed:
            raise KerasWorkerUnavailable("the Keras worker was stopped")

    def _start_if_needed(self):
        self._refuse_if_closed()
        if self._process is not None and self._process.poll() is None:
            return
        self._stop()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        environment = {key: value for key, value in os.environ.items()
                       if key in ("PATH", "LANG", "LC_ALL", "PYTHONPATH")}
        environment.update(SANDBOX_ENVIRONMENT)
        self._process = subprocess.Popen(
            [sys.executable, "-m", __name__, str(theirs.fileno()), str(self.memory_mb)],
            pass_fds=[theirs.fileno()], env=environment, cwd="/", stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        theirs.close()
        self._socket, self._ready = ours, False

    def _wait_until_ready(self):
        if self._ready:
            return
        try:
            wire.decode(framing.receive(self._socket, time.monotonic() + START_SECONDS, 1024))
        except (framing.TimedOut, framing.ConnectionEnded, wire.Malformed, OSError) as error:
            self._stop()
            raise KerasWorkerUnavailable("the Keras worker did not start: %s" % (error or type(error).__name__))
        self._ready = True

    def _stop(self) -> str:
        """End the process; how it had ended, in words."""
        how = "stopped"
        if self._process is not None:
            code = self._process.poll()
            if code is None:
                self._process.kill()
                code = self._process.wait()
            how = "was killed by signal %d" % -code if code < 0 else "exited with code %d" % code
        if self._socket is not None:
            self._socket.close()
        self._process = self._socket = None
        self._ready = False
        return how


class LocalKerasWorker:
    """The same requests answered in this process (a student's own kernel)."""

    def start(self) -> None:
        pass

    def request(self, op: str, **params) -> dict:
        request = wire.decode(wire.encode({"op": op, **params}))
        return wire.decode(wire.encode(keras_rebuild.answer(request)))

    def close(self) -> None:
        pass


_shared = None
_shared_lock = threading.Lock()
_in_this_process = False


def shared():
    """This process's worker, created on first use."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = LocalKerasWorker() if _in_this_process else KerasWorker()
        return _shared


def judge_in_this_process() -> None:
    """Answer Keras requests here from now on (see the module docstring)."""
    global _in_this_process, _shared
    with _shared_lock:
        _in_this_process = True
        if _shared is not None:
            _shared.close()
        _shared = None


@atexit.register
def close_shared() -> None:
    """Stop this process's worker; the next `shared()` makes a new one."""
    global _shared
    with _shared_lock:
        if _shared is not None:
            _shared.close()
        _shared = None


# --- the worker process ---------------------------------------------------------------

def serve(fd: int, memory_mb: int) -> None:
    """The worker's main loop: limit memory, import Keras, say so, answer until closed."""
    limit = memory_mb << 20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    connection = socket.socket(fileno=fd)
    import keras  # noqa: F401 (imported once, before the first request)
    framing.send(connection, wire.encode({"ready": True}))
    while True:
        try:
            request = wire.decode(framing.receive(connection))
        except framing.ConnectionEnded:
            return
        framing.send(connection, wire.encode(keras_rebuild.answer(request)))


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]))
