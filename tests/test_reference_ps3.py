"""The ps3 reference solution against TensorFlow autodiff, finite differences and Keras.

Gradients: tf.GradientTape differentiates the same network and loss in float64, so it
agrees with the hand-written backward pass to rounding (rtol 1e-10); central
differences with h = 1e-5 have truncation error O(h^2) ~ 1e-10 and rounding error
~ 1e-16 / h ~ 1e-11 in absolute terms, so for gradients of size 1e-4 and up their
relative error (CS231n: |a - n| / max(|a|, |n|)) stays below 1e-7 (measured: 3e-8); the
test asks for < 1e-6. A wrong gradient term is off by a relative error of order 1.

Optimisers: Keras's SGD, SGD(momentum) and Adam step a float64 keras.Variable, fed the
same gradients as the reference. Two Keras details matter:
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

SEED_X = np.array([[0.1, 0.9], [0.8, 0.4], [0.3, 0.2], [0.9, 0.8],
                   [0.2, 0.5], [0.7, 0.6], [0.1, 0.1], [0.6, 0.9]])
SEED_Y = np.array([[1], [1], [0], [1], [0], [1], [0], [1]], dtype=float)
KEYS = ("W1", "b1", "W2", "b2", "W3", "b3")


def random_problem(n, seed, scale=1.0):
    """Random data and parameters, biases non-zero, so every gradient term is exercised."""
    r = np.random.default_rng(seed)
    X = r.normal(size=(n, 2))
    y = (r.random((n, 1)) < 0.5).astype(float)
    params = {key: r.normal(0.0, scale, size=shape) for key, shape in ref.SHAPES.items()}
    return X, y, params


PROBLEMS = [(SEED_X, SEED_Y, ref.init_params(0))] + [
    random_problem(n, seed) for n, seed in [(1, 1), (5, 2), (32, 3)]]


def tape_gradient(X, y, params):
    variables = {key: tf.Variable(value, dtype=tf.float64) for key, value in params.items()}
    with tf.GradientTape() as tape:
        A = tf.constant(X, dtype=tf.float64)
        for layer in "123":
            A = tf.sigmoid(A @ variables["W" + layer] + variables["b" + layer])
        loss = -tf.reduce_mean(y * tf.math.log(A) + (1.0 - y) * tf.math.log(1.0 - A))
    grads = tape.gradient(loss, variables)
    return float(loss), {key: grads[key].numpy() for key in KEYS}


@pytest.mark.parametrize("X, y, params", PROBLEMS)
def test_backward_matches_gradient_tape(X, y, params):
    before = {key: value.copy() for key, value in params.items()}
    A3, cache = ref.forward(X, params)
    assert A3.shape == (len(X), 1)
    grads = ref.backward(X, y, params, cache)
    tape_loss, expected = tape_gradient(X, y, params)
    assert ref.loss(X, y, params) == pytest.approx(tape_loss, rel=1e-12)
    assert set(grads) == set(KEYS)
    for key in KEYS:
        assert grads[key].shape == params[key].shape, key
        np.testing.assert_allclose(grads[key], expected[key], rtol=1e-10, atol=1e-15, err_msg=key)
        np.testing.assert_array_equal(params[key], before[key])


def numerical_gradient(X, y, params, h=1e-5):
    grads = {}
    for key in KEYS:
        grads[key] = np.zeros_like(params[key])
        for index in np.ndindex(params[key].shape):
            shifted = {k: v.copy() for k, v in params.items()}
            shifted[key][index] += h
            up = ref.loss(X, y, shifted)
            shifted[key][index] -= 2 * h
            down = ref.loss(X, y, shifted)
            grads[key][index] = (up - down) / (2 * h)
    return grads


@pytest.mark.parametrize("X, y, params", PROBLEMS)
def test_backward_matches_central_differences(X, y, params):
    grads = ref.backward(X, y, params, ref.forward(X, params)[1])
    numerical = numerical_gradient(X, y, params)
    for key in KEYS:
        a, n = grads[key], numerical[key]
        relative = np.abs(a - n) / np.maximum(np.maximum(np.abs(a), np.abs(n)), 1e-8)
        assert relative.max() < 1e-6, (key, relative.max())


def test_init_params_shapes_determinism_and_scale():
    params = ref.init_params(0)
    assert set(params) == set(KEYS)
    for key, shape in ref.SHAPES.items():
        assert params[key].shape == shape and params[key].dtype == np.float64
    for key in ("b1", "b2", "b3"):
        np.testing.assert_array_equal(params[key], 0.0)
    again, other = ref.init_params(0), ref.init_params(1)
    for key in KEYS:
        np.testing.assert_array_equal(params[key], again[key])
    assert not np.array_equal(params["W1"], other["W1"])
    # Documented: Xavier/Glorot normal weights drawn W1, W2, W3 from default_rng(seed).
    rng = np.random.default_rng(0)
    for key in ("W1", "W2", "W3"):
        fan_in, fan_out = ref.SHAPES[key]
        expected = rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / (fan_in + fan_out))
        np.testing.assert_array_equal(params[key], expected)


def test_train_losses_decrease_on_seed_data():
    params, losses = ref.train(SEED_X, SEED_Y, 1000, 1.0, 0)
    assert losses.shape == (1000,)
    assert losses[0] == pytest.approx(ref.loss(SEED_X, SEED_Y, ref.init_params(0)), rel=1e-14)
    assert np.all(np.diff(losses) < 0)
    assert losses[-1] < 0.05 * losses[0]
    predictions = (ref.forward(SEED_X, params)[0] > 0.5).astype(float)
    np.testing.assert_array_equal(predictions, SEED_Y)


def test_train_records_the_loss_before_each_update():
    _, losses10 = ref.train(SEED_X, SEED_Y, 10, 0.5, 3)
    params5, losses5 = ref.train(SEED_X, SEED_Y, 5, 0.5, 3)
    np.testing.assert_allclose(losses5, losses10[:5], rtol=1e-14)
    assert ref.loss(SEED_X, SEED_Y, params5) == pytest.approx(losses10[5], rel=1e-14)
    # One epoch is one full-batch gradient step from init_params(seed).
    start = ref.init_params(3)
    grads = ref.backward(SEED_X, SEED_Y, start, ref.forward(SEED_X, start)[1])
    params1, _ = ref.train(SEED_X, SEED_Y, 1, 0.5, 3)
    for key in KEYS:
        np.testing.assert_allclose(params1[key], start[key] - 0.5 * grads[key], rtol=1e-14)
    params0, losses0 = ref.train(SEED_X, SEED_Y, 0, 0.5, 3)
    assert losses0.shape == (0,)
    np.testing.assert_array_equal(params0["W1"], start["W1"])


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


def test_sgd_step_matches_keras_sgd():
    expected, _ = keras_path(keras.optimizers.SGD(learning_rate=0.125))
    got, _ = reference_path(lambda p, g, s, t: (ref.sgd_step(p, g, 0.125), None))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


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
    ref.sgd_step(p, g, 0.1)
    ref.momentum_step(p, g, m, 0.1)
    ref.adam_step(p, g, m, v, 3)
    for a, a0 in zip((p, g, m, v), copies):
        np.testing.assert_array_equal(a, a0)


@pytest.mark.parametrize("call, words", [
    (lambda: ref.forward(np.ones((4, 3)), ref.init_params(0)), "X"),
    (lambda: ref.forward(np.ones((4, 2)), {**ref.init_params(0), "W2": np.ones((2, 3))}), "W2"),
    (lambda: ref.forward(np.ones((4, 2)), {"W1": np.ones((2, 3))}), "missing"),
    (lambda: ref.loss(SEED_X, SEED_Y.ravel(), ref.init_params(0)), "y"),
    (lambda: ref.backward(SEED_X, SEED_Y[:4], ref.init_params(0),
                          ref.forward(SEED_X, ref.init_params(0))[1]), "y"),
    (lambda: ref.sgd_step(np.ones(3), np.ones(2), 0.1), "shape"),
    (lambda: ref.momentum_step(np.ones(3), np.ones(3), np.ones(2), 0.1), "velocity"),
    (lambda: ref.adam_step(np.ones(3), np.ones(3), np.zeros(3), np.zeros(3), 0), "t"),
    (lambda: ref.train(SEED_X, SEED_Y, -1, 0.1, 0), "epochs"),
])
def test_wrong_input_raises_value_error_naming_the_problem(call, words):
    with pytest.raises(ValueError, match=words):
        call()
