"""Typical mistakes in ps2_learning, modelled for the grader's hints.

Each model takes the graded function's arguments and returns what a submission with
that one mistake returns. A model is the right computation with one thing changed, so
these live with the answer key.
"""
import numpy as np


def _floats(*values):
    return [np.asarray(value, dtype=np.float64) for value in values]


# --- mse ----------------------------------------------------------------------------------

def variance_of_errors(y_true, y_pred):
    """np.var of the errors, which subtracts their mean before squaring."""
    y_true, y_pred = _floats(y_true, y_pred)
    return float(np.var(y_true - y_pred))


def mean_absolute_error(y_true, y_pred):
    y_true, y_pred = _floats(y_true, y_pred)
    return float(np.mean(np.abs(y_true - y_pred)))


# --- binary_cross_entropy -----------------------------------------------------------------

def _cross_entropy(y, p):
    """The mean binary cross-entropy, p clipped at Keras's default eps."""
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def arguments_swapped(y_true, p, eps=1e-7):
    """p where the labels go and the labels where p goes (clipped at the default eps,
    whatever eps is passed)."""
    y_true, p = _floats(y_true, p)
    return _cross_entropy(p, y_true)


# --- minibatches --------------------------------------------------------------------------

def _cut(order, batch_size):
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def unshuffled(n_samples, batch_size, rng):
    return _cut(np.arange(n_samples), batch_size)


# --- centred_gradient ---------------------------------------------------------------------

def _one_sided(f, x, h, forward):
    x = np.array(x, dtype=np.float64)
    slope = np.zeros(x.size)
    for flat in range(x.size):
        step = np.zeros(x.size)
        step[flat] = h
        step = step.reshape(x.shape)
        slope[flat] = (f(x + step) - f(x)) / h if forward else (f(x) - f(x - step)) / h
    return slope.reshape(x.shape)


def forward_difference(f, x, h=1e-5):
    return _one_sided(f, x, h, forward=True)


def backward_difference(f, x, h=1e-5):
    return _one_sided(f, x, h, forward=False)


def every_element_at_once(f, x, h=1e-5):
    """One difference with every element of x nudged together: a single number."""
    x = np.array(x, dtype=np.float64)
    return (f(x + h) - f(x - h)) / (2 * h)


# --- relative_error -----------------------------------------------------------------------

def _norm(v):
    return float(np.sqrt(np.sum(v * v)))


def largest_entries(a, b):
    a, b = _floats(a, b)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)), np.max(np.abs(b)), 1e-12))


def over_norm_of_a(a, b):
    a, b = _floats(a, b)
    return _norm(a - b) / _norm(a)


def over_norm_of_sum(a, b):
    a, b = _floats(a, b)
    return _norm(a - b) / max(_norm(a + b), 1e-12)


def squared_norms(a, b):
    a, b = _floats(a, b)
    return float(np.sum((a - b) ** 2) / max(np.sum(a ** 2) + np.sum(b ** 2), 1e-12))


def absolute_error(a, b):
    a, b = _floats(a, b)
    return _norm(a - b)


# --- logistic_gradients -------------------------------------------------------------------

def _sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_slope_kept(w, b, X, y):
    """The gradient with the sigmoid's slope p (1 - p) kept (the MSE-style chain rule)."""
    w, b, X, y = _floats(w, b, X, y)
    p = _sigmoid(X @ w + b)
    delta = (p - y) * p * (1 - p)
    return X.T @ delta / len(X), float(np.mean(delta))


# --- fit_logistic -------------------------------------------------------------------------

def _fit(X, y, learning_rate, epochs, batch_size, seed, same_batches=False, losses_before=False,
         uphill=False, whole_batches=False):
    """The contract's steps with the slips that are switched on."""
    X, y = _floats(X, y)
    rng = np.random.default_rng(seed)
    w, b, losses = np.zeros(X.shape[1]), 0.0, []
    first = _cut(rng.permutation(len(X)), batch_size)
    sign = 1.0 if uphill else -1.0
    for epoch in range(epochs):
        if losses_before:
            losses.append(_cross_entropy(y, _sigmoid(X @ w + b)))
        if whole_batches:
            batches = [np.arange(len(X))]
        elif same_batches or epoch == 0:
            batches = first
        else:
            batches = _cut(rng.permutation(len(X)), batch_size)
        for batch in batches:
            error = _sigmoid(X[batch] @ w + b) - y[batch]
            w = w + sign * learning_rate * X[batch].T @ error / len(batch)
            b = b + sign * learning_rate * float(np.mean(error))
        if not losses_before:
            losses.append(_cross_entropy(y, _sigmoid(X @ w + b)))
    return w, b, np.array(losses)


def same_batches_every_epoch(X, y, learning_rate, epochs, batch_size, seed):
    """The first epoch's batches used again in every epoch: batches drawn once, or from
    a generator made again each epoch."""
    return _fit(X, y, learning_rate, epochs, batch_size, seed, same_batches=True)


def losses_before_steps(X, y, learning_rate, epochs, batch_size, seed):
    return _fit(X, y, learning_rate, epochs, batch_size, seed, losses_before=True)


def steps_uphill(X, y, learning_rate, epochs, batch_size, seed):
    return _fit(X, y, learning_rate, epochs, batch_size, seed, uphill=True)


def one_step_per_epoch(X, y, learning_rate, epochs, batch_size, seed):
    """One step per epoch on all rows, no batches."""
    return _fit(X, y, learning_rate, epochs, batch_size, seed, whole_batches=True)
