"""The ps1 reference solution against Keras, an implementation written elsewhere, and
against the contract's own words (docs/contracts.md).

Keras layers are built in float64 and given the same weights with set_weights, so the
two sides compute the same float64 arithmetic in a different order: they agree to
rtol 1e-12 (a few ulps), far tighter than the grader's rtol 1e-6.
"""
import warnings

import keras
import numpy as np
import pytest

from solutions import ps1_forward as ref

RTOL = 1e-12
SHAPES = [(1, 1, 1), (4, 3, 2), (7, 5, 3), (16, 2, 8)]  # (n, d_in, d_out)


def rng(seed):
    return np.random.default_rng(seed)


def keras_dense(W, b, activation):
    layer = keras.layers.Dense(W.shape[1], activation=activation, dtype="float64")
    layer.build((None, W.shape[0]))
    layer.set_weights([W, b])
    return layer


@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (2, 3, 4)])
def test_relu_matches_keras(shape):
    x = rng(1).normal(0.0, 3.0, size=shape)
    got = ref.relu(x)
    assert got.shape == np.shape(x) and got.dtype == np.float64
    np.testing.assert_array_equal(got, keras.ops.convert_to_numpy(keras.activations.relu(x)))


@pytest.mark.parametrize("scale", [1.0, 5.0, 30.0])
def test_sigmoid_matches_keras(scale):
    x = rng(2).normal(0.0, scale, size=(6, 7))
    expected = keras.ops.convert_to_numpy(keras.activations.sigmoid(x))
    np.testing.assert_allclose(ref.sigmoid(x), expected, rtol=RTOL, atol=0)


def test_sigmoid_has_no_overflow_and_no_warning_at_extremes():
    x = np.array([-1e6, -1000.0, -746.0, -700.0, -40.0, 0.0, 40.0, 700.0, 1000.0, 1e6])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            got = ref.sigmoid(x)
            for value in (-1000.0, 1000.0, -1000, 1000):
                ref.sigmoid(value)
    assert np.all(np.isfinite(got))
    assert got[1] == 0.0 and got[-2] == 1.0 and ref.sigmoid(0.0) == 0.5
    # In the normal double range the result keeps full relative precision.
    np.testing.assert_allclose(got[3], np.exp(-700.0), rtol=1e-12)
    np.testing.assert_allclose(got[4], np.exp(-40.0) / (1 + np.exp(-40.0)), rtol=1e-14)
    assert np.all(np.diff(got) >= 0)


def test_sigmoid_symmetry():
    x = rng(3).normal(0.0, 10.0, size=50)
    np.testing.assert_allclose(ref.sigmoid(x) + ref.sigmoid(-x), 1.0, rtol=0, atol=1e-15)


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "linear"])
@pytest.mark.parametrize("n, d_in, d_out", SHAPES)
def test_dense_matches_keras_dense(n, d_in, d_out, activation):
    r = rng(100 * n + 10 * d_in + d_out)
    x, W, b = r.normal(size=(n, d_in)), r.normal(size=(d_in, d_out)), r.normal(size=d_out)
    before = [a.copy() for a in (x, W, b)]
    got = ref.dense(x, W, b, activation)
    expected = keras.ops.convert_to_numpy(keras_dense(W, b, activation)(x))
    assert got.shape == (n, d_out)
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=1e-15)
    for a, a0 in zip((x, W, b), before):
        np.testing.assert_array_equal(a, a0)


def test_dense_accepts_lists_and_float32():
    x = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]])
    W = np.array([[0.2, -0.5], [0.4, 0.1], [-0.3, 0.2]])
    b = np.array([0.1, -0.2])
    expected = np.array([[0.2, 0.1], [-0.5, 0.75]])
    np.testing.assert_allclose(ref.dense(x.tolist(), W.tolist(), b.tolist(), "linear"), expected)
    got = ref.dense(x.astype(np.float32), W, b, "linear")
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=1e-6)


