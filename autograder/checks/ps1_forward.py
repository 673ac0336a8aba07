"""ps1_forward: forward passes, generalised (contract version 2, docs/contracts.md).

relu, sigmoid and dense keep lesson 01's contracts; init_layers, network_forward and
accuracy are the next step: a network of any depth, initialised with He or Xavier
scaling, giving class probabilities through a stable softmax, and measured.
"""
import re

import numpy as np

from .assignment import Assignment, Mistake
from .cases import (Case, FunctionTest, expected_as, inputs, mistake, nonfinite, same_as, transposed,
                    with_reference)
from .compare import as_float_array, compare

FLOAT32_RTOL = 1e-5  # the contract's tolerance where an input is float32


def _random(seed, *shape, scale=2.0):
    return np.random.default_rng(seed).normal(0.0, scale, size=shape)


def _has_float32(value):
    if isinstance(value, np.ndarray):
        return value.dtype == np.float32
    if isinstance(value, (list, tuple)):
        return any(_has_float32(item) for item in value)
    if isinstance(value, dict):
        return any(_has_float32(item) for item in value.values())
    return isinstance(value, np.float32)


class Ps1Test(FunctionTest):
    """A FunctionTest that judges cases with float32 inputs with rtol 1e-5, and names
    the parts of a network ("layer 1's W") where a list of (W, b) pairs differs."""

    def problem(self, case, got, expected, reference):
        rtol = max(self.rtol, FLOAT32_RTOL) if _has_float32((case.args, case.kwargs)) else self.rtol
        mismatch = compare(got, expected, rtol, self.atol, reveal=case.public, names=self.names)
        if mismatch is None:
            return None
        mismatch.where = _layer_names(mismatch.where)
        hint = self.hint(case, got, expected, reference)
        return mismatch.text() + (" - hint: " + hint if hint else "")


def _layer_names(where):
    """"item 1, element 0" (compare's words for a list of pairs) as "layer 1's W"."""
    return re.sub(r"item (\d+), element ([01])",
                  lambda m: "layer %s's %s" % (m.group(1), "Wb"[int(m.group(2))]), where)


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


