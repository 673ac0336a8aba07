"""The requests the grader makes of student code, answered with plain data.

This module runs where the student's code runs: in the sandboxed child during batch
grading, or in the student's own kernel for the notebook's test cells. It knows how to
call a student function on given inputs, build a student's Keras model and describe
it, and so on; it never judges an answer. Every answer goes through `wire.to_plain`.

A request is a dict `{"op": name, ...}`; `handle` returns the response dict. Values in
requests may carry tags (`wire.materialise`) for what plain data cannot carry: a
random generator, one of the grader's test functions, an object an earlier call
kept on this side.
"""
from __future__ import annotations

import math
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

def describe_model(namespace, store, request):
    """Build a model with the student's builder and describe its structure and weights."""
    built = _build(namespace, store, request)
    if "error" in built:
        return built
    try:
        return {"value": _describe(built["model"]), "warnings": built["warnings"]}
    except Exception as error:  # noqa: BLE001
        return {"error": error_info(error)}


def _build(namespace, store, request):
    function = request["function"]
    builder = namespace.get(function)
    if not callable(builder):
        return {"error": _missing(function, builder)}
    import keras
    keras.utils.set_random_seed(request.get("seed", 0))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = builder(*request.get("args", []))
        except BaseException as error:  # noqa: BLE001
            return {"error": error_info(error)}
    if not isinstance(model, keras.Model):
        return {"error": {"type": "ReturnTypeError", "types": ["ReturnTypeError"],
                          "message": "returned %s, not a Keras model" % _describe_type(model),
                          "traceback": ""}}
    store["model"] = model
    return {"model": model, "warnings": _warning_texts(caught)}


def _describe(model):
    layers = [_describe_layer(layer) for layer in model.layers]
    optimizer = getattr(model, "optimizer", None)
    return {
        "class": type(model).__name__,
        "input_shape": _shape(model.inputs[0].shape) if model.inputs else None,
        "layers": layers,
        "params": int(model.count_params()),
        "compiled": bool(getattr(model, "compiled", False)),
        "optimizer": None if optimizer is None else {
            "class": type(optimizer).__name__,
            "learning_rate": _learning_rate(optimizer)},
        "loss": _loss_name(getattr(model, "loss", None)),
        "metrics": _metric_names(model),
        "weights": [np.asarray(w, dtype=np.float64) for w in model.get_weights()],
    }


def _describe_layer(layer):
    config = layer.get_config()
    activation = config.get("activation")
    return {
        "class": type(layer).__name__,
        "name": layer.name,
        "units": config.get("units"),
        "activation": activation if isinstance(activation, str) else None,
        "rate": float(config["rate"]) if "rate" in config else None,
        "use_bias": config.get("use_bias"),
        "output_shape": _shape(layer.output.shape) if _has_output(layer) else None,
        "params": int(layer.count_params()),
    }


def _has_output(layer):
    try:
        layer.output
    except (AttributeError, ValueError):
        return False
    return True


def _shape(shape):
    return [None if dim is None else int(dim) for dim in shape]


def _learning_rate(optimizer):
    try:
        return float(np.asarray(optimizer.learning_rate))
    except (TypeError, ValueError):
        return None


def _loss_name(loss):
    """The canonical snake_case name of a loss given as a string, function or object."""
    if loss is None:
        return None
    if isinstance(loss, str):
        return loss
    name = getattr(loss, "name", None) or getattr(loss, "__name__", None) or type(loss).__name__
    return _snake_case(str(name))


def _snake_case(name):
    out = []
    for i, char in enumerate(name):
        if char.isupper() and i and not name[i - 1].isupper():
            out.append("_")
        out.append(char.lower())
    return "".join(out)


def _metric_names(model):
    try:
        metrics = (model.get_compile_config() or {}).get("metrics") or []
    except Exception:  # noqa: BLE001 (an uncompiled or unusual model)
        return []
    return [metric if isinstance(metric, str) else
            str(metric.get("config", {}).get("name", metric.get("class_name")))
            if isinstance(metric, dict) else _loss_name(metric) for metric in metrics]


