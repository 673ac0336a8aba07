"""The requests the grader makes of student code, answered with plain data.

This module runs where the student's code runs: in the sandboxed child during batch
grading, or in the student's own kernel for the notebook's test cells. It knows how to
call a student function on given inputs, build a student's Keras model and serialise
it, and so on; it never judges an answer. Every answer goes through `wire.to_plain`.

A request is a dict `{"op": name, ...}`; `handle` returns the response dict. Values in
requests may carry tags (`wire.materialise`) for what plain data cannot carry: a
random generator, one of the grader's test functions, an object an earlier call
kept on this side.
"""
from __future__ import annotations

import json
import traceback
import warnings

import numpy as np

from .. import wire
from ..wire import materialise

MAX_TRACEBACK = 4000


def handle(namespace: dict, store: dict, request: dict) -> dict:
    """Answer one request against the student's namespace."""
    op = OPERATIONS.get(request.get("op"))
    if op is None:
        return {"error": error_info(ValueError("unknown request %r" % request.get("op")))}
    return op(namespace, store, request)


# --- calling a function -------------------------------------------------------------

def call(namespace, store, request):
    """Call a student function; report its value, warnings and inputs afterwards.

    `pick` selects one element of a returned tuple (so e.g. a free-form cache need not
    be plain data); `keep` stores the raw result under that key for later requests.
    """
    function = request["function"]
    target = namespace.get(function)
    if not callable(target):
        return {"error": _missing(function, target)}
    try:
        args = [materialise(arg, store) for arg in request.get("args", [])]
        kwargs = {key: materialise(value, store) for key, value in request.get("kwargs", {}).items()}
    except (ValueError, KeyError, TypeError) as error:  # a tag this side does not know
        return {"error": error_info(error)}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
                result = target(*args, **kwargs)
        except BaseException as error:  # noqa: BLE001 (SystemExit and friends are results too)
            return {"error": error_info(error), "warnings": _warning_texts(caught)}
    if request.get("keep"):
        store[request["keep"]] = result
    response = {"warnings": _warning_texts(caught),
                "args_after": [_reported(arg) for arg in args]}
    try:
        response["value"] = wire.to_plain(_pick(result, request.get("pick")))
    except (wire.NotPlainData, _PickError) as problem:
        response["error"] = {"type": "ReturnTypeError", "types": ["ReturnTypeError"],
                             "message": "returned %s" % problem, "traceback": ""}
    return response


class _PickError(Exception):
    pass


def _pick(result, index):
    if index is None:
        return result
    if not isinstance(result, tuple) or tuple.__len__(result) <= index:
        raise _PickError("%s where a tuple with at least %d elements was expected"
                         % (_describe_type(result), index + 1))
    return tuple.__getitem__(result, index)


def _describe_type(value):
    if isinstance(value, tuple):
        return "a tuple of %d elements" % tuple.__len__(value)
    return "a value of type %s" % type(value).__name__


def _reported(value):
    """An input after the call as plain data, or why it cannot be: the grader then judges
    it changed (the grader's inputs are plain data) instead of leaving it unchecked."""
    try:
        return wire.to_plain(value)
    except wire.NotPlainData as problem:
        return wire.unreportable(str(problem))


def _plain_or_none(value):
    try:
        return wire.to_plain(value)
    except wire.NotPlainData:
        return None


def _warning_texts(caught):
    return ["%s: %s" % (w.category.__name__, w.message) for w in caught][:20]


def error_info(error):
    """Plain data about an exception the student's code raised.

    Every step is guarded or reads through `type`'s own descriptors: the exception is
    the student's object, and its __str__, __notes__ or metaclass may lie or raise.
    """
    try:
        text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    except BaseException:  # noqa: BLE001
        text = ""
    try:
        message = str(error)
    except BaseException:  # noqa: BLE001 (an exception whose __str__ itself raises)
        message = "<unprintable>"
    cls = type(error)
    return {"type": _class_name(cls),
            "types": [_class_name(base) for base in _class_mro(cls)],
            "message": message[:2000],
            "traceback": text[-MAX_TRACEBACK:]}


