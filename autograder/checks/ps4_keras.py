"""ps4_keras: Keras, dropout and overfitting.

Points: dropout 3, standardize 2, build_model 4, early_stopping 1, train 3 (13 in all).
Dropout and standardize are NumPy, judged by call and compare (dropout by statistics,
see `keras_model.dropout_problem`). Nothing the student's process says about a Keras
object is taken as fact: the model comes back as its Keras config and weights and is
rebuilt, allow-listed, and run by the trusted Keras worker (`keras_worker`); the
callback comes back as its settings and is rebuilt into a real EarlyStopping there and
run on scripted validation losses; `train` trains a small model of the grader's from
weights of the grader's, and its History must agree with the weights it left, which
the grader evaluates itself on the validation rows. That `fit` ran at all cannot be
verified (see SECURITY.md).
"""
from __future__ import annotations

import math

import numpy as np

from ..results import CaseResult, TestResult
from ..sandbox.student import Outcome, ProcessLost
from . import keras_model, keras_worker
from .assignment import Assignment, Mistake
from .cases import Case, FunctionTest, Test, same_as, with_reference
from .compare import as_float_array, compare, describe, fmt



# --- dropout --------------------------------------------------------------------------

def _positive(seed, *shape):
    return 1.0 + np.random.default_rng(seed).random(shape)


def dropout_cases():
    small = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.5]])
    return [
        Case("training=False returns x unchanged", (small, 0.5, False, {"$rng": 0}), public=True),
        Case("rate 0.5 in training on a (200, 500) array", (_positive(1, 200, 500), 0.5, True, {"$rng": 1}),
             public=True),
        Case("rate -0.1 is not a probability", (small, -0.1, True, {"$rng": 0}), public=True, raises="ValueError"),
        Case("rate 0.2 in training on a (400, 250) array", (_positive(2, 400, 250), 0.2, True, {"$rng": 2})),
        Case("rate 0.9 in training on negative values", (-_positive(3, 100, 1000), 0.9, True, {"$rng": 3})),
        Case("rate 0 in training keeps everything", (_positive(4, 50, 40), 0.0, True, {"$rng": 4})),
        Case("a 3-D array, rate 0.3", (_positive(5, 20, 50, 100), 0.3, True, {"$rng": 5})),
        Case("training=False with rate 0.9", (_positive(6, 30, 30), 0.9, False, {"$rng": 6})),
        Case("rate 1.0 would drop everything", (small, 1.0, True, {"$rng": 0}), raises="ValueError"),
        Case("rate 1.5", (small, 1.5, False, {"$rng": 0}), raises="ValueError"),
    ]


class DropoutTest(FunctionTest):
    """Inverted dropout, judged by statistics rather than one exact mask."""

    def expected(self, reference, case):
        return None

    def problem(self, case, got, expected, reference):
        x, rate, training, _ = case.args
        if not training:
            mismatch = compare(got, x, rtol=0, atol=0, reveal=case.public)
            return None if mismatch is None else \
                "with training=False dropout must return x unchanged: " + mismatch.text()
        array = as_float_array(got)
        if array is None or array.shape != np.shape(x):
            return "expected an array of shape %s, got %s" % (np.shape(x), describe(got))
        return keras_model.dropout_problem(x, array, rate)


dropout = DropoutTest("dropout", 3, dropout_cases, params=("x", "rate", "training", "rng"))


# --- standardize ----------------------------------------------------------------------

def standardize_cases():
    X_train = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0], [4.0, 40.0]])
    X_test = np.array([[2.5, 0.0], [5.0, 50.0]])
    scale = math.sqrt(1.25)
    rng = np.random.default_rng(11)
    constant = rng.normal(size=(6, 3))
    constant[:, 1] = 7.0
    return [
        Case("a 4x2 training set and a 2x2 test set", (X_train, X_test), public=True,
             expected=((X_train - [2.5, 25.0]) / [scale, 10 * scale], (X_test - [2.5, 25.0]) / [scale, 10 * scale],
                       np.array([2.5, 25.0]), np.array([scale, 10 * scale]))),
        Case("random data with 5 features", (rng.normal(3.0, 2.0, size=(50, 5)), rng.normal(size=(8, 5)))),
        Case("a constant column (std 0)", (constant, rng.normal(size=(4, 3)))),
        Case("a single feature", (rng.normal(size=(10, 1)), rng.normal(size=(3, 1)))),
    ]


