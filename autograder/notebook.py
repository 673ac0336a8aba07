"""What an assignment notebook's test cells call.

The setup cell creates `tests = Tests("ps1_forward", globals())`; each test cell is

    ### BEGIN HIDDEN TESTS
    tests.include_hidden()
    ### END HIDDEN TESTS
    tests.check("relu")

In the released notebook the hidden lines are gone: `check` runs the public cases and
either confirms them or raises `CheckFailed` with a message saying which case failed,
what was expected, what came back and, where a common mistake is recognised, a hint.
Under `nbgrader autograde` the hidden lines load the reference solutions, `check` runs
every case and returns the points earned, which nbgrader records as partial credit.
These are the same checks the batch grader runs, on the same cases.
"""
from __future__ import annotations

from . import checks
from .checks import keras_worker, reference
from .sandbox.in_process import InProcessStudent


class CheckFailed(AssertionError):
    """A public test case failed; the message says which and why."""


class Tests:
    def __init__(self, assignment: str, namespace: dict):
        checks.tests_for(assignment)  # fail early on a misspelt assignment name
        keras_worker.judge_in_this_process()  # the student's own kernel: no second TensorFlow
        self.assignment = assignment
        self.namespace = namespace
        self.reference = None

    def include_hidden(self) -> None:
        """Grade with every case, hidden ones too (needs the reference solutions)."""
        if self.reference is None:
            self.reference = reference.load(self.assignment)

    def check(self, name: str):
        """Run the test of function `name`; see the module docstring."""
        __tracebackhide__ = True  # noqa: F841 (IPython hides this frame in tracebacks)
        test = checks.find(self.assignment, name)
        result = test.run(InProcessStudent(self.namespace), self.reference)
        if self.reference is not None:
            print(result.message())
            return float(result.score)
        if not result.passed:
            raise CheckFailed("\n" + result.message(max_failures=3, points=False)) from None
        print("%s: all %d public cases passed. More cases run when your work is graded."
              % (name, len(result.cases)))
        return None
