"""ps3_backprop (version 2): backpropagation for any depth, checked, and trained on digits.

Points: softmax_cross_entropy 3, forward_with_cache 1, network_gradients 4,
gradient_check 2, momentum_step 1, adam_step 2 (the contracts of lesson 05),
train_network 3 (16 in all; docs/contracts.md).

A network is a list of (W, b) pairs. Three tests are not "call and compare":
- network_gradients is given the cache of the student's own forward_with_cache: both
  run in the student's process (the cache is kept there and never crosses the wire),
  and the gradients that come back are compared with the reference's, float64.
- gradient_check is judged against the grader's own comparison of the same two
  gradients: the student's network_gradients (from their process) and the reference's
  centred differences of the loss (shipped as data for the public cases). For a correct
  backward pass both are tiny; where they are not (a ReLU kink, a large step h, a wrong
  backward pass) the student's number must agree with the grader's within a factor of 10.
- train_network is compared with the reference on small data and, on digits this
  module splits itself, judged by the accuracy of the returned network on rows the
  student's code never saw and by its last loss against the loss of the returned
  network, both measured with the reference's forward pass and loss (see `Measures`).

Nothing here computes a graded function's answer: expected values come from the
reference or ship as data, and the models of typical mistakes that the hints recognise
are with the answer key (`solutions/mistakes/ps3_backprop.py`, see `cases.mistake`).
"""
import functools
import math
import warnings
from dataclasses import dataclass

import numpy as np

from . import datasets
from .assignment import Assignment, Mistake
from .cases import MISSING, Case, FunctionTest, Test, expected_as, inputs, mistake
from .compare import as_float_array, compare, describe, describe_shape, fmt


def _random(seed, *shape, scale=1.0):
    return np.random.default_rng(seed).normal(0.0, scale, size=shape)


def _classes(seed, n, k):
    return np.random.default_rng(seed).integers(0, k, size=n)


def random_network(seed, sizes, scale=1.0):
    """A network of random weights and random (non-zero) biases, as a list of tuples."""
    rng = np.random.default_rng(seed)
    return [(rng.normal(0.0, scale / math.sqrt(n_in), size=(n_in, n_out)), rng.normal(0.0, 0.1, size=n_out))
            for n_in, n_out in zip(sizes[:-1], sizes[1:])]


def _quiet(function, *args):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args)


# --- reading a returned network (or its gradients) -----------------------------------------

def network_arrays(got, shapes, what="the network"):
    """[(W, b), ...] as float64 arrays of the given shapes, or (None, what is wrong)."""
    if not isinstance(got, (list, tuple)):
        return None, "expected %s as a list of %d pairs (W, b), got %s" % (what, len(shapes), describe(got))
    if len(got) != len(shapes):
        return None, "expected %s as a list of %d pairs (W, b), got %d items" % (what, len(shapes), len(got))
    arrays = []
    for index, (pair, (w_shape, b_shape)) in enumerate(zip(got, shapes)):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            return None, "layer %d: expected a pair (W, b), got %s" % (index, describe(pair))
        parts = []
        for name, part, shape in (("W", pair[0], w_shape), ("b", pair[1], b_shape)):
            array = as_float_array(part)
            if array is None or array.shape != shape:
                return None, "layer %d: expected %s as %s, got %s%s" % (
                    index, name, describe_shape(shape), describe(part), _shape_hint(name, array, shape))
            if not np.isfinite(array).all():
                return None, "layer %d: %s holds inf or NaN" % (index, name)
            parts.append(array)
        arrays.append(tuple(parts))
    return arrays, None


def _shape_hint(name, array, shape):
    if array is None:
        return ""
    if name == "W" and len(shape) == 2 and shape[0] != shape[1] and array.shape == shape[::-1]:
        return (" - hint: dW is transposed: it has the shape of W, one row per input, "
                "dW = A_prev.T @ dZ")
    if name == "b" and array.size == math.prod(shape):
        return " - hint: b is 1-D, one number per unit: shape (n_out,)"
    if name == "b" and array.ndim == 2 and array.shape[1:] == shape:
        return " - hint: db is dZ summed over the rows of the batch: dZ.sum(axis=0)"
    if name == "b" and array.ndim == 1:
        return (" - hint: db is summed over the wrong axis: sum dZ over the rows (axis=0), "
                "one number per unit of the layer")
    return ""


def shapes_of(layers):
    return [(np.shape(W), np.shape(b)) for W, b in layers]


def layers_problem(got, expected, rtol, atol, reveal, what="the gradient"):
    """What is wrong with a list of (W, b) arrays against the expected one (None if nothing)."""
    arrays, problem = network_arrays(got, shapes_of(expected), what)
    if problem:
        return problem
    for index, (pair, right) in enumerate(zip(arrays, expected)):
        for name, part, value in (("W", pair[0], right[0]), ("b", pair[1], right[1])):
            mismatch = compare(part, value, rtol, atol, reveal)
            if mismatch:
                return "layer %d, %s: %s" % (index, "d" + name if what == "the gradient" else name, mismatch.text())
    return None


def _all_close(arrays, expected, factor=1.0):
    return all(np.allclose(part, factor * np.asarray(value), rtol=1e-5, atol=1e-9)
               for pair, right in zip(arrays, expected) for part, value in zip(pair, right))


# --- softmax_cross_entropy ----------------------------------------------------------------

def softmax_cross_entropy_cases():
    logits = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]])
    return [
        Case("two rows of 3 logits, labels [0, 1]", (logits, np.array([0, 1])), public=True,
             expected=PUBLIC["softmax_cross_entropy", 0]),
        Case("logits as large as +-1000 (subtract each row's largest first)",
             (np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 999.0]]), np.array([0, 2])), public=True,
             expected=PUBLIC["softmax_cross_entropy", 1]),
        Case("labels of shape (3,) for 2 rows of logits", (logits, np.array([0, 1, 2])), public=True,
             raises="ValueError"),
        Case("20 rows, 10 classes (digits-sized)", (_random(300, 20, 10, scale=3.0), _classes(301, 20, 10))),
        Case("one row", (_random(302, 1, 4), np.array([3]))),
        Case("two classes", (_random(303, 6, 2), _classes(304, 6, 2))),
        Case("large logits everywhere", (_random(305, 5, 4, scale=800.0), _classes(306, 5, 4))),
        Case("logits as a list of lists, labels as a list", (_random(307, 3, 3).tolist(), [2, 0, 1])),
        Case("float32 logits", (_random(308, 7, 5).astype(np.float32), _classes(309, 7, 5))),
        Case("a label equal to the number of classes", (_random(310, 2, 3), np.array([0, 3])), raises="ValueError"),
    ]