relu = Ps1Test(
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


sigmoid = Ps1Test(
    "sigmoid", 1, sigmoid_cases, params=("x",), no_warnings=True,
    warning_hint=("np.exp(-x) overflows for large negative x; compute it from exp(-|x|) "
                  "so the exponent is never positive (see the lesson)"),
    hints=[
        same_as(lambda case, ref: None if ref is None else 1.0 - ref.sigmoid(case.args[0]),
                "this is 1 - sigmoid(x): check the sign inside exp, 1 / (1 + exp(-x))"),
        same_as(with_reference("relu", ("x",)), "this is relu(x), not sigmoid(x)"),
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
        Case("float32 x, W and b of shapes (5, 4), (4, 3), (3,), activation 'sigmoid'",
             (rng.normal(size=(5, 4)).astype(np.float32), rng.normal(size=(4, 3)).astype(np.float32),
              rng.normal(size=3).astype(np.float32), "sigmoid")),
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


dense = Ps1Test(
    "dense", 2, dense_cases, params=DENSE_PARAMS,
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


# --- init_layers ----------------------------------------------------------------------

INIT_PARAMS = ("layer_sizes", "seed", "scheme")


def init_layers_cases():
    return [
        Case("layer_sizes [3, 2, 1], seed 0, scheme 'he'", ([3, 2, 1], 0, "he"), public=True,
             expected=[(np.array([[0.10265829564204268, -0.10786316920127266],
                                  [0.522902904435612, 0.08565058699437483],
                                  [-0.4373722116937453, 0.2952411260139676]]), np.zeros(2)),
                       (np.array([[1.3040000451301372], [0.9470809631292422]]), np.zeros(1))]),
        Case("layer_sizes [2, 3], seed 1, scheme 'xavier'", ([2, 3], 1, "xavier"), public=True,
             expected=[(np.array([[0.2443649256798845, 0.580971760815571, 0.23365429732472887],
                                  [-0.9214713154197319, 0.6401832727115854, 0.3156344870678377]]),
                        np.zeros(3))]),
        Case("layer_sizes [4, 3, 2], seed 5, scheme 'zeros'", ([4, 3, 2], 5, "zeros"), public=True,
             expected=[(np.zeros((4, 3)), np.zeros(3)), (np.zeros((3, 2)), np.zeros(2))]),
        Case("scheme 'normal' (not one of the three)", ([3, 2], 0, "normal"), public=True,
             raises="ValueError"),
        Case("layer_sizes [64, 32, 10], seed 0, scheme 'he'", ([64, 32, 10], 0, "he")),
        Case("layer_sizes [64, 32, 10], seed 7, scheme 'xavier'", ([64, 32, 10], 7, "xavier")),
        Case("layer_sizes [5, 8, 8, 3], seed 3, the default scheme", ([5, 8, 8, 3], 3)),
        Case("layer_sizes (6, 4, 2) as a tuple, seed 11, scheme='he' by keyword", ((6, 4, 2), 11),
             kwargs={"scheme": "he"}),
        Case("layer_sizes [1, 4, 2], seed 2, scheme 'he'", ([1, 4, 2], 2, "he")),
        Case("layer_sizes [10, 1], seed 9, scheme 'xavier'", ([10, 1], 9, "xavier")),
        Case("layer_sizes [8, 5, 3], seed 4, scheme 'zeros'", ([8, 5, 3], 4, "zeros")),
        Case("layer_sizes as an array [7, 5], seed 12, scheme 'he'", (np.array([7, 5]), 12, "he")),
        Case("scheme 'He' (names are lower case)", ([3, 2], 0, "He"), raises="ValueError"),
        Case("a single size [10]: no layer", ([10], 0, "he"), raises="ValueError"),
        Case("a size of 0 in [4, 0, 2]", ([4, 0, 2], 0, "he"), raises="ValueError"),
    ]


def _pairs(got):
    """The (W, b) pairs of a returned network as float arrays, or None if it is not one."""
    if not isinstance(got, (list, tuple)):
        return None
    pairs = []
    for layer in got:
        if not isinstance(layer, (list, tuple)) or len(layer) != 2:
            return None
        W, b = as_float_array(layer[0]), as_float_array(layer[1])
        if W is None or b is None:
            return None
        pairs.append((W, b))
    return pairs


def _nonzero_biases(message):
    def hint(case, got, expected, reference):
        pairs = _pairs(got)
        return message if pairs and any(np.any(b != 0) for _, b in pairs) else None
    return hint


def _transposed_weights(message):
    def hint(case, got, expected, reference):
        pairs, wanted = _pairs(got), _pairs(expected)
        if not pairs or not wanted or len(pairs) != len(wanted):
            return None
        shapes = [(W.shape, V.shape) for (W, _), (V, _) in zip(pairs, wanted)]
        if any(mine != right for mine, right in shapes) and all(
                mine == right[::-1] for mine, right in shapes):
            return message
        return None
    return hint


init_layers = Ps1Test(
    "init_layers", 2, init_layers_cases, params=INIT_PARAMS,
    hints=[
        _transposed_weights("each W has shape (n_in, n_out): one row per input, one column per unit"),
        mistake("variance_as_scale",
                "rng.normal takes a standard deviation: the scale is sqrt(2 / n_in) for 'he' and "
                "sqrt(1 / n_in) for 'xavier', and you used the variance (no square root)"),
        mistake("scaled_by_outputs", "scale by the number of inputs of each layer (n_in), not by its outputs"),
        mistake("other_scheme",
                "this is the other scheme's scale: 'he' uses sqrt(2 / n_in), 'xavier' sqrt(1 / n_in)"),
        mistake("unscaled",
                "the weights are not scaled: draw them with standard deviation sqrt(2 / n_in) "
                "('he') or sqrt(1 / n_in) ('xavier')"),
        mistake("biases_drawn",
                "b is drawn too: every b starts at zeros and nothing is drawn for it (each extra "
                "draw also changes every later weight)"),
        _nonzero_biases("every b must start at zeros"),
        mistake("generator_per_layer",
                "create the generator once, before the loop: a new default_rng(seed) for each "
                "layer starts every layer from the same draws"),
        mistake("drawn_transposed",
                "draw each W with size=(n_in, n_out): drawing (n_out, n_in) and transposing puts "
                "the numbers in other places"),
        mistake("drawn_last_layer_first", "draw the layers in order, the first layer first"),
        mistake("legacy_random",
                "use rng = np.random.default_rng(seed) and rng.normal: np.random.seed with the "
                "np.random functions draws other numbers"),
    ])


# --- network_forward ------------------------------------------------------------------

NETWORK_PARAMS = ("X", "layers", "hidden")

ONE_LAYER = [(np.array([[0.5, -0.5, 0.1], [0.2, 0.3, -0.4]]), np.array([0.0, 0.1, -0.1]))]
TWO_LAYERS = [(np.array([[0.5, -1.0], [1.0, 0.5]]), np.array([0.1, -0.2])),
              (np.array([[1.0, -1.0, 0.5], [-0.5, 1.0, 2.0]]), np.array([0.0, 0.0, 0.1]))]
SMALL_X = np.array([[1.0, 2.0], [-1.0, 0.5], [0.0, 0.0]])


def _network(seed, sizes, scale=1.0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [(rng.normal(0.0, scale / np.sqrt(n_in), size=(n_in, n_out)).astype(dtype),
             rng.normal(0.0, 0.1, size=n_out).astype(dtype))
            for n_in, n_out in zip(sizes[:-1], sizes[1:])]


def network_forward_cases():
    cases = [
        Case("a one-layer network (softmax regression) on 3 rows", (SMALL_X, ONE_LAYER), public=True,
             expected=np.array([[0.5954972684652321, 0.29571519196776186, 0.108787539567006],
                                [0.19386634379677428, 0.6122673124064514, 0.19386634379677428],
                                [0.3322249935333472, 0.3671654011109255, 0.3006096053557273]])),
        Case("a two-layer network, hidden 'relu'", (SMALL_X, TWO_LAYERS, "relu"), public=True,
             expected=np.array([[0.7652802885779446, 0.004221718011878625, 0.2304979934101766],
                                [0.05136785783107586, 0.2031638188139816, 0.7454683233549425],
                                [0.3484318312164997, 0.28527185556822504, 0.36629631321527534]])),
        Case("a two-layer network, hidden 'tanh'", (SMALL_X, TWO_LAYERS, "tanh"), public=True,
             expected=np.array([[0.6603339433975163, 0.0679401993655408, 0.27172585723694287],
                                [0.09032941645636015, 0.2390892033745395, 0.6705813801691003],
                                [0.4441956668345731, 0.27066074869793055, 0.2851435844674963]])),
        Case("logits [1000, -1000, 0] and [1000, 1000, 1000] (must not overflow)",
             ([[1.0, 0.0], [0.0, 1.0]], [(np.array([[1000.0, -1000.0, 0.0], [1000.0, 1000.0, 1000.0]]),
                                          np.zeros(3))]), public=True,
             expected=np.array([[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]])),
        Case("hidden 'softmax' (not one of the three)", (SMALL_X, TWO_LAYERS, "softmax"), public=True,
             raises="ValueError"),
    ]
    for seed, (n, sizes, hidden) in enumerate([
            (6, [4, 5, 3], "relu"), (5, [3, 6, 6, 4], "sigmoid"), (7, [5, 4, 4, 4, 2], "tanh"),
            (1, [8, 10], "relu"), (9, [2, 3, 5], "sigmoid"), (4, [64, 32, 10], "relu")]):
        X = np.random.default_rng(500 + seed).normal(size=(n, sizes[0]))
        cases.append(Case("X of shape (%d, %d), layer sizes %s, hidden %r" % (n, sizes[0], sizes, hidden),
                          (X, _network(600 + seed, sizes, scale=2.0), hidden)))
    rng = np.random.default_rng(700)
    cases += [
        Case("a 3-layer network with the default hidden activation", (rng.normal(size=(5, 3)),
                                                                       _network(701, [3, 4, 4, 3]))),
        Case("logits as large as +-1000 from a one-layer network",
             (rng.normal(size=(6, 4)), _network(702, [4, 5], scale=600.0), "relu")),
        Case("every row's logits equal and large",
             (np.ones((3, 2)), [(np.full((2, 4), 400.0), np.zeros(4))], "tanh")),
        Case("large logits after a relu hidden layer", (rng.normal(size=(4, 3)),
                                                        _network(703, [3, 6, 3], scale=40.0), "relu")),
        Case("float32 X and layers, hidden 'sigmoid'",
             (rng.normal(size=(5, 4)).astype(np.float32),
              _network(704, [4, 6, 3], scale=2.0, dtype=np.float32), "sigmoid")),
        Case("X and layers as nested lists", (rng.normal(size=(3, 2)).tolist(),
                                              [[W.tolist(), b.tolist()] for W, b in _network(705, [2, 3, 2])],
                                              "tanh")),
        Case("hidden 'linear' (not one of the three)", (SMALL_X, TWO_LAYERS, "linear"), raises="ValueError"),
        Case("X of shape (4, 3) with a first W of shape (5, 2): mismatched shapes",
             (rng.normal(size=(4, 3)), _network(706, [5, 2])), raises="ValueError"),
    ]
    return cases


network_forward = Ps1Test(
    "network_forward", 3, network_forward_cases, params=NETWORK_PARAMS, no_warnings=True,
    warning_hint=("exp overflows for large logits: subtract each row's largest logit before exp "
                  "(the probabilities stay the same)"),
    hints=[
        transposed("your result is transposed: one row per row of X, one column per class"),
        nonfinite("the softmax overflowed: subtract each row's largest logit before exp "
                  "(the probabilities stay the same, and exp never sees a positive number)"),
        mistake("logits_returned", "these are the logits: finish with a softmax over each row"),
        mistake("activation_on_last_layer",
                "the last layer is linear: apply the hidden activation to the hidden layers only, "
                "then the softmax to the last layer's outputs"),
        mistake("softmax_over_columns",
                "the softmax normalises each row (axis=1), so that every row sums to 1; yours "
                "normalises each column"),
        mistake("sigmoid_output", "the output is a softmax over each row, not a sigmoid of each logit"),
        mistake("biases_left_out", "the biases are missing: each layer computes a @ W + b"),
    ] + [
        mistake("hidden_activation_ignored",
                "this uses the %r hidden activation: use the one asked for by `hidden`" % name, used=name)
        for name in ("relu", "sigmoid", "tanh")
    ])


# --- accuracy -------------------------------------------------------------------------

def _probabilities(seed, n, k):
    return np.random.default_rng(seed).dirichlet(np.full(k, 0.5), size=n)


def accuracy_cases():
    probs = _probabilities(800, 50, 10)
    labels = np.random.default_rng(801).integers(0, 10, size=50)
    labels[:20] = np.argmax(probs[:20], axis=1)  # some right, most by chance
    small = _probabilities(802, 7, 3)
    return [
        Case("4 rows of 3 classes, 3 of them right",
             ([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4], [0.5, 0.1, 0.4]], [0, 1, 2, 2]),
             public=True, expected=0.75),
        Case("ties go to the first largest: [0.4, 0.4, 0.2] is class 0, [0.1, 0.45, 0.45] class 1",
             ([[0.4, 0.4, 0.2], [0.1, 0.45, 0.45]], [0, 1]), public=True, expected=1.0),
        Case("3 rows of probabilities but 2 labels", ([[0.5, 0.5], [0.9, 0.1], [0.2, 0.8]], [0, 1]),
             public=True, raises="ValueError"),
        Case("50 rows of 10 classes", (probs, labels)),
        Case("50 rows of 10 classes, labels as a list", (probs, labels.tolist())),
        Case("one row, wrong", ([[0.1, 0.9]], [0])),
        Case("ties, labels at the second largest", ([[0.4, 0.4, 0.2], [0.1, 0.45, 0.45]], [1, 2])),
        Case("7 rows of 3 classes, none right", (small, (np.argmax(small, axis=1) + 1) % 3)),
        Case("float32 probabilities", (probs[:10].astype(np.float32), labels[:10])),
        Case("10 rows of 10 classes", (probs[10:20], labels[10:20])),
        Case("50 rows of probabilities but 49 labels", (probs, labels[:49]), raises="ValueError"),
    ]


def _mean_probability_of_label(case, reference):
    probs, labels = (np.asarray(arg) for arg in inputs(case)[0])
    return float(np.mean(probs[np.arange(len(labels)), labels.astype(int)]))


accuracy = Ps1Test(
    "accuracy", 1, accuracy_cases, params=("probs", "labels"),
    hints=[
        same_as(_mean_probability_of_label,
                "this is the mean probability given to the right class; accuracy counts the rows "
                "whose largest probability (np.argmax over each row) is at the label"),
        same_as(lambda case, ref: float(np.mean(np.argmax(case.args[0], axis=0) == np.asarray(case.args[1]))),
                "take the argmax over each row (axis=1), one prediction per row"),
        expected_as(lambda case, expected: expected * len(case.args[1]),
                    "this is the number of rows predicted right; divide by the number of rows"),
        expected_as(lambda case, expected: 100.0 * expected, "return a fraction between 0 and 1, not a percentage"),
        same_as(lambda case, ref: float(np.mean(np.max(case.args[0], axis=1) == np.asarray(case.args[1]))),
                "compare the position of each row's largest probability (np.argmax) with the label, "
                "not the probability itself"),
        expected_as(lambda case, expected: 1.0 - expected if 0 < expected < 1 else None,
                    "this is the fraction of rows predicted wrong; count the rows predicted right"),
    ])


ASSIGNMENT = Assignment(
    "ps1_forward",
    tests=(relu, sigmoid, dense, init_layers, network_forward, accuracy),
    mistake=Mistake("init_layers", "np.sqrt(gain / n_in)", "gain / n_in"))
