"""Plain data: the only values that cross from student code to the grader.

Whatever a student's function returns is first reduced to plain data where it ran
(`to_plain`): Python scalars, strings, lists, tuples, string-keyed dicts and numeric
NumPy arrays, read through the *base* types so that subclasses and objects with lying
`__eq__`, `__float__`, `__array__` or `__len__` cannot pass themselves off as something
else. Then it is serialised (`encode`) as a JSON header plus `.npy` blobs, and the
grader reads it back (`decode`) with `allow_pickle=False` and size limits. Pickle never
crosses this boundary: unpickling data from student code would run student code.
"""
from __future__ import annotations

import io
import json
import math
import re
import struct

import numpy as np

NUMERIC_KINDS = "biuf"  # bool, signed, unsigned, float
MAX_DEPTH = 32
MAX_STRING = 100_000
MAX_BYTES = 256 * 1024 * 1024
MAX_INT_BITS = 64  # larger ints are no answer to any exercise, and JSON limits their digits


class NotPlainData(TypeError):
    """A value that cannot be reduced to plain data (e.g. an object array, a function)."""


class Malformed(ValueError):
    """Bytes that are not a well-formed message (truncated, oversized, or invalid)."""


def to_plain(value, _depth=0):
    """Reduce `value` to plain data without trusting any of its methods."""
    if _depth > MAX_DEPTH:
        raise NotPlainData("the value is nested too deeply")
    if value is None or type(value) is bool:
        return value
    if isinstance(value, str):
        if str.__len__(value) > MAX_STRING:
            raise NotPlainData("a string longer than %d characters" % MAX_STRING)
        return str.__str__(value)
    if isinstance(value, int):
        value = int.__int__(value)
        if value.bit_length() > MAX_INT_BITS:
            raise NotPlainData("an integer of more than %d bits" % MAX_INT_BITS)
        return value
    if isinstance(value, float):
        return float.__float__(value)
    if isinstance(value, np.ndarray):
        return _plain_array(np.ndarray.view(value, np.ndarray))
    if isinstance(value, np.generic):
        return _plain_scalar(value)
    if isinstance(value, tuple):
        return tuple(to_plain(item, _depth + 1) for item in tuple.__iter__(value))
    if isinstance(value, list):
        return [to_plain(item, _depth + 1) for item in list.__iter__(value)]
    if isinstance(value, dict):
        plain = {}
        for key, item in dict.items(value):
            if type(key) is not str:
                raise NotPlainData("a dict with a non-string key %r" % (type(key).__name__,))
            plain[key] = to_plain(item, _depth + 1)
        return plain
    raise NotPlainData("a value of type %s" % type(value).__name__)


def _plain_array(array):
    if array.dtype.kind not in NUMERIC_KINDS:
        raise NotPlainData("an array of dtype %s (expected numbers)" % array.dtype)
    if array.dtype.kind == "f" and array.dtype.itemsize > 8:
        array = array.astype(np.float64)
    return np.array(array, copy=True, order="C")


def _plain_scalar(scalar):
    kind = np.dtype(type(scalar)).kind
    if kind not in NUMERIC_KINDS:
        raise NotPlainData("a NumPy scalar of type %s" % type(scalar).__name__)
    return np.ndarray.item(np.asarray(scalar).view(np.ndarray))


# --- serialisation ---------------------------------------------------------------

def encode(value) -> bytes:
    """Serialise plain data: a JSON header, then each array as an `.npy` blob."""
    blobs = []
    header = json.dumps(_to_json(value, blobs), allow_nan=False).encode("utf-8")
    parts = [struct.pack("<QQ", len(header), len(blobs)), header]
    for blob in blobs:
        parts.append(struct.pack("<Q", sum(len(part) for part in blob)))
        parts.extend(blob)
    return b"".join(parts)


def decode(data: bytes, max_bytes: int = MAX_BYTES):
    """Read back what `encode` wrote, trusting nothing about `data`."""
    if len(data) > max_bytes:
        raise Malformed("message of %d bytes exceeds the limit of %d" % (len(data), max_bytes))
    view = memoryview(data)
    try:
        header_len, n_blobs = struct.unpack_from("<QQ", view, 0)
        offset = 16
        if offset + header_len > len(data):
            raise Malformed("truncated header")
        header = json.loads(bytes(view[offset:offset + header_len]).decode("utf-8"),
                            parse_constant=_reject_constant)
        offset += header_len
        arrays = []
        for _ in range(n_blobs):
            (blob_len,) = struct.unpack_from("<Q", view, offset)
            offset += 8
            if offset + blob_len > len(data):
                raise Malformed("truncated array data")
            arrays.append(_load_array(view[offset:offset + blob_len]))
            offset += blob_len
    except Malformed:
        raise
    except (struct.error, ValueError, RecursionError) as error:
        # ValueError covers bad JSON, bad UTF-8 and ints of too many digits;
        # RecursionError JSON nested deeper than the parser can follow.
        raise Malformed("not a well-formed message: %s" % str(error)[:200]) from None
    if offset != len(data):
        raise Malformed("trailing bytes after the message")
    return _from_json(header, arrays, 0)


