"""Nothing the student's process sends can make the judging raise.

The child answers with plain data, but which data is the student's choice: their code
runs there and can answer any request with anything the wire carries. So a `Student`
here answers every request with a value Hypothesis draws: the honest answer with
parts of it changed (so that the judging goes past its first checks), a response
whose fields are arbitrary, or no response at all, and now and then a lost process.
Every test of every assignment must turn each of these into a result whose failed
cases say what went wrong, with and without the reference, and stay silent (under
nbgrader a warning on stderr would score the student's cell 0).
"""
import contextlib
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as npst

from autograder import checks
from autograder.checks import compare, gradcheck
from autograder import results
from autograder.results import Status
from autograder.sandbox import Limits, SandboxStudent, Zygote, wire
from autograder.sandbox.in_process import InProcessStudent
from autograder.sandbox.student import ProcessLost, Student
from check_helpers import reference_of, student as namespace_of

# The Keras tests' judging needs the trusted Keras worker: tests/test_keras_worker.py
# feeds it every kind of wire value instead.
JUDGED_ELSEWHERE = {("ps4_keras", "build_classifier"), ("ps4_keras", "run_experiment")}

TESTS = [(name, test) for name in checks.names() for test in checks.tests_for(name)
         if (name, test.function) not in JUDGED_ELSEWHERE]

# Keys the judging looks for, so that drawn dicts often have the right ones.
KEYS = ["W1", "b1", "W2", "b2", "W3", "b3", "value", "error", "warnings", "args_after",
        "type", "types", "message", "traceback", "$array", "$float", "$tuple", "$dict", "$rng",
        wire.UNREPORTABLE]

# --- every value the wire carries ------------------------------------------------------

DTYPES = st.one_of(npst.boolean_dtypes(), npst.integer_dtypes(endianness="?"),
                   npst.unsigned_integer_dtypes(endianness="?"),
                   npst.floating_dtypes(endianness="?", sizes=(16, 32, 64)))
ARRAYS = DTYPES.flatmap(lambda dtype: npst.arrays(
    dtype, npst.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)))
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2 ** 64) + 1, 2 ** 64 - 1),
                    st.floats(), st.text(max_size=12))
NUMBERS = st.sampled_from([float("nan"), float("inf"), -float("inf"), 0.0, -0.0, 1e308, -1e308,
                           5e-324, 2 ** 63, -(2 ** 63), True, 0, -1, 7])
WIRE_VALUES = st.recursive(
    st.one_of(SCALARS, NUMBERS, ARRAYS),
    lambda items: st.one_of(st.lists(items, max_size=4), st.lists(items, max_size=4).map(tuple),
                            st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=6)),
                                            items, max_size=4)),
    max_leaves=8)


def carried(value):
    """`value` exactly as the grader receives it: reduced, encoded and decoded."""
    return wire.decode(wire.encode(wire.to_plain(value)))


@st.composite
def near(draw, value):
    """`value` with some of its parts changed: how a wrong answer looks close up."""
    how = draw(st.sampled_from(["same", "same", "other", "changed", "changed"]))
    if how == "same":
        return value
    if how == "other":
        return draw(WIRE_VALUES)
    if isinstance(value, dict):
        changed = {key: draw(near(item)) for key, item in value.items()}
        if changed and draw(st.booleans()):
            changed.pop(draw(st.sampled_from(sorted(changed))))
        if draw(st.booleans()):
            changed[draw(st.sampled_from(KEYS))] = draw(WIRE_VALUES)
        return changed
    if isinstance(value, (list, tuple)):
        items = [draw(near(item)) for item in value]
        if items and draw(st.booleans()):
            items.pop()
        if draw(st.booleans()):
            items.append(draw(WIRE_VALUES))
        return type(value)(items)
    if isinstance(value, np.ndarray):
        return draw(near_array(value))
    return draw(st.one_of(NUMBERS, WIRE_VALUES))


