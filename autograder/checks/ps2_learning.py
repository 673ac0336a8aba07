"""ps2_learning (version 2): gradients you can trust, and a model trained on real data.

Points: mse 1, binary_cross_entropy 2, minibatches 2 (the contracts of lessons 03
and 04), centred_gradient 2, relative_error 1, logistic_gradients 3, fit_logistic 4
(15 in all; docs/contracts.md).

`centred_gradient` is called with functions the grader names (`{"$function": name}`,
see `sandbox/wire.py`); its expected value is the centred difference of that function
in closed form, computed here, never a numerical gradient of the reference (for the
logistic loss, whose cases are hidden, the reference's analytic gradient).
`fit_logistic` is judged twice: against the reference's fit on small data, and on
standardised breast-cancer data this module splits itself, by the accuracy of the
returned (w, b) on rows the student's code never saw.

A hint reads a mistake off the right answer (`expected_as`), or compares the answer
with the grader's model of a typical mistake (`mistake`). The models are the right
computation with one thing changed, so they live with the answer key
(`solutions/mistakes/ps2_learning.py`); on the public cases in the student's notebook
they are compared through shipped digests of their answers.
"""
import functools
from dataclasses import dataclass

import numpy as np

from ..sandbox import wire
from . import datasets
from .assignment import Assignment, Mistake
from .cases import Case, FunctionTest, expected_as, mistake, nonfinite, same_as, with_reference
from .compare import as_float_array, describe, describe_shape


def _random(seed, *shape, scale=1.0):
    return np.random.default_rng(seed).normal(0.0, scale, size=shape)


def _probabilities(seed, *shape):
    return np.random.default_rng(seed).uniform(0.02, 0.98, size=shape)


def _labels(seed, *shape):
    return np.random.default_rng(seed).integers(0, 2, size=shape).astype(float)


def _size(case):
    return np.size(case.args[0])


# --- mse -------------------------------------------------------------------------

def regression_cases(seed, public_expected):
    """mse's cases; `public_expected` holds the two public answers."""
    lesson, four = public_expected
    return [
        Case("the lesson's 3 predictions [2.8, 5.3, 6.5] for targets [3, 5, 7]",
             ([3.0, 5.0, 7.0], [2.8, 5.3, 6.5]), public=True, expected=lesson),
        Case("targets [3, 5, 7, 9], predictions [2.8, 5.3, 6.5, 9.2]",
             (np.array([3.0, 5.0, 7.0, 9.0]), np.array([2.8, 5.3, 6.5, 9.2])), public=True,
             expected=four),
        Case("y_true of shape (3,) and y_pred of shape (3, 1): mismatched shapes",
             ([1.0, 2.0, 3.0], [[1.0], [2.0], [3.0]]), public=True, raises="ValueError"),
        Case("a single value", ([2.0], [-1.5])),
        Case("perfect predictions", (_random(seed, 6), _random(seed, 6))),
        Case("random (4, 3) arrays (the mean is over all 12 elements)",
             (_random(seed + 1, 4, 3), _random(seed + 2, 4, 3))),
        Case("random (50,) arrays with an outlier",
             (_random(seed + 3, 50), np.append(_random(seed + 4, 49), 40.0))),
        Case("float32 arrays", (_random(seed + 5, 7).astype(np.float32), _random(seed + 6, 7).astype(np.float32))),
        Case("y_true of shape (4,) and y_pred of shape (5,)", (_random(seed + 7, 4), _random(seed + 8, 5)),
             raises="ValueError"),
    ]


SUM_NOT_MEAN = "this is the sum of the errors' terms; divide by their number (np.mean)"

