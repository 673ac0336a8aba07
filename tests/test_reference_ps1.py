"""The ps1 reference solution against Keras, an implementation written elsewhere.

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


def test_neuron_seed_example_is_08():
    got = ref.neuron([1, 2, 3], [0.5, -0.2, 0.1], 0.4)
    assert type(got) is float
    assert got == pytest.approx(0.8, rel=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_neuron_matches_a_one_unit_keras_layer(seed):
    r = rng(10 + seed)
    d = 1 + 3 * seed
    inputs, weights, bias = r.normal(size=d), r.normal(size=d), float(r.normal())
    layer = keras_dense(weights.reshape(d, 1), np.array([bias]), "relu")
    expected = float(keras.ops.convert_to_numpy(layer(inputs[None, :]))[0, 0])
    assert ref.neuron(inputs, weights, bias) == pytest.approx(expected, rel=RTOL, abs=1e-15)
    assert ref.neuron([1.0, 1.0], [-1.0, -1.0], 0.5) == 0.0


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


@pytest.mark.parametrize("n, d_in, hidden, d_out", [(1, 2, 2, 1), (5, 3, 4, 2), (8, 4, 6, 3)])
def test_forward_pass_matches_a_two_layer_keras_model(n, d_in, hidden, d_out):
    r = rng(7 * n + d_in)
    x = r.normal(size=(n, d_in))
    params = {"W1": r.normal(size=(d_in, hidden)), "b1": r.normal(size=hidden),
              "W2": r.normal(size=(hidden, d_out)), "b2": r.normal(size=d_out)}
    model = keras.Sequential([
        keras.Input((d_in,), dtype="float64"),
        keras.layers.Dense(hidden, activation="relu", dtype="float64"),
        keras.layers.Dense(d_out, activation="sigmoid", dtype="float64"),
    ])
    model.set_weights([params["W1"], params["b1"], params["W2"], params["b2"]])
    expected = keras.ops.convert_to_numpy(model(x))
    got = ref.forward_pass(x, params)
    assert got.shape == (n, d_out)
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=1e-15)


def test_forward_pass_lesson_example():
    params = {"W1": [[0.2, 0.8], [-0.5, 0.3]], "b1": [0.1, -0.1], "W2": [[0.7], [-0.4]], "b2": [0.05]}
    h = np.maximum([0.5 * 0.2 + 0.9 * -0.5 + 0.1, 0.5 * 0.8 + 0.9 * 0.3 - 0.1], 0)
    z = h[0] * 0.7 + h[1] * -0.4 + 0.05
    np.testing.assert_allclose(ref.forward_pass([[0.5, 0.9]], params), [[1 / (1 + np.exp(-z))]],
                               rtol=1e-14)


@pytest.mark.parametrize("call, words", [
    (lambda: ref.dense(np.ones((2, 3)), np.ones((3, 2)), np.zeros(2), "tanh"), "tanh"),
    (lambda: ref.dense(np.ones((2, 3)), np.ones((3, 2)), np.zeros(2), "softmax"), "activation"),
    (lambda: ref.dense(np.ones((4, 3)), np.ones((2, 5)), np.zeros(5), "relu"), "shape"),
    (lambda: ref.dense(np.ones((4, 3)), np.ones((3, 5)), np.zeros(4), "relu"), "b"),
    (lambda: ref.neuron([1.0, 2.0], [1.0, 2.0, 3.0], 0.0), "length"),
    (lambda: ref.forward_pass(np.ones((2, 3)), {"W1": np.ones((3, 2)), "b1": np.zeros(2)}), "W2"),
    (lambda: ref.forward_pass(np.ones((2, 3)), {"W1": np.ones((2, 2)), "b1": np.zeros(2),
                                                "W2": np.ones((2, 1)), "b2": np.zeros(1)}), "shape"),
])
def test_wrong_input_raises_value_error_naming_the_problem(call, words):
    with pytest.raises(ValueError, match=words):
        call()