def _sample_std(case, reference):
    if reference is None:
        return None
    X_train, X_test = (np.asarray(a, dtype=float) for a in case.args)
    mean, std = X_train.mean(axis=0), X_train.std(axis=0, ddof=1)
    scale = np.where(std == 0, 1.0, std)
    return ((X_train - mean) / scale, (X_test - mean) / scale, mean, std)


def _test_with_own_statistics(case, reference):
    if reference is None:
        return None
    X_train, X_test = case.args
    train_part = reference.standardize(X_train, X_test)
    test_part = reference.standardize(X_test, X_test)
    return (train_part[0], test_part[0], train_part[2], train_part[3])


standardize = FunctionTest(
    "standardize", 2, standardize_cases, params=("X_train", "X_test"),
    names=("X_train_s", "X_test_s", "mean", "std"),
    hints=[
        same_as(_sample_std, "this uses the sample std (ddof=1); the spec asks for the population std (ddof=0)"),
        same_as(_test_with_own_statistics,
                "the test set must be scaled with the training set's mean and std, not its own"),
        same_as(with_reference("standardize", ("X_train", "X_test"), X_test=lambda x: x),
                "check the order of the returned values: (X_train_s, X_test_s, mean, std)"),
    ])


# --- build_model ----------------------------------------------------------------------

ASPECTS = [
    ("layers", "layers %s" % keras_model.spec_text()),
    ("params", "parameter counts"),
    ("shapes", "input and output shapes"),
    ("compile", "compiled with Adam(learning_rate=0.001)"),
    ("loss", "binary cross-entropy loss and accuracy metric"),
    ("inference", "at inference it computes what its layers say"),
    ("dropout", "in training its Dropout zeroes about 20% and rescales the rest"),
]


class ModelTest(Test):
    """Build the student's model at input sizes of the grader's; judge each aspect of the
    copy the trusted worker rebuilt from its config and weights, as one case."""

    configs = [(2, True), (5, False), (3, False)]  # (input_dim, public)

    def cases(self):
        return [Case("build_model(%d): %s" % (dim, text), (dim, aspect), public=public)
                for dim, public in self.configs for aspect, text in ASPECTS]

    def run(self, student, reference=None):
        result = TestResult(self.grade_id, self.points, title=self.function)
        for dim, public in self.configs:
            if reference is None and not public:
                continue
            cases = [case for case in self.cases() if case.args[0] == dim]
            try:
                verdicts = self.judge_model(student, dim)
            except ProcessLost as lost:
                result.cases += [_failed(case, lost.message) for case in cases]
                result.process_failure = lost.status
                break
            for case in cases:
                result.cases.append(_failed(case, verdicts[case.args[1]]))
        return result

    def judge_model(self, student, dim) -> dict:
        served = student.request("serialise_model", function=self.function, args=[dim], seed=0)
        value = served.get("value")
        if _error_of(served) or not isinstance(value, dict):
            message = _error_of(served) or "the model could not be read back from your process"
            return {aspect: message for aspect, _ in ASPECTS}
        x = np.random.default_rng(dim).normal(size=(2000, dim))
        rebuilt = keras_worker.shared().request(
            "rebuild_model", config=value.get("config"), compile_config=value.get("compile_config"),
            weights=value.get("weights"), x=x, seed=0)
        if "value" not in rebuilt:
            message = "the grader could not rebuild your model: %s" % (rebuilt.get("refused") or rebuilt.get("error"))
            return {aspect: message for aspect, _ in ASPECTS}
        facts = rebuilt["value"]
        return {
            "layers": keras_model.layers_problem(facts),
            "params": keras_model.params_problem(facts, dim),
            "shapes": keras_model.shapes_problem(facts, dim),
            "compile": keras_model.compile_problem(facts),
            "loss": keras_model.loss_problem(facts),
            "inference": keras_model.inference_problem(facts, x),
            "dropout": self.dropout_in_place(facts),
        }

    @staticmethod
    def dropout_in_place(facts):
        dropouts = facts["dropouts"]
        if dropouts is None:
            return "the model could not be run on inputs of the size build_model was given"
        if len(dropouts) != 1:
            return "expected one Dropout layer, found %d" % len(dropouts)
        rate = keras_model.LAYERS[1][1]
        problem = keras_model.dropout_problem(dropouts[0]["input"], dropouts[0]["output"], rate, rtol=1e-5)
        return None if problem is None else "its Dropout layer in training: " + problem


