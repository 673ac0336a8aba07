"""nbgrader's gradebook, used from a process of its own while a class is graded.

Importing nbgrader takes CPU seconds. In the grader's process that import would hold
the interpreter lock that every grading thread needs to answer its sandboxed child;
in a process of its own it runs beside them. The process starts with grading, readies
the assignment in the gradebook meanwhile, and writes the grades at the end. Nothing
here imports nbgrader: the functions the process runs import it there.

Both sides are the grader's own code, so they speak pickle (multiprocessing's
`Connection`) over a socket pair; the process is a fresh interpreter
(`python -m autograder.report.gradebook_process FD`), in a session of its own so that
Ctrl-C reaches only the grader, which then ends it.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from multiprocessing.connection import Connection

from ..errors import GraderFault


class GradebookProcess:
    def __init__(self):
        ours, theirs = socket.socketpair()
        with theirs:
            self._process = subprocess.Popen(
                [sys.executable, "-m", __name__, str(theirs.fileno())], pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL, start_new_session=True)
        self._connection = Connection(ours.detach())

    def prepare(self, course, assignment: str) -> "Reply":
        """`outputs.prepare` there, started now; `.get()` gives its note (or None)."""
        return self._call("prepare", course, assignment)

    def write_gradebook(self, course, assignment: str, results: dict, timestamps: dict) -> None:
        """`gradebook.write_gradebook` there; its errors are raised here."""
        self._call("write_gradebook", course, assignment, results, timestamps).get()

    def _call(self, name, *args) -> "Reply":
        try:
            self._connection.send((name, args))
        except OSError:
            raise ProcessEnded() from None
        return Reply(self._connection)

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        self._connection.close()  # the process ends when it reads the end of its requests
        if kind is not None:  # interrupted: what it is doing will not be used
            self._process.kill()
        self._process.wait()


class ProcessEnded(GraderFault):
    def __init__(self):
        super().__init__("the gradebook process ended unexpectedly (see its error above); "
                         "what was graded is cached: run the same command again")


class Reply:
    """The answer to one request; requests are answered in order."""

    def __init__(self, connection):
        self._connection = connection

    def get(self):
        try:
            ok, value = self._connection.recv()
        except (EOFError, OSError):
            raise ProcessEnded() from None
        if not ok:
            raise value
        return value


def _prepare(course, assignment):
    from .outputs import prepare
    return prepare(course, assignment)


def _write_gradebook(course, assignment, results, timestamps):
    from .gradebook import write_gradebook
    write_gradebook(course, assignment, results, timestamps)


FUNCTIONS = {"prepare": _prepare, "write_gradebook": _write_gradebook}


def serve(fd: int) -> None:
    connection = Connection(fd)
    while True:
        try:
            name, args = connection.recv()
        except EOFError:
            return
        try:
            reply = (True, FUNCTIONS[name](*args))
        except Exception as error:  # noqa: BLE001 (raised again on the grader's side)
            reply = (False, error)
        connection.send(reply)


if __name__ == "__main__":
    serve(int(sys.argv[1]))
    # Every write is committed by now; skip tearing down nbgrader's and SQLAlchemy's
    # modules, which the grader would otherwise wait for.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
