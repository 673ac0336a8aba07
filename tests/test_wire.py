"""The plain-data boundary: what crosses it comes back the same, and nothing else crosses."""
import io
import json
import math
import pickle
import struct

import numpy as np
import pytest

from autograder.sandbox import wire
from check_helpers import Impostor, LyingArray, LyingFloat, lying_array


def round_trip(value):
    return wire.decode(wire.encode(wire.to_plain(value)))


def assert_same(got, expected):
    """Equal in type and value, NaN equal to NaN, arrays equal in dtype and shape too."""
    assert type(got) is type(expected), (got, expected)
    if isinstance(expected, np.ndarray):
        assert got.dtype == expected.dtype and got.shape == expected.shape
        assert np.array_equal(got, expected, equal_nan=expected.dtype.kind == "f")
    elif isinstance(expected, dict):
        assert list(got) == list(expected)
        for key in expected:
            assert_same(got[key], expected[key])
    elif isinstance(expected, (list, tuple)):
        assert len(got) == len(expected)
        for item, expected_item in zip(got, expected):
            assert_same(item, expected_item)
    elif isinstance(expected, float) and math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == expected


def message(header, blobs=()):
    """A hand-made message: the header as given, then each blob."""
    parts = [struct.pack("<QQ", len(header), len(blobs)), header]
    for blob in blobs:
        parts += [struct.pack("<Q", len(blob)), blob]
    return b"".join(parts)


def npy(array, allow_pickle=False):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


# --- round trips -------------------------------------------------------------------------

NESTED = {
    "scalars": [None, True, False, 0, -7, 2 ** 62, 1.5, "text", ""],
    "special floats": [float("nan"), float("inf"), float("-inf"), -0.0],
    "tuples": (1, (2.0, (np.arange(3),)), ()),
    "dollar keys": {"$array": 0, "$float": "nan", "$tuple": [1], "$dict": {"$rng": 3}, "$": None},
    "arrays": [np.array([1.0, np.nan, np.inf, -np.inf]), np.zeros((0, 3)), np.float32([[1.5]]),
               np.array(2.5), np.arange(6, dtype=np.uint8).reshape(2, 3), np.array([True, False])],
    "empty": [[], {}, ()],
}


def test_nested_structures_come_back_the_same():
    assert_same(round_trip(NESTED), NESTED)


@pytest.mark.parametrize("value", [np.float64(2.5), np.int32(-4), np.bool_(True), np.float32(0.25)])
def test_numpy_scalars_become_python_numbers(value):
    assert_same(round_trip(value), value.item())


def test_arrays_come_back_contiguous_and_owned():
    base = np.arange(12.0).reshape(3, 4)
    for view in (base.T, base[:, ::2], np.asfortranarray(base)):
        plain = wire.to_plain(view)
        assert plain.flags.c_contiguous and plain.flags.owndata
        assert_same(round_trip(view), np.ascontiguousarray(view))


ARRAYS = [np.arange(12.0).reshape(3, 4), np.array(2.5), np.zeros((0, 3)), np.float32([[1.5, -2.0]]),
          np.array([True, False]), np.arange(6, dtype=np.uint8).reshape(2, 3), np.int16([-3, 4]),
          np.float16([0.5]), np.arange(4.0).astype(">f8"), np.asfortranarray(np.arange(6.0).reshape(2, 3)),
          np.arange(12.0).reshape(3, 4)[:, ::2], np.ones((2, 3, 4, 5))]


@pytest.mark.parametrize("array", ARRAYS, ids=[str(a.dtype) + str(a.shape) for a in ARRAYS])
def test_arrays_are_sent_as_npy_files_that_numpy_reads(array):
    blob = b"".join(wire._npy_parts(array))
    assert_same(np.load(io.BytesIO(blob), allow_pickle=False), np.ascontiguousarray(array)
                if array.ndim else array)
    assert_same(wire.decode(message(b'{"$array": 0}', [blob])), np.load(io.BytesIO(blob)))


@pytest.mark.parametrize("array", ARRAYS, ids=[str(a.dtype) + str(a.shape) for a in ARRAYS])
def test_npy_files_that_numpy_writes_are_read(array):
    version_2 = io.BytesIO()
    np.lib.format.write_array(version_2, array, version=(2, 0))
    for blob in (npy(array), version_2.getvalue()):
        got = wire.decode(message(b'{"$array": 0}', [blob]))
        assert_same(got, array)
        assert got.flags.writeable


def test_long_double_is_narrowed_to_float64():
    assert round_trip(np.ones(2, dtype=np.longdouble)).dtype == np.float64


# --- what to_plain refuses -----------------------------------------------------------------

def self_containing_list():
    items = []
    items.append(items)
    return items