def _error_of(answer) -> str | None:
    """What the student's code raised, in words, or None when it answered."""
    outcome = Outcome.from_response(answer)
    return outcome.error_text() if outcome.error else None


def _failed(case, message):
    label = case.label if case.public else "hidden case: " + case.label
    return CaseResult(label=label, passed=not message, message=message or "", public=case.public)


build_model = ModelTest("build_model", 4)


# --- early_stopping -------------------------------------------------------------------

# Validation losses best at epoch BEST_EPOCH (0-based), rising after it; the dip before it
# tells a patience that counts from the wrong epoch.
VAL_LOSSES = [1.0, 0.9, 0.8, 0.85, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0, 1.05, 1.1, 1.15, 1.2, 1.25]
BEST_EPOCH = 4


class CallbackTest(Test):
    """The student's EarlyStopping, rebuilt on the trusted side from its settings and run
    on scripted validation losses: when does it stop, which weights does it keep?"""

    def cases(self):
        return [Case("early_stopping()", (), public=True, expected=5),
                Case("early_stopping(patience=3)", (), kwargs={"patience": 3}, expected=3)]

    def judge(self, student, reference, case):
        answer = student.request("report_callback", function=self.function, args=[], kwargs=case.kwargs)
        if _error_of(answer):
            return _error_of(answer)
        reported = answer.get("value")
        if not isinstance(reported, dict) or reported.get("is_early_stopping") is not True:
            kind = reported.get("class") if isinstance(reported, dict) else None
            return ("return keras.callbacks.EarlyStopping itself, got %s: a class of your own, or a "
                    "subclass, is not what Keras's EarlyStopping does" % (kind if isinstance(kind, str) else "something else"))
        exercised = keras_worker.shared().request("exercise_callback", settings=reported.get("settings"),
                                                  val_losses=VAL_LOSSES)
        if "value" not in exercised:
            return "the grader could not rebuild your callback: %s" % (exercised.get("refused") or exercised.get("error"))
        return self.stopping_problem(exercised["value"], case.expected)

    @staticmethod
    def stopping_problem(run, patience):
        epochs = BEST_EPOCH + patience + 1
        if run["epochs"] == len(VAL_LOSSES):
            return ("on validation losses best at epoch %d and rising after it, it never stopped: "
                    "watch monitor='val_loss' with patience=%d" % (BEST_EPOCH + 1, patience))
        if run["epochs"] != epochs:
            return ("on validation losses best at epoch %d and rising after it, it stopped after %d "
                    "epochs; with patience=%d it should stop after %d" % (BEST_EPOCH + 1, run["epochs"], patience, epochs))
        if run["weights_of_epoch"] != BEST_EPOCH:
            return ("it kept the weights of epoch %d, not those of the best epoch %d: "
                    "restore_best_weights should be True" % (run["weights_of_epoch"] + 1, BEST_EPOCH + 1))
        return None


early_stopping = CallbackTest("early_stopping", 1)


# --- train ----------------------------------------------------------------------------

