"""ps3_backprop: backpropagation through a 2 -> 3 -> 2 -> 1 sigmoid network, and optimisers.

Points: init_params 1, forward 2, backward 3, sgd_step 1, momentum_step 2,
adam_step 3, train 3 (15 in all). backward and adam_step carry the most because they
are where the chain rule and the bias correction are learnt; train 3 because it ties
the pieces together.

Three tests are not "compare with the reference":
- init_params is judged by properties (keys, shapes, zero biases, reproducible,
  seed-dependent, symmetry broken): the distribution of the weights is the student's.
- backward must agree with a numerical gradient of the reference *loss* (central
  differences, `gradcheck`), so it is checked independently of any backward pass.
  Without the reference, public cases carry the gradient as data.
- train must reproduce, from the student's own init_params(seed), the trajectory the
  reference forward, backward and sgd_step take. Without the reference, public cases
  check that it is a training run: one loss per epoch, falling, parameters moved.
"""
from dataclasses import dataclass

import numpy as np

from . import gradcheck
from .assignment import Assignment, Mistake
from .cases import Case, FunctionTest, Test, expected_as, inputs, same_as, transposed
from .compare import as_float_array, compare, describe, fmt, identical


SHAPES = {"W1": (2, 3), "b1": (3,), "W2": (3, 2), "b2": (2,), "W3": (2, 1), "b3": (1,)}
WEIGHTS = ("W1", "W2", "W3")
BIASES = ("b1", "b2", "b3")

# The lesson's data: predict whether the two features sum to more than 1.
SEED_X = np.array([[0.1, 0.9], [0.8, 0.4], [0.3, 0.2], [0.9, 0.8],
                   [0.2, 0.5], [0.7, 0.6], [0.1, 0.1], [0.6, 0.9]])
SEED_Y = np.array([[1.0], [1.0], [0.0], [1.0], [0.0], [1.0], [0.0], [1.0]])

PUBLIC_PARAMS = {
    "W1": np.array([[0.5, -0.3, 0.8], [0.2, 0.7, -0.6]]), "b1": np.array([0.1, 0.0, -0.1]),
    "W2": np.array([[0.4, -0.5], [0.3, 0.9], [-0.7, 0.2]]), "b2": np.array([0.05, -0.05]),
    "W3": np.array([[1.2], [-0.8]]), "b3": np.array([0.1]),
}


def random_params(seed, scale=1.0):
    rng = np.random.default_rng(seed)
    return {key: rng.normal(0.0, scale, size=shape) for key, shape in SHAPES.items()}


def random_data(seed, n):
    """n points in the unit square, labelled as the lesson's data: sum > 1."""
    X = np.random.default_rng(seed).uniform(0.0, 1.0, size=(n, 2))
    return X, (X.sum(axis=1, keepdims=True) > 1.0).astype(float)


def _scaled(params, factor):
    return {key: factor * value for key, value in params.items()}


# --- checking a parameter dict ---------------------------------------------------------

def params_problem(params, what="it returned") -> str | None:
    """What is wrong with a parameter dict's keys, shapes or numbers (None if nothing)."""
    if not isinstance(params, dict):
        return "%s %s, expected a dict with keys %s" % (what, describe(params), list(SHAPES))
    if set(params) != set(SHAPES):
        return "%s a dict with keys %s, expected exactly %s" % (what, sorted(params), list(SHAPES))
    for key, shape in SHAPES.items():
        array = as_float_array(params[key])
        if array is None:
            return "%s %s as %s, expected an array of shape %s" % (what, describe(params[key]), key, shape)
        if array.shape != shape:
            return "%s %s of shape %s, expected %s%s" % (
                what, key, array.shape, shape, _shape_hint(key, array.shape, shape))
        if not np.isfinite(array).all():
            return "%s %s holding inf or NaN" % (what, key)
    return None