_class_name = type.__dict__["__name__"].__get__
_class_mro = type.__dict__["__mro__"].__get__


def _missing(function, target):
    if target is None:
        message = ("%s is not defined: run its solution cell (and check its name is "
                   "spelled as in the assignment)" % function)
    else:
        message = "%s is a %s, not a function" % (function, type(target).__name__)
    return {"type": "NameError", "types": ["NameError"], "message": message, "traceback": ""}


# --- Keras ------------------------------------------------------------------------
#
# What the student's Keras objects are is never reported as a description: a model goes
# back as Keras's own serialisation and its weights, and the grader rebuilds and judges
# it on its side (`checks.keras_rebuild`).

def serialise_model(namespace, store, request):
    """Build a model with the student's builder; answer its Keras config, compile config and weights."""
    import keras
    function = request["function"]
    builder = namespace.get(function)
    if not callable(builder):
        return {"error": _missing(function, builder)}
    keras.utils.set_random_seed(request.get("seed", 0))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = builder(*request.get("args", []))
        except BaseException as error:  # noqa: BLE001
            return {"error": error_info(error)}
    if not isinstance(model, keras.Model):
        return {"error": _returned(model, "a Keras model")}
    try:
        return {"value": wire.to_plain(_serialised(keras, model)), "warnings": _warning_texts(caught)}
    except Exception as error:  # noqa: BLE001 (a model Keras cannot serialise)
        return {"error": error_info(error)}


def _serialised(keras, model) -> dict:
    config = keras.saving.serialize_keras_object(model)
    config.pop("compile_config", None)
    compiled = model.get_compile_config() if getattr(model, "compiled", False) else None
    return {"config": json.dumps(config), "compile_config": None if compiled is None else json.dumps(compiled),
            "weights": [np.asarray(weight) for weight in model.get_weights()]}


EXPERIMENT_KEYS = ("val_accuracy", "mean", "std")


def serialise_experiment(namespace, store, request):
    """Call the student's experiment; answer one entry per rate: its reported numbers as
    plain data and each returned model serialised (or why it could not be)."""
    import keras
    function = request["function"]
    target = namespace.get(function)
    if not callable(target):
        return {"error": _missing(function, target)}
    try:
        args = [materialise(arg, store) for arg in request.get("args", [])]
    except (ValueError, KeyError, TypeError) as error:
        return {"error": error_info(error)}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = target(*args)
        except BaseException as error:  # noqa: BLE001
            return {"error": error_info(error), "warnings": _warning_texts(caught)}
    if type(result) is not dict:
        return {"error": _returned(result, "a dict {rate: {...}}")}
    entries = []
    try:
        for rate, found in dict.items(result):
            entry = {"rate": _plain_or_none(rate)}
            if type(found) is dict:
                entry.update({key: _plain_or_none(dict.get(found, key)) for key in EXPERIMENT_KEYS})
                models = dict.get(found, "models")
                entry["models"] = ([_model_or_why(keras, model) for model in list.__iter__(models)]
                                   if type(models) is list else None)
            entries.append(entry)
        return {"value": wire.to_plain(entries), "warnings": _warning_texts(caught)}
    except Exception as error:  # noqa: BLE001 (a student's object that raises when read)
        return {"error": error_info(error)}


def _model_or_why(keras, model):
    if not isinstance(model, keras.Model):
        return "%s, not a Keras model" % _describe_type(model)
    try:
        return _serialised(keras, model)
    except Exception as error:  # noqa: BLE001 (a model Keras cannot serialise)
        return "Keras could not serialise it: %s" % str(error)[:200]


def _returned(value, wanted):
    return {"type": "ReturnTypeError", "types": ["ReturnTypeError"],
            "message": "returned %s, not %s" % (_describe_type(value), wanted), "traceback": ""}


OPERATIONS = {
    "call": call,
    "serialise_model": serialise_model,
    "serialise_experiment": serialise_experiment,
}
