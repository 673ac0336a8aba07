"""Judging a Keras model from the facts the trusted worker read off its rebuilt copy.

The facts come from `keras_rebuild.rebuild_model`: the student's model rebuilt on the
trusted side from its config and weights, never the student's own description of it.
Everything here is plain NumPy on plain data, so it runs in the grader without
TensorFlow. A model is judged by what it is (layer classes, units, activations, dropout
rate, output shapes, parameter counts, optimizer, learning rate, loss) and by what it
does (at inference it computes what its layers say, checked against a NumPy forward
pass from its weights; in training its Dropout zeroes about `rate` of the units and
scales the rest), never by `summary()` text, which changes between Keras versions.
"""
from __future__ import annotations

import math

import numpy as np

from .compare import fmt

LEARNING_RATE = 0.001
ACCURACY_NAMES = {"accuracy", "acc", "sparse_categorical_accuracy", "SparseCategoricalAccuracy"}
# The compiled loss is judged by its value on this probe: any spelling, object or
# function Keras accepts for sparse categorical cross-entropy gives the same number.
PROBE_TRUE = np.array([0, 2, 1, 2], dtype=np.int32)
PROBE_PREDICTED = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.5, 0.25, 0.25], [0.2, 0.7, 0.1]],
                           dtype=np.float32)

FALSE_FAILURE = 1e-9


def classifier_layers(n_classes: int, hidden_units: int, dropout_rate: float) -> list:
    """The layers `build_classifier` specifies: (class, units or rate, activation)."""
    layers = [("Dense", hidden_units, "relu")]
    if dropout_rate > 0:
        layers.append(("Dropout", dropout_rate, None))
    return layers + [("Dense", n_classes, "softmax")]


def expected_params(spec: list, input_dim: int) -> list[int]:
    """Parameters per layer: (inputs + 1 bias) * units for Dense, none for Dropout."""
    counts, width = [], input_dim
    for kind, size, _ in spec:
        if kind == "Dense":
            counts.append((width + 1) * size)
            width = size
        else:
            counts.append(0)
    return counts


def expected_output_shapes(spec: list) -> list[list]:
    shapes, width = [], None
    for kind, size, _ in spec:
        width = size if kind == "Dense" else width
        shapes.append([None, width])
    return shapes


def layer_text(layer: dict) -> str:
    kind = layer.get("class")
    if kind == "Dense":
        return "Dense(%s, %s)" % (layer.get("units"), layer.get("activation"))
    if kind == "Dropout":
        return "Dropout(%s)" % layer.get("rate")
    return str(kind)


def spec_text(spec: list) -> str:
    return " -> ".join("Dense(%d, %s)" % (size, act) if kind == "Dense" else "Dropout(%g)" % size
                       for kind, size, act in spec)


def layers_problem(facts: dict, spec: list) -> str | None:
    """Compare the layer list with the spec, naming the first difference."""
    got = [layer for layer in facts.get("layers", []) if layer.get("class") != "InputLayer"]
    got_text = " -> ".join(layer_text(layer) for layer in got)
    if len(got) != len(spec):
        hint = ""
        if any(layer.get("class") == "Dropout" for layer in got) != any(kind == "Dropout" for kind, _, _ in spec):
            hint = " (a Dropout layer only when dropout_rate is above 0)"
        return "expected %d layers %s, got %d: %s%s" % (len(spec), spec_text(spec), len(got), got_text, hint)
    for index, (layer, (kind, size, activation)) in enumerate(zip(got, spec), start=1):
        if layer.get("class") != kind:
            return "layer %d should be %s, got %s: %s" % (index, kind, layer_text(layer), got_text)
        if kind == "Dense" and (layer.get("units") != size or layer.get("activation") != activation):
            return "layer %d should be Dense(%d, %s), got %s" % (index, size, activation, layer_text(layer))
        if kind == "Dropout" and not math.isclose(layer.get("rate") or -1, size):
            return "the Dropout rate should be %g, got %s" % (size, layer.get("rate"))
    return None


def params_problem(facts: dict, spec: list, input_dim: int) -> str | None:
    counts = [layer.get("params") for layer in facts.get("layers", [])
              if layer.get("class") != "InputLayer"]
    expected = expected_params(spec, input_dim)
    total = facts.get("params")
    if total != sum(expected) or counts != expected:
        return "expected %d parameters (per layer %s), got %s (per layer %s)" % (
            sum(expected), expected, total, counts)
    return None


def shapes_problem(facts: dict, spec: list, input_dim: int) -> str | None:
    if facts.get("input_shape") != [None, input_dim]:
        return "the input should have shape (None, %d), got %s: start with keras.Input((%d,))" % (
            input_dim, facts.get("input_shape"), input_dim)
    shapes = [layer.get("output_shape") for layer in facts.get("layers", [])
              if layer.get("class") != "InputLayer"]
    if shapes != expected_output_shapes(spec):
        return "expected output shapes %s, got %s" % (expected_output_shapes(spec), shapes)
    return None


def compile_problem(facts: dict) -> str | None:
    if not facts.get("compiled") or facts.get("optimizer") is None:
        return "the model is not compiled: call model.compile(...) before returning it"
    optimizer = facts["optimizer"]
    if optimizer.get("class") != "Adam":
        return "the optimizer should be Adam, got %s" % optimizer.get("class")
    rate = optimizer.get("learning_rate")
    if rate is None or not math.isclose(rate, LEARNING_RATE, rel_tol=1e-6):
        return "Adam's learning rate should be %g, got %s" % (LEARNING_RATE, rate)
    return None