def _shape_hint(key, got, shape):
    if got == shape[::-1]:
        return (" - hint: W has one row per input and one column per unit, and its "
                "gradient has its shape: dW = A_prev.T @ dZ")
    if key.startswith("b") and np.prod(got) == np.prod(shape):
        return " - hint: a bias is 1-D, one number per unit"
    if key.startswith("b") and len(got) == 2 and got[1:] == shape:
        return " - hint: sum the bias gradient over the batch (axis=0)"
    return ""


# --- init_params -----------------------------------------------------------------------

@dataclass
class PropertyCase(Case):
    """A case judged by a property of the answer; `check(student, seed)` says what fails."""
    check: object = None


def _initial(student, seed):
    """(params, None) from the student's init_params(seed), or (None, what went wrong)."""
    outcome = student.call("init_params", seed)
    if outcome.error:
        return None, outcome.error_text()
    problem = params_problem(outcome.value)
    return (None, problem) if problem else (outcome.value, None)


def _listed(names):
    """["b1", "b2", "b3"] -> "b1, b2 and b3"."""
    return " and ".join(filter(None, [", ".join(names[:-1]), names[-1]]))


def _shapes_right(student, seed):
    return _initial(student, seed)[1]


def _biases_zero(student, seed):
    params, problem = _initial(student, seed)
    if problem:
        return problem
    nonzero = [key for key in BIASES if np.any(as_float_array(params[key]) != 0)]
    return "%s should start at zero" % _listed(nonzero) if nonzero else None


def _symmetry_broken(student, seed):
    params, problem = _initial(student, seed)
    if problem:
        return problem
    for key in WEIGHTS:
        weights = as_float_array(params[key])
        if np.all(weights == weights.flat[0]):
            return ("all entries of %s are %s: equal weights make every unit of a layer "
                    "compute the same thing forever; draw them at random" % (key, fmt(weights.flat[0])))
    return None


def _reproducible(student, seed):
    first, problem = _initial(student, seed)
    if problem:
        return problem
    second, problem = _initial(student, seed)
    if problem:
        return "on a second call " + problem
    changed = [key for key in SHAPES if not identical(second[key], first[key])]
    if changed:
        return ("two calls with seed %d gave different %s: draw from rng = "
                "np.random.default_rng(seed), not from np.random" % (seed, _listed(changed)))
    return None


def _seed_matters(student, seed):
    first, problem = _initial(student, seed)
    if problem:
        return problem
    other, problem = _initial(student, seed + 1)
    if problem:
        return "with seed %d %s" % (seed + 1, problem)
    same = [key for key in WEIGHTS if identical(other[key], first[key])]
    if same:
        return ("seeds %d and %d gave the same %s: the weights must come from "
                "np.random.default_rng(seed)" % (seed, seed + 1, _listed(same)))
    return None


PROPERTIES = [
    ("the keys and shapes of the dict", _shapes_right),
    ("the biases start at zero", _biases_zero),
    ("each weight matrix has unequal entries", _symmetry_broken),
    ("the same seed twice gives the same dict", _reproducible),
    ("seed and seed + 1 give different weights", _seed_matters),
]


class InitParamsTest(Test):
    """Properties of init_params(seed) for a few seeds; no reference comparison."""

    seeds = [(0, True), (7, False), (2024, False)]  # (seed, public)

    def cases(self):
        return [PropertyCase("init_params(%d): %s" % (seed, text), (seed,), public=public, check=check)
                for seed, public in self.seeds for text, check in PROPERTIES]

    def judge(self, student, reference, case):
        return case.check(student, case.args[0])


init_params = InitParamsTest("init_params", 1)


# --- forward ---------------------------------------------------------------------------

