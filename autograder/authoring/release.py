"""Release assignments: nbgrader's student version, verified before anyone hands it out.

`release` runs nbgrader's generate_assignment (release/<name>/), then proves that
1. nothing in release/<name>/ gives an answer away (see `leaks`);
2. every graded function is there as a stub, and every test cell with the points of
   its check in autograder/checks/<name>.py;
3. with the hidden tests, the source notebook earns full marks and the released stubs
   earn zero: both run in real kernels and are scored the way nbgrader scores them.
A release that fails is deleted, and the error names the cell, file or test.
"""
from __future__ import annotations

import ast
import contextlib
import copy
import os
import shutil
import sys
import tempfile

from .. import checks
from ..course import Course
from ..errors import GraderFault
from ..notebooks import cells as notebooks
from ..notebooks import kernel, scoring
from . import leaks

DEFAULT_TIMEOUT = 300  # seconds per cell, as nbgrader_config.py gives nbgrader


class ReleaseError(GraderFault):
    """The release is unsafe or wrong; the message lists every problem found."""


def release(course_root: str, assignments: list[str], timeout: float = DEFAULT_TIMEOUT) -> list[str]:
    """Generate and verify `assignments`; one summary line each, or ReleaseError."""
    course = Course.at(course_root)
    generate(course, assignments)
    sources = {name: notebooks.read(course.source_notebook(name)) for name in checks.names()
               if os.path.isfile(course.source_notebook(name))}
    released = {name: notebooks.read(released_notebook(course, name)) for name in assignments}
    secrets = leaks.course_secrets(sources, os.path.join(course.root, "solutions"))
    problems = {name: leaks.find_leaks(released_dir(course, name), secrets)
                + structure_problems(name, sources[name], released[name]) for name in assignments}
    sound = {name: sources[name] for name in assignments if not problems[name]}
    problems.update(score_problems(course, sound, released, timeout))
    _give_up_on_failure(course, problems)
    return [summary(name) for name in assignments]


def released_dir(course: Course, assignment: str) -> str:
    return os.path.join(course.root, "release", assignment)


def released_notebook(course: Course, assignment: str) -> str:
    return os.path.join(released_dir(course, assignment), assignment + ".ipynb")


def _give_up_on_failure(course: Course, problems: dict[str, list[str]]) -> None:
    """Delete every failed release (so nobody hands it out) and raise with all problems."""
    failed = {name: found for name, found in problems.items() if found}
    if not failed:
        return
    lines = []
    for name, found in failed.items():
        shutil.rmtree(released_dir(course, name), ignore_errors=True)
        lines += ["%s: %s" % (name, problem) for problem in found]
        lines.append("%s: release/%s was deleted: it failed verification, do not hand it out" % (name, name))
    raise ReleaseError("\n".join(lines))


# --- generating ------------------------------------------------------------------------

def generate(course: Course, assignments: list[str]) -> None:
    """nbgrader generate_assignment --force, through nbgrader's Python API.

    One process for all assignments: importing nbgrader takes seconds, generating one
    takes a fraction of that.
    """
    missing = [name for name in assignments if not os.path.isfile(course.source_notebook(name))]
    if missing:
        raise ReleaseError("\n".join("%s: no source notebook at %s" % (name, course.source_notebook(name))
                                     for name in missing))
    from nbgrader.apps import NbGraderAPI
    from traitlets.config.loader import PyFileConfigLoader

    with _nbgrader_environment():
        config = PyFileConfigLoader("nbgrader_config.py", path=course.root).load_config()
        api = NbGraderAPI(config=config)
        for assignment in assignments:
            result = api.generate_assignment(assignment, force=True)
            if not result["success"]:
                raise ReleaseError("%s: nbgrader generate_assignment failed:\n%s"
                                   % (assignment, result.get("error") or result.get("log", "")))


