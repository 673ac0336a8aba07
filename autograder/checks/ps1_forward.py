"""ps1_forward: a forward pass by hand (relu, sigmoid, neuron, dense, forward_pass)."""
import numpy as np

from .assignment import Assignment, Mistake
from .cases import Case, FunctionTest, same_as, transposed, with_reference



def _random(seed, *shape, scale=2.0):
    return np.random.default_rng(seed).normal(0.0, scale, size=shape)


# --- relu -----------------------------------------------------------------------------

def relu_cases():
    return [
        Case("x = [-2, -0.5, 0, 0.5, 3]", ([-2.0, -0.5, 0.0, 0.5, 3.0],), public=True,
             expected=np.array([0.0, 0.0, 0.0, 0.5, 3.0])),
        Case("a 2x2 matrix", ([[1.0, -1.0], [-3.0, 4.0]],), public=True,
             expected=np.array([[1.0, 0.0], [0.0, 4.0]])),
        Case("a single number -2.5", (-2.5,)),
        Case("a single number 7", (7.0,)),
        Case("integers [3, -1, 0]", (np.array([3, -1, 0]),)),
        Case("float32 values", (_random(1, 6).astype(np.float32),)),
        Case("a random (4, 5) array", (_random(2, 4, 5),)),
        Case("a random (2, 3, 4) array", (_random(3, 2, 3, 4),)),
    ]


relu = FunctionTest(
    "relu", 1, relu_cases, params=("x",),
    hints=[
        same_as(with_reference("sigmoid", ("x",)), "this is sigmoid(x); relu is max(x, 0)"),
        same_as(lambda case, ref: np.abs(case.args[0]), "this is abs(x); negative values must become 0, not positive"),
        same_as(lambda case, ref: np.asarray(case.args[0], dtype=float), "negative values must become 0"),
        same_as(lambda case, ref: np.max(case.args[0]) if np.ndim(case.args[0]) else None,
                "np.max returns the largest element; use np.maximum(x, 0) to compare each element with 0"),
    ])


# --- sigmoid --------------------------------------------------------------------------

def sigmoid_cases():
    return [
        Case("x = 0", (0.0,), public=True, expected=np.float64(0.5)),
        Case("x = [-1, 0, 1]", ([-1.0, 0.0, 1.0],), public=True,
             expected=np.array([0.2689414213699951, 0.5, 0.7310585786300049])),
        Case("x = [-1000, 1000] (must not overflow)", ([-1000.0, 1000.0],), public=True,
             expected=np.array([0.0, 1.0])),
        Case("x = [-745, -40, 40, 745]", ([-745.0, -40.0, 40.0, 745.0],)),
        Case("a random (3, 4) array", (_random(4, 3, 4),)),
        Case("a random (50,) array with large values", (_random(5, 50, scale=300.0),)),
        Case("float32 values", (_random(6, 5).astype(np.float32),)),
        Case("a single number -3", (-3.0,)),
    ]


sigmoid = FunctionTest(
    "sigmoid", 2, sigmoid_cases, params=("x",), no_warnings=True,
    warning_hint=("np.exp(-x) overflows for large negative x; compute it from exp(-|x|) "
                  "so the exponent is never positive (see the lesson)"),
    hints=[
        same_as(lambda case, ref: None if ref is None else 1.0 - ref.sigmoid(case.args[0]),
                "this is 1 - sigmoid(x): check the sign inside exp, 1 / (1 + exp(-x))"),
        same_as(with_reference("relu", ("x",)), "this is relu(x), not sigmoid(x)"),
    ])


# --- neuron ---------------------------------------------------------------------------

def neuron_cases():
    rng = np.random.default_rng(7)
    return [
        Case("the lesson's neuron: inputs [1, 2, 3], weights [0.5, -0.2, 0.1], bias 0.4",
             ([1.0, 2.0, 3.0], [0.5, -0.2, 0.1], 0.4), public=True, expected=0.8),
        Case("a negative weighted sum: inputs [1, 1], weights [-1, -1], bias 0.5",
             ([1.0, 1.0], [-1.0, -1.0], 0.5), public=True, expected=0.0),
        Case("inputs [2], weights [3], bias -1", ([2.0], [3.0], -1.0)),
        Case("random inputs and weights of length 10",
             (rng.normal(size=10), rng.normal(size=10), 0.3)),
        Case("numpy arrays of length 4 with a negative bias",
             (np.array([0.5, 0.1, 0.2, 0.9]), np.array([1.0, 2.0, -0.5, 0.3]), -0.2)),
    ]


neuron = FunctionTest(
    "neuron", 1, neuron_cases, params=("inputs", "weights", "bias"),
    hints=[
        same_as(lambda case, ref: float(np.dot(case.args[0], case.args[1]) + case.args[2]),
                "this is the weighted sum before the activation: pass it through relu"),
        same_as(lambda case, ref: max(float(np.dot(case.args[0], case.args[1])), 0.0),
                "the bias is missing: add it to the weighted sum before relu"),
    ])


# --- dense ----------------------------------------------------------------------------

