"""The ps2 reference solution against keras.losses, TensorFlow's autodiff and hand-written loops.

The Keras losses are built with dtype="float64", so both sides work in double precision.
Keras reduces a loss as the mean over the last axis, then the mean of those ("sum over
batch size"); for rectangular inputs that is the mean over all elements, as in the spec.
Tolerances:
- MSE: the same formula in a different summation order: rtol 1e-12.
- Binary cross-entropy: Keras 3 clips p to [epsilon, 1 - epsilon] with
  keras.backend.epsilon() = 1e-7 and takes plain logs, exactly the spec's formula with
  its default eps, so it agrees to rtol 1e-12 even at p = 0 and p = 1. (Keras 2 added
  another epsilon inside the log; Keras 3 does not.)
- Centred differences: exact (to rounding) for quadratics, O(h^2) elsewhere; compared
  with closed-form gradients at the tolerances those errors allow.
- Logistic gradients: TensorFlow differentiates the same loss in float64: rtol 1e-10.
"""
import keras
import numpy as np
import pytest

from solutions import ps2_learning as ref

RTOL = 1e-12
SHAPES = [(5,), (4, 3), (16, 1), (2, 3, 4)]


def keras_loss(cls, y_true, y_pred, **kwargs):
    return float(keras.ops.convert_to_numpy(cls(dtype="float64", **kwargs)(y_true, y_pred)))


def pair(shape, seed, scale=2.0):
    r = np.random.default_rng(seed)
    return r.normal(0.0, scale, size=shape), r.normal(0.0, scale, size=shape)


@pytest.mark.parametrize("shape", SHAPES)
def test_mse_matches_keras(shape):
    y, p = pair(shape, len(shape) * 10 + shape[-1])
    y0, p0 = y.copy(), p.copy()
    got = ref.mse(y, p)
    assert type(got) is float
    assert got == pytest.approx(keras_loss(keras.losses.MeanSquaredError, y, p), rel=RTOL)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(p, p0)


@pytest.mark.parametrize("shape", [(8, 1), (5, 3), (12,)])
def test_binary_cross_entropy_matches_keras(shape):
    r = np.random.default_rng(shape[0])
    y = (r.random(shape) < 0.5).astype(float)
    p = r.random(shape)
    p.flat[:2] = [0.0, 1.0]  # clipped values take part too
    expected = keras_loss(keras.losses.BinaryCrossentropy, y, p)
    assert ref.binary_cross_entropy(y, p) == pytest.approx(expected, rel=RTOL)


def test_binary_cross_entropy_clips_with_eps():
    # 1 - (1 - 1e-7) is not exactly 1e-7 in floating point, hence two terms.
    expected = -(np.log(1e-7) + np.log(1.0 - (1.0 - 1e-7))) / 2
    assert ref.binary_cross_entropy([1.0, 0.0], [0.0, 1.0]) == pytest.approx(expected, rel=1e-14)
    assert expected == pytest.approx(-np.log(1e-7), rel=1e-9)
    assert ref.binary_cross_entropy([1.0], [0.0], eps=1e-3) == pytest.approx(-np.log(1e-3), rel=1e-12)
    assert np.isfinite(ref.binary_cross_entropy([0.0, 1.0], [0.0, 1.0]))


@pytest.mark.parametrize("n, batch", [(10, 3), (10, 5), (10, 10), (7, 32), (1, 1), (64, 16), (0, 4)])
def test_minibatches_cover_every_index_once(n, batch):
    batches = ref.minibatches(n, batch, np.random.default_rng(n + batch))
    assert isinstance(batches, list)
    assert all(np.issubdtype(b.dtype, np.integer) for b in batches)
    sizes = [len(b) for b in batches]
    assert len(batches) == -(-n // batch)
    assert all(s == batch for s in sizes[:-1]) and (not sizes or 1 <= sizes[-1] <= batch)
    everything = np.concatenate(batches) if batches else np.array([], dtype=int)
    np.testing.assert_array_equal(np.sort(everything), np.arange(n))
    # The chunks are the permutation drawn from the same generator, in order.
    np.testing.assert_array_equal(everything, np.random.default_rng(n + batch).permutation(n))


def test_minibatches_same_seed_same_batches():
    a = ref.minibatches(50, 8, np.random.default_rng(42))
    b = ref.minibatches(50, 8, np.random.default_rng(42))
    c = ref.minibatches(50, 8, np.random.default_rng(43))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))


# --- numerical gradients ------------------------------------------------------------------