@contextlib.contextmanager
def _nbgrader_environment():
    """`alembic` on PATH (nbgrader runs it to create the gradebook), and this process's
    environment restored afterwards (nbgrader_config.py sets variables for kernels)."""
    saved = dict(os.environ)
    os.environ["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


# --- structure -------------------------------------------------------------------------

def structure_problems(assignment: str, source, released) -> list[str]:
    """Every graded function a stub in the release, every test cell there with its points."""
    problems = []
    stubs = notebooks.solution_cells(released)
    tests = {"source": notebooks.test_cells(source), "release": notebooks.test_cells(released)}
    for test in checks.tests_for(assignment):
        stub = stubs.get(test.function)
        if stub is None:
            problems.append("the release has no solution cell '%s'" % test.function)
        elif not is_stub(stub.source, test.function):
            problems.append("released solution cell '%s' does not define %s as a stub that raises "
                            "NotImplementedError" % (test.function, test.function))
        for where, cells in tests.items():
            cell = cells.get(test.grade_id)
            if cell is None:
                problems.append("the %s has no test cell '%s'" % (where, test.grade_id))
            elif cell.points != test.points:
                problems.append("%s test cell '%s' is worth %g points, but its check %g"
                                % (where, test.grade_id, cell.points, test.points))
            elif where == "source" and not notebooks.hidden_tests(cell.source):
                problems.append("source test cell '%s' has no hidden tests (between %s and %s)"
                                % (test.grade_id, notebooks.BEGIN_HIDDEN, notebooks.END_HIDDEN))
    known = {test.grade_id for test in checks.tests_for(assignment)}
    problems += ["source test cell '%s' has no check in autograder/checks/%s.py" % (name, assignment)
                 for name in tests["source"] if name not in known]
    return problems


def is_stub(source: str, function: str) -> bool:
    """Does the cell define `function` with a body that raises NotImplementedError?"""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == function:
            return any(isinstance(inner, ast.Raise) and "NotImplementedError" in ast.unparse(inner)
                       for inner in ast.walk(node))
    return False


# --- scores ----------------------------------------------------------------------------

def score_problems(course: Course, sources: dict, released: dict, timeout: float) -> dict[str, list[str]]:
    """Run source and stubs with the hidden tests; full marks and zero are expected.

    Only releases that passed the other checks are run: a leaky one fails anyway.
    """
    names = list(sources)
    with tempfile.TemporaryDirectory(prefix="release-check-") as scratch:
        runs = []
        for name in names:
            for variant, notebook in (("source", sources[name]), ("stubs", with_tests_of(released[name], sources[name]))):
                cwd = os.path.join(scratch, name, variant)
                os.makedirs(cwd)
                runs.append(kernel.Run(notebook, cwd, {"DLCOURSE_ROOT": course.root}))
        executed = iter(kernel.execute(runs, timeout=timeout))  # source, stubs, source, stubs, ...
    return {name: _expect(next(executed), "the source notebook", full_marks=True)
            + _expect(next(executed), "the released stubs", full_marks=False) for name in names}


def with_tests_of(released, source):
    """The released notebook with the source's test cells (hidden tests included) put
    back, as `nbgrader autograde` does before it runs a submission."""
    notebook = copy.deepcopy(released)
    source_tests = notebooks.test_cells(source)
    for cell in notebooks.test_cells(notebook).values():
        if cell.name in source_tests:
            notebook.cells[cell.index].source = source_tests[cell.name].source
    return notebook


def _expect(run: kernel.Executed, label: str, full_marks: bool) -> list[str]:
    problems = ["%s stopped running: %s" % (label, run.error)] if run.error else []
    for outcome in scoring.test_cell_scores(run.notebook):
        expected = outcome.max_score if full_marks else 0.0
        if outcome.score != expected:
            problems.append("%s scored %g of %g on %s (expected %g): %s" % (
                label, outcome.score, outcome.max_score, outcome.grade_id, expected,
                _first_lines(outcome.explanation())))
    return problems


def _first_lines(text: str, count: int = 4) -> str:
    lines = [line.strip() for line in text.strip().splitlines()]
    return "\n    ".join(lines[:count] + (["..."] if len(lines) > count else []))


def summary(assignment: str) -> str:
    tests = checks.tests_for(assignment)
    total = sum(test.points for test in tests)
    return ("%s: release/%s verified: no answers in it; %d stubs and test cells; with the hidden "
            "tests the source scores %g of %g and the stubs 0" % (
                assignment, assignment, len(tests), total, total))
