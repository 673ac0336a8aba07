"""The ps4_keras checks: dropout by statistics; the model rebuilt on the trusted Keras
worker and judged by structure and behaviour; early stopping rebuilt there and run on
scripted losses; train by its History checked against the weights it left.

Every correct form the contract allows earns full marks; every hostile or broken
answer earns nothing it should not, and none makes the judging raise."""
import keras
import numpy as np
import pytest

from autograder.checks import keras_model
from autograder.checks import ps4_keras as checks
from autograder.sandbox.in_process import InProcessStudent
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
    assert "not those of the best epoch 5" in failures(result)


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
    assert result.score == 0 and "not the History that model.fit returns" in failures(result)


# --- every correct form of build_model earns full marks -------------------------------

def _compiled(model, optimizer=None, loss="binary_crossentropy", metrics=("accuracy",)):
    model.compile(optimizer=optimizer or keras.optimizers.Adam(learning_rate=0.001), loss=loss,
                  metrics=list(metrics))
    return model


def functional(input_dim=2):
    inputs = keras.Input((input_dim,))
    hidden = keras.layers.Dropout(0.2)(DENSE(16, activation="relu")(inputs))
    outputs = DENSE(1, activation="sigmoid")(DENSE(8, activation="relu")(hidden))
    return _compiled(keras.Model(inputs, outputs))


def with_input_shape(input_dim=2):
    return _compiled(keras.Sequential([DENSE(16, activation="relu", input_shape=(input_dim,)), keras.layers.Dropout(0.2),
                                       DENSE(8, activation="relu"), DENSE(1, activation="sigmoid")]))


def with_activation_layers(input_dim=2):
    act = keras.layers.Activation
    return _compiled(keras.Sequential([keras.Input((input_dim,)), DENSE(16), act("relu"), keras.layers.Dropout(0.2),
                                       DENSE(8, activation=None), act("relu"), DENSE(1), act("sigmoid")]))


def spelled(optimizer, loss, metrics):
    def build_model(input_dim=2):
        return _compiled(keras.Sequential([keras.Input((input_dim,)), DENSE(16, activation="relu"),
                                           keras.layers.Dropout(0.2), DENSE(8, activation="relu"),
                                           DENSE(1, activation="sigmoid")]),
                         optimizer=optimizer, loss=loss, metrics=metrics)
    return build_model


@pytest.mark.parametrize("build_model", [
    functional, with_input_shape, with_activation_layers,
    spelled("adam", "bce", ["acc"]),
    spelled("Adam", "BinaryCrossentropy", ["binary_accuracy"]),
    spelled(keras.optimizers.Adam(), keras.losses.binary_crossentropy, [keras.metrics.BinaryAccuracy()]),
    spelled(keras.optimizers.Adam(1e-3), keras.losses.BinaryCrossentropy(), ["accuracy"]),
], ids=["functional", "input_shape", "activation_layers", "short_names", "class_names", "function_and_metric_object",
        "loss_object"])
def test_every_correct_form_of_the_model_gets_full_marks(build_model):
    result = run("build_model", build_model)
    assert result.score == TESTS["build_model"].points, failures(result)


# --- hostile or broken models ---------------------------------------------------------

class DenseWithExtraWeight(keras.layers.Dense):
    """A Dense subclass carrying one extra weight (issue 14: it used to crash the judging)."""

    def build(self, input_shape):
        super().build(input_shape)
        self.extra = self.add_weight(shape=(1,), initializer="zeros", name="extra")


class PassThroughWhileFitting(keras.layers.Dropout):
    """A Dropout that drops only when called directly, never inside the model."""

    def call(self, inputs, training=False):
        return inputs


@pytest.mark.parametrize("layer, says", [
    (DenseWithExtraWeight, "'DenseWithExtraWeight' is not one of Keras's own classes"),
    (None, "'PassThroughWhileFitting' is not one of Keras's own classes"),
])
def test_a_layer_class_of_ones_own_earns_nothing_and_says_what_to_use(layer, says):
    def build_model(input_dim=2):
        first = layer(16, activation="relu") if layer else DENSE(16, activation="relu")
        dropout = keras.layers.Dropout(0.2) if layer else PassThroughWhileFitting(0.2)
        return _compiled(keras.Sequential([keras.Input((input_dim,)), first, dropout, DENSE(8, activation="relu"),
                                           DENSE(1, activation="sigmoid")]))
    result = run("build_model", build_model)
    assert result.score == 0 and says in failures(result) and "keras.layers.Dense" in failures(result)


def test_a_model_too_large_to_rebuild_is_refused_before_it_is_built():
    def build_model(input_dim=2):
        return _compiled(keras.Sequential([keras.Input((input_dim,)), DENSE(513), DENSE(1, activation="sigmoid")]))
    result = run("build_model", build_model)
    assert result.score == 0 and "1 to 512 units" in failures(result)