mse = FunctionTest(
    "mse", 1, lambda: regression_cases(20, (0.12666666666666668, 0.105)), params=("y_true", "y_pred"),
    hints=[
        expected_as(lambda case, expected: expected * _size(case), SUM_NOT_MEAN),
        expected_as(lambda case, expected: np.sqrt(expected),
                    "this is the root of the MSE (RMSE): leave out the square root"),
        expected_as(lambda case, expected: expected * _size(case) / (_size(case) - 1)
                    if _size(case) > 1 else None,
                    "this divides by n - 1: the mean divides by n"),
        mistake("variance_of_errors", "np.var subtracts the mean error first: square the errors themselves"),
        mistake("mean_absolute_error", "this is the MAE: square the errors"),
    ])


# --- binary_cross_entropy ----------------------------------------------------------------

def binary_cross_entropy_cases():
    return [
        Case("y = [1, 0, 1, 0], p = [0.9, 0.1, 0.8, 0.3]", ([1.0, 0.0, 1.0, 0.0], [0.9, 0.1, 0.8, 0.3]),
             public=True, expected=0.19763488164214868),
        Case("p exactly 0 and 1 (two right, two confidently wrong): must be finite",
             ([1.0, 0.0, 1.0, 0.0], [1.0, 0.0, 0.0, 1.0]), public=True, expected=8.059047875610752),
        Case("random labels and probabilities of shape (40,)", (_labels(80, 40), _probabilities(81, 40))),
        Case("a column of shape (6, 1)", (_labels(82, 6, 1), _probabilities(83, 6, 1))),
        Case("every prediction exactly right at 0 or 1", ([0.0, 1.0, 1.0], [0.0, 1.0, 1.0])),
        Case("eps = 0.01 with p at 0 and 1", ([1.0, 0.0, 1.0], [0.0, 1.0, 0.5]), {"eps": 0.01}),
        Case("integer labels", (np.array([1, 0, 0, 1]), _probabilities(84, 4))),
        Case("y of shape (4,) and p of shape (4, 1)", (_labels(85, 4), _probabilities(86, 4, 1)),
             raises="ValueError"),
    ]


UNCLIPPED = ("log(0) is -inf: clip p to [eps, 1 - eps] first, "
             "p = np.clip(p, eps, 1 - eps)")

binary_cross_entropy = FunctionTest(
    "binary_cross_entropy", 2, binary_cross_entropy_cases, params=("y_true", "p"),
    hints=[
        nonfinite(UNCLIPPED),
        expected_as(lambda case, expected: -expected, "the sign is flipped: BCE is -mean(...)"),
        mistake("arguments_swapped", "the arguments are swapped: y_true comes first, then p"),
        expected_as(lambda case, expected: expected * _size(case), SUM_NOT_MEAN),
    ])


# --- minibatches -------------------------------------------------------------------------

def minibatches_cases():
    return [
        Case("10 samples in batches of 4 (the last one has 2)", (10, 4, {"$rng": 0}), public=True,
             expected=[np.array([4, 6, 2, 7]), np.array([3, 5, 9, 0]), np.array([8, 1])]),
        Case("12 samples in batches of 4", (12, 4, {"$rng": 1})),
        Case("7 samples in batches of 3", (7, 3, {"$rng": 2}), public=True,
             expected=[np.array([5, 6, 2]), np.array([3, 4, 0]), np.array([1])]),
        Case("batch size 1", (5, 1, {"$rng": 3})),
        Case("batch size larger than the data", (5, 8, {"$rng": 4})),
        Case("100 samples in batches of 32", (100, 32, {"$rng": 5})),
        Case("batch size 0", (10, 0, {"$rng": 6}), raises="ValueError"),
    ]


def _other_shuffle(case, got, expected, reference):
    """The batches hold every index once, in batches of the right sizes, but in another order.

    Each batch is read as numbers first: a batch of anything else is not a shuffle.
    """
    if not isinstance(got, list) or len(got) != len(expected):
        return None
    batches = [as_float_array(batch) for batch in got]
    if any(batch is None or batch.shape != np.shape(right) for batch, right in zip(batches, expected)):
        return None
    flat = np.concatenate(batches) if batches else np.zeros(0)
    if np.array_equal(np.sort(flat), np.arange(case.args[0])):
        return ("the batches are shuffled, but not as rng.permutation(n_samples) shuffles: "
                "use the rng you were given (not np.random), once")
    return None


