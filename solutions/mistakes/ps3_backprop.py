"""Typical mistakes in ps3_backprop, modelled for the grader's hints.

Each model takes the graded function's arguments and returns what a submission with
that one mistake returns, or None where the mistake would change nothing. A model is
the right computation with one thing changed, so these live with the answer key. They
are built from the reference solutions, which the grader's loader
(`autograder.checks.reference`) gives this module as its global `answers`.
"""
import numpy as np

answers: "module"  # noqa: F821 (the reference solutions, set by the loader)


def _softmax(z, axis):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# --- softmax_cross_entropy ------------------------------------------------------------------

def onehot_left_out(logits, labels):
    """dlogits as softmax / n: the onehot never subtracted."""
    loss, _ = answers.softmax_cross_entropy(logits, labels)
    return loss, _softmax(np.asarray(logits, dtype=np.float64), axis=1) / len(logits)


def softmax_over_columns(logits, labels):
    """The softmax normalised down each column instead of along each row."""
    logits = np.asarray(logits, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    if len(logits) < 2:
        return None
    p = _softmax(logits, axis=0)
    return (float(-np.mean(np.log(p[np.arange(len(labels)), labels]))),
            (p - np.eye(logits.shape[1])[labels]) / len(logits))


# --- forward_with_cache ---------------------------------------------------------------------

def _logits(X, layers, hidden):
    return answers.forward_with_cache(X, layers, hidden)[0]


def probabilities_returned(X, layers, hidden="relu"):
    """The softmax of the logits in place of the logits."""
    return _softmax(_logits(X, layers, hidden), axis=1)


def relu_whatever_hidden(X, layers, hidden="relu"):
    """relu in the hidden layers when another activation was asked (the argument ignored)."""
    return _logits(X, layers, "relu") if hidden in ("sigmoid", "tanh") else None


def last_layer_activated(X, layers, hidden="relu"):
    """relu on the last layer's outputs, which are the logits."""
    return np.maximum(_logits(X, layers, hidden), 0.0) if len(layers) > 1 else None


def biases_left_out(X, layers, hidden="relu"):
    return _logits(X, [(W, np.zeros(np.shape(b))) for W, b in layers], hidden)


# --- momentum_step --------------------------------------------------------------------------

def _momentum(param, grad, velocity, learning_rate, beta, slip):
    param, grad, velocity = (np.asarray(a, dtype=np.float64) for a in (param, grad, velocity))
    v = beta * velocity + grad
    if slip == "uphill":
        return param + learning_rate * v, v
    if slip == "other convention":
        v = beta * velocity - learning_rate * grad
        return param + v, v
    if slip == "average":
        v = beta * velocity + (1 - beta) * grad
        return param - learning_rate * v, v
    if slip == "old velocity":
        return param - learning_rate * velocity, v
    return v, param - learning_rate * v  # "swapped"


def momentum_uphill(param, grad, velocity, learning_rate, beta=0.9):
    return _momentum(param, grad, velocity, learning_rate, beta, "uphill")


def momentum_other_convention(param, grad, velocity, learning_rate, beta=0.9):
    return _momentum(param, grad, velocity, learning_rate, beta, "other convention")


def momentum_average(param, grad, velocity, learning_rate, beta=0.9):
    return _momentum(param, grad, velocity, learning_rate, beta, "average")


def momentum_old_velocity(param, grad, velocity, learning_rate, beta=0.9):
    return _momentum(param, grad, velocity, learning_rate, beta, "old velocity")


def momentum_swapped(param, grad, velocity, learning_rate, beta=0.9):
    return _momentum(param, grad, velocity, learning_rate, beta, "swapped")


# --- adam_step ------------------------------------------------------------------------------

def _adam_corrected_at(param, grad, m, v, t, learning_rate, beta1, beta2, eps, step):
    """Adam's step from the right m and v, bias-corrected as if at step `step`."""
    _, m, v = answers.adam_step(param, grad, m, v, t, learning_rate, beta1, beta2, eps)
    m_hat = m / (1 - beta1 ** step)
    v_hat = v / (1 - beta2 ** step)
    return np.asarray(param, dtype=np.float64) - learning_rate * m_hat / (np.sqrt(v_hat) + eps), m, v


def adam_uncorrected(param, grad, m, v, t, learning_rate=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    """No bias correction: 1 - beta ** t taken as 1 (t = infinity)."""
    return _adam_corrected_at(param, grad, m, v, t, learning_rate, beta1, beta2, eps, np.inf)


def adam_corrected_one_step_on(param, grad, m, v, t, learning_rate=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    return _adam_corrected_at(param, grad, m, v, t, learning_rate, beta1, beta2, eps, t + 1)


def adam_corrected_moments(param, grad, m, v, t, learning_rate=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    """The bias-corrected m_hat and v_hat returned in place of m and v."""
    new_param, m, v = answers.adam_step(param, grad, m, v, t, learning_rate, beta1, beta2, eps)
    return new_param, m / (1 - beta1 ** t), v / (1 - beta2 ** t)


# --- train_network --------------------------------------------------------------------------

def _trained(X, labels, layer_sizes, optimizer, learning_rate, epochs, batch_size, seed,
             same_batches=False, losses_before=False, t_per_epoch=False, state_per_epoch=False):
    """The contract's run with the slips that are switched on: the same batches every
    epoch, the loss recorded before the epoch's updates, Adam's t counting epochs instead
    of updates, the optimiser's state reset every epoch."""
    X = np.asarray(X, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    rng = np.random.default_rng(seed)
    params = [list(pair) for pair in answers.init_layers(layer_sizes, seed, "he")]
    first = answers.minibatches(len(X), batch_size, rng)
    t, losses = 0, []

    def loss():
        return answers.softmax_cross_entropy(answers.forward_with_cache(X, params)[0], labels)[0]
    for epoch in range(epochs):
        if losses_before:
            losses.append(loss())
        if epoch == 0 or state_per_epoch:
            state = [[np.zeros_like(p) for p in pair] for pair in params]
            second = [[np.zeros_like(p) for p in pair] for pair in params]
        batches = first if same_batches or epoch == 0 else answers.minibatches(len(X), batch_size, rng)
        if t_per_epoch:
            t = epoch + 1
        for batch in batches:
            _, cache = answers.forward_with_cache(X[batch], params)
            grads = answers.network_gradients(labels[batch], params, cache)
            t = t if t_per_epoch else t + 1
            answers.optimiser_step(params, grads, state, second, optimizer, learning_rate, t)
        if not losses_before:
            losses.append(loss())
    return tuple(tuple(pair) for pair in params), np.array(losses)


def same_batches_every_epoch(X, labels, layer_sizes, optimizer, learning_rate, epochs, batch_size, seed):
    return _trained(X, labels, layer_sizes, optimizer, learning_rate, epochs, batch_size, seed,
                    same_batches=True)


def losses_before_updates(X, labels, layer_sizes, optimizer, learning_rate, epochs, batch_size, seed):
    return _trained(X, labels, layer_sizes, optimizer, learning_rate, epochs, batch_size, seed,
                    losses_before=True)


def t_counts_epochs(X, labels, layer_sizes, optimizer, learning_rate, epochs, batch_size, seed):
    return _trained(X, labels, layer_sizes, optimizer, learning_rate, epochs, batch_size, seed,
                    t_per_epoch=True)


def state_reset_every_epoch(X, labels, layer_sizes, optimizer, learning_rate, epochs, batch_size, seed):
    return _trained(X, labels, layer_sizes, optimizer, learning_rate, epochs, batch_size, seed,
                    state_per_epoch=True)
