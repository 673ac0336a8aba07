"""The ps3 reference solution (version 2) against TensorFlow autodiff, finite differences and Keras.

Gradients: tf.GradientTape differentiates the same network and softmax cross-entropy in
float64, so it agrees with the hand-written backward pass to rounding (rtol 1e-10), for
every hidden activation and depth. Centred differences with h = 1e-5 agree to about
1e-9 (the reference's own gradient_check says so) except where a ReLU unit sits exactly
at its kink, where they see the average of the two slopes.

Optimisers: Keras's SGD(momentum) and Adam step a float64 keras.Variable, fed the same
gradients as the reference. Two Keras details matter:
- Keras's momentum form is u = m u - lr g; p += u. With u = -lr v it is the spec's
  v = beta v + g; p -= lr v: u' = m (-lr v) - lr g = -lr (m v + g) = -lr v'.
- Keras turns Python-float hyperparameters into tensors through float32
  (tf.cast(0.9, tf.float64) == 0.8999999761581421), and keeps the learning rate in a
  float32 variable. Learning rates here are powers of 2 (exact in float32); with
  float32-exact betas (or the reference given the same float32-rounded beta) the
  trajectories agree to rounding. With the usual betas the difference is stated below.
"""
import keras
import numpy as np
import pytest
import tensorflow as tf

from solutions import ps3_backprop as ref


def random_problem(n, sizes, seed, scale=1.0):
    """Random data, integer labels and a network with non-zero biases."""
    r = np.random.default_rng(seed)
    X = r.normal(size=(n, sizes[0]))
    labels = r.integers(0, sizes[-1], size=n)
    layers = [(r.normal(0.0, scale, size=(a, b)), r.normal(0.0, 0.5, size=b)) for a, b in zip(sizes[:-1], sizes[1:])]
    return X, labels, layers


PROBLEMS = [(random_problem(n, sizes, seed), hidden) for n, sizes, seed, hidden in [
    (1, [3, 4, 2], 1, "relu"), (5, [2, 3, 3], 2, "sigmoid"), (32, [6, 8, 5, 4], 3, "tanh"),
    (16, [4, 3], 4, "relu"), (10, [5, 7, 6, 5, 3], 5, "relu"), (7, [8, 4, 10], 6, "sigmoid")]]
IDS = ["%s-%d-layers" % (hidden, len(problem[2])) for problem, hidden in PROBLEMS]


def tape_gradients(X, labels, layers, hidden):
    variables = [(tf.Variable(W, dtype=tf.float64), tf.Variable(b, dtype=tf.float64)) for W, b in layers]
    activation = {"relu": tf.nn.relu, "sigmoid": tf.sigmoid, "tanh": tf.tanh}[hidden]
    with tf.GradientTape() as tape:
        A = tf.constant(X, dtype=tf.float64)
        for index, (W, b) in enumerate(variables):
            A = A @ W + b
            if index < len(variables) - 1:
                A = activation(A)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=A))
    grads = tape.gradient(loss, variables)
    return float(loss), A.numpy(), [(dW.numpy(), db.numpy()) for dW, db in grads]