def _reject_constant(name):
    raise Malformed("a bare %s (non-finite floats are tagged)" % name)


# --- arrays as .npy ----------------------------------------------------------------
#
# A message can hold hundreds of small arrays, and `np.load` parses each header with
# `ast.literal_eval`: most of the cost of a message. Numeric arrays are therefore
# written and read here in the .npy format (version 1.0, the header NumPy itself writes
# for them), with the header matched by a strict pattern; any other valid .npy
# (another version or layout) still goes through `np.load`, with `allow_pickle=False`.

_NPY_MAGIC = b"\x93NUMPY\x01\x00"
_NPY_HEADER = re.compile(r"\{'descr': '([<>|][biuf][0-9]{1,2})', 'fortran_order': (False|True), "
                         r"'shape': \(((?:[0-9]+, )*[0-9]+,?|)\), \} *\n")
_NPY_ALIGN = 64


def _npy_parts(array: np.ndarray) -> list:
    """The .npy file of `array` as parts to join: its header, then its data, which is
    not copied here (a message is joined once, in `encode`)."""
    if array.dtype.kind not in NUMERIC_KINDS or array.dtype.names is not None:
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        return [buffer.getvalue()]
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %r, }" % (array.dtype.str, array.shape)
    padding = -(len(_NPY_MAGIC) + 2 + len(header) + 1) % _NPY_ALIGN
    header = (header + " " * padding + "\n").encode("latin1")
    data = np.ascontiguousarray(array).reshape(-1).view(np.uint8)
    return [_NPY_MAGIC + struct.pack("<H", len(header)) + header, memoryview(data)]


def _load_array(blob: memoryview):
    """A numeric array from .npy bytes, owning its (writable) memory."""
    start = len(_NPY_MAGIC) + 2
    match = None
    if blob[:len(_NPY_MAGIC)] == _NPY_MAGIC and len(blob) >= start:
        (header_len,) = struct.unpack_from("<H", blob, len(_NPY_MAGIC))
        match = _NPY_HEADER.fullmatch(bytes(blob[start:start + header_len]).decode("latin1"))
    if match is None:
        return _numeric(_np_load(blob))
    descr, fortran, shape_text = match.groups()
    try:
        dtype = np.dtype(descr)
    except TypeError:
        raise Malformed("not a valid .npy array: unknown dtype %r" % descr) from None
    shape = tuple(int(size) for size in shape_text.split(",") if size.strip())
    data = blob[start + header_len:]
    if len(data) != math.prod(shape) * dtype.itemsize:
        raise Malformed("not a valid .npy array: %d bytes of data for shape %s" % (len(data), shape))
    array = np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran == "True" else "C")
    return _numeric(array.copy())