class MinibatchesTest(FunctionTest):
    """Batches are indices: they must match exactly and be integers, so X[batch] works."""

    def problem(self, case, got, expected, reference):
        problem = super().problem(case, got, expected, reference)
        if problem is None and not all(_integers(batch) for batch in got):
            return "the batches must hold integers (indices, so that X[batch] works), not floats"
        return problem


def _integers(batch):
    if isinstance(batch, np.ndarray):
        return batch.dtype.kind in "iu"
    return all(type(item) is int for item in batch)


minibatches = MinibatchesTest(
    "minibatches", 2, minibatches_cases, params=("n_samples", "batch_size", "rng"), rtol=0, atol=0,
    hints=[
        mistake("unshuffled",
                "the indices are not shuffled: shuffle them once with rng.permutation(n_samples)"),
        expected_as(lambda case, expected: expected[:-1] if len(expected) > 1 else None,
                    "the last, shorter batch is missing: keep it (the last batch may be shorter)"),
        expected_as(lambda case, expected: np.concatenate(expected),
                    "this is the whole shuffled order: cut it into batches of batch_size"),
        _other_shuffle,
    ])


# --- centred_gradient --------------------------------------------------------------------

def function(name):
    """One of the grader's test functions, as a tag the student's side makes real."""
    return {"$function": name}


DEFAULT_H = 1e-5


def _parts(case):
    """(function name, x, h) of a centred_gradient case."""
    named = dict(zip(("f", "x", "h"), case.args), **case.kwargs)
    return named["f"]["$function"], named["x"], named.get("h", DEFAULT_H)


def exact_centred(name, x, h):
    """The centred difference of test function `name` at `x` with step `h`, in closed form.

    Exact for the sums of squares (centred differences are exact for quadratics), of
    cubes (3x^2 + h^2) and of sines (cos x sin h / h). The logistic loss has none here:
    its gradient is a graded function's answer, which only the reference computes.
    """
    x = np.asarray(x, dtype=np.float64)
    if name == "sum_of_squares":
        return 2.0 * x
    if name == "weighted_squares":
        return 2.0 * wire.square_weights(x.shape) * x
    if name == "sum_of_cubes":
        return 3.0 * x ** 2 + h ** 2
    if name == "sum_of_sines":
        return np.cos(x) * np.sin(h) / h
    raise ValueError("no closed form for the test function %r" % name)


def centred_gradient_cases():
    return [
        Case("f(x) = sum(x**2) at x = [1, -2, 0.5] with h = 0.25 (centred differences are exact "
             "for a quadratic: 2x)", (function("sum_of_squares"), [1.0, -2.0, 0.5], 0.25), public=True),
        Case("f(x) = sum(sin(x)) at x = [0, 1, 2] with the default h",
             (function("sum_of_sines"), np.array([0.0, 1.0, 2.0])), public=True),
        Case("f(x) = sum(x**3) at x = [1, 2] with h = 0.5: the centred difference is 3x**2 + h**2",
             (function("sum_of_cubes"), np.array([1.0, 2.0])), {"h": 0.5}, public=True),
        Case("f(x) = sum(sin(x)) at random x of shape (6,) with h = 0.1",
             (function("sum_of_sines"), _random(120, 6), 0.1)),
        Case("f(x) = sum(sin(x)) at random x of shape (6,) with h = 1e-3",
             (function("sum_of_sines"), _random(121, 6), 1e-3)),
        Case("a function of a (3, 4) array, f(X) = sum(c * X**2) with weights c = 1..12",
             (function("weighted_squares"), _random(122, 3, 4))),
        Case("f(X) = sum(c * X**2) on a (2, 3) array with h = 0.5",
             (function("weighted_squares"), _random(123, 2, 3), 0.5)),
        Case("a logistic loss on fixed data, as a function of its 3 weights",
             (function("logistic_loss"), np.array([0.5, -1.0, 0.25]))),
        Case("the logistic loss at w = 0", (function("logistic_loss"), np.zeros(3))),
        Case("f(x) = x**3 at the single number x = 1.5 with h = 0.1",
             (function("sum_of_cubes"), 1.5, 0.1)),
        Case("x given as float32", (function("sum_of_sines"), _random(124, 5).astype(np.float32))),
        Case("h = 0", (function("sum_of_squares"), np.ones(3), 0.0), raises="ValueError"),
    ]


