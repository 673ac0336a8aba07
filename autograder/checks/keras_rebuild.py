"""What the trusted Keras worker computes: models rebuilt from plain data, and run.

This runs where no student code runs (the worker process of `keras_worker`, or, for
a notebook's own test cells, the student's kernel). A student's model arrives as its
Keras config and weights; it is rebuilt only if `keras_config` accepts the config,
from Keras's own classes (checked again on the objects built), with `safe_mode=True`,
and the facts returned about it (layers, parameters, compile settings, outputs) are
read from that rebuilt model, and it is run on inputs of the grader's.

`answer` never raises: a request it cannot serve is `{"refused": message}` (the
student's data is unfit) or `{"error": message}` (Keras failed on it).
"""
from __future__ import annotations

import json
import warnings

import numpy as np

from . import keras_config
from .keras_model import PROBE_PREDICTED, PROBE_TRUE


def answer(request) -> dict:
    """Serve one request of the grader (see OPERATIONS)."""
    operation = OPERATIONS.get(request.get("op")) if isinstance(request, dict) else None
    if operation is None:
        return {"error": "unknown request"}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return operation(request)
    except Exception as error:  # noqa: BLE001 (Keras failing on a student's data is their case)
        return {"error": "Keras failed on it: %s: %s" % (type(error).__name__, str(error)[:300])}


# --- models ---------------------------------------------------------------------------

def rebuild_model(request) -> dict:
    """Rebuild the student's model from its configs and weights; describe it and run it on `x`."""
    import keras

    _clear_now_and_then(keras)
    config, compile_config = _json(request.get("config")), _json(request.get("compile_config"))
    problem = keras_config.model_problem(config) or keras_config.compile_problem(compile_config)
    if problem:
        return {"refused": problem}
    config = {key: value for key, value in config.items() if key != "compile_config"}
    try:
        model = keras.saving.deserialize_keras_object(config, safe_mode=True)
    except Exception as error:  # noqa: BLE001
        return {"refused": "Keras could not rebuild the model from its configuration (%s)" % str(error)[:200]}
    problem = _built_problem(keras, model) or _set_weights(model, request.get("weights"))
    if problem:
        return {"refused": problem}
    facts = describe(keras, model, compile_config)
    x = np.asarray(request["x"], dtype=np.float32)
    if facts["input_shape"] == [None, x.shape[1]]:
        facts.update(behaviour(keras, model, x, request.get("seed", 0)))
    else:  # the shape is judged on its own; the behaviour cannot be
        facts.update(inference=None, dropouts=None)
    return {"value": facts}


# Each model built here leaves about 50 KB of Keras's global state behind; clearing it
# costs 0.2 s, so it is cleared every CLEAR_EVERY models (a few MB at most between).
CLEAR_EVERY = 50
_rebuilt = [0]


def _clear_now_and_then(keras):
    _rebuilt[0] += 1
    if _rebuilt[0] % CLEAR_EVERY == 0:
        keras.backend.clear_session()


def _json(text):
    if text is None:
        return None
    if not isinstance(text, str):
        return "not JSON text"
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return "not JSON text"


def _built_problem(keras, model) -> str | None:
    """What was built is Keras's own classes only, with an input (so it has weights)."""
    allowed = (keras.layers.InputLayer, keras.layers.Dense, keras.layers.Dropout, keras.layers.Activation)
    functional = type(model).__name__ == "Functional" and type(model).__module__ == "keras.src.models.functional"
    if type(model) is not keras.Sequential and not functional:
        return "the model rebuilt as a %s: %s" % (type(model).__name__, keras_config.USE_INSTEAD)
    for layer in model.layers:
        if type(layer) not in allowed:
            return "the layer %s rebuilt as a %s: %s" % (layer.name, type(layer).__name__, keras_config.USE_INSTEAD)
    try:
        model.inputs[0]
    except (AttributeError, IndexError, TypeError, ValueError):
        return "the model has no input: start it with keras.Input((input_dim,))"
    return None