@st.composite
def near_array(draw, array):
    how = draw(st.sampled_from(["dtype", "special", "transposed", "flat", "empty", "list", "scalar"]))
    if how == "dtype":
        return array.astype(draw(DTYPES))
    if how == "special" and array.size:
        array = array.astype(np.float64)
        array.flat[draw(st.integers(0, array.size - 1))] = draw(NUMBERS)
        return array
    if how == "transposed":
        return array.T
    if how == "flat":
        return array.reshape(-1)
    if how == "empty":
        return array.reshape(-1)[:0]
    if how == "list":
        return array.tolist()
    return draw(NUMBERS)


ERRORS = st.one_of(WIRE_VALUES, st.fixed_dictionaries({}, optional={
    "type": WIRE_VALUES, "types": WIRE_VALUES, "message": WIRE_VALUES, "traceback": WIRE_VALUES}))


@st.composite
def answer(draw, honest):
    """A response to a request whose honest response is `honest`."""
    kind = draw(st.sampled_from(["near", "value", "inputs", "fields", "anything"]))
    if kind == "near":
        return draw(near(honest))
    if kind == "value" and isinstance(honest, dict):
        return dict(honest, value=draw(near(honest.get("value"))))
    if kind == "inputs" and honest.get("args_after"):
        # The right value and one input changed: only then are the inputs judged.
        after = list(honest["args_after"])
        index = draw(st.integers(0, len(after) - 1))
        after[index] = draw(st.one_of(near(after[index]), ARRAYS, WIRE_VALUES))
        return dict(honest, args_after=after)
    if kind == "fields":
        return draw(st.fixed_dictionaries({}, optional={
            "value": WIRE_VALUES, "error": ERRORS, "warnings": WIRE_VALUES,
            "args_after": st.one_of(WIRE_VALUES, near(honest.get("args_after", [])))}))
    return draw(WIRE_VALUES)


@contextlib.contextmanager
def unobserved():
    """Drawing an answer is not judging: its warnings are not the grader's."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


class DrawnStudent(Student):
    """Answers each request with a drawn variation of what the reference would answer."""

    def __init__(self, data, honest: Student):
        self.data = data
        self.honest = honest

    def request(self, op, **params):
        with unobserved():
            honest = self.honest.request(op, **params)
            if self.data.draw(st.integers(0, 40), label="lost") == 0:
                raise ProcessLost(self.data.draw(st.sampled_from([Status.CRASHED, Status.TIMEOUT])),
                                  "the process ended")
            return carried(self.data.draw(answer(honest), label=op))


def judged(test, student, reference):
    """`test.run`, and every warning it emitted."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = test.run(student, reference)
    return result, [str(w.message) for w in caught]


@pytest.mark.parametrize("assignment, test", TESTS, ids=["%s.%s" % (a, t.function) for a, t in TESTS])
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data(), with_reference=st.booleans())
def test_any_answer_ends_as_a_result_with_a_message_per_failed_case(assignment, test, data, with_reference):
    reference = reference_of(assignment)
    honest = InProcessStudent(namespace_of(reference))
    result, warned = judged(test, DrawnStudent(data, honest), reference if with_reference else None)
    assert isinstance(result, results.TestResult)
    assert len(result.cases) == len([case for case in test.cases() if with_reference or case.public])
    for case in result.cases:
        assert case.passed or (isinstance(case.message, str) and case.message.strip()), case
        case.message.encode("utf-8")
    assert 0 <= result.score <= test.points
    assert warned == []


# --- the comparisons, on their own ------------------------------------------------------