def dense_cases():
    x = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]])
    W = np.array([[0.2, -0.5], [0.4, 0.1], [-0.3, 0.2]])
    b = np.array([0.1, -0.2])
    cases = [
        Case("x of shape (2, 3), W (3, 2), activation 'linear'", (x, W, b, "linear"), public=True,
             expected=np.array([[0.2, 0.1], [-0.5, 0.75]])),
        Case("x of shape (2, 3), W (3, 2), activation 'relu'", (x, W, b, "relu"), public=True,
             expected=np.array([[0.2, 0.1], [0.0, 0.75]])),
        Case("x of shape (2, 3), W (3, 2), activation 'sigmoid'", (x, W, b, "sigmoid"), public=True,
             expected=np.array([[0.549833997312478, 0.52497918747894],
                                [0.37754066879814546, 0.679178699175393]])),
        Case("activation 'tanh' (not one of the three)", (x, W, b, "tanh"), public=True,
             raises="ValueError"),
    ]
    for seed, (n, d_in, d_out) in enumerate([(4, 3, 2), (1, 5, 3), (6, 2, 4)]):
        rng = np.random.default_rng(100 + seed)
        args = (rng.normal(size=(n, d_in)), rng.normal(size=(d_in, d_out)), rng.normal(size=d_out))
        for activation in ("relu", "sigmoid", "linear"):
            cases.append(Case("x of shape (%d, %d), W (%d, %d), activation %r"
                              % (n, d_in, d_in, d_out, activation), args + (activation,)))
    rng = np.random.default_rng(200)
    cases += [
        Case("activation 'softmax' (not one of the three)",
             (rng.normal(size=(3, 2)), rng.normal(size=(2, 2)), np.zeros(2), "softmax"),
             raises="ValueError"),
        Case("x of shape (4, 3) with W of shape (2, 5): mismatched shapes",
             (rng.normal(size=(4, 3)), rng.normal(size=(2, 5)), np.zeros(5), "relu"),
             raises="ValueError"),
    ]
    return cases


DENSE_PARAMS = ("x", "W", "b", "activation")


def _bias_after_activation(case, reference):
    if reference is None:
        return None
    x, W, b, activation = case.args
    return reference.dense(x, W, np.zeros_like(b), activation) + np.asarray(b)


dense = FunctionTest(
    "dense", 3, dense_cases, params=DENSE_PARAMS,
    hints=[
        transposed("your result is transposed: compute x @ W (shape (n, d_out)), not W.T @ x.T"),
        same_as(with_reference("dense", DENSE_PARAMS, b=np.zeros_like),
                "the bias b is missing: activation(x @ W + b)"),
        same_as(_bias_after_activation, "the bias is added after the activation; add it before"),
    ] + [
        same_as(with_reference("dense", DENSE_PARAMS, activation=name),
                "this is the %r activation: check which activation was asked for" % name)
        for name in ("relu", "sigmoid", "linear")
    ])


# --- forward_pass ---------------------------------------------------------------------

LESSON_PARAMS = {
    "W1": np.array([[0.2, 0.8], [-0.5, 0.3]]),
    "b1": np.array([0.1, -0.1]),
    "W2": np.array([[0.7], [-0.4]]),
    "b2": np.array([0.05]),
}


def _random_params(seed, d_in, hidden, d_out):
    rng = np.random.default_rng(seed)
    return {"W1": rng.normal(size=(d_in, hidden)), "b1": rng.normal(size=hidden),
            "W2": rng.normal(size=(hidden, d_out)), "b2": rng.normal(size=d_out)}


def forward_pass_cases():
    cases = [
        Case("the lesson's network on inputs [[0.5, 0.9]]", ([[0.5, 0.9]], LESSON_PARAMS),
             public=True, expected=np.array([[0.4556171237524285]])),
        Case("the lesson's network on two rows", ([[0.5, 0.9], [1.0, -1.0]], LESSON_PARAMS),
             public=True, expected=np.array([[0.4556171237524285], [0.610639233949222]])),
    ]
    for seed, (n, d_in, hidden, d_out) in enumerate([(5, 3, 4, 2), (1, 2, 2, 1), (8, 4, 6, 3)]):
        x = np.random.default_rng(300 + seed).normal(size=(n, d_in))
        cases.append(Case("x of shape (%d, %d), %d hidden units, %d outputs" % (n, d_in, hidden, d_out),
                          (x, _random_params(400 + seed, d_in, hidden, d_out))))
    return cases


def _forward_variant(hidden_activation, output_activation, drop=()):
    def candidate(case, reference):
        if reference is None:
            return None
        x, params = case.args
        p = {key: (np.zeros_like(value) if key in drop else value) for key, value in params.items()}
        hidden = reference.dense(x, p["W1"], p["b1"], hidden_activation)
        return reference.dense(hidden, p["W2"], p["b2"], output_activation)
    return candidate


forward_pass = FunctionTest(
    "forward_pass", 3, forward_pass_cases, params=("x", "params"),
    hints=[
        transposed("your result is transposed: the output has one row per input row"),
        same_as(_forward_variant("relu", "linear"), "the output layer needs a sigmoid"),
        same_as(_forward_variant("sigmoid", "sigmoid"), "the hidden layer uses relu, not sigmoid"),
        same_as(_forward_variant("linear", "sigmoid"), "the hidden layer needs its relu"),
        same_as(_forward_variant("relu", "sigmoid", drop=("b1",)), "b1 is missing from the hidden layer"),
        same_as(_forward_variant("relu", "sigmoid", drop=("b2",)), "b2 is missing from the output layer"),
    ])


ASSIGNMENT = Assignment(
    "ps1_forward",
    tests=(relu, sigmoid, neuron, dense, forward_pass),
    mistake=Mistake("neuron", "inputs @ weights + bias", "inputs @ weights"))