def _rising_validation_data(n=40, seed=0):
    """Learnable training rows, then validation rows labelled the opposite way: the better
    the model fits, the worse its validation loss, so early stopping must kick in."""
    x = np.random.default_rng(seed).normal(size=(n, 2))
    y = (x[:, 0] + x[:, 1] > 0).astype(float)
    split = int(n * 0.8)
    y[split:] = 1.0 - y[split:]
    return x, y.reshape(-1, 1)


def _learnable_data(n=40, seed=1):
    x = np.random.default_rng(seed).normal(size=(n, 2))
    return x, (x[:, 0] - x[:, 1] > 0).astype(float).reshape(-1, 1)


def _initial_weights(seed):
    """The weights the grader's small model starts from (a kernel (2, 1), a bias (1,))."""
    return [np.random.default_rng(seed).normal(0.0, 0.5, size=(2, 1)), np.zeros(1)]


# How closely the returned weights, evaluated here on the validation rows, must reproduce
# the History's val_loss: Keras computes it in float32, this in float64.
VAL_LOSS_RTOL, VAL_LOSS_ATOL = 1e-3, 1e-4


class TrainTest(Test):
    """Hand the student's `train` a small model with weights of the grader's; verify the
    History it returns against the weights it leaves, evaluated on the trusted side."""

    def cases(self):
        return [
            Case("train(model, X, y) with defaults on data that overfits", _rising_validation_data(),
                 public=True, expected={"epochs": 50, "batch_size": 32, "stops_early": True, "seed": 7}),
            Case("train(model, X, y, epochs=1, batch_size=16)", _learnable_data(),
                 kwargs={"epochs": 1, "batch_size": 16},
                 expected={"epochs": 1, "batch_size": 16, "stops_early": False, "seed": 8}),
        ]

    def judge(self, student, reference, case):
        x, y = case.args
        initial = _initial_weights(case.expected["seed"])
        answer = student.request("train_reference_model", function=self.function, x=x, y=y,
                                 weights=initial, kwargs=case.kwargs, seed=0)
        if _error_of(answer):
            return _error_of(answer)
        trained = answer.get("value")
        if not isinstance(trained, dict):
            return "what train returned could not be read back from your process"
        return "; ".join(training_problems(trained, x, y, initial, case.expected)) or None


def training_problems(trained, x, y, initial, expected) -> list[str]:
    """What is wrong with a training run, judged from its History and the weights it left."""
    history, params = trained.get("history"), trained.get("params")
    losses, problem = _series(history, "loss")
    val_losses, val_problem = _series(history, "val_loss")
    if problem or val_problem:
        return [problem or val_problem]
    if len(losses) != len(val_losses):
        return ["the History holds %d losses but %d val_losses" % (len(losses), len(val_losses))]
    weights = _dense_weights(trained.get("weights"), x.shape[1])
    if weights is None:
        return ["the model's weights after train could not be read (expected a kernel (%d, 1) and a bias (1,))"
                % x.shape[1]]
    problems = _params_problems(params if isinstance(params, dict) else {}, len(x), expected)
    best = int(np.argmin(val_losses))
    stopped_early = len(val_losses) < expected["epochs"]
    if expected["stops_early"] and not stopped_early:
        problems.append("training ran all %d epochs although validation loss rose: "
                        "pass callbacks=[early_stopping()]" % len(val_losses))
    elif expected["stops_early"] and len(val_losses) != best + 5 + 1:
        problems.append("training stopped after %d epochs; with patience 5 and the best epoch %d "
                        "it should stop after %d" % (len(val_losses), best + 1, best + 6))
    elif not expected["stops_early"] and len(val_losses) != expected["epochs"]:
        problems.append("ran %d epochs, expected %d" % (len(val_losses), expected["epochs"]))
    if all(np.array_equal(w, np.asarray(i, dtype=np.float32)) for w, i in zip(weights, initial)):
        return problems + ["the model was not trained: its weights are still the ones it was given"]
    if len(losses) > 1 and not losses[-1] < losses[0]:
        problems.append("the training loss did not decrease (%s, then %s)" % (fmt(losses[0]), fmt(losses[-1])))
    return problems + _weights_problems(weights, x, y, val_losses, best if stopped_early else -1)