@pytest.mark.parametrize("problem, hidden", PROBLEMS, ids=IDS)
def test_forward_and_gradients_match_gradient_tape(problem, hidden):
    X, labels, layers = problem
    before = [(W.copy(), b.copy()) for W, b in layers]
    logits, cache = ref.forward_with_cache(X, layers, hidden)
    tape_loss, tape_logits, expected = tape_gradients(X, labels, layers, hidden)
    np.testing.assert_allclose(logits, tape_logits, rtol=1e-12, atol=1e-14)
    loss, dlogits = ref.softmax_cross_entropy(logits, labels)
    assert loss == pytest.approx(tape_loss, rel=1e-12)
    grads = ref.network_gradients(labels, layers, cache, hidden)
    assert len(grads) == len(layers)
    for (dW, db), (eW, eb), (W, b), (W0, b0) in zip(grads, expected, layers, before):
        assert dW.shape == W.shape and db.shape == b.shape
        np.testing.assert_allclose(dW, eW, rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(db, eb, rtol=1e-10, atol=1e-15)
        np.testing.assert_array_equal(W, W0)
        np.testing.assert_array_equal(b, b0)


@pytest.mark.parametrize("problem, hidden", PROBLEMS, ids=IDS)
def test_the_reference_gradient_check_passes_its_own_backward(problem, hidden):
    assert ref.gradient_check(*problem, hidden) < 1e-7


def test_softmax_cross_entropy_is_finite_for_huge_logits_and_matches_tensorflow():
    logits = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 999.0], [5.0, 5.0, 5.0]])
    labels = np.array([1, 2, 0])
    loss, dlogits = ref.softmax_cross_entropy(logits, labels)
    expected = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    assert np.isfinite(loss) and np.isfinite(dlogits).all()
    assert loss == pytest.approx(float(expected), rel=1e-12)
    np.testing.assert_allclose(dlogits.sum(axis=1), 0.0, atol=1e-15)


def test_a_relu_kink_is_where_a_right_backward_pass_and_centred_differences_disagree():
    X, labels, layers = random_problem(6, [3, 4, 3], 7)
    X[0] = 0.0
    layers[0] = (layers[0][0], np.zeros(4))
    assert ref.gradient_check(X, labels, layers, "relu") > 1e-3
    assert ref.gradient_check(X, labels, layers, "tanh") < 1e-7


def test_all_zero_weights_keep_every_hidden_unit_identical():
    X, labels, _ = random_problem(20, [5, 4, 3], 8)
    layers = [list(pair) for pair in ref.init_layers([5, 4, 3], 0, "zeros")]
    for _ in range(20):
        _, cache = ref.forward_with_cache(X, layers, "sigmoid")
        grads = ref.network_gradients(labels, layers, cache, "sigmoid")
        layers = [[W - 0.5 * dW, b - 0.5 * db] for (W, b), (dW, db) in zip(layers, grads)]
    W1 = layers[0][0]
    np.testing.assert_allclose(W1, W1[:, :1] * np.ones((1, 4)), rtol=0, atol=1e-15)


def test_init_layers_is_ps1s():
    layers = ref.init_layers([64, 32, 10], 3)
    rng = np.random.default_rng(3)
    np.testing.assert_array_equal(layers[0][0], rng.normal(0.0, np.sqrt(2 / 64), size=(64, 32)))
    np.testing.assert_array_equal(layers[1][0], rng.normal(0.0, np.sqrt(2 / 32), size=(32, 10)))
    assert all(not b.any() for _, b in layers)


# --- train_network -------------------------------------------------------------------

def toy(seed=0, n=40):
    r = np.random.default_rng(seed)
    X = r.normal(size=(n, 3))
    return X, np.argmax(X @ r.normal(size=(3, 3)), axis=1)


@pytest.mark.parametrize("optimizer, rate", [("sgd", 0.5), ("momentum", 0.1), ("adam", 0.02)])
def test_train_network_lowers_the_loss(optimizer, rate):
    X, labels = toy()
    layers, losses = ref.train_network(X, labels, [3, 8, 3], optimizer, rate, 30, 8, 0)
    start = ref.init_layers([3, 8, 3], 0)
    initial = ref.softmax_cross_entropy(ref.forward_with_cache(X, start)[0], labels)[0]
    assert losses.shape == (30,) and losses[-1] < 0.5 * initial
    assert losses[-1] == pytest.approx(ref.softmax_cross_entropy(ref.forward_with_cache(X, layers)[0], labels)[0])


