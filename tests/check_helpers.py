"""Shared by the checks' tests: grading a namespace in this process, and dishonest answers.

A "student" here is a namespace dict, usually the reference module's with one function
swapped for a variant, graded through `InProcessStudent`, so every answer crosses the
same plain-data boundary it would cross from a sandboxed child.
"""
import dataclasses
import functools
from pathlib import Path

import numpy as np

from autograder.checks import reference
from autograder.checks.cases import MISSING
from autograder.checks.compare import compare
from autograder.sandbox.in_process import InProcessStudent

REPO = Path(__file__).resolve().parents[1]


@functools.lru_cache(maxsize=None)
def reference_of(assignment):
    """One `Reference` per assignment for the whole test process, as a grading worker keeps."""
    return reference.load(assignment, root=REPO)


def student(ref, **functions) -> dict:
    """The namespace of a reference solution (`ref.module`) with some functions replaced."""
    namespace = dict(vars(ref.module))
    namespace.update(functions)
    return namespace


def grade(test, namespace, ref=None):
    return test.run(InProcessStudent(namespace), ref)


def failures(result) -> str:
    """Every failing case's message, one per line, to match hints against."""
    return "\n".join("%s: %s" % (case.label, case.message) for case in result.cases if not case.passed)


def passed_fraction(result) -> float:
    return sum(case.passed for case in result.cases) / len(result.cases)


def public_literals(tests):
    """(test, case) for every public case whose expected value ships as data."""
    return [(test, case) for test in tests for case in test.cases()
            if case.public and case.expected is not MISSING]


def literal_drift(test, case, ref):
    """How the shipped expected value differs from what the reference computes (None: not at all)."""
    computed = test.expected(ref, dataclasses.replace(case, expected=MISSING))
    mismatch = compare(case.expected, computed, rtol=1e-12, atol=1e-15)
    return mismatch and mismatch.text()


# --- answers that try to pass for something they are not ------------------------------

class LyingArray(np.ndarray):
    """An ndarray subclass whose every conversion and comparison claims another value."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self.claimed, dtype=dtype)

    def __float__(self):
        return float(np.asarray(self.claimed))

    def tolist(self):
        return np.asarray(self.claimed).tolist()


def lying_array(real, claimed):
    array = np.array(real, dtype=float).view(LyingArray)
    array.claimed = claimed
    return array


class LyingFloat(float):
    """A float that says it equals anything and converts to the value it claims."""

    def __new__(cls, real, claimed):
        value = super().__new__(cls, real)
        value.claimed = claimed
        return value

    def __eq__(self, other):
        return True

    def __float__(self):
        return float(self.claimed)

    __hash__ = float.__hash__


class Impostor:
    """Not a number at all, but converts to the right answer whenever asked."""

    def __init__(self, claimed):
        self.claimed = claimed

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self.claimed, dtype=dtype)

    def __float__(self):
        return float(np.asarray(self.claimed))

    def __eq__(self, other):
        return True

    def __len__(self):
        return len(np.atleast_1d(self.claimed))

    __hash__ = object.__hash__
