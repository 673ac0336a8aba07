"""ps4_keras: Keras, dropout and overfitting.

Points: dropout 3, standardize 2, build_model 4, early_stopping 1, train 3 (13 in all).
Dropout is judged by behaviour and statistics (see `keras_model.dropout_problem`), the
model by its structured description and what it computes, `train` by what its History
shows when it trains a small model the grader builds itself.
"""
from __future__ import annotations

import math

import numpy as np

from ..results import CaseResult, TestResult
from ..sandbox.student import Outcome, ProcessLost
from . import keras_model
from .assignment import Assignment, Mistake
from .cases import Case, FunctionTest, Test, same_as, with_reference
from .compare import as_float_array, compare, describe



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
    """Build the student's model and judge each aspect of it as one case."""

    configs = [(2, True), (5, False)]  # (input_dim, public)

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
        built = student.request("describe_model", function=self.function, args=[dim], seed=0)
        if built.get("error"):
            message = Outcome(error=built["error"]).error_text()
            return {aspect: message for aspect, _ in ASPECTS}
        description = built["value"]
        x = np.random.default_rng(dim).normal(size=(2000, dim))
        behaviour = student.request("model_behaviour", x=x, seed=0)
        return {
            "layers": keras_model.layers_problem(description),
            "params": keras_model.params_problem(description, dim),
            "shapes": keras_model.shapes_problem(description, dim),
            "compile": keras_model.compile_problem(description),
            "loss": keras_model.loss_problem(description),
            "inference": behaviour.get("error") and "running the model failed" or
            keras_model.inference_problem(description, behaviour["value"], x),
            "dropout": self.dropout_in_place(behaviour),
        }

    @staticmethod
    def dropout_in_place(behaviour):
        if behaviour.get("error"):
            return "running the model failed"
        dropouts = behaviour["value"]["dropouts"]
        if len(dropouts) != 1:
            return "expected one Dropout layer, found %d" % len(dropouts)
        rate = keras_model.LAYERS[1][1]
        problem = keras_model.dropout_problem(dropouts[0]["input"], dropouts[0]["output"], rate, rtol=1e-5)
        return None if problem is None else "its Dropout layer in training: " + problem


def _failed(case, message):
    label = case.label if case.public else "hidden case: " + case.label
    return CaseResult(label=label, passed=not message, message=message or "", public=case.public)


build_model = ModelTest("build_model", 4)


# --- early_stopping -------------------------------------------------------------------

class CallbackTest(Test):
    """The student's EarlyStopping callback, judged by its attributes."""

    def cases(self):
        return [Case("early_stopping()", (), public=True, expected=5),
                Case("early_stopping(patience=3)", (), kwargs={"patience": 3}, expected=3)]

    def judge(self, student, reference, case):
        answer = student.request("describe_callback", function=self.function, args=[], kwargs=case.kwargs)
        if answer.get("error"):
            return Outcome(error=answer["error"]).error_text()
        callback = answer["value"]
        wanted = {"class": "EarlyStopping", "monitor": "val_loss", "patience": case.expected,
                  "restore_best_weights": True}
        wrong = ["%s should be %r, got %r" % (key, value, callback.get(key))
                 for key, value in wanted.items() if callback.get(key) != value]
        return "; ".join(wrong) or None


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


class TrainTest(Test):
    """Hand the student's `train` a small model and read what its History says."""

    def cases(self):
        return [
            Case("train(model, X, y) with defaults on data that overfits", _rising_validation_data(),
                 public=True, expected={"epochs": 50, "batch_size": 32, "stops_early": True}),
            Case("train(model, X, y, epochs=1, batch_size=16)", _learnable_data(),
                 kwargs={"epochs": 1, "batch_size": 16},
                 expected={"epochs": 1, "batch_size": 16, "stops_early": False}),
        ]

    def judge(self, student, reference, case):
        x, y = case.args
        answer = student.request("fit_reference_model", function=self.function, x=x, y=y,
                                 kwargs=case.kwargs, seed=0)
        if answer.get("error"):
            return Outcome(error=answer["error"]).error_text()
        fit = answer["value"]
        if fit.get("class") != "History" or "history" not in fit:
            return "train should return the History that model.fit returns, got %s" % fit.get("class")
        return "; ".join(self.history_problems(fit, len(x), case.expected)) or None

    @staticmethod
    def history_problems(fit, n, expected):
        history, params = fit["history"], fit.get("params", {})
        problems = []
        if "val_loss" not in history:
            return ["no val_loss in the History: fit with validation_split=0.2"]
        steps = math.ceil(round(n * 0.8) / expected["batch_size"])
        if params.get("steps") != steps:
            problems.append("%s batches per epoch, expected %d (validation_split=0.2 and batch_size=%d)"
                            % (params.get("steps"), steps, expected["batch_size"]))
        if params.get("epochs") != expected["epochs"]:
            problems.append("fit ran with epochs=%s, expected %d" % (params.get("epochs"), expected["epochs"]))
        if params.get("verbose") not in (0, None):
            problems.append("fit with verbose=0")
        losses = history["val_loss"]
        best = int(np.argmin(losses))
        if expected["stops_early"]:
            if len(losses) >= expected["epochs"]:
                problems.append("training ran all %d epochs although validation loss rose: "
                                "pass callbacks=[early_stopping()]" % len(losses))
            elif len(losses) != best + 5 + 1:
                problems.append("training stopped after %d epochs; with patience 5 and the best "
                                "epoch %d it should stop after %d" % (len(losses), best + 1, best + 6))
            elif not math.isclose(fit["final_val_loss"], losses[best], rel_tol=1e-3, abs_tol=1e-4):
                problems.append("the returned model is not the best one (restore_best_weights=True)")
        elif len(losses) != expected["epochs"]:
            problems.append("ran %d epochs, expected %d" % (len(losses), expected["epochs"]))
        return problems


train = TrainTest("train", 3)


ASSIGNMENT = Assignment(
    "ps4_keras",
    tests=(dropout, standardize, build_model, early_stopping, train),
    mistake=Mistake("standardize", "X_train.std(axis=0)", "X_train.std(axis=0, ddof=1)"),
    frameworks=("tensorflow", "keras"),
    # Building, running and training Keras models take longer than one NumPy call.
    time_factors={"describe_model": 3, "model_behaviour": 3, "fit_reference_model": 6})
