"""Every assignment's checks against its reference solution: the answer key gets full
marks (public cases alone, and all cases), and every expected value shipped as data
for the public cases is what the reference computes, so the data cannot drift."""
import pytest

from autograder import checks
from autograder.checks.cases import FunctionTest
from check_helpers import grade, literal_drift, public_literals, reference_of

TESTS = [(assignment, test) for assignment in checks.names() for test in checks.tests_for(assignment)]
# Tests that train Keras models for each grading: over 4 s each, so in the slow tier.
TRAINING = {"run_experiment"}


@pytest.mark.parametrize("full", [False, True], ids=["public", "full"])
@pytest.mark.parametrize("assignment, test", [
    pytest.param(assignment, test, marks=[pytest.mark.slow] if test.function in TRAINING else [])
    for assignment, test in TESTS], ids=lambda item: getattr(item, "function", item))
def test_the_reference_gets_full_marks(assignment, test, full):
    ref = reference_of(assignment)
    result = grade(test, dict(vars(ref.module)), ref if full else None)
    assert result.passed, result.message()
    assert result.score == test.points


LITERALS = public_literals(test for _, test in TESTS if isinstance(test, FunctionTest))


@pytest.mark.parametrize("test, case", LITERALS,
                         ids=lambda item: getattr(item, "function", None) or getattr(item, "label", ""))
def test_public_expected_values_are_the_references(test, case):
    assignment = next(name for name, t in TESTS if t is test)
    assert literal_drift(test, case, reference_of(assignment)) is None