def _series(history, key):
    """history[key] as a non-empty list of finite floats, or a message."""
    if not isinstance(history, dict):
        return None, "train should return the History that model.fit returns; its .history could not be read"
    values = history.get(key)
    if key not in history:
        return None, "no %s in the History: fit with validation_split=0.2" % key
    if not isinstance(values, list):
        return None, "the History's %s is a %s, not a list of one value per epoch" % (key, type(values).__name__)
    if not values:
        return None, "the History's %s is empty: it should hold one value per epoch" % key
    if not all(type(v) in (int, float) and math.isfinite(v) for v in values):
        return None, "the History's %s holds values that are not finite numbers" % key
    return [float(v) for v in values], None


def _dense_weights(weights, inputs):
    """The returned [kernel (inputs, 1), bias (1,)] as float32 arrays, or None."""
    if not isinstance(weights, list) or len(weights) != 2 or not all(isinstance(w, np.ndarray) for w in weights):
        return None
    kernel, bias = weights
    if kernel.shape != (inputs, 1) or bias.shape != (1,) or kernel.dtype.kind != "f" or bias.dtype.kind != "f":
        return None
    if not (np.isfinite(kernel).all() and np.isfinite(bias).all()):
        return None
    return [kernel.astype(np.float32), bias.astype(np.float32)]


def _params_problems(params, n, expected):
    params = {key: value for key, value in params.items() if type(value) in (int, str, type(None))}
    problems = []
    steps = math.ceil(round(n * 0.8) / expected["batch_size"])
    if params.get("steps") != steps:
        problems.append("%s batches per epoch, expected %d (validation_split=0.2 and batch_size=%d)"
                        % (params.get("steps"), steps, expected["batch_size"]))
    if params.get("epochs") != expected["epochs"]:
        problems.append("fit ran with epochs=%s, expected %d" % (params.get("epochs"), expected["epochs"]))
    if params.get("verbose") not in (0, None):
        problems.append("fit with verbose=0")
    return problems


def _weights_problems(weights, x, y, val_losses, epoch):
    """The returned weights on the rows validation_split=0.2 holds out (the last 20%) must give
    the History's val_loss of `epoch` (the best one when training stopped early)."""
    split = int(len(x) * 0.8)
    kernel, bias = (w.astype(np.float64) for w in weights)
    predicted = 0.5 * (1.0 + np.tanh(0.5 * (x[split:] @ kernel + bias)))
    got = keras_model.binary_cross_entropy(y[split:], predicted)
    claimed = val_losses[epoch]
    if math.isclose(got, claimed, rel_tol=VAL_LOSS_RTOL, abs_tol=VAL_LOSS_ATOL):
        return []
    if epoch != -1 and math.isclose(got, val_losses[-1], rel_tol=VAL_LOSS_RTOL, abs_tol=VAL_LOSS_ATOL):
        return ["the returned model is not the best one (restore_best_weights=True)"]
    return ["the model's weights give a validation loss of %s, but the History says %s for epoch %d: "
            "return the History of the fit that trained this model" % (fmt(got), fmt(claimed),
                                                                       len(val_losses) if epoch == -1 else epoch + 1)]


train = TrainTest("train", 3)


ASSIGNMENT = Assignment(
    "ps4_keras",
    tests=(dropout, standardize, build_model, early_stopping, train),
    mistake=Mistake("standardize", "X_train.std(axis=0)", "X_train.std(axis=0, ddof=1)"),
    frameworks=("tensorflow", "keras"),
    # Building, serialising and training Keras models take longer than one NumPy call.
    time_factors={"serialise_model": 3, "report_callback": 3, "train_reference_model": 6},
    keras_worker=True)