@pytest.mark.parametrize("value", [
    np.array([1, "a"], dtype=object), np.array(["a", "b"]), np.array([1 + 2j]),
    lambda: 1, {1, 2}, 1 + 2j, {1: "int key"}, b"bytes", "x" * (wire.MAX_STRING + 1),
    self_containing_list(), 10 ** 30, Impostor(1.0),
], ids=["object array", "string array", "complex array", "function", "set", "complex", "int key",
        "bytes", "long string", "self-containing list", "huge int", "impostor"])
def test_values_that_are_not_plain_data_are_refused(value):
    with pytest.raises(wire.NotPlainData):
        wire.to_plain(value)


# --- to_plain reads through the base types -------------------------------------------------

def test_an_ndarray_subclass_gives_its_real_data():
    plain = wire.to_plain(lying_array([1.0, 2.0], claimed=[9.0, 9.0]))
    assert type(plain) is np.ndarray and not isinstance(plain, LyingArray)
    assert plain.tolist() == [1.0, 2.0]


def test_a_float_subclass_gives_its_real_value():
    plain = wire.to_plain(LyingFloat(0.25, claimed=0.8))
    assert type(plain) is float and plain == 0.25


class LyingInt(int):
    def __int__(self):
        return 42

    def __index__(self):
        return 42


class LyingStr(str):
    def __str__(self):
        return "lie"


class LyingList(list):
    def __iter__(self):
        return iter([1, 2, 3])

    def __len__(self):
        return 3


class LyingTuple(tuple):
    def __iter__(self):
        return iter(("lie",))


class LyingDict(dict):
    def items(self):
        return [("lie", 1)]

    def keys(self):
        return ["lie"]

    def __iter__(self):
        return iter(["lie"])


class StrKey(str):
    pass


@pytest.mark.parametrize("value, real", [
    (LyingInt(3), 3), (LyingStr("truth"), "truth"), (LyingList([7]), [7]),
    (LyingTuple((1.5, 2.5)), (1.5, 2.5)), (LyingDict(truth=2), {"truth": 2}),
], ids=["int", "str", "list", "tuple", "dict"])
def test_subclasses_of_builtins_give_their_real_contents(value, real):
    plain = wire.to_plain(value)
    assert_same(plain, real)


def test_dict_keys_must_be_exactly_str():
    with pytest.raises(wire.NotPlainData):
        wire.to_plain({StrKey("a"): 1})


# --- what decode refuses ---------------------------------------------------------------------

VALID = wire.encode(wire.to_plain({"a": np.arange(4.0), "b": (1, "x")}))


@pytest.mark.parametrize("length", range(len(VALID)))
def test_every_truncation_is_refused(length):
    with pytest.raises(wire.Malformed):
        wire.decode(VALID[:length])


def test_trailing_bytes_are_refused():
    with pytest.raises(wire.Malformed):
        wire.decode(VALID + b"\0")


def test_an_oversized_message_is_refused_before_reading():
    with pytest.raises(wire.Malformed, match="exceeds the limit"):
        wire.decode(VALID, max_bytes=len(VALID) - 1)


@pytest.mark.parametrize("blob", [
    npy(np.array([{"a": 1}], dtype=object), allow_pickle=True),
    pickle.dumps(np.arange(3)),
    npy(np.array(["text"])),
    npy(np.array([1 + 1j])),
    npy(np.zeros(2, dtype=[("x", "f8")])),
    b"\x93NUMPY garbage",
], ids=["object npy", "raw pickle", "string array", "complex array", "structured array", "garbage"])
def test_arrays_that_are_not_plain_numbers_are_refused(blob):
    with pytest.raises(wire.Malformed):
        wire.decode(message(b'{"$array": 0}', [blob]))


def npy_with_header(header: str, data: bytes) -> bytes:
    text = (header + "\n").encode("latin1")
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + data


@pytest.mark.parametrize("blob", [
    npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", bytes(16)),
    npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", bytes(32)),
    npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999, 99999999999), }", bytes(8)),
    npy_with_header("{'descr': '<f3', 'fortran_order': False, 'shape': (1,), }", bytes(3)),
    npy_with_header("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", bytes(8)),
    npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (-1,), }", bytes(8)),
    npy(np.arange(3.0))[:-1],
], ids=["data too short", "data too long", "huge shape", "unknown dtype", "object dtype", "negative size",
        "truncated"])
def test_npy_headers_that_do_not_match_their_data_are_refused(blob):
    with pytest.raises(wire.Malformed):
        wire.decode(message(b'{"$array": 0}', [blob]))