def _overflowed(case, got, expected, reference):
    parts = got if isinstance(got, (list, tuple)) else [got]
    arrays = [as_float_array(part) for part in parts]
    if any(array is not None and not np.isfinite(array).all() for array in arrays):
        return ("exp of a large logit overflows to inf (inf / inf is NaN): subtract each row's largest "
                "logit first, z - z.max(axis=1, keepdims=True), which leaves the softmax unchanged")
    return None


def _rows(case):
    return len(case.args[0])


softmax_cross_entropy = FunctionTest(
    "softmax_cross_entropy", 3, softmax_cross_entropy_cases, params=("logits", "labels"),
    names=("loss", "dlogits"),
    hints=[
        _overflowed,
        expected_as(lambda case, expected: (expected[0], expected[1] * _rows(case)) if _rows(case) > 1 else None,
                    "dlogits is n times too large: the loss is the mean over the rows, so "
                    "dlogits = (softmax - onehot) / n"),
        expected_as(lambda case, expected: (expected[0] * _rows(case), expected[1] * _rows(case))
                    if _rows(case) > 1 else None,
                    "this is the sum over the rows: the loss is a mean, divide the loss and dlogits by n"),
        expected_as(lambda case, expected: (expected[0] * _rows(case), expected[1]) if _rows(case) > 1 else None,
                    "the loss is the sum over the rows: take the mean (np.mean)"),
        expected_as(lambda case, expected: (expected[0], -expected[1]),
                    "dlogits has the wrong sign: it is softmax - onehot (prediction minus target), over n"),
        mistake("onehot_left_out", "dlogits is missing the onehot: subtract 1 at each row's label, "
                                   "(softmax - onehot(labels)) / n"),
        mistake("softmax_over_columns", "the softmax runs down the columns: normalise each row, "
                                        "sum(axis=1, keepdims=True)"),
    ])


# --- forward_with_cache ------------------------------------------------------------------

PUBLIC_NETWORK = [
    (np.array([[0.5, -0.3, 0.8, 0.1], [0.2, 0.7, -0.6, -0.4], [-0.1, 0.3, 0.2, 0.5]]),
     np.array([0.1, 0.0, -0.1, 0.05])),
    (np.array([[0.4, -0.5, 0.3], [0.3, 0.9, -0.2], [-0.7, 0.2, 0.6], [0.5, -0.1, -0.3]]),
     np.array([0.05, -0.05, 0.0])),
]
PUBLIC_X = np.array([[1.0, 0.5, -0.5], [0.0, -1.0, 2.0], [0.3, 0.8, 0.1], [-1.5, 0.2, 0.4], [0.6, -0.4, -1.2]])
PUBLIC_LABELS = np.array([0, 2, 1, 2, 1])


def forward_with_cache_cases():
    return [
        Case("a 3-4-3 network with relu on 5 rows", (PUBLIC_X, PUBLIC_NETWORK), public=True,
             expected=PUBLIC["forward_with_cache", 0]),
        Case("the same network with tanh", (PUBLIC_X, PUBLIC_NETWORK, "tanh"), public=True,
             expected=PUBLIC["forward_with_cache", 1]),
        Case("hidden='softmax' is no hidden activation", (PUBLIC_X, PUBLIC_NETWORK, "softmax"), public=True,
             raises="ValueError"),
        Case("sigmoid, 4 layers (8-6-5-4-3), 10 rows", (_random(320, 10, 8), random_network(321, [8, 6, 5, 4, 3]),
                                                       "sigmoid")),
        Case("relu, 3 layers, 12 rows", (_random(322, 12, 5), random_network(323, [5, 7, 6, 4]))),
        Case("one layer (softmax regression)", (_random(324, 6, 4), random_network(325, [4, 3]), "tanh")),
        Case("hidden given by keyword", (_random(326, 5, 3), random_network(327, [3, 4, 2])), {"hidden": "sigmoid"}),
        Case("one row", (_random(328, 1, 3), random_network(329, [3, 5, 2]))),
        Case("X as float32", (_random(330, 6, 4).astype(np.float32), random_network(331, [4, 3, 3]), "tanh")),
    ]


class ForwardWithCacheTest(FunctionTest):
    """The logits are compared; the cache is free-form and stays on the student's side."""

    def verdict(self, case, outcome, expected, reference):
        failure = super().verdict(case, outcome, expected, reference)
        if failure and outcome.error and outcome.error.get("type") == "ReturnTypeError":
            failure += " - forward_with_cache returns a pair: return logits, cache"
        return failure


forward_with_cache = ForwardWithCacheTest(
    "forward_with_cache", 1, forward_with_cache_cases, params=("X", "layers", "hidden"), pick=0,
    hints=[
        mistake("probabilities_returned",
                "these are probabilities: return the logits, the last layer's outputs before the softmax"),
        mistake("relu_whatever_hidden", "the hidden layers use relu whatever `hidden` says: apply the "
                                        "activation you are given"),
        mistake("last_layer_activated", "the last layer is linear: no activation on its outputs"),
        mistake("biases_left_out", "the biases are missing: Z = A_prev @ W + b"),
    ])


# --- network_gradients ---------------------------------------------------------------------

