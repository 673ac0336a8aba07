"""What a grading process keeps warm: a zygote per set of preloaded modules, each
assignment's reference solutions with the answers computed from them, and the trusted
Keras worker (`checks.keras_worker`) for assignments that rebuild Keras models.

Starting a warm worker costs its imports (seconds, for TensorFlow), so a process keeps
one per preload set and hands every submission a fresh child forked from it; a
reference answer is the same for every student, so it is computed once. The grade
command owns a `WarmWorkers` for its run; a Dask worker process keeps one for all the
tasks it runs (`WarmWorkers.of_this_process`).
"""
from __future__ import annotations

import threading

from .. import checks
from ..checks import keras_worker, reference
from ..sandbox import Zygote, ZygoteLost


class WarmWorkers:
    """This process's warm workers (see the module docstring)."""

    def __init__(self):
        self._zygotes: dict = {}
        self._references: dict = {}
        self._lock = threading.Lock()
        self._references_lock = threading.Lock()  # loading ps4's imports Keras: not under the zygotes' lock
        self._stopped = threading.Event()

    _of_this_process: "WarmWorkers | None" = None

    @classmethod
    def of_this_process(cls) -> "WarmWorkers":
        """The workers shared by every task this process runs (a Dask worker's)."""
        if cls._of_this_process is None:
            cls._of_this_process = cls()
        return cls._of_this_process

    def for_assignment(self, assignment: str) -> Zygote:
        """The warm worker for `assignment`, (re)started when needed."""
        preload = preload_for(assignment)
        with self._lock:
            if self._stopped.is_set():
                raise ZygoteLost("grading was stopped")
            zygote = self._zygotes.get(preload)
            if zygote is None or not zygote.alive():
                if zygote is not None:
                    zygote.close()
                zygote = self._zygotes[preload] = Zygote(preload)
            return zygote

    def reference(self, assignment: str, course_root: str) -> reference.Reference:
        """The reference solutions of `assignment` in the course at `course_root`, loaded once."""
        key = (assignment, course_root)
        with self._references_lock:
            if key not in self._references:
                self._references[key] = reference.load(assignment, course_root)
            return self._references[key]

    def warm_up(self, assignment: str) -> None:
        """Start the warm worker for `assignment` now (and the Keras worker if it needs
        one): their imports then overlap with whatever the grader does meanwhile (the
        gradebook, the cache lookup) and with each other."""
        if checks.declaration(assignment).keras_worker:
            keras_worker.shared().start()
        self.for_assignment(assignment)

    def close(self) -> None:
        with self._lock:
            for zygote in self._zygotes.values():
                zygote.close()
            self._zygotes.clear()
        keras_worker.close_shared()

    def stop(self) -> None:
        """End every run in progress now (the batch was interrupted): the warm workers
        are stopped, taking their sandboxed children with them, and no new ones start
        until `resume`. The submissions in progress end as grader faults, which are
        never cached, so the next run grades them."""
        self._stopped.set()
        self.close()

    def resume(self) -> None:
        self._stopped.clear()

    def __enter__(self) -> "WarmWorkers":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def preload_for(assignment: str) -> tuple:
    """What the warm worker imports for `assignment`: what its setup cell and its
    checks import (numpy.random is imported lazily by NumPy, at the first seed), so
    that no child pays for an import. The checks module holds only what a student may
    import anyway: its cases' inputs, never an expected value of a hidden case."""
    declared = checks.declaration(assignment)
    return ("numpy", "numpy.random") + declared.frameworks + (
        "autograder.notebook", checks.module_for(assignment).__name__)