def _ignores_h(case, reference):
    name, x, h = _parts(case)
    return exact_centred(name, x, DEFAULT_H) if h != DEFAULT_H and name != "logistic_loss" else None


def _float32_hint(case, got, expected, reference):
    name, x, h = _parts(case)
    if isinstance(x, np.ndarray) and x.dtype == np.float32:
        return ("x came as float32, whose rounding swallows a step of 1e-5: work on a float64 "
                "copy, x = np.array(x, dtype=float)")
    return None


class CentredGradientTest(FunctionTest):
    """The expected gradient is computed here in closed form, with or without a reference.

    For the logistic loss (hidden cases only) it is the reference's analytic gradient,
    from which the centred difference differs by O(h^2), far below the tolerance at the
    steps the cases use.
    """

    def expected(self, reference, case):
        name, x, h = _parts(case)
        if name == "logistic_loss":
            return reference.logistic_gradients(x, wire.LOGISTIC_B, wire.LOGISTIC_X, wire.LOGISTIC_Y)[0]
        return exact_centred(name, x, h)


centred_gradient = CentredGradientTest(
    "centred_gradient", 2, centred_gradient_cases, params=("f", "x", "h"),
    hints=[
        mistake("forward_difference",
                "this is a forward difference (f(x + h e_i) - f(x)) / h, whose error is O(h): take "
                "the centred one, (f(x + h e_i) - f(x - h e_i)) / (2h), whose error is O(h**2)"),
        mistake("backward_difference",
                "this is a backward difference (f(x) - f(x - h e_i)) / h: take the centred one, "
                "(f(x + h e_i) - f(x - h e_i)) / (2h)"),
        expected_as(lambda case, expected: 2 * expected,
                    "this is twice the gradient: x + h e_i and x - h e_i are 2h apart, divide by 2h"),
        expected_as(lambda case, expected: -expected,
                    "the sign is flipped: f(x + h e_i) comes first, f(x - h e_i) is subtracted"),
        same_as(_ignores_h, "this uses h = 1e-5 whatever h is passed: use the h you were given"),
        mistake("every_element_at_once",
                "this moves every element at once: nudge one element at a time (e_i is 1 at "
                "position i, 0 elsewhere)"),
        expected_as(lambda case, expected: np.ravel(expected) if np.ndim(expected) > 1 else None,
                    "the gradient must have the shape of x: fill np.zeros_like(x) (or reshape)"),
        _float32_hint,
    ])


# --- relative_error ----------------------------------------------------------------------

def relative_error_cases():
    return [
        Case("a = [1, 2, 3], b = [1, 2, 3.5]", ([1.0, 2.0, 3.0], [1.0, 2.0, 3.5]), public=True,
             expected=0.0633314684130917),
        Case("two zero arrays: 0, not 0 / 0", (np.zeros(3), np.zeros(3)), public=True, expected=0.0),
        Case("a of shape (3,) and b of shape (3, 1)", (np.ones(3), np.ones((3, 1))), public=True,
             raises="ValueError"),
        Case("two (4, 5) arrays that nearly agree",
             (_random(130, 4, 5), _random(130, 4, 5) + _random(131, 4, 5, scale=1e-6))),
        Case("two unrelated (4, 5) arrays", (_random(132, 4, 5), _random(133, 4, 5, scale=10.0))),
        Case("a and -a: 1", (_random(134, 6), -_random(134, 6))),
        Case("zeros against a non-zero array: 1", (np.zeros(4), _random(135, 4))),
        Case("single numbers 2 and 1", (2.0, 1.0)),
        Case("(2, 3, 4) arrays", (_random(136, 2, 3, 4), _random(137, 2, 3, 4))),
        Case("float32 arrays", (_random(138, 5).astype(np.float32), _random(139, 5).astype(np.float32))),
        Case("a of shape (2, 3) and b of shape (3, 2)", (np.ones((2, 3)), np.ones((3, 2))), raises="ValueError"),
    ]


