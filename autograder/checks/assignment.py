"""What an assignment's checks module declares about itself, for the rest of the package.

Each `checks/<name>.py` ends with `ASSIGNMENT = Assignment(...)`. Everything that
differs between assignments outside their notebook, reference and checks is said
here once, and the command line, the example class, the benchmark, the warm workers
and the workflows learn it from this declaration (see `checks.names`).
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Mistake:
    """A typical mistake: `right` written as `wrong` in the reference answer of `function`.

    Chosen in a function no other graded function calls, so that it costs exactly that
    function's test: the example class's "partial" student makes it, and the tests
    check that nbgrader and the grader both see it.
    """
    function: str
    right: str
    wrong: str

    def applied_to(self, code: str) -> str:
        if self.right not in code:
            raise ValueError("the mistake in %s replaces %r, which its answer does not contain"
                             % (self.function, self.right))
        return code.replace(self.right, self.wrong)


@dataclass(frozen=True)
class Assignment:
    """One graded assignment, as its checks module declares it."""
    name: str  # the module's name, the source notebook's folder and the gradebook's name
    tests: tuple  # one `cases.Test` per graded test cell, in notebook order
    mistake: Mistake
    # What the warm worker imports besides NumPy, so that no child pays for an import
    # (e.g. ("tensorflow", "keras")).
    frameworks: tuple[str, ...] = ()
    # Requests that may take longer than one call: request name -> multiple of the call timeout.
    time_factors: dict = field(default_factory=dict)
    # Whether its checks rebuild Keras objects in the trusted Keras worker
    # (`checks.keras_worker`), which the warm workers then start with the zygote.
    keras_worker: bool = False

    @property
    def grade_ids(self) -> list[str]:
        return [test.grade_id for test in self.tests]

    @property
    def points(self) -> float:
        return sum(test.points for test in self.tests)
