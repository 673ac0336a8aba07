"""The ps4 reference solution against keras.layers.Dropout, hand computations and Keras.

Dropout is random, so it is compared by statistics. Each zero fraction over N units is
a mean of N Bernoulli(rate) draws; by Hoeffding's inequality
P(|fraction - rate| >= t) <= 2 exp(-2 N t^2), so t = sqrt(ln(2 / delta) / (2 N)) with
delta = 1e-11 per check keeps every check in this file together (fewer than 100) below a
false-failure probability of 1e-9. The draws are also seeded, so a run is repeatable.
Keras works in float32, so its survivors equal 1 / (1 - rate) to float32 precision
(rtol 1e-6); the reference works in float64 (rtol 1e-14).
"""
import math

import keras
import numpy as np
import pytest

from solutions import ps4_keras as ref

N = 200_000
DELTA = 1e-11
T = math.sqrt(math.log(2 / DELTA) / (2 * N))  # ~0.0080


def keras_dropout(x, rate, training, seed=0):
    layer = keras.layers.Dropout(rate, seed=seed)
    return keras.ops.convert_to_numpy(layer(x.astype(np.float32), training=training)).astype(np.float64)


def check_inverted_dropout(x, out, rate, rtol):
    """out is x with about `rate` of its units zeroed and the rest scaled by 1 / (1 - rate)."""
    dropped = out == 0
    assert abs(dropped.mean() - rate) < T, (dropped.mean(), rate, T)
    np.testing.assert_allclose(out[~dropped], x[~dropped] / (1 - rate), rtol=rtol)
    return dropped.mean()


@pytest.mark.parametrize("rate", [0.2, 0.5, 0.8])
def test_dropout_statistics_agree_with_keras_dropout(rate):
    x = np.random.default_rng(1).uniform(0.5, 2.0, size=(N // 100, 100))  # no zeros in x
    x_before = x.copy()
    ours = ref.dropout(x, rate, True, np.random.default_rng(2))
    theirs = keras_dropout(x, rate, True)
    assert ours.shape == theirs.shape == x.shape and ours.dtype == np.float64
    f_ours = check_inverted_dropout(x, ours, rate, rtol=1e-14)
    f_theirs = check_inverted_dropout(x, theirs, rate, rtol=1e-6)
    assert abs(f_ours - f_theirs) < 2 * T
    # Inverted dropout keeps the expected value: the mean of out / x is 1 on both sides
    # (again within Hoeffding's bound, for values in [0, 1 / (1 - rate)]).
    for out in (ours, theirs):
        assert abs((out / x).mean() - 1) < T / (1 - rate)
    np.testing.assert_array_equal(x, x_before)


def test_dropout_mask_is_drawn_as_specified():
    x = np.random.default_rng(3).normal(size=(4, 5))
    expected = x * (np.random.default_rng(7).random((4, 5)) >= 0.3) / 0.7
    np.testing.assert_allclose(ref.dropout(x, 0.3, True, np.random.default_rng(7)), expected,
                               rtol=1e-15)
    np.testing.assert_array_equal(ref.dropout(x, 0.0, True, np.random.default_rng(7)), x)


@pytest.mark.parametrize("rate", [0.0, 0.2, 0.9])
def test_dropout_is_the_identity_when_not_training(rate):
    x = np.random.default_rng(4).normal(size=(3, 7))
    got = ref.dropout(x, rate, False, np.random.default_rng(0))
    np.testing.assert_array_equal(got, x)
    np.testing.assert_allclose(keras_dropout(x, rate, False), x, rtol=1e-6)
    got[0, 0] = 123.0  # the result is not the caller's array
    assert x[0, 0] != 123.0


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5])
def test_dropout_rejects_rates_outside_0_1(rate):
    for training in (True, False):
        with pytest.raises(ValueError, match="rate"):
            ref.dropout(np.ones(3), rate, training, np.random.default_rng(0))


def test_standardize_by_hand_with_a_constant_column():
    X_train = np.array([[1.0, 5.0, 2.0], [3.0, 5.0, 4.0], [8.0, 5.0, 0.0], [0.0, 5.0, 2.0]])
    X_test = np.array([[2.0, 6.0, 1.0], [4.0, 5.0, 3.0]])
    copies = X_train.copy(), X_test.copy()
    mean = np.array([12.0 / 4, 5.0, 8.0 / 4])
    # Population variance: mean of squared deviations.
    std = np.sqrt(np.array([(4 + 0 + 25 + 9) / 4, 0.0, (0 + 4 + 4 + 0) / 4]))
    scale = np.array([std[0], 1.0, std[2]])
    train_s, test_s, got_mean, got_std = ref.standardize(X_train, X_test)
    np.testing.assert_allclose(got_mean, mean, rtol=1e-15)
    np.testing.assert_allclose(got_std, std, rtol=1e-15)
    assert got_std[1] == 0.0  # returned as computed, not replaced by 1
    np.testing.assert_allclose(train_s, (X_train - mean) / scale, rtol=1e-14)
    np.testing.assert_allclose(test_s, (X_test - mean) / scale, rtol=1e-14)
    np.testing.assert_array_equal(train_s[:, 1], 0.0)
    np.testing.assert_array_equal(test_s[:, 1], [1.0, 0.0])
    np.testing.assert_allclose(train_s[:, [0, 2]].mean(axis=0), 0.0, atol=1e-15)
    np.testing.assert_allclose(train_s[:, [0, 2]].std(axis=0), 1.0, rtol=1e-14)
    np.testing.assert_array_equal(X_train, copies[0])
    np.testing.assert_array_equal(X_test, copies[1])