relative_error = FunctionTest(
    "relative_error", 1, relative_error_cases, params=("a", "b"),
    hints=[
        nonfinite("two zero arrays give 0 / 0: the denominator is max(norm(a) + norm(b), 1e-12)"),
        mistake("largest_entries",
                "this compares the largest entries: the contract uses Euclidean norms over all elements"),
        mistake("over_norm_of_a",
                "this divides by norm(a) only: divide by norm(a) + norm(b), so that the error is "
                "symmetric and a zero a is no division by 0"),
        mistake("over_norm_of_sum", "the denominator is norm(a) + norm(b), not norm(a + b)"),
        mistake("squared_norms", "these are squared norms: take the square roots (np.linalg.norm)"),
        mistake("absolute_error", "this is the absolute error norm(a - b): divide it by norm(a) + norm(b)"),
    ])


# --- logistic_gradients ------------------------------------------------------------------

def logistic_gradients_cases():
    X = np.array([[1.0, 2.0], [0.5, -1.0], [-1.5, 0.5]])
    X4 = np.array([[1.0, -1.0], [2.0, 0.0], [0.0, 3.0], [-1.0, 1.0]])
    return [
        Case("w = [0.5, -0.25], b = 0.1, three rows of X (3, 2), y = [1, 0, 1]",
             ([0.5, -0.25], 0.1, X, [1.0, 0.0, 1.0]), public=True,
             expected=(np.array([0.2915698636923279, -0.6459995604765436]), -0.17132200220623175)),
        Case("w = 0, b = 0 (p = 0.5 everywhere), X (4, 2), y = [1, 1, 0, 0]",
             (np.zeros(2), 0.0, X4, np.array([1.0, 1.0, 0.0, 0.0])), public=True,
             expected=(np.array([-0.5, 0.625]), 0.0)),
        Case("w of shape (3,) for X of shape (4, 2)", (np.zeros(3), 0.0, X4, np.ones(4)), public=True,
             raises="ValueError"),
        Case("random X (20, 5), w, b and labels", (_random(140, 5), 0.3, _random(141, 20, 5), _labels(142, 20))),
        Case("one row", (_random(143, 3), -0.5, _random(144, 1, 3), np.array([1.0]))),
        Case("one feature, 8 rows", (_random(145, 1), 1.5, _random(146, 8, 1), _labels(147, 8))),
        Case("large scores (|X @ w| in the hundreds)", (_random(148, 4, scale=100.0), 0.0, _random(149, 12, 4),
                                                        _labels(150, 12))),
        Case("integer labels, X as float32", (_random(151, 3), 0.2, _random(152, 10, 3).astype(np.float32),
                                              np.array([1, 0, 0, 1, 1, 0, 1, 0, 0, 1]))),
        Case("y with 5 labels for X of 4 rows", (np.zeros(2), 0.0, X4, np.ones(5)), raises="ValueError"),
    ]


def _db_as_array(case, got, expected, reference):
    if isinstance(got, (tuple, list)) and len(got) == 2 and (
            isinstance(got[1], (list, tuple)) or isinstance(got[1], np.ndarray) and got[1].ndim > 0):
        return "db is one number, the mean of p - y over the rows (np.mean), not an array"
    return None