def model_behaviour(namespace, store, request):
    """Run the last built model: inference output, and each Dropout layer in training.

    For every Dropout layer the response holds the layer's input (computed at inference
    by the layers before it) and its output with `training=True`, so the grader can see
    what fraction it zeroes and how it scales the rest, in the place the model has it.
    """
    import keras
    model = store.get("model")
    if model is None:
        return {"error": error_info(RuntimeError("no model was built"))}
    x = np.asarray(request["x"], dtype=np.float32)
    keras.utils.set_random_seed(request.get("seed", 0))
    try:
        inference = [np.asarray(model(x, training=False), dtype=np.float64) for _ in range(2)]
        dropouts = []
        hidden = x
        for layer in model.layers:
            if isinstance(layer, keras.layers.Dropout):
                out = layer(hidden, training=True)
                dropouts.append({"name": layer.name, "input": np.asarray(hidden, dtype=np.float64),
                                 "output": np.asarray(out, dtype=np.float64)})
            hidden = layer(hidden, training=False)
    except Exception as error:  # noqa: BLE001
        return {"error": error_info(error)}
    return {"value": {"inference": inference, "dropouts": dropouts}}


def describe_callback(namespace, store, request):
    """Call a student function that returns a Keras callback and describe it."""
    function = request["function"]
    target = namespace.get(function)
    if not callable(target):
        return {"error": _missing(function, target)}
    try:
        callback = target(*request.get("args", []), **request.get("kwargs", {}))
    except BaseException as error:  # noqa: BLE001
        return {"error": error_info(error)}
    attributes = {}
    for name in ("monitor", "patience", "restore_best_weights", "min_delta", "mode", "baseline"):
        value = getattr(callback, name, None)
        attributes[name] = value if isinstance(value, (str, bool, int, float)) or value is None \
            else _plain_or_none(value)
    if isinstance(attributes.get("min_delta"), float) and not math.isfinite(attributes["min_delta"]):
        attributes["min_delta"] = None
    return {"value": {"class": type(callback).__name__, **attributes}}


def fit_reference_model(namespace, store, request):
    """Hand a fixed small model to the student's `train` and report what happened.

    The model is built here, not by the student's `build_model`, so that `train` is
    graded on its own. The response holds the History's contents and the loss the
    returned model has on the validation part (to see whether the best weights came
    back).

    The model is as cheap to fit as Keras allows, because fitting is most of the cost
    of grading ps4: one sigmoid unit, plain SGD, eager steps (a few dozen steps run
    faster than tracing the training graph would take), and the final loss computed
    from one forward call rather than `evaluate`, which builds a whole data pipeline.
    """
    import keras
    function = request["function"]
    target = namespace.get(function)
    if not callable(target):
        return {"error": _missing(function, target)}
    x = np.asarray(request["x"], dtype=np.float32)
    y = np.asarray(request["y"], dtype=np.float32)
    keras.utils.set_random_seed(request.get("seed", 0))
    model = keras.Sequential([keras.Input((x.shape[1],)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.SGD(request.get("learning_rate", 1.0)),
                  loss="binary_crossentropy", run_eagerly=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            history = target(model, x, y, **request.get("kwargs", {}))
        except BaseException as error:  # noqa: BLE001
            return {"error": error_info(error), "warnings": _warning_texts(caught)}
    described = {"class": type(history).__name__}
    if isinstance(history, keras.callbacks.History):
        split = int(round(len(x) * (1 - request.get("validation_split", 0.2))))
        predicted = np.asarray(model(x[split:], training=False), dtype=np.float64)
        described["final_val_loss"] = binary_cross_entropy(y[split:], predicted)
        described["history"] = {key: [float(v) for v in values]
                                for key, values in history.history.items()}
        described["params"] = {key: value for key, value in history.params.items()
                               if isinstance(value, (int, float, str)) or value is None}
    return {"value": wire.to_plain(described), "warnings": _warning_texts(caught)}


def binary_cross_entropy(y, p, eps=1e-7):
    """Keras's binary cross-entropy (probabilities clipped by its epsilon), in float64."""
    y = np.asarray(y, dtype=np.float64)
    p = np.clip(np.asarray(p, dtype=np.float64), eps, 1 - eps)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


OPERATIONS = {
    "call": call,
    "describe_model": describe_model,
    "model_behaviour": model_behaviour,
    "describe_callback": describe_callback,
    "fit_reference_model": fit_reference_model,
}