@pytest.mark.parametrize("call, words", [
    (lambda: ref.dense(np.ones((2, 3)), np.ones((3, 2)), np.zeros(2), "tanh"), "tanh"),
    (lambda: ref.dense(np.ones((2, 3)), np.ones((3, 2)), np.zeros(2), "softmax"), "activation"),
    (lambda: ref.dense(np.ones((4, 3)), np.ones((2, 5)), np.zeros(5), "relu"), "shape"),
    (lambda: ref.dense(np.ones((4, 3)), np.ones((3, 5)), np.zeros(4), "relu"), "b"),
    (lambda: ref.init_layers([3, 2], 0, "normal"), "scheme"),
    (lambda: ref.init_layers([3], 0), "at least two"),
    (lambda: ref.init_layers([3, 0, 2], 0), "at least 1"),
    (lambda: ref.init_layers([3, 2.5], 0), "whole number"),
    (lambda: ref.network_forward(np.ones((2, 3)), [(np.ones((3, 2)), np.zeros(2))], "softmax"), "hidden"),
    (lambda: ref.network_forward(np.ones((2, 3)), [(np.ones((2, 2)), np.zeros(2))]), "layer 0"),
    (lambda: ref.network_forward(np.ones((2, 3)), [(np.ones((3, 2)), np.zeros(2)),
                                                   (np.ones((3, 2)), np.zeros(2))]), "layer 1"),
    (lambda: ref.network_forward(np.ones(3), [(np.ones((3, 2)), np.zeros(2))]), "2-D"),
    (lambda: ref.network_forward(np.ones((2, 3)), []), "no layers"),
    (lambda: ref.accuracy(np.ones((3, 2)) / 2, [0, 1]), "rows"),
    (lambda: ref.accuracy(np.ones(3), [0, 1, 1]), "2-D"),
])
def test_wrong_input_raises_value_error_naming_the_problem(call, words):
    with pytest.raises(ValueError, match=words):
        call()


# --- init_layers -------------------------------------------------------------------------

@pytest.mark.parametrize("sizes, seed, scheme", [([3, 2, 1], 0, "he"), ([64, 32, 10], 7, "xavier"),
                                                 ([5, 8, 8, 3], 3, "he"), ([1, 4], 2, "xavier")])
def test_init_layers_draws_as_the_contract_says(sizes, seed, scheme):
    """One generator, one draw of W per layer in order, with standard deviation sqrt(gain / n_in)."""
    generator = np.random.default_rng(seed)
    gain = {"he": 2.0, "xavier": 1.0}[scheme]
    got = ref.init_layers(sizes, seed, scheme)
    assert isinstance(got, list) and len(got) == len(sizes) - 1
    for (W, b), n_in, n_out in zip(got, sizes[:-1], sizes[1:]):
        expected = generator.standard_normal((n_in, n_out)) * np.sqrt(gain / n_in)
        assert W.shape == (n_in, n_out) and W.dtype == np.float64
        np.testing.assert_allclose(W, expected, rtol=1e-14)
        np.testing.assert_array_equal(b, np.zeros(n_out))


def test_init_layers_default_is_he_and_zeros_draws_nothing():
    for W, V in zip(ref.init_layers([6, 4, 2], 11), ref.init_layers([6, 4, 2], 11, "he")):
        np.testing.assert_array_equal(W[0], V[0])
    zeros = ref.init_layers([4, 3, 2], 5, "zeros")
    assert [(W.shape, b.shape) for W, b in zeros] == [((4, 3), (3,)), ((3, 2), (2,))]
    assert all(not W.any() and not b.any() for W, b in zeros)


@pytest.mark.parametrize("scheme, variance", [("he", 2.0), ("xavier", 1.0)])
def test_init_layers_weights_have_the_scheme_variance(scheme, variance):
    [(W, _)] = ref.init_layers([500, 400], 0, scheme)
    # 200,000 draws: the sample variance is within 1% of the true one (about 3 standard errors).
    assert W.var() * 500 == pytest.approx(variance, rel=0.01)
    assert abs(W.mean()) < 1e-3


def test_he_keeps_the_spread_through_ten_relu_layers_and_xavier_does_not():
    x = np.random.default_rng(0).normal(size=(500, 100))
    spread = {}
    for scheme in ("he", "xavier"):
        a = x
        for W, b in ref.init_layers([100] * 11, 1, scheme):
            a = ref.relu(a @ W + b)
        spread[scheme] = a.std()
    assert 0.5 < spread["he"] < 1.0
    assert spread["xavier"] < 0.05


# --- network_forward ---------------------------------------------------------------------

