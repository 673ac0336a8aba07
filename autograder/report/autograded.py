"""autograded/<student>/<assignment>/<assignment>.ipynb: what `nbgrader generate_feedback`
turns into each student's feedback page.

The notebook follows the *source* notebook's cells, with the student's solution code
in the solution cells and, under each test cell, the grader's message. Test cells are
shown as released (hidden tests removed), and messages about hidden cases never
include their expected values, so feedback reveals nothing hidden.
"""
from __future__ import annotations

import json
import re

from ..files import write_atomically
from ..notebooks.program import cell_source, nbgrader_metadata

_HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*\n?", re.M | re.S)


def without_hidden_tests(source: str) -> str:
    return _HIDDEN.sub("", source)


def autograded_notebook(source_notebook: dict, program_cells: dict, result) -> dict:
    """The source notebook with the student's solutions and the grader's messages.

    Built as plain dicts from the (trusted) source notebook: copying and validating it
    with nbformat for every student would cost more than grading a short submission."""
    cells = [_graded_cell(cell, program_cells, result) for cell in source_notebook["cells"]]
    if result.message:
        cells.insert(0, {"cell_type": "markdown", "id": "grading-notes", "metadata": {},
                         "source": "**Grading notes (%s):** %s" % (result.status, _escape(result.message))})
    return dict(source_notebook, cells=cells)


def _graded_cell(cell: dict, program_cells: dict, result) -> dict:
    cell = dict(cell, source=cell_source(cell))
    if cell["cell_type"] != "code":
        return cell
    meta = nbgrader_metadata(cell)
    grade_id = meta.get("grade_id")
    cell["outputs"], cell["execution_count"] = [], None
    if meta.get("solution"):
        cell["source"] = program_cells.get(grade_id, "# (no solution cell %r was found in the submission)\n"
                                           % grade_id)
    elif meta.get("grade") and grade_id in result.tests:
        cell["source"] = without_hidden_tests(cell["source"])
        cell["outputs"] = [{"output_type": "stream", "name": "stdout",
                            "text": result.tests[grade_id].message() + "\n"}]
    return cell


def _escape(text: str) -> str:
    return re.sub(r"([\\`*_<>\[\]])", r"\\\1", text)


def write_autograded(path: str, notebook: dict) -> None:
    write_atomically(path, json.dumps(notebook, sort_keys=True, ensure_ascii=False) + "\n")
