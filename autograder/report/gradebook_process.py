"""nbgrader's gradebook, used from a process of its own while a class is graded.

Importing nbgrader takes about a second of CPU. In the grader's process that import
holds the interpreter lock that every grading thread needs to answer its sandboxed
child, and slowed a ps1 batch of 35 by a third; in a process of its own it runs beside
them. The process starts with grading, readies the assignment in the gradebook
meanwhile, and writes the grades at the end. Nothing here imports nbgrader: the
functions the process runs import it there.
"""
from __future__ import annotations

import contextlib
import multiprocessing
import signal
import threading


class GradebookProcess:
    def __init__(self):
        with _ctrl_c_ignored():  # the grader handles Ctrl-C, and ends this process
            self._pool = multiprocessing.get_context("spawn").Pool(1)

    def prepare(self, course, assignment: str):
        """`outputs.prepare` there; `.get()` on the returned handle gives its note (or None)."""
        return self._pool.apply_async(_prepare, (course, assignment))

    def write_gradebook(self, course, assignment: str, results: dict, timestamps: dict) -> None:
        """`gradebook.write_gradebook` there; its errors are raised here."""
        self._pool.apply_async(_write_gradebook, (course, assignment, results, timestamps)).get()

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if kind is None:
            self._pool.close()
        else:  # interrupted: what the process is doing will not be used
            self._pool.terminate()
        self._pool.join()


@contextlib.contextmanager
def _ctrl_c_ignored():
    """SIGINT ignored while the block starts processes, which inherit that (Python
    keeps an ignored SIGINT ignored), so Ctrl-C reaches only the grader."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _prepare(course, assignment):
    from ..outputs import prepare
    return prepare(course, assignment)


def _write_gradebook(course, assignment, results, timestamps):
    from .gradebook import write_gradebook
    write_gradebook(course, assignment, results, timestamps)
