"""autograded/<student>/<assignment>/<assignment>.ipynb: what `nbgrader generate_feedback`
turns into each student's feedback page.

The notebook follows the *source* notebook's cells, with the student's solution code
in the solution cells and, under each test cell, the grader's message. Test cells are
shown as released (hidden tests removed), and messages about hidden cases never
include their expected values, so feedback reveals nothing hidden.
"""
from __future__ import annotations

import copy
import re

import nbformat

from ..batch import write_atomically
from ..submission import cell_source

_HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*\n?", re.M | re.S)


def without_hidden_tests(source: str) -> str:
    return _HIDDEN.sub("", source)


def autograded_notebook(source_notebook: dict, program_cells: dict, result) -> nbformat.NotebookNode:
    """The source notebook with the student's solutions and the grader's messages."""
    notebook = nbformat.from_dict(copy.deepcopy(source_notebook))
    for cell in notebook.cells:
        cell.source = cell_source(cell)
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type != "code":
            continue
        cell.outputs, cell.execution_count = [], None
        grade_id = meta.get("grade_id")
        if meta.get("solution"):
            cell.source = program_cells.get(grade_id, "# (no solution cell %r was found in the submission)\n"
                                            % grade_id)
        elif meta.get("grade") and grade_id in result.tests:
            cell.source = without_hidden_tests(cell.source)
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout",
                                                   text=result.tests[grade_id].message() + "\n")]
    if result.message:
        notebook.cells.insert(0, nbformat.v4.new_markdown_cell(
            "**Grading notes (%s):** %s" % (result.status, _escape(result.message))))
    return notebook


def _escape(text: str) -> str:
    return re.sub(r"([\\`*_<>\[\]])", r"\\\1", text)


def write_autograded(path: str, notebook) -> None:
    write_atomically(path, nbformat.writes(notebook))