def network_gradients_cases():
    return [
        Case("a 3-4-3 network with relu on 5 rows", (PUBLIC_X, PUBLIC_LABELS, PUBLIC_NETWORK), public=True,
             expected=PUBLIC["network_gradients", 0]),
        Case("the same network with tanh", (PUBLIC_X, PUBLIC_LABELS, PUBLIC_NETWORK, "tanh"), public=True,
             expected=PUBLIC["network_gradients", 1]),
        Case("the same network with sigmoid", (PUBLIC_X, PUBLIC_LABELS, PUBLIC_NETWORK, "sigmoid"), public=True,
             expected=PUBLIC["network_gradients", 2]),
        Case("sigmoid, 4 layers (8-6-5-4-3), 10 rows",
             (_random(340, 10, 8), _classes(341, 10, 3), random_network(342, [8, 6, 5, 4, 3]), "sigmoid")),
        Case("relu, 3 layers, 12 rows", (_random(343, 12, 5), _classes(344, 12, 4), random_network(345, [5, 7, 6, 4]))),
        Case("tanh, 2 layers, 9 rows, 10 classes",
             (_random(346, 9, 6), _classes(347, 9, 10), random_network(348, [6, 8, 10]), "tanh")),
        Case("one layer (softmax regression)", (_random(349, 7, 4), _classes(350, 7, 3), random_network(351, [4, 3]))),
        Case("one row, tanh", (_random(352, 1, 3), np.array([1]), random_network(353, [3, 5, 2]), "tanh")),
        Case("hidden given by keyword", (_random(354, 6, 3), _classes(355, 6, 2), random_network(356, [3, 4, 2])),
             {"hidden": "sigmoid"}),
    ]


def _gradient_case(case):
    """(X, labels, layers, hidden) of a network_gradients or gradient_check case."""
    (X, labels, layers, *rest), kwargs = inputs(case)
    return X, labels, layers, rest[0] if rest else kwargs.get("hidden", "relu")


class NetworkGradientsTest(FunctionTest):
    """Run the student's forward_with_cache (its cache stays in their process), then
    network_gradients with that cache; compare with the reference's gradients.

    A case's args are (X, labels, layers[, hidden]): X goes to forward_with_cache only.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.params = ("labels", "layers", "cache", "hidden")

    def expected(self, reference, case):
        if case.expected is not MISSING:
            return case.expected
        def compute():
            X, labels, layers, hidden = _gradient_case(case)
            _, cache = reference.forward_with_cache(X, layers, hidden)
            return tuple(tuple(pair) for pair in reference.network_gradients(labels, layers, cache, hidden))
        return reference.remember(["network_gradients", case.args, case.kwargs], compute)

    def judge(self, student, reference, case):
        outcome, failure = student_gradients(student, case)
        if failure:
            return failure
        return self.verdict(case, outcome, self.expected(reference, case), reference)

    def problem(self, case, got, expected, reference):
        problem = layers_problem(got, expected, self.rtol, self.atol, case.public)
        if problem is None:
            return None
        hint = gradient_hint(case, got, expected)
        return problem + (" - hint: " + hint if hint else "")

    def modified_input(self, case, outcome):
        """labels and layers are the request's first two inputs (X went to forward_with_cache)."""
        return FunctionTest.modified_input(self, Case(case.label, case.args[1:3]), outcome)


def student_gradients(student, case):
    """(the outcome of the student's network_gradients, None), or (None, why there is none)."""
    X, labels, layers = case.args[:3]
    hidden = case.args[3] if len(case.args) > 3 else case.kwargs.get("hidden", "relu")
    forward = student.call("forward_with_cache", X, layers, hidden, keep="forward", pick=0)
    if forward.error:
        return None, ("network_gradients is given the cache of your forward_with_cache, but "
                      "forward_with_cache " + forward.error_text())
    outcome = student.call("network_gradients", labels, layers, {"$stored": "forward", "index": 1}, hidden)
    return outcome, None


def gradient_hint(case, got, expected):
    """The usual slips in backpropagation, recognised from the gradients they produce."""
    arrays, problem = _quiet(network_arrays, got, shapes_of(expected))
    if problem:
        return None
    n = len(case.args[0])
    if n > 1 and _quiet(_all_close, arrays, expected, float(n)):
        return ("every gradient is n = %d times too large: the loss is the mean over the rows, so "
                "dZ of the last layer is (softmax - onehot) / n" % n)
    if _quiet(_all_close, arrays, expected, -1.0):
        return "every gradient has the wrong sign: dZ of the last layer is softmax - onehot, over n"
    right = [_quiet(_all_close, [pair], [value]) for pair, value in zip(arrays, expected)]
    wrong = [index for index, ok in enumerate(right) if not ok]
    if not wrong:
        return None
    below = wrong[-1]
    if below + 1 < len(expected) and all(right[below + 1:]):
        hidden = _gradient_case(case)[3]
        return ("layer %d is right, so the error goes wrong flowing back into layer %d: "
                "dZ = (dZ_next @ W_next.T) * f'(Z), with the derivative of %s: %s"
                % (below + 1, below, hidden, DERIVATIVES.get(hidden, "")))
    return None


DERIVATIVES = {"relu": "1 where Z > 0, else 0 (A > 0)", "sigmoid": "A * (1 - A)", "tanh": "1 - A**2"}


network_gradients = NetworkGradientsTest(
    "network_gradients", 4, network_gradients_cases, params=("labels", "layers", "cache", "hidden"))


# --- gradient_check ---------------------------------------------------------------------

SMALL = 1e-6  # a correct backward pass checks out far below this (about 1e-9)
FACTOR = 10.0  # where the error is large, the student's must be within this factor of the grader's


def kinked_network():
    """relu with a row of zeros and zero first-layer biases: every unit of that row sits
    exactly at relu's kink, where the derivative has no value and centred differences
    see half the slope. An honest disagreement between a correct backward pass and
    centred differences, whatever the convention at 0."""
    X = _random(360, 6, 3)
    X[2] = 0.0
    layers = random_network(361, [3, 4, 3])
    return X, _classes(362, 6, 3), [(layers[0][0], np.zeros(4)), layers[1]]