def test_standardize_random_and_float32_inputs():
    r = np.random.default_rng(5)
    X_train = r.normal(3.0, 10.0, size=(50, 4)).astype(np.float32)
    X_test = r.normal(3.0, 10.0, size=(9, 4))
    train_s, test_s, mean, std = ref.standardize(X_train, X_test)
    x64 = X_train.astype(np.float64)
    assert train_s.dtype == test_s.dtype == np.float64 and test_s.shape == (9, 4)
    np.testing.assert_allclose(std, np.sqrt(((x64 - x64.mean(axis=0)) ** 2).mean(axis=0)), rtol=1e-14)
    np.testing.assert_allclose(test_s, (X_test - x64.mean(axis=0)) / std, rtol=1e-13)


# --- the split, the classifier and the experiment -----------------------------------------

def test_split_indices_by_hand():
    order = np.random.default_rng(0).permutation(10)
    train, val, test = ref.split_indices(10, 0)
    np.testing.assert_array_equal(test, order[:2])
    np.testing.assert_array_equal(val, order[2:4])
    np.testing.assert_array_equal(train, order[4:])
    # round, not int: 7 * 0.25 = 1.75 rows is 2
    train, val, test = ref.split_indices(7, 1, 0.25, 0.25)
    assert (len(train), len(val), len(test)) == (3, 2, 2)
    assert sorted(np.concatenate([train, val, test])) == list(range(7))


def test_build_classifier_structure():
    model = ref.build_classifier(64, 10)
    assert isinstance(model, keras.Sequential) and model.count_params() == 65 * 64 + 65 * 10
    assert [type(layer) for layer in model.layers] == [keras.layers.Dense, keras.layers.Dense]
    assert [layer.activation.__name__ for layer in model.layers] == ["relu", "softmax"]
    with_dropout = ref.build_classifier(4, 3, hidden_units=5, dropout_rate=0.25)
    assert [type(layer) for layer in with_dropout.layers] == [keras.layers.Dense, keras.layers.Dropout,
                                                              keras.layers.Dense]
    assert with_dropout.layers[1].rate == 0.25 and with_dropout.count_params() == 5 * 5 + 6 * 3
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(0.001, rel=1e-6)  # float32
    config = model.get_compile_config()
    assert config["loss"] == "sparse_categorical_crossentropy" and config["metrics"] == ["accuracy"]


def test_build_classifier_computes_a_softmax_of_its_layers():
    model = ref.build_classifier(3, 4, 6, 0.5)
    x = np.random.default_rng(6).normal(size=(10, 3))
    W1, b1, W2, b2 = (w.astype(np.float64) for w in model.get_weights())
    logits = np.maximum(x @ W1 + b1, 0) @ W2 + b2  # dropout is the identity at inference
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    got = keras.ops.convert_to_numpy(model(x, training=False))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)  # Keras computes in float32


@pytest.mark.slow
def test_run_experiment_reports_what_its_models_do():
    from sklearn.datasets import load_digits
    X, y = load_digits(return_X_y=True)
    X, y = X[:800] / 16.0, y[:800]
    result = ref.run_experiment(X, y, [0.0, 0.5], [0, 1], 3)
    assert list(result) == [0.0, 0.5]
    for rate, entry in result.items():
        assert len(entry["val_accuracy"]) == len(entry["models"]) == 2
        assert entry["mean"] == pytest.approx(np.mean(entry["val_accuracy"]))
        assert entry["std"] == pytest.approx(np.std(entry["val_accuracy"]))
        for seed, accuracy, model in zip([0, 1], entry["val_accuracy"], entry["models"]):
            train, val, _ = ref.split_indices(len(X), seed)
            _, X_val, _, _ = ref.standardize(X[train], X[val])
            _, evaluated = model.evaluate(X_val, y[val], verbose=0)  # Keras's own accuracy, dropout off
            assert accuracy == pytest.approx(evaluated, abs=1.0 / len(val))
            assert accuracy > 0.3  # chance is 0.1


@pytest.mark.parametrize("call, words", [
    (lambda: ref.split_indices(10, 0, val_fraction=-0.1), "val_fraction"),
    (lambda: ref.split_indices(10, 0, test_fraction=1.0), "test_fraction"),
    (lambda: ref.split_indices(10, 0, 0.5, 0.5), "below 1"),
    (lambda: ref.build_classifier(0, 10), "input_dim"),
    (lambda: ref.build_classifier(4, 10, dropout_rate=1.0), "dropout_rate"),
    (lambda: ref.run_experiment(np.ones((10, 2)), np.ones(8), [0.0], [0], 1), "X must be"),
    (lambda: ref.standardize(np.ones((3, 2)), np.ones((3, 3))), "columns"),
    (lambda: ref.standardize(np.ones(3), np.ones(3)), "2-D"),
])
def test_wrong_input_raises_value_error_naming_the_problem(call, words):
    with pytest.raises(ValueError, match=words):
        call()