def test_one_epoch_of_one_batch_is_one_step_from_init_layers():
    X, labels = toy(1, 10)
    start = ref.init_layers([3, 4, 3], 5)
    _, cache = ref.forward_with_cache(X, start)
    grads = ref.network_gradients(labels, start, cache)
    layers, _ = ref.train_network(X, labels, [3, 4, 3], "sgd", 0.5, 1, 16, 5)
    for (W, b), (W0, b0), (dW, db) in zip(layers, start, grads):
        np.testing.assert_allclose(W, W0 - 0.5 * dW, rtol=1e-14)
        np.testing.assert_allclose(b, b0 - 0.5 * db, rtol=1e-14)
    # Adam's first update is about learning_rate long in every entry with a gradient (t = 1).
    layers, _ = ref.train_network(X, labels, [3, 4, 3], "adam", 0.01, 1, 16, 5)
    steps = np.abs(layers[1][0] - start[1][0])[np.abs(grads[1][0]) > 1e-6]
    np.testing.assert_allclose(steps, 0.01, rtol=1e-3)


def test_zero_epochs_return_the_initial_network():
    X, labels = toy()
    layers, losses = ref.train_network(X, labels, [3, 5, 3], "momentum", 0.1, 0, 8, 2)
    assert losses.shape == (0,)
    for (W, b), (W0, b0) in zip(layers, ref.init_layers([3, 5, 3], 2)):
        np.testing.assert_array_equal(W, W0)


# --- optimisers against Keras -------------------------------------------------------

STEPS = 20
TARGET = np.array([[3.0, -2.0, 0.5], [1.5, -4.0, 2.5]])
P0 = np.zeros_like(TARGET)


def gradient(p):
    """A gradient whose size and sign change along the way (not just a bowl)."""
    return np.array([[1.0, 2.0, 0.5], [3.0, 1.0, 0.25]]) * (p - TARGET) + 0.3 * np.sin(3.0 * p)


def keras_path(optimizer):
    variable = keras.Variable(P0, dtype="float64")
    path = [P0]
    for _ in range(STEPS):
        optimizer.apply_gradients([(gradient(variable.numpy()), variable)])
        path.append(variable.numpy())
    return np.array(path), optimizer


def reference_path(step):
    p, state, path = P0, None, [P0]
    for t in range(1, STEPS + 1):
        p, state = step(p, gradient(p), state, t)
        path.append(p)
    return np.array(path), state


def test_momentum_step_matches_keras_sgd_with_momentum():
    expected, optimizer = keras_path(keras.optimizers.SGD(learning_rate=0.125, momentum=0.9))
    beta32 = float(np.float32(0.9))  # the momentum Keras really uses (see the module docstring)

    def step(p, g, v, t):
        return ref.momentum_step(p, g, np.zeros_like(p) if v is None else v, 0.125, beta=beta32)

    got, velocity = reference_path(step)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-13)
    # Keras's slot holds u = -lr v.
    u = optimizer.momentums[0].numpy()
    np.testing.assert_allclose(u, -0.125 * velocity, rtol=1e-12, atol=1e-13)
    # With beta = 0.9 itself the paths differ by the float32 rounding of 0.9 (2.6e-8
    # relative), amplified at most ~1 / (1 - beta) = 10 times by the velocity's memory.
    plain, _ = reference_path(lambda p, g, v, t: ref.momentum_step(
        p, g, np.zeros_like(p) if v is None else v, 0.125))
    np.testing.assert_allclose(plain, expected, rtol=1e-6, atol=1e-6)
    assert not np.allclose(plain, expected, rtol=1e-12, atol=0)  # the difference is real


def adam_reference(lr, beta1, beta2, eps):
    def step(p, g, state, t):
        m, v = (np.zeros_like(p), np.zeros_like(p)) if state is None else state
        p, m, v = ref.adam_step(p, g, m, v, t, learning_rate=lr, beta1=beta1, beta2=beta2, eps=eps)
        return p, (m, v)
    return reference_path(step)[0]


