"""Reference solution for ps3_backprop (version 2): backpropagation for any depth, checked.

A network is a list of (W, b) pairs, W of shape (n_in, n_out) and b of shape (n_out,).
Hidden layers apply "relu", "sigmoid" or "tanh"; the last layer is linear (its outputs
are the logits) and the loss is the mean softmax cross-entropy over integer labels.

The module stands alone (the grader loads it from its file), so it carries the helpers
the notebook's setup cell gives the students: `init_layers` (ps1) and `minibatches`
(lesson 04), and `relative_error` (ps2). Inputs are converted to new float64 arrays, so
nothing passed in is modified.
"""
import operator

import numpy as np

HIDDEN = ("relu", "sigmoid", "tanh")
OPTIMIZERS = ("sgd", "momentum", "adam")


# --- helpers from earlier problem sets (the notebook's setup cell) ----------------------

def init_layers(layer_sizes, seed, scheme="he"):
    """A network for consecutive sizes: W ~ N(0, scale) drawn in order, zero biases (ps1)."""
    if scheme not in ("he", "xavier", "zeros"):
        raise ValueError("init_layers: unknown scheme %r" % (scheme,))
    sizes = [operator.index(size) for size in layer_sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError("init_layers: need at least two sizes, each at least 1, got %r" % (layer_sizes,))
    rng = np.random.default_rng(seed)
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        if scheme == "zeros":
            W = np.zeros((n_in, n_out))
        else:
            scale = np.sqrt((2.0 if scheme == "he" else 1.0) / n_in)
            W = rng.normal(0.0, scale, size=(n_in, n_out))
        layers.append((W, np.zeros(n_out)))
    return layers


def minibatches(n_samples, batch_size, rng):
    """The shuffled indices 0 .. n_samples - 1, cut into batches (lesson 04)."""
    if batch_size < 1:
        raise ValueError("minibatches: batch_size must be at least 1, got %r" % (batch_size,))
    order = rng.permutation(n_samples)
    return [order[i:i + batch_size] for i in range(0, n_samples, batch_size)]


def relative_error(a, b):
    """norm(a - b) / max(norm(a) + norm(b), 1e-12), Euclidean norms over all elements (ps2)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError("relative_error: a and b must have the same shape, got %s and %s"
                         % (a.shape, b.shape))
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12))


# --- checking inputs ----------------------------------------------------------------------

def _hidden(hidden):
    if hidden not in HIDDEN:
        raise ValueError("hidden must be one of %s, got %r" % (", ".join(HIDDEN), hidden))
    return hidden


def _network(layers, n_features):
    """layers as a list of float64 (W, b) pairs whose shapes chain from n_features."""
    if not isinstance(layers, (list, tuple)) or len(layers) < 1:
        raise ValueError("layers must be a non-empty list of (W, b) pairs")
    checked, width = [], n_features
    for index, layer in enumerate(layers):
        if len(layer) != 2:
            raise ValueError("layer %d must be a pair (W, b)" % index)
        W = np.asarray(layer[0], dtype=np.float64)
        b = np.asarray(layer[1], dtype=np.float64)
        if W.ndim != 2 or W.shape[0] != width or b.shape != (W.shape[1],):
            raise ValueError("layer %d: W must have shape (%d, n_out) and b shape (n_out,), got %s and %s"
                             % (index, width, W.shape, b.shape))
        checked.append((W, b))
        width = W.shape[1]
    return checked


def _features(X):
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or len(X) < 1:
        raise ValueError("X must have shape (n, d) with n >= 1, got %s" % (X.shape,))
    return X


def _labels(labels, n, k):
    array = np.asarray(labels)
    if array.shape != (n,):
        raise ValueError("labels must have shape (%d,), one per row, got %s" % (n, array.shape))
    if array.dtype.kind not in "iuf":
        raise ValueError("labels must be integers 0 .. %d, got dtype %s" % (k - 1, array.dtype))
    as_int = array.astype(np.int64)
    if not np.array_equal(as_int, array) or as_int.min() < 0 or as_int.max() >= k:
        raise ValueError("labels must be whole numbers 0 .. %d" % (k - 1))
    return as_int


# --- the graded functions -----------------------------------------------------------------

def softmax_cross_entropy(logits, labels):
    """(loss, dlogits): the mean of -log softmax(logits)[row, label], and its gradient.

    log softmax(z)_j = z_j - max(z) - log sum_i exp(z_i - max(z)): after subtracting the
    row's largest logit every exponent is at most 0, so nothing overflows. The gradient of
    the mean is (softmax - onehot) / n.
    """
    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim != 2 or len(logits) < 1:
        raise ValueError("logits must have shape (n, k) with n >= 1, got %s" % (logits.shape,))
    n, k = logits.shape
    labels = _labels(labels, n, k)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(n)
    loss = float(-np.mean(log_probs[rows, labels]))
    dlogits = np.exp(log_probs)
    dlogits[rows, labels] -= 1.0
    return loss, dlogits / n


def _activate(z, hidden):
    if hidden == "relu":
        return np.maximum(z, 0.0)
    if hidden == "sigmoid":
        return np.exp(-np.logaddexp(0.0, -z))
    return np.tanh(z)


def _slope(a, hidden):
    """The activation's derivative, written with its output a."""
    if hidden == "relu":
        return (a > 0).astype(np.float64)
    if hidden == "sigmoid":
        return a * (1.0 - a)
    return 1.0 - a * a


def forward_with_cache(X, layers, hidden="relu"):
    """(logits, cache): the logits of the network on X and what network_gradients needs."""
    hidden = _hidden(hidden)
    X = _features(X)
    layers = _network(layers, X.shape[1])
    outputs = [X]  # outputs[l] is the input of layer l
    A = X
    for index, (W, b) in enumerate(layers):
        Z = A @ W + b
        A = Z if index == len(layers) - 1 else _activate(Z, hidden)
        outputs.append(A)
    return A, {"outputs": outputs, "hidden": hidden}


def network_gradients(labels, layers, cache, hidden="relu"):
    """[(dW, db), ...] of the mean softmax cross-entropy, for every layer (backprop).

    dZ of the last layer is (softmax - onehot) / n; then for each layer from the last,
    dW = A_prev.T @ dZ and db = dZ summed over the rows, and the error passes down through
    W and the hidden activation's slope: dZ_prev = (dZ @ W.T) * f'(Z_prev).
    """
    hidden = _hidden(hidden)
    outputs = cache["outputs"]
    layers = _network(layers, outputs[0].shape[1])
    if len(outputs) != len(layers) + 1:
        raise ValueError("the cache is of a network of %d layers, not %d" % (len(outputs) - 1, len(layers)))
    _, dZ = softmax_cross_entropy(outputs[-1], labels)
    grads = [None] * len(layers)
    for index in range(len(layers) - 1, -1, -1):
        A_prev = outputs[index]
        grads[index] = (A_prev.T @ dZ, dZ.sum(axis=0))
        if index > 0:
            dZ = (dZ @ layers[index][0].T) * _slope(A_prev, hidden)
    return grads


def _loss(X, labels, layers, hidden):
    return softmax_cross_entropy(forward_with_cache(X, layers, hidden)[0], labels)[0]


def centred_differences(X, labels, layers, hidden="relu", h=1e-5):
    """[(dW, db), ...] estimated from the loss alone: (loss(p + h) - loss(p - h)) / (2h)
    for every entry p of every W and b. What gradient_check compares network_gradients
    with (and what the grader compares a student's network_gradients with)."""
    X = _features(X)
    point = [[W.copy(), b.copy()] for W, b in _network(layers, X.shape[1])]
    estimate = []
    for pair in point:
        slopes = []
        for array in pair:
            numeric = np.zeros_like(array)
            for entry in np.ndindex(array.shape):
                original = array[entry]
                array[entry] = original + h
                loss_plus = _loss(X, labels, point, hidden)
                array[entry] = original - h
                loss_minus = _loss(X, labels, point, hidden)
                array[entry] = original
                numeric[entry] = (loss_plus - loss_minus) / (2 * h)
            slopes.append(numeric)
        estimate.append(tuple(slopes))
    return estimate


def gradient_check(X, labels, layers, hidden="relu", h=1e-5):
    """The largest relative error, over every W and b, between network_gradients and
    centred differences of the mean softmax cross-entropy."""
    if not h > 0:
        raise ValueError("gradient_check: h must be positive, got %r" % (h,))
    X = _features(X)
    layers = _network(layers, X.shape[1])
    _, cache = forward_with_cache(X, layers, hidden)
    analytic = network_gradients(labels, layers, cache, hidden)
    numeric = centred_differences(X, labels, layers, hidden, h)
    return max(relative_error(a, n) for pair, estimate in zip(analytic, numeric) for a, n in zip(pair, estimate))


def _same_shape(a, b, what):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError("%s must have the same shape, got %s and %s" % (what, a.shape, b.shape))
    return a, b


def momentum_step(param, grad, velocity, learning_rate, beta=0.9):
    """Gradient descent with a velocity that remembers past gradients (lesson 05)."""
    param, grad = _same_shape(param, grad, "momentum_step: param and grad")
    _, velocity = _same_shape(param, velocity, "momentum_step: param and velocity")
    v = beta * velocity + grad
    return param - learning_rate * v, v


def adam_step(param, grad, m, v, t, learning_rate=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    """Adam (lesson 05): m and v start at 0 and are bias-corrected by 1 - beta^t, t from 1."""
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


def optimiser_step(params, grads, state, second, optimizer, learning_rate, t):
    """One update of every W and b by `optimizer`, in place: `params` and the optimiser's
    state (`state`: velocity or Adam's m; `second`: Adam's v) hold [W, b] pairs."""
    for index, pair in enumerate(params):
        for part in (0, 1):
            grad = grads[index][part]
            if optimizer == "sgd":
                pair[part] = pair[part] - learning_rate * grad
            elif optimizer == "momentum":
                pair[part], state[index][part] = momentum_step(pair[part], grad, state[index][part], learning_rate)
            else:
                pair[part], state[index][part], second[index][part] = adam_step(
                    pair[part], grad, state[index][part], second[index][part], t, learning_rate)


def train_network(X, labels, layer_sizes, optimizer, learning_rate, epochs, batch_size, seed):
    """Minibatch training from init_layers(layer_sizes, seed, "he"): (layers, losses).

    One generator for the whole run; one update of every parameter per batch with the
    chosen optimiser, whose state (velocity, or Adam's m, v and the update count t from 1)
    lives as long as the run; losses[i] the mean cross-entropy over all of X after epoch i.
    """
    if optimizer not in OPTIMIZERS:
        raise ValueError("train_network: optimizer must be one of %s, got %r" % (", ".join(OPTIMIZERS), optimizer))
    try:
        epochs = operator.index(epochs)
    except TypeError:
        raise ValueError("train_network: epochs must be an integer, got %r" % (epochs,)) from None
    if epochs < 0:
        raise ValueError("train_network: epochs must not be negative, got %d" % epochs)
    X = _features(X)
    if layer_sizes[0] != X.shape[1]:
        raise ValueError("train_network: layer_sizes[0] must be the number of features, %d" % X.shape[1])
    labels = _labels(labels, len(X), layer_sizes[-1])
    rng = np.random.default_rng(seed)
    params = [list(pair) for pair in init_layers(layer_sizes, seed, "he")]
    state = [[np.zeros_like(p) for p in pair] for pair in params]  # velocity, or Adam's m
    second = [[np.zeros_like(p) for p in pair] for pair in params]  # Adam's v
    t, losses = 0, []
    for _ in range(epochs):
        for batch in minibatches(len(X), batch_size, rng):
            _, cache = forward_with_cache(X[batch], params)
            grads = network_gradients(labels[batch], params, cache)
            t += 1
            optimiser_step(params, grads, state, second, optimizer, learning_rate, t)
        losses.append(_loss(X, labels, params, "relu"))
    return [tuple(pair) for pair in params], np.array(losses)
