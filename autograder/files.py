"""The package's own files: the data it ships, and writing the grader's files so that
a crash never leaves half of one."""
from __future__ import annotations

import os
import tempfile


def shipped_data(name: str) -> str:
    """The path of a data file that ships with the package (`autograder/data/<name>`)."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", name)


def write_atomically(path: str, text: str) -> None:
    """Write to a temporary file beside `path`, then rename: never a half-written file."""
    folder = os.path.dirname(path) or "."
    os.makedirs(folder, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
