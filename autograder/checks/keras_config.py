"""Which Keras configurations the trusted side agrees to rebuild, decided before any is built.

A student's model reaches the grader as Keras's own serialisation (the config dict
`keras.saving.serialize_keras_object` writes, and the compile config). Rebuilding it
with `safe_mode=True` refuses lambdas, but would still build any class Keras can
import and any size the config asks for. So every `class_name` anywhere in the config
must be on an allow-list of Keras's own classes, every module Keras's, and the layers,
units and parameters are capped here, in plain Python, on data that may be anything.
Each function returns None when the data is acceptable, else a message a student can
act on; none of them raises, whatever it is given.
"""
from __future__ import annotations

import math

MODELS = {"Sequential", "Functional"}
LAYERS = {"InputLayer", "Dense", "Dropout", "Activation"}
PARTS = {
    "DTypePolicy", "FloatDTypePolicy", "__keras_tensor__",
    # initializers and regularizers Dense accepts
    "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform", "LecunNormal",
    "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform", "TruncatedNormal",
    "L1", "L2", "L1L2",
    # losses
    "BinaryCrossentropy", "BinaryFocalCrossentropy", "MeanSquaredError", "MeanAbsoluteError",
    "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "Hinge",
    # optimisers
    "Adam", "AdamW", "SGD", "RMSprop", "Adagrad", "Adamax", "Nadam",
    # metrics
    "BinaryAccuracy", "Accuracy", "SparseCategoricalAccuracy", "AUC", "Precision", "Recall",
}
FUNCTIONS = {
    "binary_crossentropy", "binary_focal_crossentropy", "mean_squared_error", "mean_absolute_error",
    "categorical_crossentropy", "sparse_categorical_crossentropy", "hinge", "binary_accuracy",
    "sparse_categorical_accuracy",
    "accuracy", "relu", "sigmoid", "linear", "tanh", "softmax", "elu", "selu", "gelu", "silu",
    "swish", "softplus", "softsign", "leaky_relu", "relu6", "hard_sigmoid", "exponential",
}
ALLOWED = MODELS | LAYERS | PARTS | {"function"}

MAX_LAYERS = 16
MAX_UNITS = 512
MAX_PARAMS = 100_000
MAX_DEPTH = 40

USE_INSTEAD = ("use keras.Sequential (or keras.Input and keras.Model) with keras.layers.Dense, "
               "Dropout and Activation, and Keras's own losses, optimisers and metrics")


def model_problem(config) -> str | None:
    """What makes a serialised model unfit to rebuild, or None."""
    if not isinstance(config, dict) or _name(config.get("class_name")) not in MODELS:
        kind = config.get("class_name") if isinstance(config, dict) else type(config).__name__
        return "the model is a %s, not a Keras Sequential or functional model: %s" % (
            _text(kind), USE_INSTEAD)
    problem = classes_problem(config)
    if problem:
        return problem
    inner = config.get("config")
    layers = inner.get("layers") if isinstance(inner, dict) else None
    if not isinstance(layers, list) or not layers:
        return "the model has no layers"
    if len(layers) > MAX_LAYERS:
        return "the model has %d layers; the grader rebuilds at most %d" % (len(layers), MAX_LAYERS)
    for layer in layers:
        problem = layer_problem(layer)
        if problem:
            return problem
    return size_problem(layers)


def classes_problem(node, depth=0) -> str | None:
    """The first class (or module) in `node` that is not Keras's own and allowed."""
    if depth > MAX_DEPTH:
        return "the model's configuration is nested too deeply"
    if isinstance(node, dict):
        if "class_name" in node:
            problem = _class_problem(node)
            if problem:
                return problem
        items = node.values()
    elif isinstance(node, (list, tuple)):
        items = node
    else:
        return None
    for item in items:
        problem = classes_problem(item, depth + 1)
        if problem:
            return problem
    return None


