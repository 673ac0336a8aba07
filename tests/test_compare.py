"""Comparisons: shape, then finiteness, then values; and messages a student can act on."""
import numpy as np
import pytest

from autograder.checks.compare import compare, compare_arrays, describe, fmt, identical


def test_values_within_tolerance_agree():
    assert compare(np.array([1.0, 2.0]), np.array([1.0 + 1e-9, 2.0])) is None
    assert compare(1e-9, 0.0) is None  # the absolute tolerance covers values near 0


def test_values_beyond_tolerance_differ_and_are_shown_when_public():
    mismatch = compare(np.array([1.0, 2.1]), np.array([1.0, 2.0]))
    assert mismatch.kind == "value"
    assert mismatch.text() == "expected [1., 2.], got [1. , 2.1]"


def test_hidden_values_are_not_revealed():
    mismatch = compare(np.array([1.0, 2.5]), np.array([1.0, 2.0]), reveal=False)
    assert mismatch.text() == "1 of 2 values differ from the correct ones (largest relative error 0.2)"
    assert "2." not in mismatch.text().split("error")[0]


def test_large_arrays_show_the_first_difference_only():
    expected = np.zeros((5, 5))
    got = expected.copy()
    got[2, 3] = 1.0
    assert compare(got, expected).text() == (
        "1 of 25 values differ; first at index (2, 3): expected 0, got 1")


def test_shape_is_checked_before_values():
    mismatch = compare(np.zeros((2, 3)), np.zeros((3, 2)))
    assert mismatch.kind == "shape"
    assert mismatch.text() == "expected an array of shape (3, 2), got an array of shape (2, 3)"


def test_a_list_is_compared_as_an_array_and_described_as_a_list():
    assert compare([1.0, 2.0], np.array([1.0, 2.0])) is None
    assert compare([1.0, 2.0, 3.0], np.zeros((1, 3))).text() == (
        "expected an array of shape (1, 3), got a list (an array of shape (3,))")


def test_a_single_number_is_not_an_array_of_one():
    assert compare(np.array([0.5]), 0.5).text() == "expected a single number, got an array of shape (1,)"
    assert compare(np.float64(0.5), 0.5) is None and compare(np.array(0.5), 0.5) is None


def test_nonfinite_values_are_named_before_values():
    mismatch = compare(np.array([1.0, np.inf]), np.array([1.0, 2.0]))
    assert mismatch.kind == "nonfinite"
    assert mismatch.text() == "got inf at index [1] where a finite number was expected"


def test_nan_where_nan_is_expected_agrees():
    assert compare(np.array([np.nan, 1.0]), np.array([np.nan, 1.0])) is None
    assert compare(np.array([0.0, 1.0]), np.array([np.nan, 1.0])) is not None


@pytest.mark.parametrize("got, words", [
    (None, "got None"), ("text", "got the string 'text'"), ({"a": 1}, "got a dict with keys ['a']"),
    ([[1.0], [1.0, 2.0]], "got a list of 2 items"), ((1.0, 2.0), "got a tuple of 2 values"),
], ids=["None", "string", "dict", "ragged list", "tuple of numbers"])
def test_values_that_are_not_numbers_are_described(got, words):
    mismatch = compare_arrays(got, np.zeros(3))
    assert words in mismatch.text()


def test_overflowing_differences_compare_silently():
    with np.errstate(all="raise"):
        assert compare(np.array([1e308, -1e308]), np.array([-1e308, 1.0])).kind == "value"


def test_dicts_name_the_missing_and_unexpected_keys_and_the_wrong_part():
    expected = {"W": np.zeros(2), "b": np.zeros(1)}
    assert compare({"W": np.zeros(2), "c": 1}, expected).text() == (
        "the dict has missing keys ['b'] and unexpected keys ['c'] (expected keys ['W', 'b'])")
    assert compare({"W": np.ones(2), "b": np.zeros(1)}, expected).text() == (
        "['W']: expected [0., 0.], got [1., 1.]")
    assert compare([np.zeros(2)], expected).text() == (
        "expected a dict with keys ['W', 'b'], got a list (an array of shape (1, 2))")