def gradient_check_cases():
    X_kink, labels_kink, layers_kink = kinked_network()
    return [
        Case("a 3-4-3 network with tanh on 5 rows", (PUBLIC_X, PUBLIC_LABELS, PUBLIC_NETWORK, "tanh"), public=True,
             expected=PUBLIC["gradient_check", 0]),
        Case("relu at its kink: a row of zeros and zero biases (the error is large, and must be the "
             "grader's within a factor of 10)", (X_kink, labels_kink, layers_kink), public=True,
             expected=PUBLIC["gradient_check", 1]),
        Case("sigmoid with a large step h = 0.05 (centred differences are off by O(h**2))",
             (PUBLIC_X, PUBLIC_LABELS, PUBLIC_NETWORK, "sigmoid", 0.05), public=True,
             expected=PUBLIC["gradient_check", 2]),
        Case("relu, 3 layers, 8 rows", (_random(363, 8, 4), _classes(364, 8, 3), random_network(365, [4, 5, 4, 3]))),
        Case("sigmoid, 2 layers, 10 classes", (_random(366, 6, 3), _classes(367, 6, 10),
                                               random_network(368, [3, 4, 10]), "sigmoid")),
        Case("one layer (softmax regression), h = 1e-4", (_random(369, 5, 4), _classes(370, 5, 3),
                                                          random_network(371, [4, 3])), {"h": 1e-4}),
        Case("tanh with h = 0.2", (_random(372, 5, 3), _classes(373, 5, 2), random_network(374, [3, 3, 2]),
                                   "tanh", 0.2)),
        Case("relu at its kink, 2 hidden layers", (np.vstack([X_kink, np.zeros((1, 3))]),
                                                   np.append(labels_kink, 1),
                                                   [layers_kink[0], (_random(375, 4, 4), np.zeros(4)),
                                                    (_random(376, 4, 3), np.zeros(3))])),
    ]


def _check_args(case):
    (X, labels, layers, *rest), kwargs = inputs(case)
    hidden = rest[0] if rest else kwargs.get("hidden", "relu")
    h = rest[1] if len(rest) > 1 else kwargs.get("h", 1e-5)
    return X, labels, layers, hidden, h


def _norm(a):
    return float(np.sqrt(np.sum(a * a)))


def _relative_error(a, b):
    return _norm(a - b) / max(_norm(a) + _norm(b), 1e-12)


def largest_relative_error(gradients, numeric):
    """The grader's comparison of two gradients, [(dW, db), ...] each: the largest
    relative error over every W and b. The measure is the helper relative_error that the
    notebook's setup cell gives (its formula is in the contract), not a graded function."""
    return max(_relative_error(part, estimate)
               for pair, estimates in zip(gradients, numeric) for part, estimate in zip(pair, estimates))


class GradientCheckTest(Test):
    """gradient_check against the grader's own comparison of the same two gradients: the
    student's network_gradients and the reference's centred differences of the loss,
    which the public cases carry as data (so the notebook can judge them too)."""

    params = ("X", "labels", "layers", "hidden", "h")

    def cases(self):
        return gradient_check_cases()

    def centred_differences(self, reference, case):
        if case.expected is not MISSING:
            return case.expected
        return reference.remember(
            ["centred_differences", case.args, case.kwargs],
            lambda: tuple(tuple(pair) for pair in reference.centred_differences(*_check_args(case))))

    def judge(self, student, reference, case):
        gradient_case = Case(case.label, case.args[:3] + (_check_args(case)[3],))
        outcome, failure = student_gradients(student, gradient_case)
        if failure:
            return "gradient_check is judged with your own network_gradients: " + failure
        if outcome.error:
            return ("gradient_check compares your network_gradients with centred differences, but "
                    "network_gradients " + outcome.error_text())
        layers = case.args[2]
        gradients, problem = _quiet(network_arrays, outcome.value, shapes_of(layers), "the gradient")
        if problem:
            return ("gradient_check compares your network_gradients with centred differences, but "
                    "network_gradients returned a gradient that does not fit the layers: " + problem)
        expected = _quiet(largest_relative_error, gradients, self.centred_differences(reference, case))
        outcome = student.call(self.function, *case.args, **case.kwargs)
        if outcome.error:
            return outcome.error_text()
        value = as_float_array(outcome.value)
        if value is None or value.shape != ():
            return "expected a single number (the largest relative error), got %s" % describe(outcome.value)
        return verdict_on_check(float(value), expected, case) or FunctionTest.modified_input(self, case, outcome)


def verdict_on_check(value, expected, case):
    h = _check_args(case)[4]
    if not math.isfinite(value) or value < 0:
        return "returned %s: a relative error is a number of at least 0" % fmt(value)
    if expected < SMALL:
        if value < SMALL:
            return None
        return ("returned %.3g, but your network_gradients agrees with centred differences of the loss "
                "(with h = %g) to %.2g: %s" % (value, h, expected, _CHECK_HINT))
    if value > 0 and abs(math.log10(value / expected)) <= math.log10(FACTOR):
        return None
    return ("returned %.3g, but your network_gradients and centred differences of the loss (with h = %g) "
            "differ by a relative error of %.3g here%s" % (
                value, h, expected, " (a correct gradient_check gives about the same)" if value < SMALL else
                ": " + _CHECK_HINT))


_CHECK_HINT = ("take (loss(p + h) - loss(p - h)) / (2h) for every entry p of every W and b (with the h "
               "you are given), then relative_error against network_gradients' array for that W or b, "
               "and return the largest")


gradient_check = GradientCheckTest("gradient_check", 2)


# --- momentum_step (lesson 05) -------------------------------------------------------------

def momentum_step_cases():
    return [
        Case("the lesson's first step on (x - 3)^2: x = 0, grad -6, velocity 0, learning rate 0.1",
             (0.0, -6.0, 0.0, 0.1), public=True, expected=(0.6, -6.0)),
        Case("arrays with a velocity, beta 0.9", ([1.0, 2.0], [0.5, -1.0], [0.1, 0.2], 0.1), public=True,
             expected=(np.array([0.941, 2.082]), np.array([0.59, -0.82]))),
        Case("the same with beta 0.5", ([1.0, 2.0], [0.5, -1.0], [0.1, 0.2], 0.1), {"beta": 0.5}, public=True,
             expected=(np.array([0.945, 2.09]), np.array([0.55, -0.9]))),
        Case("a (2, 3) matrix with a velocity", (_random(30, 2, 3), _random(31, 2, 3), _random(32, 2, 3), 0.05)),
        Case("beta 0 is plain SGD", (_random(33, 3), _random(34, 3), _random(35, 3), 0.2), {"beta": 0.0}),
        Case("a scalar several steps in", (1.7, -2.6, -4.2, 0.1)),
        Case("param of shape (3,) with grad of shape (2,)", (np.zeros(3), np.ones(2), np.zeros(3), 0.1),
             raises="ValueError"),
    ]