def test_centred_differences_are_exact_for_a_quadratic_and_second_order_elsewhere():
    x = np.array([[0.5, -1.25], [2.0, 3.0]])
    x0 = x.copy()
    got = ref.centred_gradient(lambda v: float(np.sum(v ** 2)), x, h=0.5)
    assert got.shape == x.shape and got.dtype == np.float64
    np.testing.assert_allclose(got, 2 * x, rtol=1e-14)
    np.testing.assert_array_equal(x, x0)
    # sum(sin): the centred difference is cos(x) sin(h) / h exactly, an O(h^2) error.
    for h in (0.1, 1e-3):
        got = ref.centred_gradient(lambda v: float(np.sum(np.sin(v))), x, h=h)
        np.testing.assert_allclose(got, np.cos(x) * np.sin(h) / h, rtol=1e-9, atol=1e-10)
    got = ref.centred_gradient(lambda v: float(np.sum(np.sin(v))), x)
    np.testing.assert_allclose(got, np.cos(x), rtol=1e-8, atol=1e-10)


def test_centred_gradient_of_a_scalar_and_of_float32_input():
    assert ref.centred_gradient(lambda v: float(v ** 3), 2.0, h=0.5) == pytest.approx(12.0 + 0.25, rel=1e-14)
    got = ref.centred_gradient(lambda v: float(np.sum(v ** 3)), np.float32([1.0, -0.5]))
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, [3.0, 0.75], rtol=1e-8)


def test_centred_gradient_hands_f_copies():
    def meddling(v):
        value = float(np.sum(v ** 2))
        v[...] = 99.0
        return value
    np.testing.assert_allclose(ref.centred_gradient(meddling, np.array([1.0, 2.0])), [2.0, 4.0], rtol=1e-8)


def test_relative_error():
    a, b = np.array([3.0, 4.0]), np.array([3.0, 4.0 + 1e-3])
    assert ref.relative_error(a, b) == pytest.approx(1e-3 / (5.0 + np.hypot(3.0, 4.001)), rel=1e-12)
    assert ref.relative_error(b, a) == ref.relative_error(a, b)
    assert ref.relative_error(np.zeros((2, 3)), np.zeros((2, 3))) == 0.0
    assert ref.relative_error([1.0, 0.0], [-1.0, 0.0]) == pytest.approx(1.0)
    assert ref.relative_error(np.ones((2, 2, 2)), 2 * np.ones((2, 2, 2))) == pytest.approx(1 / 3)
    assert type(ref.relative_error(2.0, 1.0)) is float


# --- logistic regression -------------------------------------------------------------------

def tensorflow_gradients(w, b, X, y):
    import tensorflow as tf
    w, b = tf.Variable(w), tf.Variable(np.float64(b))
    with tf.GradientTape() as tape:
        logits = tf.linalg.matvec(tf.constant(X), w) + b
        loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.constant(y), logits=logits))
    dw, db = tape.gradient(loss, [w, b])
    return dw.numpy(), float(db.numpy())


@pytest.mark.parametrize("n, d, scale", [(1, 1, 1.0), (7, 3, 1.0), (50, 10, 3.0), (20, 4, 200.0)])
def test_logistic_gradients_match_tensorflow(n, d, scale):
    r = np.random.default_rng(n + d)
    w, b = r.normal(0.0, scale, size=d), float(r.normal())
    X, y = r.normal(size=(n, d)), r.integers(0, 2, size=n).astype(float)
    X0 = X.copy()
    dw, db = ref.logistic_gradients(w, b, X, y)
    tf_dw, tf_db = tensorflow_gradients(w, b, X, y)
    assert dw.shape == (d,) and type(db) is float
    np.testing.assert_allclose(dw, tf_dw, rtol=1e-10, atol=1e-14)
    assert db == pytest.approx(tf_db, rel=1e-10, abs=1e-14)
    np.testing.assert_array_equal(X, X0)


def test_logistic_gradients_pass_their_own_gradient_check():
    r = np.random.default_rng(4)
    X, y, w, b = r.normal(size=(30, 5)), r.integers(0, 2, size=30), r.normal(size=5), 0.3
    def loss(params):
        p = 1 / (1 + np.exp(-(X @ params[:-1] + params[-1])))
        return ref.binary_cross_entropy(y, p)
    numeric = ref.centred_gradient(loss, np.append(w, b))
    dw, db = ref.logistic_gradients(w, b, X, y)
    assert ref.relative_error(np.append(dw, db), numeric) < 1e-8