def test_tuples_name_their_parts():
    expected = (np.zeros(2), np.ones(2))
    assert compare((np.zeros(2), np.zeros(2)), expected, names=("param", "velocity")).text() == (
        "velocity: expected [1., 1.], got [0., 0.]")
    assert compare(np.zeros(2), expected, names=("param", "velocity")).text() == (
        "expected a tuple of 2 values (param, velocity), got an array of shape (2,)")
    assert compare((np.zeros(2),), expected).text() == "expected a tuple of 2 values, got 1 values"
    assert compare([np.zeros(2), np.ones(2)], expected) is None


def test_lists_of_arrays_are_compared_item_by_item():
    expected = [np.array([3, 1]), np.array([0, 2]), np.array([4])]
    assert compare([np.array([3, 1]), np.array([0, 2]), np.array([4])], expected, rtol=0, atol=0) is None
    assert compare([np.array([3, 1]), np.array([0, 2])], expected).text() == (
        "expected a list of 3 arrays, got 2")
    assert compare([np.array([3, 1]), np.array([2, 0]), np.array([4])], expected).text() == (
        "item 1: expected [0., 2.], got [2., 0.]")


def test_lists_of_pairs_name_the_item_and_its_part():
    expected = [(np.ones((2, 1)), np.zeros(1)), (np.ones((1, 3)), np.zeros(3))]
    assert compare([(np.ones((2, 1)), np.zeros(1)), [np.ones((1, 3)), np.zeros(3)]], expected) is None
    assert compare([(np.ones((2, 1)), np.zeros(1))], expected).text() == "expected a list of 2 items, got 1"
    assert compare([(np.ones((2, 1)), np.zeros(1)), (np.ones((3, 1)), np.zeros(3))], expected).text() == (
        "item 1, element 0: expected an array of shape (1, 3), got an array of shape (3, 1)")
    assert compare(np.zeros(3), expected).text() == "expected a list of 2 items, got an array of shape (3,)"


@pytest.mark.parametrize("a, b, same", [
    (np.array([1.0, np.nan]), np.array([1.0, np.nan]), True),
    (np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-15]), False),
    (np.zeros((1, 2)), np.zeros(2), False),
    ({"W": np.zeros(2)}, {"W": np.zeros(2)}, True),
    ({"W": np.zeros(2)}, {"V": np.zeros(2)}, False),
    ([np.zeros(2), "s"], [np.zeros(2), "s"], True),
    (None, None, True),
    ("a", "b", False),
    (np.array([1.0, 2.0]), "relu", False),
    (np.array([]), None, False),
    ((0.0, np.zeros(0)), (0.0, np.zeros(0)), True),
    ([], (0.0, np.zeros(0)), False),
    ([(np.zeros((2, 1)), np.zeros(1))], [(np.zeros((2, 1)), np.zeros(1))], True),
    ([(np.zeros((2, 1)), np.zeros(1))], [(np.ones((2, 1)), np.zeros(1))], False),
], ids=["nan", "tiny difference", "shape", "dict", "dict keys", "mixed list", "None", "strings",
        "an array for a string", "an empty array for None", "numbers of no one shape",
        "an empty list for numbers of no one shape", "list of pairs", "list of pairs changed"])
def test_identical_is_exact(a, b, same):
    assert identical(a, b) is same


def test_fmt_and_describe_are_short_and_plain():
    assert fmt(0.1 + 0.2) == "0.3"
    assert fmt(np.array([[1.0, 2.0], [3.0, 4.0]])) == "[[1., 2.], [3., 4.]]"
    assert describe(np.zeros((2, 3))) == "an array of shape (2, 3)"
    assert describe(3.0) == "a single number"
    assert describe((1, "a")) == "a tuple of 2 values"
