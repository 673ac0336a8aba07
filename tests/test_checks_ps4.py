"""The ps4_keras checks: dropout by statistics; split_indices by call and compare; the
classifier rebuilt on the trusted Keras worker and judged by structure and behaviour at
arguments of the grader's; the experiment re-run on the grader's data, its models
rebuilt and evaluated on the grader's validation rows.

Every correct form the contract allows earns full marks; every hostile or broken
answer earns nothing it should not, and none makes the judging raise."""
import functools
import json

import keras
import numpy as np
import pytest

from autograder.authoring import ps4_validation
from autograder.checks import keras_model
from autograder.checks import ps4_keras as checks
from autograder.sandbox.in_process import InProcessStudent
from check_helpers import REPO, failures, grade, reference_of, student

REF = reference_of("ps4_keras")
TESTS = {test.function: test for test in checks.ASSIGNMENT.tests}


def run(function, variant, full=True):
    return grade(TESTS[function], student(REF, **{function: variant}), REF if full else None)


# --- standardize ----------------------------------------------------------------------

def standardize_with_sample_std(X_train, X_test):
    X_train, X_test = np.asarray(X_train, dtype=float), np.asarray(X_test, dtype=float)
    mean, std = X_train.mean(axis=0), X_train.std(axis=0, ddof=1)
    scale = np.where(std == 0, 1.0, std)
    return (X_train - mean) / scale, (X_test - mean) / scale, mean, std


def standardize_test_set_on_its_own(X_train, X_test):
    own = REF.standardize(X_test, X_test)[0]
    X_train_s, _, mean, std = REF.standardize(X_train, X_test)
    return X_train_s, own, mean, std


def standardize_returning_test_first(X_train, X_test):
    X_train_s, X_test_s, mean, std = REF.standardize(X_train, X_test)
    return X_test_s, X_train_s, mean, std


@pytest.mark.parametrize("variant, hint", [
    (standardize_with_sample_std, "the sample std (ddof=1)"),
    (standardize_test_set_on_its_own, "with the training set's mean and std, not its own"),
    (standardize_returning_test_first, "check the order of the returned values"),
])
@pytest.mark.parametrize("full", [True, False], ids=["graded", "notebook"])
def test_a_typical_standardize_mistake_is_named_in_feedback_and_in_the_notebook(variant, hint, full):
    result = run("standardize", variant, full)
    assert not result.passed and hint in failures(result)


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


# --- split_indices --------------------------------------------------------------------

def test_split_in_the_wrong_order_is_named():
    result = run("split_indices", lambda n, seed, val_fraction=0.2, test_fraction=0.2:
                 tuple(reversed(REF.split_indices(n, seed, val_fraction, test_fraction))))
    assert "return (train, val, test), in that order" in failures(result)


def test_sizes_truncated_instead_of_rounded_are_named():
    def split_indices(n, seed, val_fraction=0.2, test_fraction=0.2):
        REF.split_indices(n, seed, val_fraction, test_fraction)  # validates
        order = np.random.default_rng(seed).permutation(n)
        n_test, n_val = int(n * test_fraction), int(n * val_fraction)
        return order[n_test + n_val:], order[n_test:n_test + n_val], order[:n_test]
    result = run("split_indices", split_indices)
    assert "round(n * fraction)" in failures(result) and result.score < TESTS["split_indices"].points


def test_a_split_written_differently_gets_full_marks():
    def split_indices(n, seed, val_fraction=0.2, test_fraction=0.2):
        if not (0 <= val_fraction < 1 and 0 <= test_fraction < 1) or val_fraction + test_fraction >= 1:
            raise ValueError("fractions must be in [0, 1) and sum to less than 1")
        order = list(np.random.default_rng(seed).permutation(n))
        test, rest = np.split(np.array(order, dtype=int), [round(n * test_fraction)])
        val, train = np.split(rest, [round(n * val_fraction)])
        return train, val, test
    assert run("split_indices", split_indices).score == TESTS["split_indices"].points


# --- build_classifier -----------------------------------------------------------------

DENSE = keras.layers.Dense


