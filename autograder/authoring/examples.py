"""An example class: submissions made from the released notebooks, as students would.

Used by `demo` (a class to grade on a fresh machine), `bench` (honest submissions to
time and to compare with nbgrader) and the tests. Each student is a recipe that
fills in solution cells of the released notebook: with the instructor's solution
(full marks), with the assignment's declared typical mistake (partly wrong), not at all
(blank), with code that tries to cheat, or with code that hangs.
"""
from __future__ import annotations

import copy
import json
import os

from .. import checks
from ..notebooks.program import cell_source, nbgrader_metadata

# Code a student might add to cheat, and a function that never returns.
CHEAT = ("import numpy as np, math, builtins\n"
         "np.allclose = lambda *a, **k: True\n"
         "np.testing.assert_allclose = lambda *a, **k: None\n"
         "np.array_equal = lambda *a, **k: True\n"
         "math.isclose = lambda *a, **k: True\n"
         "try:\n    ANSWERS = open('../../../solutions/%s.py').read()\nexcept OSError:\n    ANSWERS = ''\n"
         "class AlwaysEqual(float):\n    def __eq__(self, other):\n        return True\n"
         "    def __array__(self, *a, **k):\n        return np.zeros(1)\n")
HANG = "def {function}(*args, **kwargs):\n    while True:\n        pass\n"

STUDENTS = ("full", "partial", "blank", "cheater", "hanger")


def solution_cells(notebook: dict) -> dict:
    """grade_id -> source of every solution cell of code (written answers, graded by hand,
    are markdown: not in here)."""
    return {nbgrader_metadata(cell)["grade_id"]: cell_source(cell) for cell in notebook["cells"]
            if nbgrader_metadata(cell).get("solution") and cell.get("cell_type") == "code"}


def filled(released: dict, answers: dict) -> dict:
    """The released notebook with some solution cells replaced, as a student would."""
    notebook = copy.deepcopy(released)
    for cell in notebook["cells"]:
        grade_id = nbgrader_metadata(cell).get("grade_id")
        if nbgrader_metadata(cell).get("solution") and grade_id in answers:
            cell["source"] = answers[grade_id]
            cell["outputs"], cell["execution_count"] = [], None
    return notebook


def answers_of(student: str, assignment: str, source: dict) -> dict:
    """The solution cells `student` writes, from the source notebook's answers."""
    answers = solution_cells(source)
    first = next(iter(answers))
    mistake = checks.declaration(assignment).mistake
    if student == "full":
        return answers
    if student == "partial":
        return {**answers, mistake.function: mistake.applied_to(answers[mistake.function])}
    if student == "blank":
        return {}
    if student == "cheater":
        return {**answers, first: CHEAT % assignment + answers[first],
                mistake.function: "def %s(*args, **kwargs):\n    return AlwaysEqual(0.0)\n" % mistake.function}
    if student == "hanger":
        return {**answers, mistake.function: HANG.format(function=mistake.function)}
    raise ValueError("unknown example student %r (known: %s)" % (student, ", ".join(STUDENTS)))


def write_submission(course_root: str, assignment: str, student: str, notebook: dict) -> str:
    """Put a notebook where nbgrader's collect would: submitted/<student>/<assignment>/."""
    folder = os.path.join(course_root, "submitted", student, assignment)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, assignment + ".ipynb")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(notebook, handle, indent=1)
    return path


def released_notebook(course_root: str, assignment: str) -> dict:
    with open(os.path.join(course_root, "release", assignment, assignment + ".ipynb")) as handle:
        return json.load(handle)


def write_class(course_root: str, assignment: str, students=STUDENTS, copies: int = 1) -> list[str]:
    """Example submissions for `assignment` in a released course; returns student ids."""
    with open(os.path.join(course_root, "assignments", assignment, assignment + ".ipynb")) as handle:
        source = json.load(handle)
    released = released_notebook(course_root, assignment)
    ids = []
    for kind in students:
        notebook = filled(released, answers_of(kind, assignment, source))
        for copy_number in range(copies):
            student = kind if copies == 1 else "%s-%03d" % (kind, copy_number)
            write_submission(course_root, assignment, student, notebook)
            ids.append(student)
    return ids