def forward_cases():
    cases = [
        Case("the lesson's 8 points with fixed parameters", (SEED_X, PUBLIC_PARAMS), public=True,
             expected=np.array([[0.5754750217421278], [0.5687269904605119], [0.5692137820406743],
                                [0.5713727338498169], [0.5720115777852851], [0.5707119274932033],
                                [0.5692083735392582], [0.5735300050650266]])),
        Case("one point [[0.5, 0.5]] with the same parameters", ([[0.5, 0.5]], PUBLIC_PARAMS),
             public=True, expected=np.array([[0.5707840564850901]])),
        Case("the lesson's 8 points with random parameters", (SEED_X, random_params(1))),
        Case("20 random points", (random_data(2, 20)[0], random_params(3))),
        Case("X given as a list of lists", (SEED_X[:3].tolist(), random_params(4))),
        Case("large weights (the sigmoids saturate)", (random_data(5, 6)[0], random_params(6, scale=30.0))),
    ]
    return cases


def _sigmoid(z):
    return np.exp(-np.logaddexp(0.0, -z))


def _network_like(hidden=_sigmoid, output=_sigmoid, biases=True):
    """The network with one thing changed: the shape of a usual slip."""
    def candidate(case, reference):
        X, params = inputs(case)[0]
        A = np.asarray(X, dtype=float)
        for layer, activation in ((1, hidden), (2, hidden), (3, output)):
            b = params["b%d" % layer] if biases else 0.0
            A = activation(A @ params["W%d" % layer] + b)
        return A
    return candidate


class ForwardTest(FunctionTest):
    """forward's A3 is compared; the cache is free-form and stays on the student's side."""

    def verdict(self, case, outcome, expected, reference):
        failure = super().verdict(case, outcome, expected, reference)
        if failure and outcome.error and outcome.error.get("type") == "ReturnTypeError":
            failure += " - forward returns a pair: return A3, cache"
        return failure


forward = ForwardTest(
    "forward", 2, forward_cases, params=("X", "params"), pick=0,
    hints=[
        transposed("A3 is transposed: it has one row per sample, shape (n, 1)"),
        same_as(_network_like(hidden=lambda z: np.maximum(z, 0.0)),
                "the hidden layers use relu: this network has a sigmoid on every layer"),
        same_as(_network_like(output=lambda z: z), "the output layer needs its sigmoid too"),
        same_as(_network_like(biases=False), "the biases are missing: A = sigmoid(A_prev @ W + b)"),
    ])


# --- backward --------------------------------------------------------------------------

def backward_cases():
    return [
        Case("the lesson's 8 points with fixed parameters", (SEED_X, SEED_Y, PUBLIC_PARAMS), public=True,
             expected={
                 "W1": np.array([[-0.005979555187950788, 0.0026425987121805926, 0.007570011675373422],
                                 [-0.006636531671227868, 0.0028079629475369506, 0.008127068202141185]]),
                 "b1": np.array([-0.001989916289910784, 0.0010161638745057385, 0.003011842026419503]),
                 "W2": np.array([[-0.014676848314991369, 0.00970313947980154],
                                 [-0.012126514221231975, 0.008017626873788913],
                                 [-0.008917920079650586, 0.005903366676677967]]),
                 "b2": np.array([-0.015880118170595505, 0.01051401737502816]),
                 "W3": np.array([[-0.03027153320489817], [-0.030692778186188617]]),
                 "b3": np.array([-0.053718698503011975]),
             }),
        Case("the first 3 points with the parameters 1.5 times larger",
             (SEED_X[:3], SEED_Y[:3], _scaled(PUBLIC_PARAMS, 1.5)), public=True,
             expected={
                 "W1": np.array([[-0.005235706627268444, 0.0027749259875364117, 0.007188876398746241],
                                 [-0.013220669545009379, 0.005020116143730309, 0.01421617765460816]]),
                 "b1": np.array([-0.0040470873489871564, 0.0016516372235700367, 0.003851709923814523]),
                 "W2": np.array([[-0.02097511646855835, 0.013965175750791528],
                                 [-0.022403233003975544, 0.014890089888303653],
                                 [-0.007089680168242268, 0.004803344914193732]]),
                 "b2": np.array([-0.023668912870599926, 0.01586802461578924]),
                 "W3": np.array([[-0.03892119576134072], [-0.03776412194995559]]),
                 "b3": np.array([-0.05806959651984067]),
             }),
        Case("the lesson's 8 points with random parameters", (SEED_X, SEED_Y, random_params(11))),
        Case("one point", (SEED_X[3:4], SEED_Y[3:4], random_params(12))),
        Case("20 random points", random_data(13, 20) + (random_params(14),)),
        Case("5 random points, random parameters", random_data(15, 5) + (random_params(16),)),
    ]


