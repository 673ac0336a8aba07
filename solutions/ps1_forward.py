"""Reference solution for ps1_forward: forward passes, generalised (contract version 2).

Every function converts its inputs to new float64 arrays first, so callers may pass
lists, scalars or float32 arrays, and nothing they pass is ever modified.
"""
import numpy as np

ACTIVATIONS = ("relu", "sigmoid", "linear")
HIDDEN_ACTIVATIONS = ("relu", "sigmoid", "tanh")
# Variance of each weight times n_in: 2 for He (ReLU halves the variance), 1 for Xavier.
GAINS = {"he": 2.0, "xavier": 1.0}
SCHEMES = ("he", "xavier", "zeros")


def relu(x):
    """max(x, 0) elementwise: the default hidden-layer activation."""
    return np.maximum(np.asarray(x, dtype=np.float64), 0.0)


def sigmoid(x):
    """1 / (1 + exp(-x)) elementwise, without overflow for any x.

    exp(-x) overflows for x below about -709, so both branches are written with
    e = exp(-|x|), which lies in (0, 1]. Where |x| > 708, e would underflow (another
    floating-point warning) and sigmoid is 0 or 1 to double precision, so e is 0.
    """
    x = np.asarray(x, dtype=np.float64)
    a = np.abs(x)
    e = np.where(a > 708.0, 0.0, np.exp(-np.minimum(a, 708.0)))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def dense(x, W, b, activation):
    """activation(x @ W + b) for a batch x of shape (n, d_in) (or one row (d_in,)).

    x @ W (not W @ x) keeps one row per sample, the layout Keras uses.
    """
    if activation not in ACTIVATIONS:
        raise ValueError("dense: unknown activation %r, expected one of %s"
                         % (activation, ", ".join(ACTIVATIONS)))
    x = np.asarray(x, dtype=np.float64)
    W = np.asarray(W, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if W.ndim != 2:
        raise ValueError("dense: W must be 2-D (d_in, d_out), got shape %s" % (W.shape,))
    if x.ndim not in (1, 2) or x.shape[-1] != W.shape[0]:
        raise ValueError("dense: x of shape %s does not fit W of shape %s: x must be "
                         "(n, %d)" % (x.shape, W.shape, W.shape[0]))
    if b.shape != (W.shape[1],):
        raise ValueError("dense: b must have shape (%d,) to match W of shape %s, got %s"
                         % (W.shape[1], W.shape, b.shape))
    z = x @ W + b
    if activation == "relu":
        return relu(z)
    if activation == "sigmoid":
        return sigmoid(z)
    return z


def init_layers(layer_sizes, seed, scheme="he"):
    """A network of len(layer_sizes) - 1 layers: a list of (W, b), W (n_in, n_out), b zeros.

    One generator for the whole network, drawn layer by layer in order; "he" and
    "xavier" draw W from a normal distribution whose standard deviation is
    sqrt(gain / n_in), "zeros" draws nothing.
    """
    if scheme not in SCHEMES:
        raise ValueError("init_layers: unknown scheme %r, expected one of %s"
                         % (scheme, ", ".join(SCHEMES)))
    sizes = np.asarray(layer_sizes)
    if sizes.ndim != 1 or sizes.size < 2:
        raise ValueError("init_layers: layer_sizes must list at least two sizes (inputs, "
                         "outputs), got %r" % (layer_sizes,))
    if sizes.dtype.kind not in "iuf" or np.any(sizes != np.round(sizes)) or np.any(sizes < 1):
        raise ValueError("init_layers: every layer size must be a whole number of at least 1, "
                         "got %r" % (layer_sizes,))
    sizes = [int(size) for size in sizes]
    rng = np.random.default_rng(seed)  # one generator for the whole network
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        if scheme == "zeros":
            W = np.zeros((n_in, n_out))
        else:
            W = rng.normal(0.0, np.sqrt(GAINS[scheme] / n_in), size=(n_in, n_out))
        layers.append((W, np.zeros(n_out)))
    return layers


def softmax(logits):
    """Each row of `logits` (n, k) as probabilities; exp only ever sees numbers <= 0."""
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=1, keepdims=True)


def _hidden(z, name):
    if name == "relu":
        return relu(z)
    if name == "sigmoid":
        return sigmoid(z)
    return np.tanh(z)


def network_forward(X, layers, hidden="relu"):
    """Class probabilities (n, k): hidden layers apply `hidden`, the last layer is linear,
    then a softmax over each row."""
    if hidden not in HIDDEN_ACTIVATIONS:
        raise ValueError("network_forward: unknown hidden activation %r, expected one of %s"
                         % (hidden, ", ".join(HIDDEN_ACTIVATIONS)))
    a = np.asarray(X, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError("network_forward: X must be 2-D (n, d), got shape %s" % (a.shape,))
    layers = list(layers)
    if not layers:
        raise ValueError("network_forward: the network has no layers")
    for index, layer in enumerate(layers):
        if len(layer) != 2:
            raise ValueError("network_forward: layer %d is not a pair (W, b)" % index)
        W = np.asarray(layer[0], dtype=np.float64)
        b = np.asarray(layer[1], dtype=np.float64)
        if W.ndim != 2 or W.shape[0] != a.shape[1] or b.shape != (W.shape[1],):
            raise ValueError("network_forward: layer %d has W of shape %s and b of shape %s, "
                             "which do not fit its input of shape %s"
                             % (index, W.shape, b.shape, a.shape))
        z = a @ W + b
        a = _hidden(z, hidden) if index < len(layers) - 1 else z
    return softmax(a)


def accuracy(probs, labels):
    """The fraction of rows whose largest probability (the first, on ties) is at the label."""
    probs = np.asarray(probs, dtype=np.float64)
    labels = np.asarray(labels)
    if probs.ndim != 2:
        raise ValueError("accuracy: probs must be 2-D (n, k), got shape %s" % (probs.shape,))
    if labels.shape != (probs.shape[0],):
        raise ValueError("accuracy: %d rows of probabilities but labels of shape %s"
                         % (probs.shape[0], labels.shape))
    if probs.shape[0] == 0:
        raise ValueError("accuracy: there are no rows")
    return float(np.mean(np.argmax(probs, axis=1) == labels))
