"""The ps4_keras checks: dropout by statistics, the model by structure and behaviour,
early stopping by its settings, train by what its History shows."""
import keras
import numpy as np
import pytest

from autograder.checks import keras_model
from autograder.checks import ps4_keras as checks
from check_helpers import failures, grade, reference_of, student

REF = reference_of("ps4_keras")
TESTS = {test.function: test for test in checks.ASSIGNMENT.tests}


def run(function, variant, full=True):
    return grade(TESTS[function], student(REF, **{function: variant}), REF if full else None)


# --- dropout --------------------------------------------------------------------------

def dropout_without_rescaling(x, rate, training, rng):
    REF.dropout(x, rate, False, rng)  # validates rate
    x = np.array(x, dtype=float)
    return x * (rng.random(x.shape) >= rate) if training else x


def dropout_keeping_rate(x, rate, training, rng):
    REF.dropout(x, rate, False, rng)
    x = np.array(x, dtype=float)
    return x * (rng.random(x.shape) < rate) / (1 - rate) if training else x


def dropout_written_differently(x, rate, training, rng):
    if rate < 0 or rate >= 1:
        raise ValueError("rate must be in [0, 1)")
    out = np.array(x, dtype=np.float64, copy=True)
    if training:
        keep = rng.random(out.shape) < 1.0 - rate  # the complementary draw: same distribution
        out = np.where(keep, out / (1.0 - rate), 0.0)
    return out


def test_dropout_without_rescaling_is_caught():
    result = run("dropout", dropout_without_rescaling)
    assert not result.passed and "not rescaled" in failures(result)


def test_rate_read_as_the_keep_probability_is_caught():
    result = run("dropout", dropout_keeping_rate)
    assert not result.passed and "fraction dropped, not the fraction kept" in failures(result)


def test_a_correct_dropout_with_another_mask_gets_full_marks():
    assert run("dropout", dropout_written_differently).score == TESTS["dropout"].points


def test_the_zero_fraction_bound_holds_one_in_a_billion():
    tolerance = keras_model.zero_fraction_tolerance(100_000)
    assert 2 * np.exp(-2 * 100_000 * tolerance ** 2) == pytest.approx(1e-9)


# --- build_model ----------------------------------------------------------------------

def model_with(layers, optimizer=None, loss="binary_crossentropy"):
    def build_model(input_dim=2):
        model = keras.Sequential([keras.Input((input_dim,)), *layers()])
        model.compile(optimizer=optimizer or keras.optimizers.Adam(0.001), loss=loss, metrics=["accuracy"])
        return model
    return build_model


DENSE = keras.layers.Dense


def test_dropout_in_the_wrong_place_is_caught():
    result = run("build_model", model_with(lambda: [DENSE(16, activation="relu"), DENSE(8, activation="relu"),
                                                    keras.layers.Dropout(0.2), DENSE(1, activation="sigmoid")]))
    assert "layer 2 should be Dropout" in failures(result) and "right after the first Dense" in failures(result)


def test_a_dropout_rate_of_one_half_is_caught():
    result = run("build_model", model_with(lambda: [DENSE(16, activation="relu"), keras.layers.Dropout(0.5),
                                                    DENSE(8, activation="relu"), DENSE(1, activation="sigmoid")]))
    text = failures(result)
    assert "Dropout rate should be 0.2, got 0.5" in text
    assert "its Dropout layer in training" in text  # the behaviour shows it too


def test_the_wrong_optimizer_and_loss_are_named():
    result = run("build_model", model_with(lambda: [DENSE(16, activation="relu"), keras.layers.Dropout(0.2),
                                                    DENSE(8, activation="relu"), DENSE(1, activation="sigmoid")],
                                           optimizer=keras.optimizers.SGD(0.01), loss="mse"))
    text = failures(result)
    assert "optimizer should be Adam, got SGD" in text and "got 'mse'" in text
    assert result.score == pytest.approx(TESTS["build_model"].points * 10 / 14, abs=1e-4)


def test_a_model_built_another_way_gets_full_marks():
    def build_model(input_dim=2):
        inputs = keras.Input((input_dim,))
        model = keras.Sequential()
        model.add(inputs)
        for layer in (DENSE(16, activation="relu"), keras.layers.Dropout(rate=0.2), DENSE(8, activation="relu"),
                      DENSE(1, activation="sigmoid")):
            model.add(layer)
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                      loss=keras.losses.BinaryCrossentropy(), metrics=["accuracy"])
        return model
    assert run("build_model", build_model).score == TESTS["build_model"].points


def test_the_expected_parameter_count_is_the_lessons():
    assert sum(keras_model.expected_params(2)) == 193


# --- early_stopping and train ---------------------------------------------------------

def test_early_stopping_that_forgets_the_best_weights_is_caught():
    result = run("early_stopping", lambda patience=5: keras.callbacks.EarlyStopping(patience=patience))
    assert result.score == 0 and "restore_best_weights should be True" in failures(result)


def test_training_without_early_stopping_is_caught():
    def train(model, X, y, epochs=50, batch_size=32):
        return model.fit(X, y, epochs=epochs, batch_size=batch_size, validation_split=0.2, verbose=0)
    result = run("train", train)
    assert "pass callbacks=[early_stopping()]" in failures(result)


def test_training_that_ignores_batch_size_is_caught():
    def train(model, X, y, epochs=50, batch_size=32):
        return model.fit(X, y, epochs=epochs, validation_split=0.2, callbacks=[REF.early_stopping()], verbose=0)
    result = run("train", train)
    assert "batches per epoch" in failures(result)


def training_with(stop):
    """A `train` that is right except for the EarlyStopping callback it passes."""
    def train(model, X, y, epochs=50, batch_size=32):
        return model.fit(X, y, epochs=epochs, batch_size=batch_size, validation_split=0.2,
                         callbacks=[stop], verbose=0)
    return train


def test_training_that_keeps_the_last_weights_is_caught():
    result = run("train", training_with(keras.callbacks.EarlyStopping(monitor="val_loss", patience=5)))
    assert "not the best one" in failures(result)


def test_training_with_the_wrong_patience_is_caught():
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    result = run("train", training_with(stop))
    assert "it should stop after 6" in failures(result)


def test_training_that_returns_the_model_is_caught():
    def train(model, X, y, epochs=50, batch_size=32):
        model.fit(X, y, epochs=epochs, batch_size=batch_size, validation_split=0.2,
                  callbacks=[REF.early_stopping()], verbose=0)
        return model
    result = run("train", train)
    assert result.score == 0 and "should return the History" in failures(result)
