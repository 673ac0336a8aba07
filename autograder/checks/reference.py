"""Load the instructor's reference solutions (`solutions/<assignment>.py`) and the
models of typical mistakes that the hints recognise (`solutions/mistakes/<assignment>.py`).

Only the grader's trusted side and nbgrader's hidden tests do this. The module is
loaded from its file, so nothing needs `solutions/` on `sys.path`, and the course is
found from `DLCOURSE_ROOT` (set by `nbgrader_config.py`) or the working directory's
ancestors.
"""
from __future__ import annotations

import copy
import hashlib
import importlib.util
import os
from pathlib import Path

from ..sandbox import wire

MAX_REMEMBERED = 10000


class ReferenceNotFound(FileNotFoundError):
    pass


def course_root(start: str | os.PathLike | None = None) -> Path:
    """The course directory: the one holding `solutions/` and `nbgrader_config.py`."""
    if start is None and os.environ.get("DLCOURSE_ROOT"):
        return Path(os.environ["DLCOURSE_ROOT"])
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "solutions").is_dir() and (folder / "nbgrader_config.py").is_file():
            return folder
    raise ReferenceNotFound(
        "no course directory (with solutions/ and nbgrader_config.py) above %s; "
        "set DLCOURSE_ROOT" % here)


class Reference:
    """An assignment's reference solutions, and the answers computed from them.

    Its attributes are the reference functions. A reference answer is the same for
    every submission of a class, so `remember` computes each once per `Reference`
    rather than once per student: whoever grades many submissions keeps one (the
    batch's warm workers do, per process).
    """

    def __init__(self, module, mistakes=None):
        self.module = module  # the solutions module itself
        # The mistakes module: each model is the right computation with one thing
        # changed, so it is part of the answer key, never shipped with the checks.
        self.mistakes = mistakes
        self._answers: dict = {}

    def __getattr__(self, name):
        return getattr(self.module, name)

    def remember(self, key, compute):
        """`compute()`, computed once for each `key` (plain data); each caller gets its own copy."""
        digest = hashlib.sha256(wire.encode(key)).digest()
        if digest not in self._answers:
            if len(self._answers) >= MAX_REMEMBERED:
                self._answers.clear()
            self._answers[digest] = compute()
        return copy.deepcopy(self._answers[digest])


def load(assignment: str, root: str | os.PathLike | None = None) -> Reference:
    """The reference solutions of `assignment`, and its mistakes module where there is
    one (which finds the solutions as its global `answers`)."""
    folder = Path(root) / "solutions" if root else course_root() / "solutions"
    solutions = _module(folder / (assignment + ".py"), "_reference_" + assignment)
    mistakes = folder / "mistakes" / (assignment + ".py")
    return Reference(solutions, _module(mistakes, "_mistakes_" + assignment, answers=solutions)
                     if mistakes.is_file() else None)


def _module(path: Path, name: str, **given):
    """The module in file `path`, loaded from it, with `given` among its globals."""
    if not path.is_file():
        raise ReferenceNotFound("no reference solution at %s" % path)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    vars(module).update(given)
    spec.loader.exec_module(module)
    return module
