"""Reference solution for ps3_backprop: a 2 -> 3 -> 2 -> 1 sigmoid network in NumPy.

The loss is the mean binary cross-entropy over the batch, y has shape (n, 1). The
module stands alone (the grader loads it from its file), so it has its own sigmoid
and cross-entropy, the same as ps1's and ps2's.
"""
import operator

import numpy as np

SHAPES = {"W1": (2, 3), "b1": (3,), "W2": (3, 2), "b2": (2,), "W3": (2, 1), "b3": (1,)}
EPS = 1e-7  # the cross-entropy clip, as in ps2 and Keras


def _sigmoid(z):
    """Overflow-free sigmoid (see ps1): exp only ever sees -|z|."""
    a = np.abs(z)
    e = np.where(a > 708.0, 0.0, np.exp(-np.minimum(a, 708.0)))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _bce(y, p):
    p = np.clip(p, EPS, 1.0 - EPS)
    return float(-np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)))


def _same_shape(a, b, what):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError("%s must have the same shape, got %s and %s" % (what, a.shape, b.shape))
    return a, b


def _inputs(X):
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError("X must have shape (n, 2), got %s" % (X.shape,))
    return X


def _checked(params):
    """params as float64 arrays, after checking every key and shape."""
    out = {}
    for key, shape in SHAPES.items():
        if key not in params:
            raise ValueError("params is missing %r" % key)
        out[key] = np.asarray(params[key], dtype=np.float64)
        if out[key].shape != shape:
            raise ValueError("params[%r] must have shape %s, got %s" % (key, shape, out[key].shape))
    return out


def _targets(y, n):
    y = np.asarray(y, dtype=np.float64)
    if y.shape != (n, 1):
        raise ValueError("y must have shape (%d, 1), one label per row of X, got %s" % (n, y.shape))
    return y


def init_params(seed):
    """Random weights, zero biases.

    Weights are Xavier/Glorot normal, std = sqrt(2 / (fan_in + fan_out)): large enough
    to break the symmetry between units, small enough that no sigmoid starts saturated
    (where its gradient vanishes). Drawn in the order W1, W2, W3 from
    np.random.default_rng(seed), so the same seed gives the same network.
    """
    rng = np.random.default_rng(seed)
    params = {}
    for key, shape in SHAPES.items():
        if key.startswith("W"):
            params[key] = rng.standard_normal(shape) * np.sqrt(2.0 / (shape[0] + shape[1]))
        else:
            params[key] = np.zeros(shape)
    return params


def forward(X, params):
    """The network's output A3 (n, 1), and the activations backward needs."""
    X = _inputs(X)
    params = _checked(params)
    A1 = _sigmoid(X @ params["W1"] + params["b1"])
    A2 = _sigmoid(A1 @ params["W2"] + params["b2"])
    A3 = _sigmoid(A2 @ params["W3"] + params["b3"])
    return A3, {"X": X, "A1": A1, "A2": A2, "A3": A3}


def loss(X, y, params):
    """Mean binary cross-entropy of the network on (X, y): what backward differentiates."""
    A3, _ = forward(X, params)
    return _bce(_targets(y, len(A3)), A3)


def backward(X, y, params, cache):
    """The gradient of the mean BCE with respect to every parameter (the chain rule).

    For a sigmoid output, dL/dZ3 = (A3 - y) / n: the sigmoid's slope A3 (1 - A3)
    cancels the cross-entropy's 1 / (A3 (1 - A3)), which is why the pair is used.
    Each hidden layer then multiplies by its own sigmoid slope A (1 - A). (This is the
    gradient of the unclipped loss; the clip only matters for A3 within 1e-7 of 0 or 1.)
    """
    X = _inputs(X)
    params = _checked(params)
    A1, A2, A3 = cache["A1"], cache["A2"], cache["A3"]
    if len(A3) != len(X):
        raise ValueError("cache holds %d rows but X has %d: pass the cache of forward(X, params)"
                         % (len(A3), len(X)))
    y = _targets(y, len(X))
    dZ3 = (A3 - y) / len(X)
    dZ2 = (dZ3 @ params["W3"].T) * A2 * (1.0 - A2)
    dZ1 = (dZ2 @ params["W2"].T) * A1 * (1.0 - A1)
    return {
        "W1": X.T @ dZ1, "b1": dZ1.sum(axis=0),
        "W2": A1.T @ dZ2, "b2": dZ2.sum(axis=0),
        "W3": A2.T @ dZ3, "b3": dZ3.sum(axis=0),
    }


def sgd_step(param, grad, learning_rate):
    """Plain gradient descent: a step against the gradient."""
    param, grad = _same_shape(param, grad, "sgd_step: param and grad")
    return param - learning_rate * grad


def momentum_step(param, grad, velocity, learning_rate, beta=0.9):
    """Gradient descent with a velocity that remembers past gradients.

    Steps that keep pointing the same way add up; steps that flip sign cancel out.
    """
    param, grad = _same_shape(param, grad, "momentum_step: param and grad")
    _, velocity = _same_shape(param, velocity, "momentum_step: param and velocity")
    v = beta * velocity + grad
    return param - learning_rate * v, v


def adam_step(param, grad, m, v, t, learning_rate=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    """Adam: momentum (m) scaled per parameter by the recent gradient size (sqrt v).

    m and v start at 0, so early on they are biased towards 0; dividing by
    1 - beta^t undoes that. t counts steps from 1.
    """
    try:
        t = operator.index(t)
    except TypeError:
        raise ValueError("adam_step: t must be an integer step count, got %r" % (t,)) from None
    if t < 1:
        raise ValueError("adam_step: t counts from 1, got %d" % t)
    param, grad = _same_shape(param, grad, "adam_step: param and grad")
    _, m = _same_shape(param, m, "adam_step: param and m")
    _, v = _same_shape(param, v, "adam_step: param and v")
    m = beta1 * m + (1.0 - beta1) * grad
    v = beta2 * v + (1.0 - beta2) * grad ** 2
    m_hat = m / (1.0 - beta1 ** t)
    v_hat = v / (1.0 - beta2 ** t)
    return param - learning_rate * m_hat / (np.sqrt(v_hat) + eps), m, v


def train(X, y, epochs, learning_rate, seed):
    """Full-batch gradient descent from init_params(seed).

    losses[i] is the loss measured in epoch i before that epoch's update, so
    losses[0] is the loss of the initial network.
    """
    try:
        epochs = operator.index(epochs)
    except TypeError:
        raise ValueError("train: epochs must be an integer, got %r" % (epochs,)) from None
    if epochs < 0:
        raise ValueError("train: epochs must not be negative, got %d" % epochs)
    X = _inputs(X)
    y = _targets(y, len(X))
    params = init_params(seed)
    losses = np.empty(epochs)
    for epoch in range(epochs):
        A3, cache = forward(X, params)
        losses[epoch] = _bce(y, A3)
        grads = backward(X, y, params, cache)
        params = {key: sgd_step(params[key], grads[key], learning_rate) for key in params}
    return params, losses
