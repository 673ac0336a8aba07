"""Read a student's notebook without trusting it, and build the program to run.

The program is all that the untrusted side runs (see `autograder.sandbox`): the
*source* notebook's locked setup cells and the submission's solution cells, in the
source's order. Test cells, and anything else the student added or changed, never run. Every way a file
can be broken becomes `InvalidNotebook` with a message naming the problem.
"""
from __future__ import annotations

import errno
import json
import os
import re
import stat
from dataclasses import dataclass

MAX_NOTEBOOK_BYTES = 20 * 2**20


class InvalidNotebook(ValueError):
    """The submission cannot be read as a notebook; the message says why."""


@dataclass
class Program:
    cells: list[tuple[str, str]]  # (name, source) run in this order
    notes: list[str]  # what a student should know about how their notebook was read


class NotARegularFile(OSError):
    """A link, FIFO, device or folder where a file was expected."""


def read_regular_file(path: str, max_bytes: int) -> tuple[bytes, int]:
    """(at most `max_bytes` + 1 bytes, the size) of a regular file.

    Opened without following a link and without blocking, then checked on the open
    descriptor: a submitted FIFO would otherwise hang the grader, a link to /dev/zero
    never end, and a link to another student's file be read as this student's.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise NotARegularFile(errno.ELOOP, "a symbolic link", path) from None
        raise
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotARegularFile(errno.EINVAL, _KINDS.get(stat.S_IFMT(info.st_mode), "a special file"), path)
        return handle.read(max_bytes + 1), info.st_size


_KINDS = {stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a device", stat.S_IFBLK: "a device",
          stat.S_IFDIR: "a folder", stat.S_IFSOCK: "a socket"}


def read_submitted(path: str, max_bytes: int = MAX_NOTEBOOK_BYTES) -> bytes:
    """A submitted notebook's bytes, refusing links, special files and huge files.

    The batch reads each submission once, with this: the bytes it hashes for the cache
    are the bytes it grades and the bytes the feedback shows.
    """
    name = os.path.basename(path)
    try:
        data, size = read_regular_file(path, max_bytes)
    except FileNotFoundError:
        raise InvalidNotebook("%s does not exist" % name) from None
    except NotARegularFile as error:
        raise InvalidNotebook("%s is %s, not a notebook file" % (name, error.strerror)) from None
    except OSError as error:
        raise InvalidNotebook("%s cannot be read (%s)" % (name, error.strerror)) from None
    if len(data) > max_bytes:
        raise InvalidNotebook("the notebook is %.0f MB; the limit is %.0f MB (clear large outputs "
                              "before submitting)" % (size / 2**20, max_bytes / 2**20))
    return data


def parse_notebook(data: bytes) -> dict:
    """A notebook's JSON from its bytes, refusing bad encodings and what is not a notebook."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidNotebook("the notebook is not UTF-8 text (byte %d)" % error.start) from None
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidNotebook("the notebook is not valid JSON (line %d, column %d: %s)"
                              % (error.lineno, error.colno, error.msg)) from None
    except RecursionError:
        raise InvalidNotebook("the notebook is not a notebook: its JSON is nested too deeply") from None
    return _checked_structure(notebook)


def _checked_structure(notebook) -> dict:
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        if isinstance(notebook, dict) and isinstance(notebook.get("worksheets"), list):
            return _from_nbformat3(notebook)
        raise InvalidNotebook("the file is JSON but not a notebook (no list of cells)")
    if notebook.get("nbformat") != 4:
        raise InvalidNotebook("unsupported notebook format version %r (expected 4)" % notebook.get("nbformat"))
    return notebook


def _from_nbformat3(notebook) -> dict:
    """An nbformat 3 notebook's cells, in the shape of version 4 (code inputs only)."""
    cells = []
    for sheet in notebook["worksheets"]:
        for cell in sheet.get("cells", []) if isinstance(sheet, dict) else []:
            if isinstance(cell, dict):
                cells.append({"cell_type": cell.get("cell_type"), "metadata": cell.get("metadata", {}),
                              "source": cell.get("input", cell.get("source", ""))})
    return {"nbformat": 4, "cells": cells}


def cell_source(cell) -> str:
    source = cell.get("source", "") if isinstance(cell, dict) else ""
    if isinstance(source, list):
        source = "".join(part for part in source if isinstance(part, str))
    return source if isinstance(source, str) else ""


def nbgrader_metadata(cell) -> dict:
    metadata = cell.get("metadata") if isinstance(cell, dict) else None
    data = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return data if isinstance(data, dict) else {}


def build_program(source: list, submission: dict) -> Program:
    """Source setup cells plus the submission's solution cells, in the source's order.

    `source` is the source notebook's `cells.cells`; only its code cells count.
    A solution cell is found by its grade_id (the last one, if duplicated). If the
    student lost its metadata, the last unmarked code cell that defines the function of
    the same name stands in, and a note says so. Sources are taken as written: the
    sandbox turns IPython syntax into Python (see `sandbox.inside.child`), so no student
    text is parsed on the grader's side, where no time or memory limit would hold.
    """
    by_id, unmarked = {}, []
    for cell in submission["cells"]:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        meta = nbgrader_metadata(cell)
        if meta.get("solution") and isinstance(meta.get("grade_id"), str):
            by_id[meta["grade_id"]] = cell_source(cell)
        elif not meta:
            unmarked.append(cell_source(cell))
    cells, notes = [], []
    for cell in (cell for cell in source if cell.cell_type == "code"):
        if cell.kind == "setup":
            cells.append((cell.name, cell.source))
        elif cell.kind == "solution":
            code = by_id.get(cell.name)
            if code is None:
                code = _defining(unmarked, cell.name)
                notes.append("the solution cell %r is missing%s" % (
                    cell.name, "; used a cell that defines %s instead" % cell.name if code else ""))
            if code is not None:
                cells.append((cell.name, code))
    return Program(cells, notes)


def _defining(sources, name):
    """The last source with a top-level `def name(`: a line-anchored search, which
    unlike parsing costs linear time whatever the student wrote."""
    definition = re.compile(r"^def\s+%s\s*\(" % re.escape(name), re.M)
    for source in reversed(sources):
        if definition.search(source):
            return source
    return None