def loss_problem(facts: dict) -> str | None:
    value = facts.get("loss_on_probe")
    expected = sparse_cross_entropy(PROBE_TRUE, PROBE_PREDICTED)
    if value is None or not math.isclose(value, expected, rel_tol=1e-4):
        return ("the loss should be sparse categorical cross-entropy ('sparse_categorical_crossentropy': the "
                "labels are integers), got %r (on a probe it gives %s, sparse categorical cross-entropy %s)"
                % (facts.get("loss"), fmt(value) if value is not None else "nothing", fmt(expected)))
    metrics = facts.get("metrics") or []
    if not ACCURACY_NAMES & {metric for metric in metrics if isinstance(metric, str)}:
        return "compile with metrics=['accuracy'] (got %s)" % (metrics,)
    return None


def sparse_cross_entropy(labels, probabilities, eps=1e-7) -> float:
    """Keras's sparse categorical cross-entropy of probabilities (clipped by its epsilon), in float64."""
    probabilities = np.clip(np.asarray(probabilities, dtype=np.float64), eps, 1 - eps)
    picked = probabilities[np.arange(len(labels)), np.asarray(labels)]
    return float(-np.mean(np.log(picked)))


def accuracy(outputs, labels) -> float | None:
    """The fraction of rows whose largest output is at the row's label, or None when the
    outputs are not one row of scores per label."""
    outputs = np.asarray(outputs)
    if outputs.ndim != 2 or len(outputs) != len(labels) or outputs.shape[1] == 0:
        return None
    return float(np.mean(np.argmax(outputs, axis=1) == np.asarray(labels)))


# --- behaviour ------------------------------------------------------------------------

ACTIVATIONS = {
    "relu": lambda z: np.maximum(z, 0.0),
    "sigmoid": lambda z: 0.5 * (1.0 + np.tanh(0.5 * z)),
    "linear": lambda z: z,
    "tanh": np.tanh,
    "softmax": lambda z: _softmax(z),
}


def _softmax(z):
    shifted = np.exp(z - z.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def numpy_forward(facts: dict, x: np.ndarray) -> np.ndarray | None:
    """What the rebuilt model's layers compute at inference, in NumPy from its weights."""
    weights = list(facts.get("weights") or [])
    hidden = np.asarray(x, dtype=np.float64)
    for layer in facts.get("layers", []):
        if layer.get("class") == "Dense":
            if len(weights) < 2 or layer.get("activation") not in ACTIVATIONS or not layer.get("use_bias", True):
                return None
            kernel, bias = weights.pop(0), weights.pop(0)
            hidden = ACTIVATIONS[layer["activation"]](hidden @ kernel + bias)
        elif layer.get("class") not in ("Dropout", "InputLayer"):
            return None
    return hidden


def inference_problem(facts: dict, x: np.ndarray) -> str | None:
    runs = facts.get("inference")
    if runs is None:
        return "the model could not be run on inputs of %d features" % np.shape(x)[1]
    if not np.array_equal(runs[0], runs[1]):
        return "two inference runs on the same input differ: is Dropout active at inference?"
    expected = numpy_forward(facts, x)
    if expected is None:
        return "the layers could not be recomputed from the weights"
    if np.shape(runs[0]) != expected.shape:
        return "expected output shape %s, got %s" % (expected.shape, np.shape(runs[0]))
    if not np.allclose(runs[0], expected, rtol=1e-4, atol=1e-5):  # the model runs in float32
        return "at inference the model does not compute what its layers say"
    return None


def zero_fraction_tolerance(count: int, false_failure: float = FALSE_FAILURE) -> float:
    """Hoeffding: P(|zeros/count - rate| >= t) <= 2 exp(-2 count t^2) = false_failure."""
    return math.sqrt(math.log(2.0 / false_failure) / (2.0 * count))


def dropout_problem(before: np.ndarray, after: np.ndarray, rate: float, rtol: float = 1e-9) -> str | None:
    """Judge one dropout in training: zeros where it dropped, x / (1 - rate) elsewhere.

    Only units that were non-zero before count: a zero stays zero either way. An honest
    implementation fails the zero-fraction bound with probability below 1e-9.
    """
    before = np.asarray(before, dtype=np.float64)
    after = np.asarray(after, dtype=np.float64)
    if after.shape != before.shape:
        return "expected shape %s, got %s" % (before.shape, after.shape)
    live = before != 0
    count = int(live.sum())
    if count == 0:
        return "the input to dropout was all zeros, so nothing could be checked"
    dropped = live & (after == 0)
    kept = live & ~dropped
    fraction = dropped.sum() / count
    tolerance = zero_fraction_tolerance(count)
    if not np.allclose(after[kept], before[kept] / (1.0 - rate), rtol=rtol, atol=0):
        scale = np.median(after[kept] / before[kept]) if kept.any() else float("nan")
        hint = ""
        if math.isclose(scale, 1.0, rel_tol=1e-3):
            hint = ": the survivors are not rescaled; divide them by (1 - rate) (inverted dropout)"
        elif math.isclose(scale, 1.0 - rate, rel_tol=1e-3):
            hint = ": the survivors are multiplied by (1 - rate); divide by it instead"
        return "the units kept should be scaled by 1 / (1 - %g) = %s, they are scaled by %s%s" % (
            rate, fmt(1.0 / (1.0 - rate)), fmt(scale), hint)
    if abs(fraction - rate) > tolerance:
        hint = ""
        if abs(fraction - (1.0 - rate)) <= tolerance:
            hint = ": rate is the fraction dropped, not the fraction kept"
        return "%.4f of the units were zeroed; with rate %g that should be within %.4f of %g%s" % (
            fraction, rate, tolerance, rate, hint)
    return None
