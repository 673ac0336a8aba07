"""Each assignment's graded tests, one module per assignment, in notebook order."""
from importlib import import_module

ASSIGNMENTS = ("ps1_forward", "ps2_learning", "ps3_backprop", "ps4_keras")


def module_for(assignment: str):
    """The checks module of `assignment`."""
    if assignment not in ASSIGNMENTS:
        raise ValueError("unknown assignment %r (expected one of %s)"
                         % (assignment, ", ".join(ASSIGNMENTS)))
    return import_module("." + assignment, __name__)


def tests_for(assignment: str) -> list:
    """The assignment's tests (one per graded test cell), in notebook order."""
    return list(module_for(assignment).TESTS)


def find(assignment: str, name: str):
    """The test of one function, by function name or grade_id."""
    for test in tests_for(assignment):
        if name in (test.function, test.grade_id):
            return test
    raise ValueError("%s has no test named %r (it has: %s)" % (
        assignment, name, ", ".join(test.function for test in tests_for(assignment))))
