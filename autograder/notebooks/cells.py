"""Read the graded structure of a course notebook: setup, solution and test cells.

nbgrader marks cells in `metadata["nbgrader"]`:
- a *solution* cell (`solution: true`) holds the student's code, in the source notebook
  between `### BEGIN SOLUTION` and `### END SOLUTION` (nbgrader's stub in the release);
- a *test* cell (`grade: true`, a code cell with `points`) grades it; in the source its
  hidden part sits between `### BEGIN HIDDEN TESTS` and `### END HIDDEN TESTS`;
- a *setup* cell is locked code that is neither: students get it as written;
- a *manual* cell is a markdown cell that is both a solution and graded (`solution:
  true, grade: true` with `points`): a written answer that staff grade by hand in
  nbgrader's formgrader. The grader never runs or scores it.

This reads the course's own notebooks (source and release), which are trusted. A
student's submission goes through `program`, which expects any kind of breakage.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import nbformat

from .program import cell_source, nbgrader_metadata

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"

SETUP, SOLUTION, TEST, MANUAL = "setup", "solution", "test", "manual"


@dataclass(frozen=True)
class Cell:
    index: int  # position in the notebook
    kind: str  # SETUP, SOLUTION, TEST, MANUAL, or "" for a cell nbgrader does not track
    name: str  # the grade_id, else the cell's id, else "#<index>"
    cell_type: str  # "code" or "markdown" (or "raw")
    source: str
    points: float = 0.0

    def describe(self) -> str:
        """How messages name the cell: "'relu' (code)"."""
        return "'%s' (%s)" % (self.name, self.cell_type)


def read(path: str | os.PathLike) -> nbformat.NotebookNode:
    """A notebook file as nbformat version 4."""
    return nbformat.read(os.fspath(path), as_version=4)


@dataclass(frozen=True)
class Source:
    """An assignment's source notebook, read once per batch: its cells (which cells run,
    in which order) and the notebook itself (the template of the autograded copies)."""
    notebook: dict
    cells: list

    @classmethod
    def read(cls, path: str | os.PathLike) -> "Source":
        notebook = read(path)
        return cls(notebook, cells(notebook))


def _kind_of(cell) -> str:
    meta = nbgrader_metadata(cell)
    if meta.get("solution") and meta.get("grade") and cell.cell_type == "markdown":
        return MANUAL
    if meta.get("solution"):
        return SOLUTION
    if meta.get("grade") and cell.cell_type == "code":
        return TEST
    if meta.get("locked") and cell.cell_type == "code":
        return SETUP
    return ""


def cells(notebook) -> list[Cell]:
    """Every cell of the notebook, in order, with its kind and name."""
    found = []
    for index, cell in enumerate(notebook.cells):
        meta = nbgrader_metadata(cell)
        name = meta.get("grade_id") or cell.get("id") or "#%d" % index
        found.append(Cell(index, _kind_of(cell), name, cell.cell_type, cell_source(cell),
                          float(meta.get("points", 0) or 0)))
    return found


def setup_cells(notebook) -> list[Cell]:
    """The locked setup cells, in notebook order."""
    return [cell for cell in cells(notebook) if cell.kind == SETUP]


def solution_cells(notebook) -> dict[str, Cell]:
    """The solution cells by grade_id, in notebook order."""
    return {cell.name: cell for cell in cells(notebook) if cell.kind == SOLUTION}


def manual_cells(notebook) -> dict[str, Cell]:
    """The written answers staff grade by hand, by grade_id, in notebook order."""
    return {cell.name: cell for cell in cells(notebook) if cell.kind == MANUAL}


def test_cells(notebook) -> dict[str, Cell]:
    """The test cells by grade_id, in notebook order; each knows its points."""
    return {cell.name: cell for cell in cells(notebook) if cell.kind == TEST}


def region(source: str, begin: str, end: str) -> list[str]:
    """The lines strictly between marker lines `begin` and `end` (every such region)."""
    lines, inside = [], False
    for line in source.splitlines():
        marker = line.strip()
        if marker.startswith(begin):
            inside = True
        elif marker.startswith(end):
            inside = False
        elif inside:
            lines.append(line)
    return lines


def solution_body(source: str) -> list[str]:
    """A source solution cell's answer: what nbgrader replaces with the stub."""
    return region(source, BEGIN_SOLUTION, END_SOLUTION)


def hidden_tests(source: str) -> list[str]:
    """A source test cell's hidden lines: what nbgrader removes from the release."""
    return region(source, BEGIN_HIDDEN, END_HIDDEN)


def outside_regions(source: str) -> list[str]:
    """The lines of a cell that students get as written (no markers, no region lines)."""
    lines, inside = [], False
    for line in source.splitlines():
        marker = line.strip()
        if marker.startswith((BEGIN_SOLUTION, BEGIN_HIDDEN)):
            inside = True
        elif marker.startswith((END_SOLUTION, END_HIDDEN)):
            inside = False
        elif not inside:
            lines.append(line)
    return lines