def _rows(case):
    return len(case.args[2])


logistic_gradients = FunctionTest(
    "logistic_gradients", 3, logistic_gradients_cases, params=("w", "b", "X", "y"), names=("dw", "db"),
    hints=[
        _db_as_array,
        expected_as(lambda case, expected: (-expected[0], -expected[1]),
                    "the sign is flipped: the loss grows with p - y, so dL/dz = p - y (not y - p)"),
        expected_as(lambda case, expected: (expected[0] * _rows(case), expected[1] * _rows(case))
                    if _rows(case) > 1 else None,
                    "this is the gradient of the sum over the rows: the loss is a mean, divide by n"),
        mistake("sigmoid_slope_kept", "this multiplies by the sigmoid's slope p (1 - p): with the "
                                      "cross-entropy it cancels, dL/dz = p - y"),
        same_as(with_reference("logistic_gradients", ("w", "b", "X", "y"), b=0.0),
                "the bias is missing: p = sigmoid(X @ w + b)"),
    ])


# --- fit_logistic ------------------------------------------------------------------------

def _toy(seed, n, d):
    """Labels from a noisy linear rule, so that a few epochs make progress."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = (X @ rng.normal(size=d) + 0.5 * rng.normal(size=n) > 0).astype(float)
    return X, y


TOY_X = np.array([[0.5, 1.0], [-1.0, 0.5], [1.5, -0.5], [-0.5, -1.5], [2.0, 1.0], [-2.0, 0.0],
                  [0.0, 2.0], [1.0, -1.0], [-1.5, 1.5], [0.5, -2.0], [1.0, 0.5], [-0.5, 0.0]])
TOY_Y = np.array([1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0])
# What the reference returns on the public case (the literal a student's notebook checks).
FIT_PUBLIC_EXPECTED = (np.array([1.3259562403583003, 0.46765293733742047]), -0.1209924007725035,
                       np.array([0.439929690313126, 0.32765614936758986, 0.26196601630817595]))
MIN_ACCURACY = 0.93
HELD_OUT_FRACTION = 0.25


@dataclass
class HeldOut(Case):
    """A fit on standardised breast-cancer rows, judged by accuracy on the rows held out."""
    X_test: object = None
    y_test: object = None


@functools.lru_cache(maxsize=None)
def breast_cancer_split(seed):
    """(X_train, y_train, X_test, y_test): a quarter of the rows held out, chosen by `seed`,
    every feature standardised with the training rows' mean and standard deviation."""
    X, y = datasets.breast_cancer()
    order = np.random.default_rng(seed).permutation(len(X))
    n_test = int(round(HELD_OUT_FRACTION * len(X)))
    test, train = order[:n_test], order[n_test:]
    mean, std = X[train].mean(axis=0), X[train].std(axis=0)
    return ((X[train] - mean) / std, y[train].astype(float), (X[test] - mean) / std, y[test].astype(float))


def _held_out(label, split, learning_rate, epochs, batch_size, seed, public=False):
    X_train, y_train, X_test, y_test = breast_cancer_split(split)
    return HeldOut(label, (X_train.copy(), y_train.copy(), learning_rate, epochs, batch_size, seed),
                   public=public, weight=2.5, X_test=X_test, y_test=y_test)


