"""Prove that released material gives no answers away.

The secrets of a course are the lines of its answers: the body of every source
solution cell, the hidden part of every test cell, and the code of the reference
functions in `solutions/`. A released file must contain none of them, nor nbgrader's
solution and hidden-test markers, nor code that reaches the reference solutions.
Lines the source hands out anyway (setup cells, signatures, docstrings, the visible
part of test cells) are not secrets, and nor are lines too short or too plain to give
anything away ("return z", "else:", "return model").

Every notebook cell is searched, markdown and metadata included; other files as text.
Each finding names the released file and cell, and the line.
"""
from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass

import nbformat

from ..notebooks import cells as notebooks

MIN_SECRET_LENGTH = 12
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
# Code that could load the answers: the solutions package, or the hidden tests' loader.
REACHES_ANSWERS = re.compile(r"\bsolutions\b|\binclude_hidden\b|\breference\s*\.\s*load\b")


@dataclass(frozen=True)
class Secret:
    text: str  # the line, stripped
    kind: str  # "solution line", "hidden test line" or "reference line"
    origin: str  # where it comes from, e.g. "solution cell 'mse' of ps2_learning"


def course_secrets(sources: dict[str, nbformat.NotebookNode], solutions_dir: str) -> list[Secret]:
    """Every secret line of the course: its source notebooks and its reference solutions."""
    found, given = [], set()
    for assignment, notebook in sources.items():
        for cell in notebooks.cells(notebook):
            if cell.cell_type == "code":
                given.update(line.strip() for line in notebooks.outside_regions(cell.source))
            if cell.kind in (notebooks.SOLUTION, notebooks.MANUAL):
                origin = "solution cell '%s' of %s" % (cell.name, assignment)
                found += [Secret(line.strip(), "solution line", origin)
                          for line in notebooks.solution_body(cell.source)]
            elif cell.kind == notebooks.TEST:
                origin = "test cell '%s' of %s" % (cell.name, assignment)
                found += [Secret(line.strip(), "hidden test line", origin)
                          for line in notebooks.hidden_tests(cell.source)]
    for path in sorted(_python_files(solutions_dir)):
        origin = os.path.relpath(path, os.path.dirname(solutions_dir))
        found += [Secret(line, "reference line", origin) for line in reference_lines(path)]
    unique = {}
    for secret in found:
        if _telling(secret.text) and secret.text not in given:
            unique.setdefault(secret.text, secret)
    return list(unique.values())


def _telling(line: str) -> bool:
    """Long enough, and code that computes something (not "return model", "else:")."""
    return (len(line) >= MIN_SECRET_LENGTH and not line.startswith("#")
            and re.search(r"[=()\[\]+\-*/@<>]", line) is not None)


def _python_files(folder):
    for root, _, files in os.walk(folder):
        yield from (os.path.join(root, name) for name in files if name.endswith(".py"))


def reference_lines(path: str) -> list[str]:
    """The stripped lines of the function bodies in a reference module, docstrings left out."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    lines = text.splitlines()
    found = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body[1:] if ast.get_docstring(node) is not None else node.body
            for statement in body:
                found += [line.strip() for line in lines[statement.lineno - 1:statement.end_lineno]]
    return found


def find_leaks(released_dir: str, secrets: list[Secret]) -> list[str]:
    """What in `released_dir` gives answers away, one message per finding."""
    problems = []
    for path in sorted(_all_files(released_dir)):
        relative = os.path.relpath(path, released_dir)
        if "solutions" in relative.split(os.sep):
            problems.append("%s: a released file inside a folder named solutions" % relative)
        for where, text, is_code in _texts(path):
            problems += _leaks_in(relative, where, text, is_code, secrets)
    return problems


def _all_files(folder):
    for root, _, files in os.walk(folder):
        yield from (os.path.join(root, name) for name in files)


def _texts(path):
    """(where, text, is_code) for each part of a released file worth searching."""
    with open(path, "rb") as handle:
        raw = handle.read().decode("utf-8", errors="replace")
    if path.endswith(".ipynb"):
        try:
            notebook = nbformat.reads(raw, as_version=4)
        except Exception:  # noqa: BLE001 (not a notebook after all: search it as text)
            notebook = None
        if notebook is not None:
            yield "notebook metadata", _strings(notebook.metadata), False
            for cell, raw_cell in zip(notebooks.cells(notebook), notebook.cells):
                where = "released cell %s" % cell.describe()
                yield where, cell.source, cell.cell_type == "code"
                extras = [raw_cell.get(key) for key in ("metadata", "outputs", "attachments")]
                yield where + " metadata or outputs", _strings(extras), False
            return
    yield "", raw, True


def _strings(value) -> str:
    """Every string in a JSON-like value (keys too), one per line, unescaped."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "\n".join(_strings(item) for pair in value.items() for item in pair)
    if isinstance(value, (list, tuple)):
        return "\n".join(_strings(item) for item in value)
    return ""


def _leaks_in(relative, where, text, is_code, secrets):
    label = "%s: %s" % (relative, where) if where else relative
    problems = ["%s contains the marker '%s'" % (label, marker) for marker in MARKERS if marker in text]
    for secret in secrets:
        if secret.text in text:
            problems.append("%s contains %s '%s' (from %s)" % (label, secret.kind, secret.text, secret.origin))
    if is_code:
        for match in sorted(set(REACHES_ANSWERS.findall(text))):
            problems.append("%s refers to '%s', a way to the reference solutions" % (label, match))
    return problems