momentum_step = FunctionTest(
    "momentum_step", 1, momentum_step_cases, params=("param", "grad", "velocity", "learning_rate"),
    names=("param", "velocity"),
    hints=[
        mistake("momentum_uphill", "the step has the wrong sign: param - learning_rate * v"),
        mistake("momentum_other_convention",
                "this is the other common convention (v = beta v - lr grad; param + v): here "
                "v = beta * velocity + grad and the step is param - learning_rate * v"),
        mistake("momentum_average", "v = beta * velocity + grad, with no (1 - beta) factor"),
        mistake("momentum_old_velocity", "step with the new velocity v, not the old one"),
        mistake("momentum_swapped", "the pair is reversed: return (new param, v)"),
    ])


# --- adam_step (lesson 05) -----------------------------------------------------------------

ADAM_PARAMS = ("param", "grad", "m", "v", "t")


def adam_step_cases():
    rng = np.random.default_rng(40)
    W, G = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    M, V = 0.1 * rng.normal(size=(2, 3)), 0.1 * rng.random(size=(2, 3))
    return [
        Case("the lesson's first step on (x - 3)^2: x = 0, grad -6, t = 1, learning rate 0.1",
             (0.0, -6.0, 0.0, 0.0, 1), {"learning_rate": 0.1}, public=True,
             expected=(0.09999999983333335, -0.6, 0.036)),
        Case("arrays at step t = 3 with the default hyperparameters",
             ([1.0, -2.0], [0.5, -1.0], [0.1, -0.2], [0.01, 0.04], 3), public=True,
             expected=(np.array([0.9997205190517752, -1.9997205190510192]),
                       np.array([0.14, -0.28]), np.array([0.01024, 0.04096]))),
        Case("a (2, 3) matrix at t = 1 from zero moments", (W, G, np.zeros((2, 3)), np.zeros((2, 3)), 1)),
        Case("a (2, 3) matrix at t = 10", (W, G, M, V, 10)),
        Case("t = 1000, where the bias correction is almost 1 for m", (W, G, M, V, 1000)),
        Case("beta1 = 0.5, beta2 = 0.9, learning rate 0.01", (W, G, M, V, 4),
             {"beta1": 0.5, "beta2": 0.9, "learning_rate": 0.01}),
        Case("a zero gradient from zero moments", (W, np.zeros((2, 3)), np.zeros((2, 3)), np.zeros((2, 3)), 1)),
    ]


def _uphill(case, expected):
    return (2 * np.asarray(case.args[0], dtype=float) - expected[0],) + tuple(expected[1:])


adam_step = FunctionTest(
    "adam_step", 2, adam_step_cases, params=ADAM_PARAMS, names=("param", "m", "v"),
    hints=[
        mistake("adam_uncorrected",
                "no bias correction: divide m by (1 - beta1 ** t) and v by (1 - beta2 ** t) before the step"),
        mistake("adam_corrected_one_step_on",
                "t counts from 1: the correction is 1 - beta ** t for the t you were given"),
        expected_as(_uphill, "the step has the wrong sign: param - learning_rate * m_hat / (sqrt(v_hat) + eps)"),
        mistake("adam_corrected_moments", "return m and v themselves (the running averages), "
                                          "not the bias-corrected m_hat and v_hat"),
    ])


# --- train_network ----------------------------------------------------------------------

TRAIN_PARAMS = ("X", "labels", "layer_sizes", "optimizer", "learning_rate", "epochs", "batch_size", "seed")
MIN_ACCURACY = 0.9
HELD_OUT_FRACTION = 0.25
DIGITS_SIZES = [64, 32, 10]
DIGITS_BATCH = 64
MOONS_ROWS, MOONS_NOISE, MOONS_SIZES, MOONS_BATCH = 400, 0.2, [2, 16, 2], 32
LOSS_RTOL = 1e-5


@dataclass
class HeldOut(Case):
    """A fit on real data, judged by accuracy on the rows held out and by its last loss."""
    X_test: object = None
    y_test: object = None
    data: str = "digits"


@functools.lru_cache(maxsize=None)
def digits_split(seed):
    """(X_train, y_train, X_test, y_test): digits scaled by 1/16, a quarter held out by `seed`."""
    X, y = datasets.digits()
    order = np.random.default_rng(seed).permutation(len(X))
    n_test = int(round(HELD_OUT_FRACTION * len(X)))
    test, train = order[:n_test], order[n_test:]
    return X[train] / 16.0, y[train].astype(np.int64), X[test] / 16.0, y[test].astype(np.int64)


@functools.lru_cache(maxsize=None)
def moons_split(seed):
    """(X_train, y_train, X_test, y_test): scikit-learn's `make_moons(400, noise=0.2,
    random_state=0, shuffle=False)`, a quarter held out by `seed`. Two interleaved half
    circles: no straight line separates them, a hidden layer does."""
    X, y = datasets.moons(MOONS_ROWS, MOONS_NOISE, 0)
    order = np.random.default_rng(seed).permutation(MOONS_ROWS)
    test, train = np.split(order, [int(round(HELD_OUT_FRACTION * MOONS_ROWS))])
    return X[train], y[train], X[test], y[test]


def _held_out_moons(split, optimizer, learning_rate, epochs, seed):
    X_train, y_train, X_test, y_test = moons_split(split)
    label = ("moons (%d training points, noise %g), 2-16-2, %s with learning rate %g, %d epochs, batches of "
             "%d, seed %d: accuracy on %d held-out points, and the last loss"
             % (len(X_train), MOONS_NOISE, optimizer, learning_rate, epochs, MOONS_BATCH, seed, len(X_test)))
    return HeldOut(label, (X_train.copy(), y_train.copy(), list(MOONS_SIZES), optimizer, learning_rate,
                           epochs, MOONS_BATCH, seed), X_test=X_test, y_test=y_test, data="moons points")


def _held_out(split, optimizer, learning_rate, epochs, seed, public=False):
    X_train, y_train, X_test, y_test = digits_split(split)
    label = ("digits (%d training rows), 64-32-10, %s with learning rate %g, %d epochs, batches of %d, "
             "seed %d: accuracy on %d held-out rows, and the last loss"
             % (len(X_train), optimizer, learning_rate, epochs, DIGITS_BATCH, seed, len(X_test)))
    return HeldOut(label, (X_train.copy(), y_train.copy(), list(DIGITS_SIZES), optimizer, learning_rate,
                           epochs, DIGITS_BATCH, seed), public=public, X_test=X_test, y_test=y_test)


def _toy(seed, n, d, k):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    return X, np.argmax(X @ rng.normal(size=(d, k)), axis=1)