class BackwardTest(FunctionTest):
    """Call the student's forward (its cache stays there), then backward with that cache.

    Right means within `gradcheck.THRESHOLD` of the numerical gradient of the
    reference loss in every parameter (or of the public case's gradient, shipped as
    data, when there is no reference).
    """

    def expected(self, reference, case):
        if reference is None:
            return case.expected
        def numerical():
            X, y, params = inputs(case)[0]
            return gradcheck.numerical_gradient(lambda point: reference.loss(X, y, point), params)
        return reference.remember(["numerical gradient", case.args], numerical)

    def judge(self, student, reference, case):
        X, y, params = case.args
        forward_outcome = student.call("forward", X, params, keep="forward", pick=0)
        if forward_outcome.error:
            return "backward is given the cache of your forward, but forward " + forward_outcome.error_text()
        outcome = student.call("backward", X, y, params, {"$stored": "forward", "index": 1})
        return self.verdict(case, outcome, self.expected(reference, case), reference)

    def problem(self, case, got, expected, reference):
        problem = params_problem(got, what="it returned")
        if problem:
            return problem
        errors = {key: gradcheck.relative_error(got[key], expected[key]) for key in SHAPES}
        worst = max(errors, key=errors.get)
        if errors[worst] <= gradcheck.THRESHOLD:
            return None
        message = ("the gradient of %s is wrong: its relative error to the true gradient is %.2g "
                   "(at most %g passes)" % (worst, errors[worst], gradcheck.THRESHOLD))
        if case.public:
            message += "; expected %s, got %s" % (fmt(expected[worst]), fmt(got[worst]))
        hint = gradient_hint(got, expected, errors, len(case.args[0]))
        return message + (" - hint: " + hint if hint else "")


def gradient_hint(got, expected, errors, n):
    """The usual slips in backpropagation, recognised from the gradient they produce."""
    def close(key, value):
        return gradcheck.relative_error(got[key], value) <= 1e-4

    if n > 1 and all(close(key, n * expected[key]) for key in SHAPES):
        return ("every gradient is n = %d times too large: the loss is the mean over the batch, "
                "so dZ3 = (A3 - y) / n (a sum instead of a mean over the batch)" % n)
    if all(close(key, -expected[key]) for key in SHAPES):
        return "every gradient has the wrong sign: dZ3 = A3 - y (prediction minus target), over n"
    wrong = [key for key in SHAPES if errors[key] > gradcheck.THRESHOLD]
    if len(wrong) == 1 and close(wrong[0], -expected[wrong[0]]):
        return "the gradient of %s has the wrong sign" % wrong[0]
    right = [key for key in ("W3", "b3", "W2", "b2") if errors[key] <= gradcheck.THRESHOLD]
    if right == ["W3", "b3"]:
        return ("layer 3 is right, so the error goes wrong flowing back into layer 2: "
                "dZ2 = (dZ3 @ W3.T) * A2 * (1 - A2)")
    if right == ["W3", "b3", "W2", "b2"]:
        return ("layers 3 and 2 are right, so the error goes wrong flowing back into layer 1: "
                "dZ1 = (dZ2 @ W2.T) * A1 * (1 - A1), and dW1 = X.T @ dZ1")
    return None


backward = BackwardTest("backward", 3, backward_cases, params=("X", "y", "params"))


# --- sgd_step --------------------------------------------------------------------------

