"""Load the instructor's reference solutions (`solutions/<assignment>.py`).

Only the grader's trusted side and nbgrader's hidden tests do this. The module is
loaded from its file, so nothing needs `solutions/` on `sys.path`, and the course is
found from `DLCOURSE_ROOT` (set by `nbgrader_config.py`) or the working directory's
ancestors.
"""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

_loaded: dict = {}


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


def load(assignment: str, root: str | os.PathLike | None = None):
    """The reference module of `assignment`, loaded once per process per file."""
    path = Path(root) / "solutions" if root else course_root() / "solutions"
    path = path / (assignment + ".py")
    if not path.is_file():
        raise ReferenceNotFound("no reference solution at %s" % path)
    key = str(path.resolve())
    if key not in _loaded:
        spec = importlib.util.spec_from_file_location("_reference_" + assignment, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _loaded[key] = module
    return _loaded[key]