def hand_fit(X, y, learning_rate, epochs, batch_size, seed):
    """The contract's steps, one sample at a time."""
    rng = np.random.default_rng(seed)
    n, d = X.shape
    w, b, losses = [0.0] * d, 0.0, []
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            batch = order[start:start + batch_size]
            dw, db = [0.0] * d, 0.0
            for i in batch:
                error = 1 / (1 + np.exp(-(sum(w[j] * X[i, j] for j in range(d)) + b))) - y[i]
                dw = [dw[j] + error * X[i, j] / len(batch) for j in range(d)]
                db += error / len(batch)
            w = [w[j] - learning_rate * dw[j] for j in range(d)]
            b -= learning_rate * db
        p = np.clip(1 / (1 + np.exp(-(X @ np.array(w) + b))), 1e-7, 1 - 1e-7)
        losses.append(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    return np.array(w), b, np.array(losses)


def test_fit_logistic_follows_the_contracts_steps():
    r = np.random.default_rng(9)
    X = r.normal(size=(23, 3))
    y = (X @ [1.0, -2.0, 0.5] + r.normal(size=23) > 0).astype(float)
    w, b, losses = ref.fit_logistic(X, y, 0.5, 6, 5, 11)
    hw, hb, hlosses = hand_fit(X, y, 0.5, 6, 5, 11)
    np.testing.assert_allclose(w, hw, rtol=1e-10)
    assert b == pytest.approx(hb, rel=1e-10)
    np.testing.assert_allclose(losses, hlosses, rtol=1e-10)
    assert losses.shape == (6,) and losses[-1] < losses[0]
    w0, b0, losses0 = ref.fit_logistic(X, y, 0.5, 0, 5, 11)
    np.testing.assert_array_equal(w0, np.zeros(3))
    assert b0 == 0.0 and len(losses0) == 0


def test_standardising_breast_cancer_decides_whether_it_learns():
    from sklearn.datasets import load_breast_cancer
    X, y = load_breast_cancer(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(X))
    test, train = order[:143], order[143:]
    mean, std = X[train].mean(axis=0), X[train].std(axis=0)
    w, b, losses = ref.fit_logistic((X[train] - mean) / std, y[train], 0.1, 40, 32, 0)
    assert np.mean((((X[test] - mean) / std) @ w + b > 0) == y[test]) > 0.95
    assert losses[-1] < 0.1
    with np.errstate(over="ignore"):
        w, b, losses = ref.fit_logistic(X[train], y[train], 0.1, 40, 32, 0)
    assert losses[-1] > 1.0


@pytest.mark.parametrize("call, words", [
    (lambda: ref.mse([1.0, 2.0], [[1.0], [2.0]]), "shape"),
    (lambda: ref.binary_cross_entropy([1.0, 0.0], [0.5]), "shape"),
    (lambda: ref.binary_cross_entropy([1.0], [0.5], eps=0.0), "eps"),
    (lambda: ref.mse([], []), "empty"),
    (lambda: ref.minibatches(10, 0, np.random.default_rng(0)), "batch_size"),
    (lambda: ref.minibatches(-1, 2, np.random.default_rng(0)), "n_samples"),
    (lambda: ref.centred_gradient(np.sum, np.zeros(2), h=0.0), "h must be a positive"),
    (lambda: ref.relative_error(np.zeros(3), np.zeros((3, 1))), "shape"),
    (lambda: ref.logistic_gradients(np.zeros(3), 0.0, np.zeros((4, 2)), np.zeros(4)), "w must have shape"),
    (lambda: ref.logistic_gradients(np.zeros(2), 0.0, np.zeros((4, 2)), np.zeros(5)), "y must have shape"),
    (lambda: ref.logistic_gradients(np.zeros(2), np.zeros(2), np.zeros((4, 2)), np.zeros(4)), "b must be"),
    (lambda: ref.logistic_gradients(np.zeros(2), 0.0, np.zeros(4), np.zeros(4)), "X must have shape"),
    (lambda: ref.fit_logistic(np.zeros((4, 2)), np.zeros(4), 0.1, -1, 2, 0), "epochs"),
    (lambda: ref.fit_logistic(np.zeros((4, 2)), np.zeros(4), 0.1, 2, 0, 0), "batch_size"),
])
def test_wrong_input_raises_value_error_naming_the_problem(call, words):
    with pytest.raises(ValueError, match=words):
        call()