def sgd_step_cases():
    return [
        Case("param [1, 2], grad [0.5, -1], learning rate 0.1", ([1.0, 2.0], [0.5, -1.0], 0.1), public=True,
             expected=np.array([0.95, 2.1])),
        Case("a (2, 2) matrix, learning rate 0.5",
             ([[1.0, -1.0], [0.5, 2.0]], [[0.2, 0.4], [-1.0, 0.0]], 0.5), public=True,
             expected=np.array([[0.9, -1.2], [1.0, 2.0]])),
        Case("the shapes of W1 (2, 3), learning rate 0.05", (random_params(20)["W1"], random_params(21)["W1"], 0.05)),
        Case("a single number", (3.0, -2.0, 0.25)),
        Case("learning rate 0", (random_params(22)["b1"], random_params(23)["b1"], 0.0)),
        Case("param of shape (3,) with grad of shape (2,)", (np.zeros(3), np.ones(2), 0.1), raises="ValueError"),
    ]


def _sgd_like(sign=-1.0, with_rate=True):
    def candidate(case, reference):
        param, grad, rate = inputs(case)[0]
        return np.asarray(param, dtype=float) + sign * (rate if with_rate else 1.0) * np.asarray(grad, dtype=float)
    return candidate


sgd_step = FunctionTest(
    "sgd_step", 1, sgd_step_cases, params=("param", "grad", "learning_rate"),
    hints=[
        same_as(_sgd_like(sign=1.0), "this steps uphill: param - learning_rate * grad"),
        same_as(_sgd_like(with_rate=False), "the learning rate is missing: param - learning_rate * grad"),
    ])


# --- momentum_step ---------------------------------------------------------------------

def momentum_step_cases():
    return [
        Case("the lesson's first step on (x - 3)^2: x = 0, grad -6, velocity 0, learning rate 0.1",
             (0.0, -6.0, 0.0, 0.1), public=True, expected=(0.6, -6.0)),
        Case("arrays with a velocity, beta 0.9", ([1.0, 2.0], [0.5, -1.0], [0.1, 0.2], 0.1), public=True,
             expected=(np.array([0.941, 2.082]), np.array([0.59, -0.82]))),
        Case("the same with beta 0.5", ([1.0, 2.0], [0.5, -1.0], [0.1, 0.2], 0.1), {"beta": 0.5}, public=True,
             expected=(np.array([0.945, 2.09]), np.array([0.55, -0.9]))),
        Case("a (2, 3) matrix with a velocity", (random_params(30)["W1"], random_params(31)["W1"],
                                                random_params(32)["W1"], 0.05)),
        Case("beta 0 is plain SGD", (random_params(33)["b1"], random_params(34)["b1"],
                                     random_params(35)["b1"], 0.2), {"beta": 0.0}),
        Case("a scalar several steps in", (1.7, -2.6, -4.2, 0.1)),
        Case("param of shape (3,) with grad of shape (2,)", (np.zeros(3), np.ones(2), np.zeros(3), 0.1),
             raises="ValueError"),
    ]


def _momentum_like(variant):
    """Momentum as it is often mistyped; `variant` names the slip."""
    def candidate(case, reference):
        (param, grad, velocity, rate), kwargs = inputs(case)
        beta = kwargs.get("beta", 0.9)
        param, grad, velocity = (np.asarray(a, dtype=float) for a in (param, grad, velocity))
        v = beta * velocity + grad
        if variant == "uphill":
            return param + rate * v, v
        if variant == "other convention":
            v = beta * velocity - rate * grad
            return param + v, v
        if variant == "average":
            v = beta * velocity + (1 - beta) * grad
            return param - rate * v, v
        if variant == "old velocity":
            return param - rate * velocity, v
        return v, param - rate * v  # "swapped"
    return candidate


