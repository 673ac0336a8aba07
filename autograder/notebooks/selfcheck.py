"""A student's summary of their own notebook (`python -m autograder check NOTEBOOK`).

It runs every code cell in a real kernel, as *Restart and Run All* would but without
stopping at the first error, so every test cell runs. Then it lists each graded
function with what its test cell said, and exits non-zero if anything failed (which
`nbgrader validate` does not). Only the public cases run: no reference solutions are
needed, so it works on the released notebook wherever a student has it, in the
environment `pip install "dl-course-autograder[student]"` makes (see the README).
"""
from __future__ import annotations

import importlib.util
import os

from . import cells as notebooks
from . import scoring

PASSED, FAILED = "\u2713", "\u2717"
DEFAULT_TIMEOUT = 120  # seconds per cell
# What running a notebook takes beyond the package's own dependencies: nbclient drives
# the kernel, which jupyter_client starts and ipykernel is.
KERNEL_MODULES = ("nbclient", "jupyter_client", "ipykernel")
STUDENT_INSTALL = 'pip install "dl-course-autograder[student]"'


def missing_modules() -> list[str]:
    """The modules of KERNEL_MODULES this environment lacks."""
    return [name for name in KERNEL_MODULES if importlib.util.find_spec(name) is None]


def check(path: str, timeout: float = DEFAULT_TIMEOUT) -> tuple[str, bool]:
    """Run the notebook at `path`; return (the summary to print, whether everything passed)."""
    from . import kernel  # nbclient: not a dependency of the package itself (see missing_modules)
    notebook = notebooks.read(path)
    folder = os.path.dirname(os.path.abspath(path))
    run, = kernel.execute([kernel.Run(notebook, folder)], timeout=timeout)
    results = scoring.test_cell_scores(run.notebook)
    notes = solution_errors(run.notebook)
    if run.error:
        notes.append("the run stopped early: %s" % run.error)
    if not results:
        notes.append("no test cells were found: is this a course assignment notebook?")
    passed = sum(result.passed for result in results)
    lines = ["%s: %d of %d functions pass their public tests" % (os.path.basename(path), passed, len(results)), ""]
    lines += [line for result in results for line in describe(result)]
    if notes:
        lines += [""] + ["note: " + note for note in notes]
    return "\n".join(lines), bool(results) and passed == len(results) and not run.error


def function_name(grade_id: str) -> str:
    return grade_id[len("test_"):] if grade_id.startswith("test_") else grade_id


def describe(result: scoring.CellScore) -> list[str]:
    """One line per function, then the reasons it failed, indented."""
    name = function_name(result.grade_id)
    if result.passed:
        return ["  %s %s" % (PASSED, result.stdout.splitlines()[0] if result.stdout else name + ": passed")]
    lines = [line.strip() for line in result.explanation().splitlines() if line.strip()]
    if lines and lines[0] == "CheckFailed:":  # its message starts on the next line
        lines = lines[1:]
    lines = lines or ["failed"]
    first = lines[0] if lines[0].startswith(name + ":") else "%s: %s" % (name, lines[0])
    return ["  %s %s" % (FAILED, first)] + ["      " + line for line in lines[1:]]


def solution_errors(notebook) -> list[str]:
    """The errors solution and setup cells raised (a broken definition fails its tests)."""
    notes = []
    for cell in notebooks.cells(notebook):
        if cell.kind in (notebooks.SOLUTION, notebooks.SETUP):
            for output in notebook.cells[cell.index].get("outputs", []):
                if output.get("output_type") == "error":
                    notes.append("cell '%s' raised %s: %s" % (cell.name, output.get("ename"), output.get("evalue")))
    return notes
