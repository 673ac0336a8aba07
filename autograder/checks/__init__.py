"""Judging on the trusted side: each assignment's tests, and what they are built from.

One module per assignment (`ps1_forward.py`, ...) declares its `ASSIGNMENT`
(`assignment.Assignment`); the others are the parts they share: the test and case
model (`cases`), value comparison (`compare`), numerical gradients (`gradcheck`), the
reference solutions and mistake models (`reference`), what the student's notebook knows
of those models (`fingerprints`), and Keras: which configs may be rebuilt
(`keras_config`), rebuilding and running them (`keras_rebuild`) in the trusted Keras
worker (`keras_worker`), and judging what the rebuilt model is and does (`keras_model`).
Assignments are discovered: a module of this package that declares `ASSIGNMENT` is one.
"""
from __future__ import annotations

import functools
import pkgutil
from importlib import import_module

from ..errors import UsageError
from .assignment import Assignment


@functools.lru_cache(maxsize=None)
def names() -> tuple[str, ...]:
    """Every assignment of the package, sorted."""
    found = []
    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_") and isinstance(
                getattr(import_module("." + module.name, __name__), "ASSIGNMENT", None), Assignment):
            found.append(module.name)
    return tuple(sorted(found))


@functools.lru_cache(maxsize=None)
def declaration(name: str) -> Assignment:
    """What assignment `name` declares (only its own module is imported)."""
    try:
        module = import_module("." + name, __name__) if name.isidentifier() else None
    except ModuleNotFoundError:
        module = None
    declared = getattr(module, "ASSIGNMENT", None)
    if not isinstance(declared, Assignment):
        raise UsageError("unknown assignment %r (expected one of %s)" % (name, ", ".join(names())))
    if declared.name != name:
        raise UsageError("checks/%s.py declares the assignment %r: the two names must be the same"
                         % (name, declared.name))
    return declared


def module_for(name: str):
    """The checks module of assignment `name` (which the warm worker preloads)."""
    return import_module("." + declaration(name).name, __name__)


def tests_for(name: str) -> list:
    """The assignment's tests (one per graded test cell), in notebook order."""
    return list(declaration(name).tests)


def find(assignment: str, name: str):
    """The test of one function, by function name or grade_id."""
    for test in tests_for(assignment):
        if name in (test.function, test.grade_id):
            return test
    raise ValueError("%s has no test named %r (it has: %s)" % (
        assignment, name, ", ".join(test.function for test in tests_for(assignment))))