def fit_logistic_cases():
    X, y = _toy(160, 40, 3)
    X10, y10 = _toy(161, 10, 2)
    X7, y7 = _toy(162, 7, 4)
    return [
        Case("12 rows, 2 features: learning rate 0.5, 3 epochs, batches of 5, seed 0",
             (TOY_X, TOY_Y, 0.5, 3, 5, 0), public=True, expected=FIT_PUBLIC_EXPECTED),
        _held_out("standardised breast-cancer data, learning rate 0.1, 30 epochs, batches of 32, seed 0: "
                  "accuracy on the held-out rows", 0, 0.1, 30, 32, 0, public=True),
        Case("40 rows, 3 features: learning rate 0.3, 5 epochs, batches of 8, seed 3", (X, y, 0.3, 5, 8, 3)),
        Case("one batch larger than the data, 4 epochs", (X7, y7, 1.0, 4, 16, 4)),
        Case("batches of 1, 2 epochs", (X10, y10, 0.2, 2, 1, 5)),
        Case("batches of 3 with a shorter last one, 6 epochs, integer labels",
             (X10, y10.astype(int), 0.4, 6, 3, 6)),
        Case("0 epochs: w = 0, b = 0 and no losses", (X, y, 0.1, 0, 8, 7)),
        _held_out("another split of the standardised breast-cancer data, learning rate 0.05, 40 epochs, "
                  "batches of 16, seed 7: accuracy on the held-out rows", 1, 0.05, 40, 16, 7),
    ]


def _fit_parts(got, n_features, epochs):
    """(w, b, losses) as float arrays of the right shapes, or what is wrong with them."""
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        return None, "expected a tuple of 3 values (w, b, losses), got %s" % describe(got)
    w, b, losses = (as_float_array(part) for part in got)
    for name, part, sent, shape in (("w", w, got[0], (n_features,)), ("b", b, got[1], ()),
                                    ("losses", losses, got[2], (epochs,))):
        if part is None or part.shape != shape:
            return None, "%s: expected %s, got %s" % (name, describe_shape(shape), describe(sent))
        if not np.isfinite(part).all():
            return None, "%s: holds inf or NaN" % name
    return (w, float(b), losses), None


class FitLogisticTest(FunctionTest):
    """The small cases are compared with the reference's fit; held-out cases are judged by
    the accuracy of the returned (w, b) on the held-out rows, computed here (the losses are
    judged by the small cases, so that one slip in them is not counted twice)."""

    def judge(self, student, reference, case):
        if not isinstance(case, HeldOut):
            return super().judge(student, reference, case)
        return self.judge_returned(case, student, _held_out_problem)


def _held_out_problem(case, got):
    X_train, y_train, _, epochs = case.args[:4]
    parts, problem = _fit_parts(got, X_train.shape[1], epochs)
    if problem:
        return problem
    w, b, _ = parts
    accuracy = float(np.mean((case.X_test @ w + b >= 0) == (case.y_test == 1)))
    if accuracy < MIN_ACCURACY:
        return ("the returned w, b classify %.1f%% of the %d held-out rows correctly, at least %.0f%% "
                "expected (a correct fit reaches about 96%%): check the gradients' sign and that "
                "every batch takes a step" % (100 * accuracy, len(case.y_test), 100 * MIN_ACCURACY))
    return None


SAME_BATCHES = ("every epoch uses the same batches: call minibatches(len(X), batch_size, rng) inside "
                "the epoch loop, with one rng = np.random.default_rng(seed) made once before the "
                "loop (not again in each epoch)")

fit_logistic = FitLogisticTest(
    "fit_logistic", 4, fit_logistic_cases,
    params=("X", "y", "learning_rate", "epochs", "batch_size", "seed"), names=("w", "b", "losses"),
    hints=[
        mistake("same_batches_every_epoch", SAME_BATCHES),
        mistake("losses_before_steps", "losses[i] is the loss after epoch i: record it after the "
                                       "epoch's steps, not before them"),
        mistake("steps_uphill", "w and b move uphill: subtract learning_rate * dw and learning_rate * db"),
        mistake("one_step_per_epoch", "this takes one step per epoch on all rows: take one step "
                                      "per batch of minibatches(...)"),
    ])


ASSIGNMENT = Assignment(
    "ps2_learning",
    tests=(mse, binary_cross_entropy, minibatches, centred_gradient, relative_error, logistic_gradients,
           fit_logistic),
    mistake=Mistake("centred_gradient", "(f_plus - f_minus) / (2 * h)", "(f_plus - f_minus) / h"))
