"""Compare a student's value with the expected one: shape, then finiteness, then values.

`compare` returns None when the values agree, or a `Mismatch` whose message says what
differs in words a student can act on. Structures (tuples, dicts, lists of arrays)
are compared part by part, and the message names the part.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RTOL = 1e-6
ATOL = 1e-8
SHOW_VALUES_UP_TO = 12  # arrays this small are printed whole in messages


@dataclass
class Mismatch:
    kind: str  # "type", "shape", "nonfinite" or "value"
    message: str
    where: str = ""  # the part of a structure, e.g. "['W2']" or "element 1"

    def text(self) -> str:
        return "%s: %s" % (self.where, self.message) if self.where else self.message


def compare(got, expected, rtol=RTOL, atol=ATOL, reveal=True, names=None):
    """Compare plain data `got` with `expected`; `reveal` prints expected values."""
    if isinstance(expected, dict):
        return _compare_dict(got, expected, rtol, atol, reveal)
    if isinstance(expected, tuple):
        return _compare_tuple(got, expected, rtol, atol, reveal, names)
    if isinstance(expected, list) and any(isinstance(item, (np.ndarray, tuple)) for item in expected):
        return _compare_list(got, expected, rtol, atol, reveal)
    return compare_arrays(got, expected, rtol, atol, reveal)


def _compare_dict(got, expected, rtol, atol, reveal):
    if not isinstance(got, dict):
        return Mismatch("type", "expected a dict with keys %s, got %s" % (sorted(expected), describe(got)))
    missing = sorted(set(expected) - set(got))
    extra = sorted(set(got) - set(expected))
    if missing or extra:
        parts = []
        if missing:
            parts.append("missing keys %s" % missing)
        if extra:
            parts.append("unexpected keys %s" % extra)
        return Mismatch("type", "the dict has %s (expected keys %s)" % (" and ".join(parts), sorted(expected)))
    for key in expected:
        mismatch = compare(got[key], expected[key], rtol, atol, reveal)
        if mismatch:
            mismatch.where = "[%r]%s" % (key, mismatch.where)
            return mismatch
    return None


def _compare_tuple(got, expected, rtol, atol, reveal, names):
    label = "a tuple of %d values" % len(expected)
    if names:
        label += " (%s)" % ", ".join(names)
    if not isinstance(got, (tuple, list)):
        return Mismatch("type", "expected %s, got %s" % (label, describe(got)))
    if len(got) != len(expected):
        return Mismatch("type", "expected %s, got %d values" % (label, len(got)))
    for index, (got_item, expected_item) in enumerate(zip(got, expected)):
        mismatch = compare(got_item, expected_item, rtol, atol, reveal)
        if mismatch:
            part = names[index] if names else "element %d" % index
            mismatch.where = "%s%s" % (part, mismatch.where)
            return mismatch
    return None


def _compare_list(got, expected, rtol, atol, reveal):
    """A list of arrays, or of tuples of arrays (e.g. a network's (W, b) pairs), item by item."""
    kind = "arrays" if all(isinstance(item, np.ndarray) for item in expected) else "items"
    if not isinstance(got, (list, tuple)):
        return Mismatch("type", "expected a list of %d %s, got %s" % (len(expected), kind, describe(got)))
    if len(got) != len(expected):
        return Mismatch("shape", "expected a list of %d %s, got %d" % (len(expected), kind, len(got)))
    for index, (got_item, expected_item) in enumerate(zip(got, expected)):
        mismatch = compare(got_item, expected_item, rtol, atol, reveal)
        if mismatch:
            mismatch.where = "item %d%s" % (index, ", " + mismatch.where if mismatch.where else "")
            return mismatch
    return None


def compare_arrays(got, expected, rtol=RTOL, atol=ATOL, reveal=True):
    """Shape first, then finiteness, then values within rtol/atol (as np.isclose)."""
    expected = np.asarray(expected, dtype=np.float64)
    array = as_float_array(got)
    if array is None:
        return Mismatch("type", "expected %s, got %s" % (describe_shape(expected.shape), describe(got)))
    if array.shape != expected.shape:
        return Mismatch("shape", "expected %s, got %s" % (describe_shape(expected.shape), describe(got)))
    nonfinite = ~np.isfinite(array) & np.isfinite(expected)
    if nonfinite.any():
        index = _first(nonfinite)
        return Mismatch("nonfinite", "got %s%s where a finite number was expected" % (
            array[index], _at(index)))
    # Silent even on overflowing differences: under nbgrader any output to stderr
    # would score the student's test cell 0.
    with np.errstate(all="ignore"):
        close = np.isclose(array, expected, rtol=rtol, atol=atol, equal_nan=True)
        if close.all():
            return None
        return Mismatch("value", _value_message(array, expected, close, reveal))


def identical(a, b) -> bool:
    """Exact equality of plain data (NaN equals NaN), e.g. an input before and after a call."""
    if isinstance(b, dict):
        return isinstance(a, dict) and a.keys() == b.keys() and all(identical(a[k], b[k]) for k in b)
    if isinstance(b, (list, tuple)) and as_float_array(b) is None:  # not one array of numbers
        return isinstance(a, (list, tuple)) and len(a) == len(b) and all(map(identical, a, b))
    if isinstance(b, str) or b is None:
        return type(a) is type(b) and a == b  # an array == a string would compare elementwise
    x, y = as_float_array(a), as_float_array(b)
    return x is not None and y is not None and x.shape == y.shape and \
        bool(np.array_equal(x, y, equal_nan=True))


def as_float_array(value):
    """`value` as a float64 array, or None if it is not numbers of a regular shape."""
    if isinstance(value, (dict, str)) or value is None:
        return None
    if isinstance(value, (list, tuple)) and not _all_numeric(value):
        return None
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def _all_numeric(value):
    if isinstance(value, (list, tuple)):
        return all(_all_numeric(item) for item in value)
    return isinstance(value, (bool, int, float, np.ndarray, np.generic))


def _value_message(array, expected, close, reveal):
    wrong = ~close
    count = int(wrong.sum())
    index = _first(wrong)
    if reveal and expected.size <= SHOW_VALUES_UP_TO:
        return "expected %s, got %s" % (fmt(expected), fmt(array))
    if reveal:
        return "%d of %d values differ; first%s: expected %s, got %s" % (
            count, expected.size, _at(index), fmt(expected[index]), fmt(array[index]))
    scale = np.maximum(np.abs(expected), np.abs(array))
    relative = np.abs(array - expected) / np.where(scale > 0, scale, 1)
    return "%d of %d values differ from the correct ones (largest relative error %.3g)" % (
        count, expected.size, float(np.nanmax(np.where(wrong, relative, 0))))


def _first(mask):
    return tuple(int(i) for i in np.argwhere(mask)[0]) if mask.ndim else ()


def _at(index):
    if not index:
        return ""
    return " at index %s" % ("[%d]" % index[0] if len(index) == 1 else str(index))


def fmt(value) -> str:
    """Short, readable numbers: 6 significant digits, no scientific clutter."""
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 0:
        return "%.6g" % array
    text = np.array2string(array, precision=6, suppress_small=True, separator=", ",
                           threshold=SHOW_VALUES_UP_TO, max_line_width=10_000)
    return " ".join(text.split())


def describe_shape(shape) -> str:
    if shape == ():
        return "a single number"
    return "an array of shape %s" % (tuple(shape),)


def describe(value) -> str:
    """What a student's value is, in words ("an array of shape (3,)", "None", ...)."""
    if value is None:
        return "None"
    if isinstance(value, dict):
        return "a dict with keys %s" % sorted(value)[:8]
    if isinstance(value, tuple):
        return "a tuple of %d values" % len(value)
    if isinstance(value, str):
        return "the string %r" % value[:40]
    array = as_float_array(value)
    if array is not None:
        if isinstance(value, list):
            return "a list (%s)" % describe_shape(array.shape)
        return describe_shape(array.shape)
    if isinstance(value, list):
        return "a list of %d items" % len(value)
    return "a value of type %s" % type(value).__name__
