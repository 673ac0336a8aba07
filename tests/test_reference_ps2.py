"""The ps2 reference solution against keras.losses and hand-written loops.

The Keras losses are built with dtype="float64", so both sides work in double precision.
Keras reduces a loss as the mean over the last axis, then the mean of those ("sum over
batch size"); for rectangular inputs that is the mean over all elements, as in the spec.
Tolerances:
- MSE, MAE, Huber: the same formulas in a different summation order: rtol 1e-12.
- Binary cross-entropy: Keras 3 clips p to [epsilon, 1 - epsilon] with
  keras.backend.epsilon() = 1e-7 and takes plain logs, exactly the spec's formula with
  its default eps, so it agrees to rtol 1e-12 even at p = 0 and p = 1. (Keras 2 added
  another epsilon inside the log; Keras 3 does not.)
- Categorical cross-entropy: Keras first divides each row by its sum and clips to
  [eps, 1 - eps]; the spec clips to [eps, 1] and does not renormalise. For rows that sum to
  1 with no probability above 1 - eps the two agree to rtol 1e-12; where they differ
  (a true class given probability 1) the difference is -log(1 - 1e-7) ~ 1e-7, tested below.
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
def test_mse_mae_match_keras(shape):
    y, p = pair(shape, len(shape) * 10 + shape[-1])
    y0, p0 = y.copy(), p.copy()
    got = ref.mse(y, p)
    assert type(got) is float
    assert got == pytest.approx(keras_loss(keras.losses.MeanSquaredError, y, p), rel=RTOL)
    assert ref.mae(y, p) == pytest.approx(keras_loss(keras.losses.MeanAbsoluteError, y, p), rel=RTOL)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(p, p0)


@pytest.mark.parametrize("delta", [0.5, 1.0, 2.5])
@pytest.mark.parametrize("shape", SHAPES)
def test_huber_matches_keras(shape, delta):
    y, p = pair(shape, shape[0] + int(10 * delta))
    if y.size > 5:  # both pieces of the loss take part
        assert (np.abs(y - p) <= delta).any() and (np.abs(y - p) > delta).any()
    expected = keras_loss(keras.losses.Huber, y, p, delta=delta)
    assert ref.huber(y, p, delta) == pytest.approx(expected, rel=RTOL)


def test_huber_default_delta_and_pieces_by_hand():
    y, p = np.zeros(4), np.array([0.5, -1.0, 3.0, -2.0])
    assert ref.huber(y, p) == pytest.approx((0.125 + 0.5 + 2.5 + 1.5) / 4, rel=1e-15)


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


@pytest.mark.parametrize("n, k", [(1, 2), (6, 3), (10, 5)])
def test_categorical_cross_entropy_matches_keras(n, k):
    r = np.random.default_rng(n * k)
    logits = r.normal(0.0, 2.0, size=(n, k))
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = np.eye(k)[r.integers(0, k, size=n)]
    expected = keras_loss(keras.losses.CategoricalCrossentropy, y, probs)
    assert ref.categorical_cross_entropy(y, probs) == pytest.approx(expected, rel=RTOL)


def test_categorical_cross_entropy_conventions():
    y = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    probs = np.array([[1.0, 0.0, 0.0], [0.5, 0.0, 0.5]])
    spec = ref.categorical_cross_entropy(y, probs)
    assert spec == pytest.approx((0.0 - np.log(1e-7)) / 2, rel=1e-12)
    # Keras clips the first row's 1.0 to 1 - 1e-7: a difference of -log(1 - 1e-7) / 2.
    keras_value = keras_loss(keras.losses.CategoricalCrossentropy, y, probs)
    assert keras_value - spec == pytest.approx(-np.log1p(-1e-7) / 2, rel=1e-6)


def grad_square(c):
    return lambda x: 2.0 * (x - c)


def test_gradient_descent_matches_a_hand_loop_on_x_minus_3_squared():
    path = ref.gradient_descent(grad_square(3.0), 0.0, 0.1, 25)
    x, expected = 0.0, [0.0]
    for _ in range(25):
        x = x - 0.1 * 2.0 * (x - 3.0)
        expected.append(x)
    assert path.shape == (26,) and path.dtype == np.float64
    np.testing.assert_allclose(path, expected, rtol=1e-14)
    np.testing.assert_allclose(path[1:4], [0.6, 1.08, 1.464], rtol=1e-14)


def test_mini_challenge_x_minus_10_squared():
    # x_{k+1} = x_k - 0.1 * 2 (x_k - 10) = 0.8 x_k + 2, so x_k = 10 (1 - 0.8^k).
    path = ref.gradient_descent(grad_square(10.0), 0.0, 0.1, 20)
    np.testing.assert_allclose(path, 10.0 * (1.0 - 0.8 ** np.arange(21)), rtol=1e-12)
    assert path[-1] == pytest.approx(9.8847, abs=1e-4)  # not the seed's 8.84


@pytest.mark.parametrize("shape", [(3,), (2, 2)])
def test_gradient_descent_on_arrays(shape):
    r = np.random.default_rng(5)
    x0, c, lr = r.normal(size=shape), r.normal(size=shape), 0.05
    x0_before = x0.copy()
    path = ref.gradient_descent(grad_square(c), x0, lr, 10)
    assert path.shape == (11,) + shape
    x = x0.copy()
    for k in range(11):
        np.testing.assert_allclose(path[k], x, rtol=1e-14)
        x = x - lr * 2.0 * (x - c)
    np.testing.assert_array_equal(x0, x0_before)
    assert ref.gradient_descent(grad_square(c), x0, lr, 0).shape == (1,) + shape


def test_gradient_descent_history_is_safe_from_grad_fn_writes():
    def meddling(x):
        g = 2.0 * (x - 1.0)
        x[...] = 99.0
        return g
    path = ref.gradient_descent(meddling, np.zeros(2), 0.25, 3)
    np.testing.assert_allclose(path[:, 0], [0.0, 0.5, 0.75, 0.875])


def test_gradient_step():
    assert ref.gradient_step(2.0, 4.0, 0.1) == pytest.approx(1.6)
    np.testing.assert_allclose(ref.gradient_step([1.0, 2.0], [1.0, -1.0], 0.5), [0.5, 2.5])


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


@pytest.mark.parametrize("call, words", [
    (lambda: ref.mse([1.0, 2.0], [[1.0], [2.0]]), "shape"),
    (lambda: ref.mae([1.0, 2.0, 3.0], [1.0, 2.0]), "shape"),
    (lambda: ref.huber([1.0], [1.0], delta=0.0), "delta"),
    (lambda: ref.binary_cross_entropy([1.0, 0.0], [0.5]), "shape"),
    (lambda: ref.binary_cross_entropy([1.0], [0.5], eps=0.0), "eps"),
    (lambda: ref.categorical_cross_entropy(np.eye(3), np.ones((3, 2)) / 2), "shape"),
    (lambda: ref.mse([], []), "empty"),
    (lambda: ref.gradient_step(np.zeros(3), np.zeros(2), 0.1), "shape"),
    (lambda: ref.gradient_descent(grad_square(3.0), 0.0, 0.1, -1), "steps"),
    (lambda: ref.gradient_descent(grad_square(3.0), 0.0, 0.1, 2.5), "steps"),
    (lambda: ref.gradient_descent(lambda x: np.zeros(3), 0.0, 0.1, 2), "shape"),
    (lambda: ref.minibatches(10, 0, np.random.default_rng(0)), "batch_size"),
    (lambda: ref.minibatches(-1, 2, np.random.default_rng(0)), "n_samples"),
])
def test_wrong_input_raises_value_error_naming_the_problem(call, words):
    with pytest.raises(ValueError, match=words):
        call()