def keras_network(layers, hidden):
    model = keras.Sequential([keras.Input((layers[0][0].shape[0],), dtype="float64")] + [
        keras.layers.Dense(W.shape[1], activation=hidden if i < len(layers) - 1 else "softmax", dtype="float64")
        for i, (W, _) in enumerate(layers)])
    model.set_weights([array for layer in layers for array in layer])
    return model


@pytest.mark.parametrize("hidden", ["relu", "sigmoid", "tanh"])
@pytest.mark.parametrize("sizes", [[4, 3], [4, 5, 3], [6, 8, 8, 10], [2, 3, 4, 5, 2]])
def test_network_forward_matches_a_keras_model(sizes, hidden):
    r = rng(sum(sizes))
    layers = [(r.normal(size=(n_in, n_out)), r.normal(size=n_out)) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    X = r.normal(size=(7, sizes[0]))
    before = [array.copy() for layer in layers for array in layer]
    got = ref.network_forward(X, layers, hidden)
    expected = keras.ops.convert_to_numpy(keras_network(layers, hidden)(X))
    assert got.shape == (7, sizes[-1])
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, rtol=1e-14)
    for array, copy in zip((array for layer in layers for array in layer), before):
        np.testing.assert_array_equal(array, copy)


def test_network_forward_softmax_is_stable_at_extremes():
    layers = [(np.array([[1000.0, -1000.0, 0.0], [1000.0, 1000.0, 1000.0]]), np.zeros(3))]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            got = ref.network_forward([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]], layers)
    np.testing.assert_allclose(got, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3], [0, 1, 0.0]], rtol=1e-14, atol=0)
    logits = rng(4).normal(0.0, 400.0, size=(5, 6))
    expected = keras.ops.convert_to_numpy(keras.activations.softmax(logits, axis=-1))
    np.testing.assert_allclose(ref.softmax(logits), expected, rtol=1e-10, atol=1e-300)


def test_a_one_layer_network_is_softmax_regression():
    r = rng(5)
    X, W, b = r.normal(size=(4, 3)), r.normal(size=(3, 5)), r.normal(size=5)
    z = X @ W + b
    np.testing.assert_allclose(ref.network_forward(X, [(W, b)], "tanh"),
                               np.exp(z) / np.exp(z).sum(axis=1, keepdims=True), rtol=1e-13)


def test_network_forward_accepts_lists_and_float32():
    layers = [(rng(6).normal(size=(2, 3)), np.zeros(3))]
    X = [[0.5, -1.0]]
    expected = ref.network_forward(np.array(X), layers)
    as_lists = [[W.tolist(), b.tolist()] for W, b in layers]
    np.testing.assert_allclose(ref.network_forward(X, as_lists), expected, rtol=1e-15)
    got = ref.network_forward(np.array(X, dtype=np.float32), [(W.astype(np.float32), b) for W, b in layers])
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=1e-6)


# --- accuracy ----------------------------------------------------------------------------

def test_accuracy_matches_keras_and_is_a_float():
    probs = keras.ops.convert_to_numpy(keras.activations.softmax(rng(7).normal(size=(40, 10))))
    labels = rng(8).integers(0, 10, size=40)
    labels[:10] = probs[:10].argmax(axis=1)
    metric = keras.metrics.SparseCategoricalAccuracy()
    metric.update_state(labels, probs)
    got = ref.accuracy(probs, labels)
    assert type(got) is float
    assert got == pytest.approx(float(metric.result()), rel=1e-6)
    assert got == np.mean(probs.argmax(axis=1) == labels)


def test_accuracy_ties_go_to_the_first_largest():
    assert ref.accuracy([[0.4, 0.4, 0.2], [0.1, 0.45, 0.45]], [0, 1]) == 1.0
    assert ref.accuracy([[0.4, 0.4, 0.2], [0.1, 0.45, 0.45]], [1, 2]) == 0.0


# --- real data ---------------------------------------------------------------------------

def test_an_untrained_he_network_scores_about_chance_on_digits():
    from sklearn.datasets import load_digits
    digits = load_digits()
    X, y = digits.data / 16.0, digits.target
    assert X.shape == (1797, 64) and X.min() == 0.0 and X.max() == 1.0
    scores = [ref.accuracy(ref.network_forward(X, ref.init_layers([64, 32, 10], seed)), y) for seed in range(5)]
    assert all(0.05 < score < 0.2 for score in scores), scores
    assert 0.07 < np.mean(scores) < 0.15
