"""Reference solution for ps1_forward: a forward pass by hand.

Every function converts its inputs to new float64 arrays first, so callers may pass
lists, scalars or float32 arrays, and nothing they pass is ever modified.
"""
import numpy as np

ACTIVATIONS = ("relu", "sigmoid", "linear")


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


def neuron(inputs, weights, bias):
    """One ReLU neuron: relu(inputs . weights + bias), as a Python float."""
    inputs = np.asarray(inputs, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    if inputs.ndim != 1 or inputs.shape != weights.shape:
        raise ValueError("neuron: inputs and weights must be 1-D of the same length, got "
                         "shapes %s and %s" % (inputs.shape, weights.shape))
    if np.ndim(bias) != 0:
        raise ValueError("neuron: bias must be a single number, got shape %s" % (np.shape(bias),))
    return float(relu(inputs @ weights + float(bias)))


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


def forward_pass(x, params):
    """A 2-layer network: a ReLU hidden layer, then a sigmoid output layer."""
    missing = [key for key in ("W1", "b1", "W2", "b2") if key not in params]
    if missing:
        raise ValueError("forward_pass: params is missing %s" % ", ".join(missing))
    h = dense(x, params["W1"], params["b1"], "relu")
    return dense(h, params["W2"], params["b2"], "sigmoid")