def _compiled(model, optimizer=None, loss="sparse_categorical_crossentropy", metrics=("accuracy",)):
    model.compile(optimizer=optimizer or keras.optimizers.Adam(learning_rate=0.001), loss=loss,
                  metrics=list(metrics))
    return model


def classifier_with(layers, **compile_settings):
    """A build_classifier whose layers after the Input are `layers(n_classes, hidden_units, rate)`."""
    def build_classifier(input_dim, n_classes, hidden_units=64, dropout_rate=0.0):
        model = keras.Sequential([keras.Input((input_dim,)), *layers(n_classes, hidden_units, dropout_rate)])
        return _compiled(model, **compile_settings)
    return build_classifier


def right_layers(n_classes, hidden_units, rate):
    dropout = [keras.layers.Dropout(rate)] if rate > 0 else []
    return [DENSE(hidden_units, activation="relu"), *dropout, DENSE(n_classes, activation="softmax")]


@pytest.mark.slow
def test_the_reference_earns_full_marks_and_its_parameter_count_is_the_contracts():
    assert run("build_classifier", REF.build_classifier).score == TESTS["build_classifier"].points
    spec = keras_model.classifier_layers(10, 64, 0.0)
    assert sum(keras_model.expected_params(spec, 64)) == 4810


@pytest.mark.slow
def test_a_dropout_layer_at_rate_zero_is_named():
    result = run("build_classifier", classifier_with(lambda k, h, rate: [
        DENSE(h, activation="relu"), keras.layers.Dropout(rate), DENSE(k, activation="softmax")]))
    assert "a Dropout layer only when dropout_rate is above 0" in failures(result)
    assert 0 < result.score < TESTS["build_classifier"].points


def test_the_wrong_loss_and_optimizer_are_named():
    result = run("build_classifier", classifier_with(right_layers, optimizer=keras.optimizers.SGD(0.01),
                                                     loss="categorical_crossentropy"))
    text = failures(result)
    assert "optimizer should be Adam, got SGD" in text and "sparse categorical cross-entropy" in text


def test_a_fixed_width_ignoring_hidden_units_is_caught():
    result = run("build_classifier", classifier_with(lambda k, h, rate: right_layers(k, 64, rate)))
    assert "should be Dense(12, relu)" in failures(result)


def test_a_constant_forged_model_fails_at_the_graders_own_arguments():
    served = grade_request("serialise_model", args=[5, 3])
    result = TESTS["build_classifier"].run(forged_serialisation(served), REF)
    assert 0 < result.score < TESTS["build_classifier"].points
    assert "input should have shape (None, 4)" in failures(result)


def functional(input_dim, n_classes, hidden_units=64, dropout_rate=0.0):
    inputs = keras.Input((input_dim,))
    hidden = DENSE(hidden_units, activation="relu")(inputs)
    if dropout_rate:
        hidden = keras.layers.Dropout(rate=dropout_rate)(hidden)
    return _compiled(keras.Model(inputs, DENSE(n_classes, activation="softmax")(hidden)))


def with_input_shape(input_dim, n_classes, hidden_units=64, dropout_rate=0.0):
    model = keras.Sequential()
    model.add(DENSE(hidden_units, activation="relu", input_shape=(input_dim,)))
    if dropout_rate > 0:
        model.add(keras.layers.Dropout(dropout_rate))
    model.add(DENSE(n_classes, activation="softmax"))
    return _compiled(model)


def with_activation_layers(input_dim, n_classes, hidden_units=64, dropout_rate=0.0):
    act = keras.layers.Activation
    layers = [keras.Input((input_dim,)), DENSE(hidden_units), act("relu")]
    layers += [keras.layers.Dropout(dropout_rate)] if dropout_rate > 0 else []
    return _compiled(keras.Sequential(layers + [DENSE(n_classes, activation=None), act("softmax")]))