def _np_load(blob):
    try:
        return np.load(io.BytesIO(blob), allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise Malformed("not a valid .npy array: %s" % error) from None


def _numeric(array):
    if not isinstance(array, np.ndarray) or array.dtype.kind not in NUMERIC_KINDS:
        raise Malformed("an array that is not numeric")
    return array


def _to_json(value, blobs):
    if isinstance(value, np.ndarray):
        blobs.append(_npy_parts(value))
        return {"$array": len(blobs) - 1}
    if isinstance(value, float) and not math.isfinite(value):
        return {"$float": repr(value)}
    if isinstance(value, tuple):
        return {"$tuple": [_to_json(item, blobs) for item in value]}
    if isinstance(value, list):
        return [_to_json(item, blobs) for item in value]
    if isinstance(value, dict):
        if any(key.startswith("$") for key in value):
            return {"$dict": {key: _to_json(item, blobs) for key, item in value.items()}}
        return {key: _to_json(item, blobs) for key, item in value.items()}
    return value


def _from_json(node, arrays, depth):
    if depth > MAX_DEPTH + 2:
        raise Malformed("nested too deeply")
    if isinstance(node, list):
        return [_from_json(item, arrays, depth + 1) for item in node]
    if isinstance(node, dict):
        if len(node) == 1:
            (tag, content), = node.items()
            if tag == "$array":
                if type(content) is not int or not 0 <= content < len(arrays):
                    raise Malformed("a reference to a missing array")
                return arrays[content]
            if tag == "$float":
                if content not in ("nan", "inf", "-inf"):
                    raise Malformed("an unknown special float %r" % (content,))
                return float(content)
            if tag == "$tuple":
                return tuple(_from_json(item, arrays, depth + 1) for item in _list(content))
            if tag == "$dict":
                return {_text(key): _from_json(item, arrays, depth + 1) for key, item in _dict(content).items()}
        if any(key.startswith("$") for key in node):
            raise Malformed("an unknown tag in %r" % sorted(node)[:3])
        return {_text(key): _from_json(item, arrays, depth + 1) for key, item in node.items()}
    if isinstance(node, str):
        return _text(node)
    if node is None or isinstance(node, (bool, int, float)):
        return node
    raise Malformed("an unexpected JSON value")


def _text(text: str) -> str:
    """The string, with any lone surrogate (valid in JSON, not in UTF-8) replaced: such a
    string in a student's error message would otherwise break every report written
    as UTF-8."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")


def _list(node):
    if not isinstance(node, list):
        raise Malformed("expected a list")
    return node


def _dict(node):
    if not isinstance(node, dict):
        raise Malformed("expected an object")
    return node


# --- in answers: a value that is not plain data, and why ---------------------------

UNREPORTABLE = "$unreportable"


def unreportable(reason: str) -> dict:
    """What an answer holds where a value could not be reduced to plain data, e.g. an
    input the student's code changed into something the wire cannot carry."""
    return {UNREPORTABLE: reason}


def unreportable_reason(value) -> str | None:
    """Why `value` stands for a value that could not be reported (None if it is data)."""
    if isinstance(value, dict) and list(value) == [UNREPORTABLE]:
        reason = value[UNREPORTABLE]
        return reason[:200] if isinstance(reason, str) and reason else "no reason given"
    return None


# --- tags: what a request names but plain data cannot carry ---------------------------
#
# `{"$rng": seed}` is `np.random.default_rng(seed)`, `{"$function": name}` one of the
# test functions of `FUNCTIONS` (a function a student's code differentiates), and
# `{"$stored": key, "index": i}` an object an earlier call kept on the student's side
# (e.g. the `cache` from `forward`, which never needs to leave). Both sides make them
# real: the child for the student's function, the grader for the reference's and for
# its hints. A name outside the closed list is a ValueError, which the child reports
# as that request's error.

def materialise(value, store=None):
    """Turn the tagged values of a request into the objects they stand for."""
    if isinstance(value, dict):
        if "$rng" in value:
            return np.random.default_rng(value["$rng"])
        if "$function" in value:
            return named_function(value["$function"])
        if "$stored" in value:
            stored = store[value["$stored"]]
            return stored if value.get("index") is None else stored[value["index"]]
        return {key: materialise(item, store) for key, item in value.items()}
    if isinstance(value, list):
        return [materialise(item, store) for item in value]
    if isinstance(value, tuple):
        return tuple(materialise(item, store) for item in value)
    return value


# --- test functions: f(x) -> float, with gradients the grader knows in closed form ----
#
# Each takes an array (any shape unless said) and returns a Python float computed in
# float64. The grader's checks (`checks/ps2_learning.py`) hold their exact gradients.

def _sum_of_squares(x):
    return float(np.sum(np.asarray(x, dtype=np.float64) ** 2))


def _sum_of_sines(x):
    return float(np.sum(np.sin(np.asarray(x, dtype=np.float64))))


def _sum_of_cubes(x):
    return float(np.sum(np.asarray(x, dtype=np.float64) ** 3))


def square_weights(shape):
    """The weights 1, 2, 3, ... of `weighted_squares`, in C order over `shape`."""
    return np.arange(1.0, 1.0 + math.prod(shape)).reshape(shape)


def _weighted_squares(x):
    """sum_i c_i x_i^2 with c = 1, 2, 3, ... in C order: a mixed-up element costs."""
    x = np.asarray(x, dtype=np.float64)
    return float(np.sum(square_weights(x.shape) * x ** 2))


# The data of `logistic_loss`: six rows, three features, a fixed bias.
LOGISTIC_X = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5], [-1.0, 1.0, 0.75],
                       [0.0, -2.0, 1.0], [2.0, 0.5, 0.0], [-0.5, -0.75, -1.5]])
LOGISTIC_Y = np.array([1.0, 0.0, 1.0, 0.0, 1.0, 0.0])
LOGISTIC_B = 0.25


def _logistic_loss(w):
    """The mean binary cross-entropy of sigmoid(LOGISTIC_X @ w + LOGISTIC_B), w of shape (3,)."""
    w = np.asarray(w, dtype=np.float64)
    if w.shape != (LOGISTIC_X.shape[1],):
        raise ValueError("logistic_loss takes weights of shape (%d,), got %s"
                         % (LOGISTIC_X.shape[1], w.shape))
    z = LOGISTIC_X @ w + LOGISTIC_B
    # log(1 + e^z) - y z, without overflow.
    return float(np.mean(np.logaddexp(0.0, z) - LOGISTIC_Y * z))


FUNCTIONS = {
    "sum_of_squares": _sum_of_squares,
    "sum_of_sines": _sum_of_sines,
    "sum_of_cubes": _sum_of_cubes,
    "weighted_squares": _weighted_squares,
    "logistic_loss": _logistic_loss,
}


def named_function(name):
    """The test function `name` names, or a ValueError for a name not in the list."""
    if type(name) is not str or name not in FUNCTIONS:
        raise ValueError("unknown test function %r (known: %s)" % (name, ", ".join(sorted(FUNCTIONS))))
    return FUNCTIONS[name]