def _class_problem(node) -> str | None:
    kind, module = _name(node.get("class_name")), node.get("module")
    registered = node.get("registered_name")
    if kind not in ALLOWED:
        return "%s is not one of Keras's own classes that the grader rebuilds: %s" % (
            _text(node.get("class_name")), USE_INSTEAD)
    if kind == "function":
        if _name(module) != "builtins" or _name(node.get("config")) not in FUNCTIONS:
            return "the function %s is not one of Keras's own losses, metrics or activations: %s" % (
                _text(node.get("config")), USE_INSTEAD)
        return None
    if module is not None and not (isinstance(module, str) and (module == "keras" or module.startswith("keras."))):
        return "%s comes from the module %s, not from Keras: %s" % (kind, _text(module), USE_INSTEAD)
    if registered is not None and _name(registered) != kind:
        return "%s is registered as %s, a class of your own: %s" % (kind, _text(registered), USE_INSTEAD)
    return None


def layer_problem(layer) -> str | None:
    """A layer entry of the model's config, checked for what building it would take."""
    if not isinstance(layer, dict) or _name(layer.get("class_name")) not in LAYERS:
        return "a layer of the model is not one the grader rebuilds: %s" % USE_INSTEAD
    config = layer.get("config")
    if not isinstance(config, dict):
        return "a %s layer has no configuration" % layer["class_name"]
    kind = layer["class_name"]
    if kind == "Dense":
        units = config.get("units")
        if not _count(units) or not 1 <= units <= MAX_UNITS:
            return "a Dense layer has units=%s; the grader rebuilds 1 to %d units" % (_text(units), MAX_UNITS)
        if not isinstance(config.get("activation"), (str, type(None), dict)):
            return "a Dense layer's activation is not a name Keras knows"
    elif kind == "Dropout":
        rate = config.get("rate")
        if not _number(rate) or not 0 <= rate < 1:
            return "a Dropout layer has rate=%s; a rate is a number in [0, 1)" % _text(rate)
        if config.get("noise_shape") is not None:
            return "a Dropout layer has a noise_shape: the lesson's Dropout drops every unit on its own"
    elif kind == "InputLayer":
        shape = config.get("batch_shape", config.get("batch_input_shape"))
        if not _input_shape(shape):
            return "the input shape %s is not (None, n) with 1 <= n <= %d" % (_text(shape), MAX_UNITS)
    return None


def size_problem(layers) -> str | None:
    """An upper bound on the parameters, from the widest layer or input: capped."""
    widths = [layer["config"]["units"] for layer in layers if layer["class_name"] == "Dense"]
    for layer in layers:
        shape = layer["config"].get("batch_shape", layer["config"].get("batch_input_shape"))
        if _input_shape(shape):
            widths.append(shape[-1])
        build = layer.get("build_config")
        shape = build.get("input_shape") if isinstance(build, dict) else None
        if isinstance(shape, (list, tuple)) and shape and _count(shape[-1]):
            if shape[-1] > MAX_UNITS:
                return "a layer has %d inputs; the grader rebuilds at most %d" % (shape[-1], MAX_UNITS)
            widths.append(shape[-1])
    bound = sum((max(widths, default=0) + 1) * layer["config"]["units"]
                for layer in layers if layer["class_name"] == "Dense")
    if bound > MAX_PARAMS:
        return "the model may have up to %d parameters; the grader rebuilds at most %d" % (bound, MAX_PARAMS)
    return None


def compile_problem(config) -> str | None:
    """The compile config (None: not compiled), checked like the model's."""
    if config is None:
        return None
    if not isinstance(config, dict):
        return "the compile configuration is not a dict"
    for key in ("optimizer", "loss"):
        if not isinstance(config.get(key), (str, dict, type(None))):
            return "the %s is neither a name nor a Keras object: %s" % (key, USE_INSTEAD)
    metrics = config.get("metrics")
    if metrics is not None and (not isinstance(metrics, list) or len(metrics) > 8 or
                                not all(isinstance(m, (str, dict)) for m in metrics)):
        return "the metrics are not a list of names or Keras metrics: %s" % USE_INSTEAD
    return classes_problem({key: config.get(key) for key in ("optimizer", "loss", "metrics")})


def _name(value) -> str | None:
    """A class or function name as a string, or None (it may be anything, even unhashable)."""
    return value if isinstance(value, str) else None


def _count(value) -> bool:
    return type(value) is int


def _number(value) -> bool:
    return type(value) in (int, float) and math.isfinite(value)


def _input_shape(shape) -> bool:
    return (isinstance(shape, (list, tuple)) and len(shape) == 2 and shape[0] is None
            and _count(shape[1]) and 1 <= shape[1] <= MAX_UNITS)


def _text(value) -> str:
    return repr(value)[:80]
