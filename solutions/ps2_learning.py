"""Reference solution for ps2_learning: gradient descent and loss functions.

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


def gradient_step(x, grad, learning_rate):
    """One step downhill: move against the gradient, scaled by the learning rate."""
    x = np.asarray(x, dtype=np.float64)
    grad = np.asarray(grad, dtype=np.float64)
    if x.shape != grad.shape:
        raise ValueError("gradient_step: grad must have the shape of x %s, got %s"
                         % (x.shape, grad.shape))
    return x - learning_rate * grad


def gradient_descent(grad_fn, x0, learning_rate, steps):
    """The whole walk, x0 first, so it can be plotted or inspected step by step."""
    steps = _count(steps, "gradient_descent: steps", 0)
    x = np.asarray(x0, dtype=np.float64).copy()
    path = np.empty((steps + 1,) + x.shape)
    path[0] = x
    for i in range(steps):
        # grad_fn gets a copy, so it cannot change the recorded path.
        x = gradient_step(x, grad_fn(x.copy()), learning_rate)
        path[i + 1] = x
    return path


def mse(y_true, y_pred):
    """Mean squared error: squaring makes big errors count much more than small ones."""
    y_true, y_pred = _pair(y_true, y_pred, "mse")
    return float(np.mean((y_true - y_pred) ** 2))


def mae(y_true, y_pred):
    """Mean absolute error: every unit of error counts the same, so outliers matter less."""
    y_true, y_pred = _pair(y_true, y_pred, "mae")
    return float(np.mean(np.abs(y_true - y_pred)))


def huber(y_true, y_pred, delta=1.0):
    """Squared error for small errors, linear beyond delta: MSE's smoothness, MAE's calm.

    The two pieces meet with the same value and slope at |e| = delta.
    """
    if not delta > 0:
        raise ValueError("huber: delta must be positive, got %r" % (delta,))
    y_true, y_pred = _pair(y_true, y_pred, "huber")
    e = np.abs(y_true - y_pred)
    return float(np.mean(np.where(e <= delta, 0.5 * e ** 2, delta * (e - 0.5 * delta))))


def binary_cross_entropy(y_true, p, eps=1e-7):
    """Binary cross-entropy; p is clipped to [eps, 1 - eps] so log never sees 0.

    eps = 1e-7 is Keras's default, so this agrees with keras.losses.BinaryCrossentropy.
    """
    eps = _eps(eps, "binary_cross_entropy")
    y, p = _pair(y_true, p, "binary_cross_entropy")
    p = np.clip(p, eps, 1.0 - eps)
    return float(-np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)))


def categorical_cross_entropy(y_true, probs, eps=1e-7):
    """Cross-entropy of one-hot rows: the mean over rows of -log(probability of the truth)."""
    eps = _eps(eps, "categorical_cross_entropy")
    y, p = _pair(y_true, probs, "categorical_cross_entropy")
    if y.ndim != 2:
        raise ValueError("categorical_cross_entropy: expected (n, k) arrays, got shape %s"
                         % (y.shape,))
    return float(-np.mean(np.sum(y * np.log(np.clip(p, eps, 1.0)), axis=1)))


def minibatches(n_samples, batch_size, rng):
    """Shuffle the indices once, then cut them into consecutive batches.

    Every sample is used exactly once per epoch; the last batch may be shorter.
    """
    n_samples = _count(n_samples, "minibatches: n_samples", 0)
    batch_size = _count(batch_size, "minibatches: batch_size", 1)
    order = rng.permutation(n_samples)
    return [order[i:i + batch_size] for i in range(0, n_samples, batch_size)]