TOY_X, TOY_LABELS = _toy(380, 10, 3, 3)


def train_network_cases():
    X12, y12 = _toy(381, 12, 4, 3)
    X9, y9 = _toy(382, 9, 2, 2)
    return [
        Case("10 rows, a 3-4-3 network, sgd with learning rate 0.5, 2 epochs, batches of 4, seed 0",
             (TOY_X, TOY_LABELS, [3, 4, 3], "sgd", 0.5, 2, 4, 0), public=True,
             expected=PUBLIC["train_network", 0]),
        Case("the same with momentum, learning rate 0.1, 3 epochs", (TOY_X, TOY_LABELS, [3, 4, 3], "momentum",
                                                                     0.1, 3, 4, 0), public=True,
             expected=PUBLIC["train_network", 1]),
        Case("the same with adam, learning rate 0.05, 3 epochs (t counts updates from 1)",
             (TOY_X, TOY_LABELS, [3, 4, 3], "adam", 0.05, 3, 4, 0), public=True,
             expected=PUBLIC["train_network", 2]),
        _held_out(0, "adam", 0.01, 15, 0, public=True),
        Case("12 rows, 4-5-4-3, sgd, 4 epochs, batches of 5, seed 3", (X12, y12, [4, 5, 4, 3], "sgd", 0.3, 4, 5, 3)),
        Case("12 rows, momentum, 5 epochs, batches of 3, seed 4", (X12, y12, [4, 6, 3], "momentum", 0.05, 5, 3, 4)),
        Case("9 rows, one layer, adam, 4 epochs, one batch larger than the data",
             (X9, y9, [2, 2], "adam", 0.1, 4, 16, 5)),
        Case("12 rows, adam, 6 epochs, batches of 5 (t runs past the epochs' count)",
             (X12, y12, [4, 5, 3], "adam", 0.02, 6, 5, 6)),
        Case("0 epochs: init_layers(layer_sizes, seed, 'he') and no losses", (X9, y9, [2, 3, 2], "sgd", 0.1, 0, 4, 7)),
        Case("optimizer 'rmsprop'", (X9, y9, [2, 3, 2], "rmsprop", 0.1, 1, 4, 8), raises="ValueError"),
        # Measured over 4 splits and 3 seeds each, the held-out accuracy of a correct run is at
        # least 94% at these settings (plain SGD needs the most epochs to be steady: at 20 it
        # fell to 78% once).
        _held_out(1, "sgd", 0.2, 30, 1),
        _held_out(2, "momentum", 0.05, 15, 2),
        # A correct run measured at 97-98% over 3 seeds at these settings (0.1 s).
        _held_out_moons(0, "adam", 0.01, 60, 4),
    ]


class TrainNetworkTest(FunctionTest):
    """Small runs are compared with the reference's; held-out cases are judged by the
    accuracy of the returned network on the held-out rows and by its last loss, both
    measured with `Measures`."""

    def expected(self, reference, case):
        if case.expected is not MISSING:
            return case.expected
        return reference.remember(["train_network", case.args, case.kwargs],
                                  lambda: _as_expected(reference.train_network(*inputs(case)[0])))

    def judge(self, student, reference, case):
        if not isinstance(case, HeldOut):
            return super().judge(student, reference, case)
        measures = Measures(student, reference)
        return self.judge_returned(case, student, lambda case, got: _quiet(held_out_problem, case, got, measures))

    def problem(self, case, got, expected, reference):
        if not isinstance(got, (list, tuple)) or len(got) != 2:
            return "expected a pair (layers, losses), got %s" % describe(got)
        problem = layers_problem(got[0], expected[0], self.rtol, self.atol, case.public, what="the network")
        if problem is None:
            mismatch = compare(got[1], expected[1], self.rtol, self.atol, case.public)
            problem = mismatch and "losses: " + mismatch.text()
        if problem is None:
            return None
        hint = self.hint(case, got, expected, reference) or _adam_nonfinite(case, got)
        return problem + (" - hint: " + hint if hint else "")


def _as_expected(result):
    layers, losses = result
    return tuple(tuple(pair) for pair in layers), np.asarray(losses, dtype=np.float64)


class Measures:
    """The forward pass and loss that measure a network returned by train_network.

    They are the reference's wherever there is one: on the grader's side and under
    nbgrader. The student's own notebook has no reference, and this module holds no
    forward pass of its own (that would be forward_with_cache's answer), so there the
    public held-out case is measured with the student's own forward_with_cache and
    softmax_cross_entropy, and grading measures it again with the reference's.
    """

    def __init__(self, student, reference):
        self.student = student
        self.reference = reference

    def logits(self, X, layers):
        """(the network's logits on X, None), or (None, why there are none)."""
        if self.reference is not None:
            return self.reference.forward_with_cache(X, layers)[0], None
        outcome = self.student.call("forward_with_cache", X, layers, pick=0)
        logits = None if outcome.error else as_float_array(outcome.value)
        shape = (len(X), len(layers[-1][1]))
        if logits is None or logits.shape != shape or not np.isfinite(logits).all():
            return None, _unmeasured("forward_with_cache", outcome, "finite logits of shape %s" % (shape,))
        return logits, None

    def loss(self, X, layers, labels):
        """(the network's mean cross-entropy on X, None), or (None, why there is none)."""
        logits, problem = self.logits(X, layers)
        if problem:
            return None, problem
        if self.reference is not None:
            return self.reference.softmax_cross_entropy(logits, labels)[0], None
        outcome = self.student.call("softmax_cross_entropy", logits, labels, pick=0)
        loss = None if outcome.error else as_float_array(outcome.value)
        if loss is None or loss.shape != () or not np.isfinite(loss):
            return None, _unmeasured("softmax_cross_entropy", outcome, "a finite loss")
        return float(loss), None


def _unmeasured(function, outcome, wanted):
    failure = outcome.error_text() if outcome.error else "returned %s, not %s" % (describe(outcome.value), wanted)
    return ("this case measures the returned network with your %s here (with the grader's when graded), "
            "but %s %s" % (function, function, failure))