momentum_step = FunctionTest(
    "momentum_step", 2, momentum_step_cases, params=("param", "grad", "velocity", "learning_rate"),
    names=("param", "velocity"),
    hints=[
        same_as(_momentum_like("uphill"), "the step has the wrong sign: param - learning_rate * v"),
        same_as(_momentum_like("other convention"),
                "this is the other common convention (v = beta v - lr grad; param + v): here "
                "v = beta * velocity + grad and the step is param - learning_rate * v"),
        same_as(_momentum_like("average"), "v = beta * velocity + grad, with no (1 - beta) factor"),
        same_as(_momentum_like("old velocity"), "step with the new velocity v, not the old one"),
        same_as(_momentum_like("swapped"), "the pair is reversed: return (new param, v)"),
    ])


# --- adam_step -------------------------------------------------------------------------

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


def _adam_settings(case):
    settings = {"learning_rate": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
    settings.update(dict(zip(ADAM_PARAMS, case.args), **case.kwargs))
    return settings


def _step_corrected_at(t):
    """A mistake model: Adam's step from the right m and v, bias-corrected as if at step t(case).

    No correction at all is t = infinity (1 - beta ** t = 1): what the reference's
    adam_step gives for a huge t.
    """
    def transform(case, expected):
        s = _adam_settings(case)
        m, v, step = np.asarray(expected[1]), np.asarray(expected[2]), t(s["t"])
        m_hat = m / (1 - s["beta1"] ** step)
        v_hat = v / (1 - s["beta2"] ** step)
        return (np.asarray(s["param"], dtype=float) - s["learning_rate"] * m_hat / (np.sqrt(v_hat) + s["eps"]),
                expected[1], expected[2])
    return transform


def _corrected_moments(case, expected):
    """(param, m_hat, v_hat): the bias-corrected moments returned in place of m and v."""
    s = _adam_settings(case)
    return (expected[0], np.asarray(expected[1]) / (1 - s["beta1"] ** s["t"]),
            np.asarray(expected[2]) / (1 - s["beta2"] ** s["t"]))


def _uphill(case, expected):
    return (2 * np.asarray(case.args[0], dtype=float) - expected[0],) + tuple(expected[1:])


adam_step = FunctionTest(
    "adam_step", 3, adam_step_cases, params=ADAM_PARAMS, names=("param", "m", "v"),
    hints=[
        expected_as(_step_corrected_at(lambda t: np.inf),
                    "no bias correction: divide m by (1 - beta1 ** t) and v by (1 - beta2 ** t) "
                    "before the step"),
        expected_as(_step_corrected_at(lambda t: t + 1),
                    "t counts from 1: the correction is 1 - beta ** t for the t you were given"),
        expected_as(_uphill, "the step has the wrong sign: param - learning_rate * m_hat / (sqrt(v_hat) + eps)"),
        expected_as(_corrected_moments, "return m and v themselves (the running averages), "
                                        "not the bias-corrected m_hat and v_hat"),
    ])


# --- train -----------------------------------------------------------------------------

def train_cases():
    return [
        Case("the lesson's data, 100 epochs, learning rate 0.5, seed 0",
             (SEED_X, SEED_Y, 100, 0.5, 0), public=True),
        Case("the lesson's data, 3 epochs, learning rate 0.5, seed 1",
             (SEED_X, SEED_Y, 3, 0.5, 1), public=True),
        Case("0 epochs: the initial parameters and no losses", (SEED_X, SEED_Y, 0, 0.5, 2)),
        Case("1 epoch", (SEED_X, SEED_Y, 1, 1.0, 3)),
        Case("300 epochs, learning rate 1, seed 4", (SEED_X, SEED_Y, 300, 1.0, 4)),
        Case("30 random points, 50 epochs, learning rate 2", random_data(50, 30) + (50, 2.0, 5)),
    ]


class TrainTest(Test):
    """train from the student's own init_params(seed), against the reference's trajectory."""

    rtol, atol = 1e-5, 1e-8  # hundreds of steps may round differently, and rightly so

    def cases(self):
        return train_cases()

    def judge(self, student, reference, case):
        X, y, epochs, learning_rate, seed = case.args
        initial, problem = _initial(student, seed)
        if problem:
            return "train starts from your init_params(seed), and with seed %d %s" % (seed, problem)
        outcome = student.call(self.function, *case.args)
        if outcome.error:
            return outcome.error_text()
        if reference is None:
            return training_problem(case, initial, outcome.value)
        expected = trajectory(reference, X, y, initial, epochs, learning_rate)
        mismatch = compare(outcome.value, expected, self.rtol, self.atol, reveal=case.public,
                           names=("params", "losses"))
        if mismatch is None:
            return None
        hint = train_hint(reference, case, initial, outcome.value, expected)
        return mismatch.text() + (" - hint: " + hint if hint else "")


def trajectory(reference, X, y, params, epochs, learning_rate):
    """(params, losses) of full-batch gradient descent with the reference's pieces,
    from the student's initial parameters (the same for every honest student)."""
    return reference.remember(["trajectory", X, y, params, epochs, learning_rate],
                              lambda: _descend(reference, X, y, params, epochs, learning_rate))


def _descend(reference, X, y, params, epochs, learning_rate):
    """Silent: the student's initial weights may be large enough to overflow, and the
    grader must not write to stderr (nbgrader scores such a cell 0)."""
    params = {key: np.asarray(value, dtype=float) for key, value in params.items()}
    losses = []
    with np.errstate(all="ignore"):
        for _ in range(epochs):
            _, cache = reference.forward(X, params)
            losses.append(reference.loss(X, y, params))
            grads = reference.backward(X, y, params, cache)
            params = {key: reference.sgd_step(params[key], grads[key], learning_rate) for key in params}
    return params, np.array(losses)


def train_hint(reference, case, initial, got, expected):
    losses = as_float_array(got[1]) if isinstance(got, (tuple, list)) and len(got) == 2 else None
    if losses is None:
        return None
    X, y, epochs, learning_rate, _ = case.args
    if losses.shape == (epochs + 1,):
        return "one loss per epoch: epochs values, not epochs + 1"
    if epochs and losses.shape == (epochs,):
        if not np.isclose(losses[0], expected[1][0], rtol=1e-5):
            after = trajectory(reference, X, y, initial, epochs + 1, learning_rate)[1][1:]
            if np.allclose(losses, after, rtol=1e-5):
                return "losses[i] is the loss before epoch i's update (losses[0] is the initial network's)"
            return "losses[0] should be the loss of init_params(seed): start from it"
        if epochs >= 2 and losses[-1] > losses[0]:
            return "the loss grows: step against the gradient (sgd_step subtracts)"
    return None


def training_problem(case, initial, got):
    """Without the reference: is this the result of a training run of `epochs` steps?"""
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return "expected a pair (params, losses), got %s" % describe(got)
    epochs = case.args[2]
    params, losses = got
    problem = params_problem(params, what="the params it returned are")
    if problem:
        return problem
    losses = as_float_array(losses)
    if losses is None or losses.shape != (epochs,):
        return "expected %d losses, one per epoch, got %s" % (epochs, describe(got[1]))
    if not np.isfinite(losses).all():
        return "the losses hold inf or NaN"
    if epochs >= 2 and not losses[-1] < losses[0]:
        return ("the loss did not fall (from %s to %s): step against the gradient with "
                "sgd_step" % (fmt(losses[0]), fmt(losses[-1])))
    if epochs >= 1 and all(identical(params[key], initial[key]) for key in SHAPES):
        return "the returned params are init_params(seed) unchanged: return the trained ones"
    return None


train = TrainTest("train", 3)


ASSIGNMENT = Assignment(
    "ps3_backprop",
    tests=(init_params, forward, backward, sgd_step, momentum_step, adam_step, train),
    mistake=Mistake("momentum_step", "beta * velocity + grad", "beta * velocity + (1 - beta) * grad"))