@pytest.mark.parametrize("build_classifier", [
    functional, with_input_shape, with_activation_layers,
    classifier_with(right_layers, optimizer="adam", metrics=["acc"]),
    classifier_with(right_layers, optimizer="Adam", loss="SparseCategoricalCrossentropy",
                    metrics=["sparse_categorical_accuracy"]),
    classifier_with(right_layers, loss=keras.losses.sparse_categorical_crossentropy,
                    metrics=[keras.metrics.SparseCategoricalAccuracy()]),
    classifier_with(right_layers, optimizer=keras.optimizers.Adam(1e-3), loss=keras.losses.SparseCategoricalCrossentropy()),
], ids=["functional", "input_shape", "activation_layers", "short_names", "class_names", "function_and_metric_object",
        "loss_object"])
def test_every_correct_form_of_the_classifier_gets_full_marks(build_classifier):
    result = run("build_classifier", build_classifier)
    assert result.score == TESTS["build_classifier"].points, failures(result)


class DenseWithExtraWeight(keras.layers.Dense):
    """A Dense subclass carrying one extra weight (issue 14: it used to crash the judging)."""

    def build(self, input_shape):
        super().build(input_shape)
        self.extra = self.add_weight(shape=(1,), initializer="zeros", name="extra")


class PassThroughWhileFitting(keras.layers.Dropout):
    """A Dropout that drops only when called directly, never inside the model."""

    def call(self, inputs, training=False):
        return inputs


@pytest.mark.parametrize("layers, says", [
    (lambda k, h, rate: [DenseWithExtraWeight(h, activation="relu"), DENSE(k, activation="softmax")],
     "'DenseWithExtraWeight' is not one of Keras's own classes"),
    (lambda k, h, rate: [DENSE(h, activation="relu"), PassThroughWhileFitting(max(rate, 0.1)),
                         DENSE(k, activation="softmax")],
     "'PassThroughWhileFitting' is not one of Keras's own classes"),
])
def test_a_layer_class_of_ones_own_earns_nothing_and_says_what_to_use(layers, says):
    result = run("build_classifier", classifier_with(layers))
    assert result.score == 0 and says in failures(result) and "keras.layers.Dense" in failures(result)


def test_a_model_too_large_to_rebuild_is_refused_before_it_is_built():
    result = run("build_classifier", classifier_with(lambda k, h, rate: [DENSE(513), DENSE(k, activation="softmax")]))
    assert result.score == 0 and "1 to 512 units" in failures(result)


def forged_serialisation(value, op="serialise_model"):
    """A namespace whose process answers `op` with `value` (a forged reply)."""
    class Forger(InProcessStudent):
        def request(self, asked, **params):
            if asked == op:
                return value
            return super().request(asked, **params)
    return Forger(student(REF))


def grade_request(op, args, **functions):
    return InProcessStudent(student(REF, **functions)).request(op, function="build_classifier", args=args, seed=0)


@pytest.mark.parametrize("reply", [
    {"value": {"config": "{\"class_name\": \"Sequential\", \"config\": {\"layers\": \"many\"}}",
               "compile_config": None, "weights": []}},
    {"value": {"config": 7, "compile_config": [1], "weights": "none"}},
    {"value": {"layers": [{"class": "Dense", "units": 64}], "params": 4810}},  # a description, as before
    {"value": None}, {"error": "not a dict"}, {},
    {"value": {"config": "[" * 5000 + "]" * 5000, "weights": [np.zeros((2, 2))]}},
])
def test_a_forged_or_malformed_model_earns_nothing_and_never_raises(reply):
    result = TESTS["build_classifier"].run(forged_serialisation(reply), REF)
    assert result.score == 0 and len(result.cases) == len(TESTS["build_classifier"].cases())


# --- run_experiment -------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def honest_experiment():
    """The reference's experiment on the grader's data, run once for every variant below."""
    X, y = checks.experiment_data()
    return REF.run_experiment(X, y, checks.RATES, checks.SEEDS, checks.EPOCHS)


def experiment_changed(change):
    """A run_experiment returning the honest result with `change(rate, entry)` applied."""
    def run_experiment(X, y, dropout_rates, seeds, epochs):
        return {rate: change(rate, dict(entry)) for rate, entry in honest_experiment().items()}
    return run_experiment


@pytest.mark.slow
def test_the_reference_experiment_earns_full_marks():
    result = run("run_experiment", experiment_changed(lambda rate, entry: entry))
    assert result.score == TESTS["run_experiment"].points, failures(result)