def _set_weights(model, weights) -> str | None:
    expected = [tuple(weight.shape) for weight in model.weights]
    if not isinstance(weights, list) or not all(isinstance(w, np.ndarray) for w in weights):
        return "the model's weights did not arrive as a list of arrays"
    shapes = [tuple(weight.shape) for weight in weights]
    if shapes != expected:
        return ("the model has %d weight arrays of shapes %s, but its layers need %d of shapes %s: "
                "a layer of your own with extra weights?" % (len(shapes), shapes[:12], len(expected), expected))
    model.set_weights([weight.astype(np.float32) for weight in weights])
    return None


def describe(keras, model, compile_config) -> dict:
    """Structure, read from the rebuilt model, and compile settings, rebuilt from the
    validated compile config by Keras's own lookups (the optimizer is not built: only
    its class and learning rate are judged)."""
    optimizer = None if compile_config is None else keras.optimizers.get(compile_config.get("optimizer") or "rmsprop")
    return {
        "input_shape": [None if d is None else int(d) for d in model.inputs[0].shape],
        "layers": _folded([_layer_facts(layer) for layer in model.layers]),
        "params": int(model.count_params()),
        "compiled": compile_config is not None,
        "optimizer": None if optimizer is None else {
            "class": type(optimizer).__name__,
            "learning_rate": float(np.asarray(optimizer.learning_rate))},
        "loss": _spec_name((compile_config or {}).get("loss")),
        "loss_on_probe": _loss_on_probe(keras, compile_config),
        "metrics": _metric_names(compile_config),
        "weights": [np.asarray(w, dtype=np.float64) for w in model.get_weights()],
    }


def _layer_facts(layer) -> dict:
    config = layer.get_config()
    activation = config.get("activation")
    return {"class": type(layer).__name__, "units": config.get("units"),
            "activation": activation if isinstance(activation, str) else None,
            "rate": float(config["rate"]) if "rate" in config else None,
            "use_bias": config.get("use_bias"),
            "output_shape": [None if d is None else int(d) for d in layer.output.shape]
            if type(layer).__name__ != "InputLayer" else None,
            "params": int(layer.count_params())}


def _folded(layers) -> list:
    """A linear Dense followed by an Activation layer is one Dense with that activation."""
    folded = []
    for layer in layers:
        previous = folded[-1] if folded else None
        if (layer["class"] == "Activation" and previous and previous["class"] == "Dense"
                and previous["activation"] == "linear"):
            previous["activation"] = layer["activation"]
        else:
            folded.append(dict(layer))
    return folded


def _loss_on_probe(keras, compile_config):
    """The compiled loss on a fixed probe, so any spelling of a loss is judged by its value."""
    spec = (compile_config or {}).get("loss")
    if spec is None:
        return None
    try:
        loss = keras.losses.get(spec) if isinstance(spec, (str, dict)) else None
        if loss is None:
            return None
        return float(np.mean(np.asarray(loss(PROBE_TRUE, PROBE_PREDICTED), dtype=np.float64)))
    except Exception:  # noqa: BLE001 (a loss of another kind fails on the probe: a wrong loss)
        return None


def _metric_names(compile_config) -> list:
    return [_spec_name(metric) for metric in (compile_config or {}).get("metrics") or []]


def _spec_name(spec):
    """The name a loss or metric was given by: a string, a function's or a class's name."""
    if not isinstance(spec, dict):
        return spec
    return str(spec.get("config") if spec.get("class_name") == "function" else spec.get("class_name"))


def behaviour(keras, model, x, seed) -> dict:
    """The rebuilt model run on `x`: twice at inference, and each Dropout layer in training
    on what the layers before it compute, where the model has it."""
    keras.utils.set_random_seed(seed)
    inference = [np.asarray(model(x, training=False), dtype=np.float64) for _ in range(2)]
    dropouts, hidden = [], x
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        if isinstance(layer, keras.layers.Dropout):
            dropouts.append({"input": np.asarray(hidden, dtype=np.float64),
                             "output": np.asarray(layer(hidden, training=True), dtype=np.float64)})
        hidden = layer(hidden, training=False)
    return {"inference": inference, "dropouts": dropouts}


OPERATIONS = {"rebuild_model": rebuild_model}