@pytest.mark.parametrize("header", [
    b'{"$array": 1}', b'{"$array": true}', b'{"$float": "1e999"}', b'{"$tuple": 3}',
    b'{"$dict": []}', b'{"$unknown": 1}', b'{"a": 1, "$b": 2}', b"NaN", b"[Infinity]",
    b"[" * 100_000 + b"]" * 100_000, b"1" * 5000, b"\xff\xfe", b"{not json",
    json.dumps([[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[0]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]).encode(),
], ids=["missing array", "bool index", "unknown float", "tuple of a number", "dict of a list",
        "unknown tag", "mixed tag", "bare NaN", "bare Infinity", "deep JSON", "huge int",
        "bad utf-8", "bad JSON", "nested too deeply"])
def test_malformed_headers_are_refused(header):
    with pytest.raises(wire.Malformed):
        wire.decode(message(header))


def test_a_header_longer_than_the_message_is_refused():
    data = struct.pack("<QQ", 2 ** 62, 0) + b"[]"
    with pytest.raises(wire.Malformed):
        wire.decode(data)


def test_lone_surrogates_become_replacement_characters():
    decoded = wire.decode(wire.encode({"message": "bad \ud800 text", "\udfff": 1}))
    assert decoded == {"message": "bad ? text", "?": 1}
    for text in decoded:
        text.encode("utf-8")


# --- tags: the grader's test functions ----------------------------------------------------

def centred(f, x, h=1e-6):
    x = np.asarray(x, dtype=float)
    slope = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = h
        slope[index] = (f(x + step) - f(x - step)) / (2 * h)
    return slope


GRADIENTS = {
    "sum_of_squares": lambda x: 2 * x,
    "sum_of_sines": np.cos,
    "sum_of_cubes": lambda x: 3 * x ** 2,
    "weighted_squares": lambda x: 2 * wire.square_weights(x.shape) * x,
    "logistic_loss": lambda w: wire.LOGISTIC_X.T @ (1 / (1 + np.exp(-(wire.LOGISTIC_X @ w + wire.LOGISTIC_B)))
                                                    - wire.LOGISTIC_Y) / len(wire.LOGISTIC_Y),
}


def test_every_test_function_has_a_known_gradient():
    assert set(GRADIENTS) == set(wire.FUNCTIONS)


@pytest.mark.parametrize("name", sorted(GRADIENTS))
def test_a_function_tag_crosses_as_data_and_becomes_the_function(name):
    tag = {"$function": name}
    f = wire.materialise(round_trip((tag,)))[0]
    assert f is wire.FUNCTIONS[name]
    x = np.array([0.5, -1.25, 2.0]) if name == "logistic_loss" else np.array([[0.5, -1.25, 2.0], [0.0, 1.5, -0.75]])
    value = f(x)
    assert type(value) is float
    np.testing.assert_allclose(centred(f, x), GRADIENTS[name](x), rtol=1e-7, atol=1e-9)


def test_weighted_squares_weighs_elements_in_c_order():
    f = wire.FUNCTIONS["weighted_squares"]
    assert f(np.array([[1.0, 0.0], [0.0, 1.0]])) == 1.0 + 4.0
    np.testing.assert_array_equal(wire.square_weights((2, 3)), [[1, 2, 3], [4, 5, 6]])


def test_the_logistic_loss_is_the_mean_binary_cross_entropy_and_refuses_other_shapes():
    w = np.array([0.5, -1.0, 0.25])
    p = 1 / (1 + np.exp(-(wire.LOGISTIC_X @ w + wire.LOGISTIC_B)))
    y = wire.LOGISTIC_Y
    expected = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert wire.FUNCTIONS["logistic_loss"](w) == pytest.approx(expected, rel=1e-12)
    assert np.isfinite(wire.FUNCTIONS["logistic_loss"](np.array([1e4, -1e4, 1e4])))
    with pytest.raises(ValueError, match="shape"):
        wire.FUNCTIONS["logistic_loss"](np.zeros(4))


@pytest.mark.parametrize("name", ["open", "__import__", "", 3, None, ["sum_of_squares"]])
def test_an_unknown_function_is_a_value_error(name):
    with pytest.raises(ValueError, match="unknown test function"):
        wire.materialise({"$function": name})


def test_an_unknown_function_is_an_error_answer_not_a_crash():
    from autograder.sandbox.in_process import InProcessStudent

    def centred_gradient(f, x, h=1e-5):
        return centred(f, x, h)
    student = InProcessStudent({"centred_gradient": centred_gradient})
    outcome = student.call("centred_gradient", {"$function": "os.system"}, [1.0, 2.0])
    assert outcome.error and "unknown test function" in outcome.error_text()
    outcome = student.call("centred_gradient", {"$function": "sum_of_squares"}, [1.0, 2.0])
    assert not outcome.error
    np.testing.assert_allclose(outcome.value, [2.0, 4.0], rtol=1e-6)