@pytest.mark.slow
def test_the_reference_experiment_earns_full_marks_in_the_students_notebook():
    result = run("run_experiment", experiment_changed(lambda rate, entry: entry), full=False)
    assert result.score == TESTS["run_experiment"].points, failures(result)


def test_the_notebooks_validation_rows_are_the_references():
    with open(checks.VALIDATION, encoding="utf-8") as handle:
        assert json.load(handle) == ps4_validation.table(REPO), \
            "the shipped validation rows are out of date: run python -m autograder.authoring.ps4_validation"
    for seed in checks.SEEDS:
        shipped, computed = checks.validation_rows(seed), checks.validation_rows(seed, REF)
        assert np.array_equal(shipped[0], computed[0]) and np.array_equal(shipped[1], computed[1])


@pytest.mark.slow
def test_numbers_as_numpy_values_get_full_marks():
    def as_numpy(rate, entry):
        entry["val_accuracy"] = np.array(entry["val_accuracy"])
        entry["mean"], entry["std"] = np.mean(entry["val_accuracy"]), np.std(entry["val_accuracy"])
        return entry
    result = run("run_experiment", experiment_changed(as_numpy))
    assert result.score == TESTS["run_experiment"].points, failures(result)


def test_accuracies_that_are_not_the_models_are_caught():
    def inflated(rate, entry):
        entry["val_accuracy"] = [min(1.0, a + 0.2) for a in entry["val_accuracy"]]
        entry["mean"], entry["std"] = float(np.mean(entry["val_accuracy"])), float(np.std(entry["val_accuracy"]))
        return entry
    result = run("run_experiment", experiment_changed(inflated))
    assert "the model you returned gets" in failures(result)
    assert result.score == pytest.approx(TESTS["run_experiment"].points * 4 / 5)


def test_the_sample_std_is_named():
    def sample_std(rate, entry):
        entry["std"] = float(np.std(entry["val_accuracy"], ddof=1))
        return entry
    result = run("run_experiment", experiment_changed(sample_std))
    assert "population std" in failures(result)


def test_models_of_another_architecture_are_caught():
    def other_models(rate, entry):
        entry["models"] = [REF.build_classifier(64, 10, 32, rate) for _ in entry["models"]]
        return entry
    result = run("run_experiment", experiment_changed(other_models))
    assert "should be Dense(64, relu), got Dense(32, relu)" in failures(result)
    assert not result.cases[1].passed


def test_untrained_models_with_their_true_accuracies_are_caught():
    def untrained(rate, entry):
        models = [REF.build_classifier(64, 10, 64, rate) for _ in checks.SEEDS]
        accuracies = [keras_model.accuracy(np.asarray(model(checks.validation_rows(seed, REF)[0])),
                                           checks.validation_rows(seed, REF)[1])
                      for model, seed in zip(models, checks.SEEDS)]
        return {"val_accuracy": accuracies, "mean": float(np.mean(accuracies)), "std": float(np.std(accuracies)),
                "models": models}
    result = run("run_experiment", experiment_changed(untrained))
    assert "was it fitted?" in failures(result)


@pytest.mark.parametrize("reply", [
    {"value": [{"rate": 0.0}]}, {"value": "numbers"}, {},
    {"value": [{"rate": rate, "val_accuracy": [0.9, 0.9], "mean": 0.9, "std": 0.0, "models": ["x", None]}
               for rate in checks.RATES]},
    {"value": [{"rate": rate, "val_accuracy": [0.9, float("nan")], "mean": 0.9, "std": 0.0, "models": [1, 2]}
               for rate in checks.RATES]},
    {"value": [{"rate": rate, "val_accuracy": [0.9, 0.9], "mean": 0.9, "std": 0.0,
                "models": [{"config": 7, "weights": "none"}] * 2} for rate in checks.RATES]},
])
def test_a_forged_or_malformed_experiment_earns_nothing_and_never_raises(reply):
    result = TESTS["run_experiment"].run(forged_serialisation(reply, "serialise_experiment"), REF)
    assert result.score == 0 and len(result.cases) == 5