def test_adam_step_matches_keras_adam_exactly_with_exact_betas_and_tiny_eps():
    # Keras adds epsilon to sqrt(v), the spec to sqrt(v_hat) = sqrt(v / (1 - beta2^t)): the
    # same update when eps is negligible. 0.875 and 1 - 2^-10 are exact in float32.
    beta1, beta2, lr = 0.875, 1.0 - 2.0 ** -10, 0.0625
    expected, _ = keras_path(keras.optimizers.Adam(learning_rate=lr, beta_1=beta1, beta_2=beta2,
                                                   epsilon=1e-30))
    got = adam_reference(lr, beta1, beta2, eps=1e-30)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-13)


def test_adam_step_matches_keras_adam_with_default_hyperparameters():
    # Defaults: beta1 0.9, beta2 0.999, eps 1e-8 (Keras's default epsilon is 1e-7, so it is
    # set to 1e-8 to match). Keras rounds the Python-float betas through float32, both in
    # the bias correction and in the 1 - beta of the moment updates: 1 - beta2 is then off
    # by up to 1.3e-5 relative, so each step (size <= lr) differs by up to ~1e-5 relative.
    # The eps placement adds ~eps / sqrt(v) ~ 1e-6 relative at most for gradients this
    # size. Over 20 steps: |difference| <= 20 * lr * 2e-5 = 2.5e-5 (measured: 7.9e-6).
    lr = 0.0625
    expected, _ = keras_path(keras.optimizers.Adam(learning_rate=lr, epsilon=1e-8))
    got = adam_reference(lr, 0.9, 0.999, eps=1e-8)
    assert np.abs(got[1:] - got[:-1]).max() <= lr * 1.01  # steps really are that large
    np.testing.assert_allclose(got, expected, rtol=0, atol=STEPS * lr * 2e-5)


def test_optimiser_steps_do_not_modify_inputs():
    p, g, m, v = (np.random.default_rng(9).normal(size=(2, 3)) for _ in range(4))
    v = np.abs(v)
    copies = [a.copy() for a in (p, g, m, v)]
    ref.momentum_step(p, g, m, 0.1)
    ref.adam_step(p, g, m, v, 3)
    for a, a0 in zip((p, g, m, v), copies):
        np.testing.assert_array_equal(a, a0)


X3, LABELS3, LAYERS3 = random_problem(4, [3, 4, 2], 9)


@pytest.mark.parametrize("call, words", [
    (lambda: ref.softmax_cross_entropy(np.zeros((2, 3)), [0, 1, 2]), "labels"),
    (lambda: ref.softmax_cross_entropy(np.zeros((2, 3)), [0, 3]), "labels"),
    (lambda: ref.softmax_cross_entropy(np.zeros((2, 3)), [0, 1.5]), "labels"),
    (lambda: ref.forward_with_cache(X3, LAYERS3, "softmax"), "hidden"),
    (lambda: ref.forward_with_cache(np.ones((4, 2)), LAYERS3), "layer 0"),
    (lambda: ref.forward_with_cache(X3, [LAYERS3[0], (np.ones((3, 2)), np.ones(2))]), "layer 1"),
    (lambda: ref.gradient_check(X3, LABELS3, LAYERS3, "relu", 0.0), "h"),
    (lambda: ref.momentum_step(np.ones(3), np.ones(3), np.ones(2), 0.1), "velocity"),
    (lambda: ref.adam_step(np.ones(3), np.ones(3), np.zeros(3), np.zeros(3), 0), "t"),
    (lambda: ref.train_network(X3, LABELS3, [3, 4, 2], "rmsprop", 0.1, 1, 2, 0), "optimizer"),
    (lambda: ref.train_network(X3, LABELS3, [3, 4, 2], "sgd", 0.1, -1, 2, 0), "epochs"),
    (lambda: ref.train_network(X3, LABELS3, [5, 4, 2], "sgd", 0.1, 1, 2, 0), "features"),
])
def test_wrong_input_raises_value_error_naming_the_problem(call, words):
    with pytest.raises(ValueError, match=words):
        call()
