"""Typical mistakes in ps1_forward, modelled for the grader's hints.

Each model takes the graded function's arguments and returns what a submission with
that one mistake returns, or None where the mistake would change nothing. A model is
the right computation with one thing changed, so these live with the answer key.
"""
import numpy as np

GAINS = {"he": 2.0, "xavier": 1.0}


# --- init_layers --------------------------------------------------------------------------

def _drawn(layer_sizes, seed, scheme, scale=None, draw_b=False, fresh_rng=False, transpose=False,
           reverse=False, legacy=False, swap=False):
    """The contract's network drawn with the slips that are switched on."""
    if scheme not in GAINS:
        return None
    sizes = [int(size) for size in layer_sizes]
    gain = GAINS[scheme]
    if swap:
        gain = 3.0 - gain  # the other scheme's
    pairs = list(enumerate(zip(sizes[:-1], sizes[1:])))
    make = np.random.RandomState if legacy else np.random.default_rng
    rng = make(seed)
    layers = [None] * len(pairs)
    for index, (n_in, n_out) in (reversed(pairs) if reverse else pairs):
        if fresh_rng:
            rng = make(seed)
        std = scale(gain, n_in, n_out) if scale else np.sqrt(gain / n_in)
        W = rng.normal(0.0, std, size=(n_out, n_in)).T if transpose else rng.normal(0.0, std, size=(n_in, n_out))
        b = rng.normal(0.0, std, size=n_out) if draw_b else np.zeros(n_out)
        layers[index] = (W, b)
    return layers


def variance_as_scale(layer_sizes, seed, scheme="he"):
    return _drawn(layer_sizes, seed, scheme, scale=lambda gain, n_in, n_out: gain / n_in)


def scaled_by_outputs(layer_sizes, seed, scheme="he"):
    return _drawn(layer_sizes, seed, scheme, scale=lambda gain, n_in, n_out: np.sqrt(gain / n_out))


def other_scheme(layer_sizes, seed, scheme="he"):
    return _drawn(layer_sizes, seed, scheme, swap=True)


def unscaled(layer_sizes, seed, scheme="he"):
    return _drawn(layer_sizes, seed, scheme, scale=lambda gain, n_in, n_out: 1.0)


def biases_drawn(layer_sizes, seed, scheme="he"):
    return _drawn(layer_sizes, seed, scheme, draw_b=True)


def generator_per_layer(layer_sizes, seed, scheme="he"):
    return _drawn(layer_sizes, seed, scheme, fresh_rng=True)


def drawn_transposed(layer_sizes, seed, scheme="he"):
    return _drawn(layer_sizes, seed, scheme, transpose=True)


def drawn_last_layer_first(layer_sizes, seed, scheme="he"):
    return _drawn(layer_sizes, seed, scheme, reverse=True)


def legacy_random(layer_sizes, seed, scheme="he"):
    return _drawn(layer_sizes, seed, scheme, legacy=True)


# --- network_forward ----------------------------------------------------------------------

def _activate(z, name):
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "sigmoid":
        return 0.5 * (1.0 + np.tanh(z / 2.0))
    if name == "tanh":
        return np.tanh(z)
    return z


def _softmax(z, axis):
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _forward(X, layers, hidden, last="linear", output="softmax", axis=1, bias=True):
    """The network's output with the slips that are given."""
    a = np.asarray(X, dtype=np.float64)
    for index, (W, b) in enumerate(layers):
        z = a @ np.asarray(W, dtype=np.float64) + (np.asarray(b, dtype=np.float64) if bias else 0.0)
        a = _activate(z, hidden if index < len(layers) - 1 or last == "hidden" else "linear")
    if output == "softmax":
        return _softmax(a, axis)
    return _activate(a, "sigmoid") if output == "sigmoid" else a


def logits_returned(X, layers, hidden="relu"):
    return _forward(X, layers, hidden, output="logits")


def activation_on_last_layer(X, layers, hidden="relu"):
    return _forward(X, layers, hidden, last="hidden")


def softmax_over_columns(X, layers, hidden="relu"):
    return _forward(X, layers, hidden, axis=0)


def sigmoid_output(X, layers, hidden="relu"):
    return _forward(X, layers, hidden, output="sigmoid")


def biases_left_out(X, layers, hidden="relu"):
    return _forward(X, layers, hidden, bias=False)


def hidden_activation_ignored(X, layers, hidden="relu", *, used):
    """The network with the hidden activation `used` instead of the one asked for."""
    return None if used == hidden else _forward(X, layers, used)