def forged_serialisation(value):
    """A namespace whose process answers `serialise_model` with `value` (a forged reply)."""
    class Forger(InProcessStudent):
        def request(self, op, **params):
            if op == "serialise_model":
                return value
            return super().request(op, **params)
    return Forger(student(REF))


@pytest.mark.parametrize("reply", [
    {"value": {"config": "{\"class_name\": \"Sequential\", \"config\": {\"layers\": \"many\"}}",
               "compile_config": None, "weights": []}},
    {"value": {"config": 7, "compile_config": [1], "weights": "none"}},
    {"value": {"layers": [{"class": "Dense", "units": 16}], "params": 193}},  # a description, as before
    {"value": None}, {"error": "not a dict"}, {},
    {"value": {"config": "[" * 5000 + "]" * 5000, "weights": [np.zeros((2, 2))]}},
])
def test_a_forged_or_malformed_model_earns_nothing_and_never_raises(reply):
    result = TESTS["build_model"].run(forged_serialisation(reply), REF)
    assert result.score == 0 and len(result.cases) == 21


def test_a_constant_forged_model_fails_at_the_graders_own_input_sizes():
    served = grade_request("serialise_model", build_model=REF.build_model, args=[2])
    result = TESTS["build_model"].run(forged_serialisation(served), REF)
    assert 0 < result.score < TESTS["build_model"].points
    assert "input should have shape (None, 5)" in failures(result)


def grade_request(op, args, **functions):
    return InProcessStudent(student(REF, **functions)).request(op, function="build_model", args=args, seed=0)


# --- hostile callbacks ----------------------------------------------------------------

class EarlyStopping:
    """A plain class that only has the right name and attributes."""

    def __init__(self, patience=5):
        self.monitor, self.patience, self.restore_best_weights = "val_loss", patience, True
        self.min_delta, self.mode, self.baseline, self.start_from_epoch = 0, "auto", None, 0


class NeverStops(keras.callbacks.EarlyStopping):
    def on_epoch_end(self, epoch, logs=None):
        pass


@pytest.mark.parametrize("make", [
    lambda patience=5: EarlyStopping(patience),
    lambda patience=5: NeverStops(monitor="val_loss", patience=patience, restore_best_weights=True),
], ids=["plain_class_named_EarlyStopping", "subclass_whose_hook_does_nothing"])
def test_a_callback_that_is_not_keras_early_stopping_earns_nothing(make):
    result = run("early_stopping", make)
    assert result.score == 0 and "return keras.callbacks.EarlyStopping itself" in failures(result)


def test_early_stopping_is_judged_by_when_it_stops():
    result = run("early_stopping", lambda patience=5: keras.callbacks.EarlyStopping(
        monitor="loss", patience=patience, restore_best_weights=True))
    assert result.score == 0 and "never stopped" in failures(result)


def test_early_stopping_settings_of_the_wrong_type_are_a_failed_case():
    class Lying(InProcessStudent):
        def request(self, op, **params):
            return {"value": {"class": "EarlyStopping", "is_early_stopping": True,
                              "settings": {"monitor": "val_loss", "patience": "five", "restore_best_weights": True}}}
    result = TESTS["early_stopping"].run(Lying({}), REF)
    assert result.score == 0 and "patience is 'five'" in failures(result)


# --- hostile training -----------------------------------------------------------------

def test_a_train_that_never_fits_and_returns_a_hand_made_history_earns_nothing():
    def train(model, X, y, epochs=50, batch_size=32):
        history = keras.callbacks.History()
        history.history = {"loss": [0.7, 0.6, 0.5, 0.45, 0.4, 0.38, 0.36],
                           "val_loss": [0.7, 0.71, 0.72, 0.73, 0.74, 0.75, 0.76]}
        history.params = {"epochs": epochs, "steps": 2, "verbose": 0}
        return history
    result = run("train", train)
    assert result.score == 0 and "not trained" in failures(result)


@pytest.mark.parametrize("history", [
    {"loss": [0.7], "val_loss": []},
    {"loss": [0.7], "val_loss": ["low"]},
    {"loss": [0.7], "val_loss": [float("nan")]},
    {"loss": [0.7, 0.6], "val_loss": [0.7]},
    {"loss": "decreasing"},
    None,
], ids=["empty_val_loss", "string", "nan", "lengths_differ", "not_a_list", "none"])
def test_a_malformed_history_is_a_failed_case_with_a_message(history):
    def train(model, X, y, epochs=50, batch_size=32):
        result = model.fit(X, y, epochs=epochs, batch_size=batch_size, validation_split=0.2,
                           callbacks=[REF.early_stopping()], verbose=0)
        result.history = history
        return result
    result = run("train", train)
    assert result.score == 0 and failures(result)


def test_a_history_that_disagrees_with_the_weights_left_is_caught():
    def train(model, X, y, epochs=50, batch_size=32):
        result = REF.train(model, X, y, epochs, batch_size)
        result.history["val_loss"] = [v / 2 for v in result.history["val_loss"]]
        return result
    assert "the History says" in failures(run("train", train))