def held_out_problem(case, got, measures):
    X_train, y_train, sizes, optimizer, learning_rate, epochs = case.args[:6]
    if not isinstance(got, (list, tuple)) or len(got) != 2:
        return "expected a pair (layers, losses), got %s" % describe(got)
    shapes = [((n_in, n_out), (n_out,)) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    layers, problem = network_arrays(got[0], shapes)
    if problem:
        return problem
    losses = as_float_array(got[1])
    if losses is None or losses.shape != (epochs,):
        return "losses: expected %s, one per epoch, got %s" % (describe_shape((epochs,)), describe(got[1]))
    logits, problem = measures.logits(case.X_test, layers)
    if problem:
        return problem
    accuracy = float(np.mean(np.argmax(logits, axis=1) == case.y_test))
    if not accuracy >= MIN_ACCURACY:
        return ("the returned network classifies %.1f%% of the %d held-out %s correctly, at least "
                "%.0f%% expected (a correct run reaches about 96%%): check that every batch updates every "
                "W and b with the chosen optimiser, and the gradients with gradient_check"
                % (100 * accuracy, len(case.y_test), case.data, 100 * MIN_ACCURACY))
    loss, problem = measures.loss(X_train, layers, y_train)
    if problem:
        return problem
    if not np.isclose(losses[-1], loss, rtol=LOSS_RTOL, atol=1e-8):
        return ("the last loss is %s, but the returned network's mean cross-entropy over all of X is %s: "
                "record the loss after each epoch's updates, over all rows, with the network you return"
                % (fmt(losses[-1]), fmt(loss)))
    return None


def _adam_nonfinite(case, got):
    if case.args[3] != "adam":
        return None
    arrays = [as_float_array(part) for pair in (got[0] if isinstance(got[0], (list, tuple)) else [])
              for part in (pair if isinstance(pair, (list, tuple)) else [])]
    if any(array is not None and not np.isfinite(array).all() for array in arrays):
        return ("the network holds inf or NaN after Adam: t counts updates from 1 (t = 1 for the first "
                "batch), since 1 - beta1 ** 0 is 0 and the bias correction divides by it")
    return None


train_network = TrainNetworkTest(
    "train_network", 3, train_network_cases, params=TRAIN_PARAMS, names=("layers", "losses"),
    hints=[
        mistake("same_batches_every_epoch",
                "every epoch uses the same batches: call minibatches(len(X), batch_size, rng) in each "
                "epoch, with one rng = np.random.default_rng(seed) made once before the loop"),
        mistake("losses_before_updates", "losses[i] is the loss after epoch i: record it after the "
                                         "epoch's updates, not before them"),
        mistake("t_counts_epochs", "Adam's t counts updates (batches), not epochs: add 1 to t "
                                   "before every update"),
        mistake("state_reset_every_epoch", "the optimiser's state (velocity, m, v) starts at zero "
                                           "once for the whole run, not again in every epoch"),
    ])


# --- the public cases' expected values: what the reference computes, shipped as data --------
# (tests/test_checks_reference.py keeps them equal to the reference, and tests/test_checks_ps3.py
# gradient_check's centred differences)

PUBLIC = {
    ('softmax_cross_entropy', 0): (0.31853976964918573, np.array([[-0.17049943055701605, 0.12121648535235695, 0.0492829452046591], [0.054301865153506185, -0.09876047210417538, 0.04445860695066913]])),
    ('softmax_cross_entropy', 1): (0.6566308437591114, np.array([[0.0, 0.0, 0.0], [0.0, 0.36552928931500245, -0.36552928931500245]])),
    ('forward_with_cache', 0): np.array([[0.14, -0.365, 0.40499999999999997], [0.14499999999999996, -0.014999999999999986, 0.10500000000000007], [0.36000000000000004, 0.2, 0.01999999999999999], [0.27299999999999996, 0.587, -0.148], [-0.039999999999999994, -0.19399999999999995, 0.36]]),
    ('forward_with_cache', 1): np.array([[-0.07541595237448091, -0.36988188762062657, 0.4726596358476092], [-0.149987515585858, 0.0596453977188237, 0.09361067515597919], [0.46339647399479705, 0.13280419675069716, -0.10781903374253195], [0.6247043033237283, 0.6091099497637947, -0.8226389048306746], [-0.40021880133274945, -0.7599915372424273, 0.572288021241524]]),
    ('network_gradients', 0): ((np.array([[0.06305938537525192, -0.2312651492723161, 0.14308372300139566, -0.10648052459518273], [0.018523106071594384, -0.05978201751870025, 0.20088448537424083, -0.054800235775325834], [-0.115388712523169, 0.042252698453687114, -0.2885728163582892, 0.16639008466808247]]), np.array([0.19330196256294516, 0.02472337938867397, 0.019174267765612818, 0.13998465545147204])), (np.array([[-0.04092125168347873, -0.08774438322363017, 0.1286656349071089], [0.08594067318950593, -0.002511267763674724, -0.08342940542583123], [0.047323114486638236, 0.010439135097543472, -0.05776224958418172], [0.1044174224013916, 0.08966189518056811, -0.1940793175819597]]), np.array([0.14373402484099473, -0.08972762453842126, -0.054006400302573504]))),
    ('network_gradients', 1): ((np.array([[0.1330735115311449, -0.235996266713404, 0.19652324834951143, -0.21700495142199702], [0.05842343223089509, -0.1309051481127271, 0.0740857764005566, -0.01030870256990217], [-0.22271057731116503, 0.35435699430525075, -0.2039949199626046, 0.10830967933483146]]), np.array([0.09953423901936302, -0.0017142059179067748, 0.02027021474078224, 0.04924329862269337])), (np.array([[-0.1062530490011345, -0.16546697920195935, 0.2717200282030939], [0.0729246426654028, 0.09286902237317848, -0.1657936650385813], [-0.08961351402764593, -0.032947261829140775, 0.12256077585678676], [0.0632325790665504, 0.13144066650365646, -0.19467324557020688]]), np.array([0.13830182168911015, -0.10305458317858657, -0.03524723851052358]))),
    ('network_gradients', 2): ((np.array([[0.02951133943538147, -0.06390668169076685, 0.06181212994996898, -0.04657581611210718], [0.013054855630194276, -0.03168777485430026, 0.031438757112019156, -0.013618007313151725], [-0.05256008540605785, 0.09359287776045876, -0.06739520229636423, 0.03417914423908711]]), np.array([0.021633115799970973, -7.046572010048838e-05, -0.027539902428688583, 0.021710193561403007])), (np.array([[0.05371587012701158, -0.07670381781561003, 0.02298794768859842], [0.0922987052424539, -0.021254072657480156, -0.07104463258497377], [0.06165455999122185, -0.0475838048697189, -0.014070755121503005], [0.10298400946883966, -0.0072649735484527755, -0.09571903592038691]]), np.array([0.1609301594958742, -0.08389287016693428, -0.07703728932894002]))),
    ('gradient_check', 0): ((np.array([[0.1330735115434578, -0.23599626672865523, 0.19652324834140697, -0.21700495139720385], [0.05842343223649848, -0.13090514811020526, 0.07408577640255487, -0.010308702569350459], [-0.22271057729117413, 0.35435699428099093, -0.2039949199894586, 0.10830967932529133]]), np.array([0.09953423899533574, -0.00171420592165461, 0.020270214728945746, 0.049243298616552515])), (np.array([[-0.10625304901479281, -0.1654669791961716, 0.2717200282109644], [0.0729246426578456, 0.09286902237226612, -0.16579366504121396], [-0.08961351403158345, -0.03294726181879426, 0.12256077586147994], [0.06323257907281388, 0.1314406664953971, -0.1946732455904154]]), np.array([0.13830182169494165, -0.10305458317816373, -0.03524723850567568]))),
    ('gradient_check', 1): ((np.array([[0.07594689591661208, -0.01274709809928609, 0.022591380377523503, -0.002601269877278156], [-0.3967539485172366, 0.06319241069308035, -0.0897698631763255, 0.004636759542986368], [0.018542162361079306, 0.06372242136176709, 0.13128794434935642, 0.1753640737955919]]), np.array([0.3279870723016387, -0.0514125165440582, 0.11738450101939078, -0.0016548834413931954])), (np.array([[-0.5375032128607238, 0.0023032693974300855, 0.5351999434410892], [-0.3257940772605217, 0.042443148873250174, 0.28335092837616926], [0.0007698042314707719, -0.0030537827933052593, 0.0022839785618344877], [-0.1633198705053296, -0.10025302512595145, 0.2635728956090766]]), np.array([-0.43669688715164406, 0.043138836680611796, 0.3935580504932367]))),
    ('gradient_check', 2): ((np.array([[0.02950322591488197, -0.06389084901158526, 0.0618010449603279, -0.04655733548447394], [0.013049994332821058, -0.03168072652700804, 0.03143824357380698, -0.013618071969085932], [-0.052530326614461664, 0.09354304567388283, -0.06738721140175041, 0.03417894511954289]]), np.array([0.02162750593157181, -7.213975973474618e-05, -0.027542644322120502, 0.02170839963106186])), (np.array([[0.05372073311044945, -0.07669781116671048, 0.02299287757220103], [0.09230241956482921, -0.021249240318930163, -0.07103917296911177], [0.061659469768282626, -0.04757810099598636, -0.014065983409625726], [0.10298895569401667, -0.007259247301723004, -0.09571326063138041]]), np.array([0.16095662839815006, -0.08386014066294134, -0.07700642547846082]))),
    ('train_network', 0): (((np.array([[-0.4835137188980732, -0.149920303273995, 0.36283511818995207, 0.5712875098439005], [-0.8386313401330973, 0.34272302716763364, 0.9674557130907738, 0.7052694899507821], [-0.7597980588341717, -1.0373415137539135, -0.5045686753624441, 0.04385152763655327]]), np.array([0.4833418187495205, 0.05710275680321795, -0.14414595356833443, 0.1502867962940554])), (np.array([[-1.7050570074579634, 0.2255652559240579, -1.2002544244716147], [-0.6150483383560308, -0.0952535883785212, -0.41599648837688485], [0.09260215671932367, 0.49746149213570573, 0.34728363598387574], [0.7088387337125616, -0.650100647979051, 0.6856889903224537]]), np.array([-0.37574052125429996, 0.39408722403626417, -0.01834670278196418]))), np.array([0.6168551514491625, 0.40171514865338764])),
    ('train_network', 1): (((np.array([[-0.46117484493828037, -0.1493698068796662, 0.287187824475965, 0.9701616908307877], [-0.9854251977948594, 0.3592413016992817, 0.8988474966720436, 0.5667751400009301], [-0.7523129746560133, -1.030206894723911, -0.5128615269058193, 0.11416843287620379]]), np.array([0.45578335010108456, 0.04759895479288718, -0.22148870843746885, -0.03649110611374883])), (np.array([[-1.7151400739581217, 0.2655748914714125, -1.230180993518811], [-0.6823253420285796, 0.05559402425630109, -0.4995670973391584], [0.021276588828602484, 0.4106429294261037, 0.5054277665841992], [0.6952392344547462, -0.6749633355165637, 0.7241511771177819]]), np.array([-0.5206645331964039, 0.5468463975745532, -0.02618186437814942]))), np.array([0.913126970997836, 0.569353678384899, 0.35050536693868034])),
    ('train_network', 2): (((np.array([[-0.1101095007671412, -0.15226303431267424, 0.19654381078221528, 0.41476519538630013], [-0.8035794503707401, 0.6034980027693786, 0.7446452291356708, 0.5354065454117197], [-0.7942042158916122, -1.0329272968942529, -0.5038810277334995, 0.27426908051529897]]), np.array([0.20190186789806486, 0.32929257481428237, -0.3408246972442139, 0.0925983289426281])), (np.array([[-1.7623567568158094, 0.24386470088877973, -1.314900382788269], [-0.8630401771296031, -0.06467808454356981, -0.4912189038879907], [-0.04041892124476816, 0.4044979243230012, 0.25724772587057215], [0.6061135402365186, -0.8258450781531352, 0.6161229301356007]]), np.array([-0.3566566137867665, 0.3137724907120023, -0.03904405475480512]))), np.array([0.8287779240763783, 0.6227520224713231, 0.4808197285295758])),
}


ASSIGNMENT = Assignment(
    "ps3_backprop",
    tests=(softmax_cross_entropy, forward_with_cache, network_gradients, gradient_check, momentum_step,
           adam_step, train_network),
    mistake=Mistake("gradient_check", "(loss_plus - loss_minus) / (2 * h)", "(loss_plus - loss_minus) / h"))