# What the grader compares against: numbers, arrays of numbers, and structures of them.
FLOAT_ARRAYS = npst.arrays(np.float64, npst.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
GRADER_VALUES = st.recursive(
    st.one_of(st.floats(), st.integers(-10, 10), FLOAT_ARRAYS),
    lambda items: st.one_of(st.lists(FLOAT_ARRAYS, min_size=1, max_size=3), st.lists(items, max_size=3).map(tuple),
                            st.dictionaries(st.sampled_from(KEYS[:6]), items, max_size=3)),
    max_leaves=6)
# What the grader passes as inputs: besides numbers, strings (an activation's name) and flags.
GRADER_INPUTS = st.one_of(GRADER_VALUES, st.text(max_size=8), st.booleans(), st.none(),
                          st.lists(st.one_of(st.text(max_size=4), FLOAT_ARRAYS), max_size=3))


def silently(function, *args, **kwargs):
    """function(*args, **kwargs), which must not warn."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = function(*args, **kwargs)
    assert [str(w.message) for w in caught] == []
    return value


@settings(max_examples=300, deadline=None)
@given(got=WIRE_VALUES.map(carried), expected=GRADER_VALUES, reveal=st.booleans())
def test_compare_says_in_words_what_differs(got, expected, reveal):
    mismatch = silently(compare.compare, got, expected, reveal=reveal)
    assert mismatch is None or (isinstance(mismatch.text(), str) and mismatch.text())
    assert isinstance(silently(compare.describe, got), str)


@settings(max_examples=300, deadline=None)
@given(after=WIRE_VALUES.map(carried), before=GRADER_INPUTS)
def test_identical_is_true_or_false(after, before):
    assert silently(compare.identical, after, before) in (True, False)
    assert silently(compare.identical, before, before) is True


@settings(max_examples=200, deadline=None)
@given(data=st.data(), shape=npst.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
def test_relative_error_is_a_number_for_arrays_of_one_shape(data, shape):
    got = data.draw(DTYPES.flatmap(lambda dtype: npst.arrays(dtype, shape)))
    right = data.draw(npst.arrays(np.float64, shape))
    error = silently(gradcheck.relative_error, got, right)
    assert isinstance(error, float)


# --- the defects these properties found, one test each ---------------------------------

class Answering(Student):
    """Answers every request with the same data, as a child whose handlers were replaced."""

    def __init__(self, answer):
        self.answer = answer

    def request(self, op, **params):
        return carried(self.answer)


RELU = checks.find("ps1_forward", "relu")


def only_failure(result):
    messages = {case.message for case in result.cases}
    assert not any(case.passed for case in result.cases) and len(messages) == 1
    return messages.pop()


@pytest.mark.parametrize("answer", [None, 3, [1.0], "value"])
def test_an_answer_that_is_not_a_response_fails_each_case(answer):
    message = only_failure(RELU.run(Answering(answer)))
    assert "its answer could not be read" in message


@pytest.mark.parametrize("error", ["boom", 0, [["ValueError"]], np.array([1, 2])])
def test_an_error_that_is_not_a_dict_fails_each_case(error):
    assert "it reported an error as" in only_failure(RELU.run(Answering({"error": error})))


def test_an_error_dict_of_wrong_types_is_read_as_strings_only():
    error = {"type": np.array([1.0, 2.0]), "types": "ValueError", "message": 7}
    assert only_failure(RELU.run(Answering({"error": error}))) == "raised Error"


def test_warnings_that_are_not_a_list_of_strings_are_ignored():
    sigmoid = checks.find("ps1_forward", "sigmoid")
    case = sigmoid.cases()[0]
    result = sigmoid.run(Answering({"value": case.expected, "warnings": 5, "args_after": list(case.args)}))
    assert result.cases[0].passed


def test_inputs_not_reported_back_count_as_changed():
    case = RELU.cases()[0]
    for args_after in ([], None, "x"):
        first = RELU.run(Answering({"value": case.expected, "args_after": args_after})).cases[0]
        assert not first.passed and first.message.startswith("it changed its input x (it could not be reported back: "
                                  "its process did not report it)")


@pytest.mark.parametrize("reason", ["", 3, None])
def test_an_unreportable_input_without_a_readable_reason_says_so(reason):
    case = RELU.cases()[0]
    answer = {"value": case.expected, "args_after": [{wire.UNREPORTABLE: reason}]}
    first = RELU.run(Answering(answer)).cases[0]
    assert "(it could not be reported back: no reason given)" in first.message


def test_a_cell_answered_with_something_other_than_a_response_is_that_cells_error():
    patch = "import sys\nsys.modules['autograder.sandbox.inside.child'].execute_cell = lambda *args: [1]\n"
    zygote = Zygote(("numpy",))
    student = SandboxStudent(zygote, [("patch", patch), ("relu", "def relu(x):\n    return x\n")],
                             Limits(call_timeout=10))
    try:
        result = RELU.run(student)
    finally:
        student.close()
        zygote.close()
    assert "relu is not defined" in only_failure(result)
    assert "it answered with a value of type list instead of a response" in student.cell_errors["relu"]
