"""Reference solution for ps2_learning (version 2): gradients you can trust.

Two losses and the batching of lessons 03-04, then numerical gradients (centred
differences and the relative error that compares two gradients), the gradient of
logistic regression, and minibatch gradient descent that trains it.

Inputs are converted to new float64 arrays, so nothing passed in is modified. The
losses insist on equal shapes: numpy would silently broadcast y_true (n,) against
y_pred (n, 1) into an (n, n) table and return a meaningless average.
"""
import operator

import numpy as np


def _count(value, name, minimum):
    """value as an int >= minimum, or a ValueError naming the argument."""
    try:
        value = operator.index(value)
    except TypeError:
        raise ValueError("%s must be an integer, got %r" % (name, value)) from None
    if value < minimum:
        raise ValueError("%s must be at least %d, got %d" % (name, minimum, value))
    return value


def _pair(y_true, y_pred, where):
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_true.shape != y_pred.shape:
        raise ValueError("%s: y_true and the predictions must have the same shape, got %s "
                         "and %s" % (where, y_true.shape, y_pred.shape))
    if y_true.size == 0:
        raise ValueError("%s: the inputs are empty" % where)
    return y_true, y_pred


def _eps(eps, where):
    if not 0.0 < eps < 0.5:
        raise ValueError("%s: eps must be in (0, 0.5), got %r" % (where, eps))
    return float(eps)


def mse(y_true, y_pred):
    """Mean squared error: squaring makes big errors count much more than small ones."""
    y_true, y_pred = _pair(y_true, y_pred, "mse")
    return float(np.mean((y_true - y_pred) ** 2))


def binary_cross_entropy(y_true, p, eps=1e-7):
    """Binary cross-entropy; p is clipped to [eps, 1 - eps] so log never sees 0.

    eps = 1e-7 is Keras's default, so this agrees with keras.losses.BinaryCrossentropy.
    """
    eps = _eps(eps, "binary_cross_entropy")
    y, p = _pair(y_true, p, "binary_cross_entropy")
    p = np.clip(p, eps, 1.0 - eps)
    return float(-np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)))


def minibatches(n_samples, batch_size, rng):
    """Shuffle the indices once, then cut them into consecutive batches.

    Every sample is used exactly once per epoch; the last batch may be shorter.
    """
    n_samples = _count(n_samples, "minibatches: n_samples", 0)
    batch_size = _count(batch_size, "minibatches: batch_size", 1)
    order = rng.permutation(n_samples)
    return [order[i:i + batch_size] for i in range(0, n_samples, batch_size)]


def centred_gradient(f, x, h=1e-5):
    """(f(x + h e_i) - f(x - h e_i)) / 2h for every element i of x, shaped like x.

    Centred differences are exact for quadratics and off by O(h^2) elsewhere, where a
    forward difference is off by O(h). `f` gets a fresh copy each time, so it can
    neither change `x` nor the point the next difference is taken at.
    """
    if not (isinstance(h, (int, float, np.floating, np.integer)) and h > 0):
        raise ValueError("centred_gradient: h must be a positive number, got %r" % (h,))
    point = np.array(x, dtype=np.float64)
    gradient = np.zeros_like(point)
    for index in np.ndindex(point.shape):
        original = point[index]
        point[index] = original + h
        above = float(f(point.copy()))
        point[index] = original - h
        below = float(f(point.copy()))
        point[index] = original
        gradient[index] = (above - below) / (2 * h)
    return gradient


def relative_error(a, b):
    """norm(a - b) / max(norm(a) + norm(b), 1e-12), Euclidean norms over all elements.

    Scale-free, so one threshold (about 1e-7 for a correct gradient in float64) serves
    gradients of any size; the floor keeps two zero arrays at 0 rather than 0 / 0.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError("relative_error: a and b must have the same shape, got %s and %s"
                         % (a.shape, b.shape))
    norm = lambda v: float(np.sqrt(np.sum(v * v)))  # noqa: E731
    return norm(a - b) / max(norm(a) + norm(b), 1e-12)


def _sigmoid(z):
    """1 / (1 + e^-z) without overflow: exp only ever sees -|z|."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _logistic_inputs(w, b, X, y, where):
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] < 1:
        raise ValueError("%s: X must have shape (n, d) with n >= 1, got %s" % (where, X.shape))
    if y.shape != (X.shape[0],):
        raise ValueError("%s: y must have shape (%d,) for X of shape %s, got %s"
                         % (where, X.shape[0], X.shape, y.shape))
    if w is not None:
        w = np.asarray(w, dtype=np.float64)
        if w.shape != (X.shape[1],):
            raise ValueError("%s: w must have shape (%d,) for X of shape %s, got %s"
                             % (where, X.shape[1], X.shape, w.shape))
        if np.ndim(b) != 0:
            raise ValueError("%s: b must be a single number, got shape %s" % (where, np.shape(b)))
    return w, (None if b is None else float(b)), X, y


def logistic_gradients(w, b, X, y):
    """The gradient of the mean binary cross-entropy of sigmoid(X @ w + b): (dw, db).

    With p = sigmoid(z), dL/dz = p - y for each row (the sigmoid's slope p (1 - p)
    cancels against the loss's 1 / (p (1 - p))), so dw = X^T (p - y) / n and
    db = mean(p - y).
    """
    w, b, X, y = _logistic_inputs(w, b, X, y, "logistic_gradients")
    error = _sigmoid(X @ w + b) - y
    return X.T @ error / len(X), float(np.mean(error))


def fit_logistic(X, y, learning_rate, epochs, batch_size, seed):
    """Minibatch gradient descent for logistic regression from w = 0, b = 0.

    One generator for the whole run, so every epoch draws a new order; one step per
    batch; the loss over all of X recorded after each epoch.
    """
    _, _, X, y = _logistic_inputs(None, None, X, y, "fit_logistic")
    epochs = _count(epochs, "fit_logistic: epochs", 0)
    rng = np.random.default_rng(seed)
    w, b = np.zeros(X.shape[1]), 0.0
    losses = []
    for _ in range(epochs):
        for batch in minibatches(len(X), batch_size, rng):
            dw, db = logistic_gradients(w, b, X[batch], y[batch])
            w = w - learning_rate * dw
            b = b - learning_rate * db
        losses.append(binary_cross_entropy(y, _sigmoid(X @ w + b)))
    return w, b, np.array(losses)
