"""Course copies, nbgrader commands and students' notebooks for the tests that run nbgrader."""
import copy
import os
import subprocess
import sys

import nbformat
import numpy as np

from autograder import checks
from autograder import nbgrader_commands
from autograder.checks import reference
from autograder.notebooks import cells as notebooks
from autograder.course import Course
from autograder.nbgrader_commands import copy_course
from autograder.sandbox.in_process import InProcessStudent

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def course_copy(folder) -> str:
    """A fresh course in `folder`: configuration, source notebooks and reference solutions."""
    return copy_course(Course.at(REPO), str(folder)).root


def run(command, cwd, env=None) -> subprocess.CompletedProcess:
    """A command's result, output captured (PATH already holds this Python's bin, see conftest)."""
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)


def nbgrader(course, *args) -> str:
    """`nbgrader <args>` in the course; its output, or a failure that shows it."""
    done = run([sys.executable, "-m", "nbgrader", *args], cwd=course)
    assert done.returncode == 0, "nbgrader %s failed:\n%s" % (" ".join(args), (done.stdout + done.stderr)[-4000:])
    return done.stdout + done.stderr


def autograder_command(*args, cwd, env=None) -> subprocess.CompletedProcess:
    return run([sys.executable, "-m", "autograder", *args], cwd=cwd, env=env)


def source_notebook(course, assignment):
    return notebooks.read(os.path.join(course, "assignments", assignment, assignment + ".ipynb"))


def released_notebook(course, assignment):
    return notebooks.read(os.path.join(course, "release", assignment, assignment + ".ipynb"))


def answers(source) -> dict:
    """What a student who got everything right writes in each solution cell."""
    return {name: "\n".join(line for line in cell.source.splitlines()
                            if line.strip() not in (notebooks.BEGIN_SOLUTION, notebooks.END_SOLUTION))
            for name, cell in notebooks.solution_cells(source).items()}


def with_mistake(answers_by_cell: dict, function: str, right: str, wrong: str) -> dict:
    """The answers with `right` replaced by `wrong` in `function`'s cell."""
    assert right in answers_by_cell[function], (function, right)
    return {**answers_by_cell, function: answers_by_cell[function].replace(right, wrong)}


def filled(released, answers_by_cell: dict):
    """The released notebook with solution cells written in, and nothing else changed."""
    notebook = copy.deepcopy(released)
    for name, cell in notebooks.solution_cells(notebook).items():
        if name in answers_by_cell:
            notebook.cells[cell.index].source = answers_by_cell[name]
    return notebook


def submit(course, student, assignment, notebook) -> str:
    """Put a notebook where nbgrader collects it: submitted/<student>/<assignment>/."""
    folder = os.path.join(course, "submitted", student, assignment)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, assignment + ".ipynb")
    nbformat.write(notebook, path)
    return path


def gradebook_scores(course, assignment) -> dict:
    """{student: {grade_id: score}} as nbgrader's gradebook recorded them."""
    return nbgrader_commands.gradebook_scores(Course.at(course), assignment)


def check_score(course, assignment, answers_by_cell: dict, function: str) -> float:
    """What the check of `function` gives these answers, run here with every case.

    The answers are only definitions; the functions this is used on need nothing but
    NumPy and the answers before them.
    """
    namespace = {"np": np}
    for code in answers_by_cell.values():
        exec(code, namespace)  # noqa: S102 (the course's own answers)
    test = checks.find(assignment, function)
    return test.run(InProcessStudent(namespace), reference.load(assignment, course)).score
