"""ps4_keras (version 2, docs/contracts.md): an experiment on digits.

Points: dropout 3, standardize 2, split_indices 1, build_classifier 3, run_experiment 4
(13 autograded), plus three written answers of 2 points each that nbgrader's
formgrader grades by hand (the grader leaves those cells alone).

Dropout, standardize and split_indices are NumPy, judged by call and compare (dropout
by statistics, see `keras_model.dropout_problem`). Nothing the student's process says
about a Keras object is taken as fact: a model comes back as its Keras config and
weights and is rebuilt, allow-listed, and run by the trusted Keras worker
(`keras_worker`). `build_classifier` is called with arguments of the grader's; the
experiment is run on digits rows, rates, seeds and an epoch limit of the grader's, and
every model it returns is rebuilt and evaluated on the validation rows of its seed's
split, standardised (by the reference's `split_indices` and `standardize`, or in the
student's notebook as shipped with the package): the accuracies it reports must be
those. That `fit` ran cannot be verified (see SECURITY.md).
"""
from __future__ import annotations

import functools
import json
import math

import numpy as np

from ..files import shipped_data
from ..results import CaseResult, TestResult
from ..sandbox.student import Outcome, ProcessLost
from . import keras_model, keras_worker
from .assignment import Assignment, Mistake
from .cases import Case, FunctionTest, Test, expected_as, mistake
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
    rng = np.random.default_rng(11)
    constant = rng.normal(size=(6, 3))
    constant[:, 1] = 7.0
    return [
        Case("a 4x2 training set and a 2x2 test set", (X_train, X_test), public=True,
             expected=(np.array([[-1.3416407864998738, -1.3416407864998738], [-0.4472135954999579, -0.4472135954999579],
                                 [0.4472135954999579, 0.4472135954999579], [1.3416407864998738, 1.3416407864998738]]),
                       np.array([[0.0, -2.23606797749979], [2.23606797749979, 2.23606797749979]]),
                       np.array([2.5, 25.0]), np.array([1.118033988749895, 11.180339887498949]))),
        Case("random data with 5 features", (rng.normal(3.0, 2.0, size=(50, 5)), rng.normal(size=(8, 5)))),
        Case("a constant column (std 0)", (constant, rng.normal(size=(4, 3)))),
        Case("a single feature", (rng.normal(size=(10, 1)), rng.normal(size=(3, 1)))),
    ]


standardize = FunctionTest(
    "standardize", 2, standardize_cases, params=("X_train", "X_test"),
    names=("X_train_s", "X_test_s", "mean", "std"),
    hints=[
        mistake("sample_std", "this uses the sample std (ddof=1); the spec asks for the population std (ddof=0)"),
        mistake("own_statistics_for_test_set",
                "the test set must be scaled with the training set's mean and std, not its own"),
        expected_as(lambda case, expected: (expected[1], expected[0], *expected[2:]),
                    "check the order of the returned values: (X_train_s, X_test_s, mean, std)"),
    ])


# --- split_indices --------------------------------------------------------------------

def split_cases():
    return [
        Case("split_indices(10, 0)", (10, 0), public=True,
             expected=(np.array([3, 5, 9, 0, 8, 1]), np.array([2, 7]), np.array([4, 6]))),
        Case("split_indices(100, 3, 0.1, 0.3)", (100, 3, 0.1, 0.3), public=True,
             expected=(np.array([79, 3, 24, 89, 31, 10, 99, 68, 55, 76, 38, 64, 12, 25, 30, 88, 63, 69, 6, 52,
                                 43, 51, 77, 39, 85, 83, 61, 86, 94, 65, 90, 13, 82, 21, 20, 32, 73, 93, 74, 47,
                                 80, 92, 40, 29, 8, 9, 50, 70, 33, 26, 59, 7, 16, 14, 57, 36, 71, 54, 5, 19]),
                       np.array([58, 75, 37, 11, 48, 95, 60, 15, 4, 56]),
                       np.array([84, 45, 22, 1, 34, 23, 87, 42, 72, 96, 49, 81, 67, 46, 98, 35, 17, 41, 2, 78,
                                 44, 18, 66, 0, 53, 91, 27, 28, 62, 97]))),
        Case("val_fraction -0.1", (10, 0, -0.1, 0.2), public=True, raises="ValueError"),
        Case("the 1797 digits, seed 42", (1797, 42)),
        Case("split_indices(7, 1, 0.25, 0.25): 1.75 rows round to 2", (7, 1, 0.25, 0.25)),
        Case("no validation rows", (20, 5, 0.0, 0.5)),
        Case("test_fraction 1.0", (10, 0, 0.2, 1.0), raises="ValueError"),
        Case("fractions summing to 1", (10, 0, 0.5, 0.5), raises="ValueError"),
    ]


split_indices = FunctionTest(
    "split_indices", 1, split_cases, params=("n", "seed", "val_fraction", "test_fraction"),
    names=("train", "val", "test"), rtol=0, atol=0,
    hints=[
        mistake("split_reversed", "return (train, val, test), in that order"),
        mistake("sizes_truncated", "round the sizes with round(n * fraction), not int(...)"),
    ])


# --- build_classifier -----------------------------------------------------------------

ASPECTS = [
    ("layers", "its layers"),
    ("params", "parameter counts"),
    ("shapes", "input and output shapes"),
    ("compile", "compiled with Adam(learning_rate=0.001)"),
    ("loss", "sparse categorical cross-entropy loss and accuracy metric"),
    ("inference", "at inference it computes what its layers say"),
    ("dropout", "in training its Dropout zeroes the rate's share of units and rescales the rest"),
]


def _full_args(args):
    """(input_dim, n_classes, hidden_units, dropout_rate) of a call, with the defaults."""
    return tuple(args) + (64, 0.0)[len(args) - 2:]


def judge_rebuilt(student, function, args, x, seed=0):
    """Build a model with the student's `function(*args)`, rebuild it on the trusted Keras
    worker and run it on `x`: (facts, None), or (None, what went wrong)."""
    served = student.request("serialise_model", function=function, args=list(args), seed=seed)
    if not isinstance(served, dict):
        return None, "the model could not be read back from your process"
    value = served.get("value")
    if _error_of(served) or not isinstance(value, dict):
        return None, _error_of(served) or "the model could not be read back from your process"
    return rebuilt_facts(value, x)


def rebuilt_facts(value, x, seed=0):
    """The trusted worker's facts about a serialised model, run on `x`: (facts, None) or (None, why)."""
    if not isinstance(value, dict):
        return None, "the model could not be read back from your process"
    rebuilt = keras_worker.shared().request(
        "rebuild_model", config=value.get("config"), compile_config=value.get("compile_config"),
        weights=value.get("weights"), x=x, seed=seed)
    if "value" not in rebuilt:
        return None, "the grader could not rebuild your model: %s" % (rebuilt.get("refused") or rebuilt.get("error"))
    return rebuilt["value"], None


def architecture_problem(facts, spec, input_dim) -> str | None:
    """The first of the rebuilt model's structure and compile settings that differs from `spec`."""
    return (keras_model.layers_problem(facts, spec) or keras_model.params_problem(facts, spec, input_dim)
            or keras_model.shapes_problem(facts, spec, input_dim) or keras_model.compile_problem(facts)
            or keras_model.loss_problem(facts))


class ClassifierTest(Test):
    """Build the student's classifier with arguments of the grader's; judge each aspect of
    the copy the trusted worker rebuilt from its config and weights, as one case."""

    # (the arguments build_classifier is called with, public)
    configs = [((5, 3), True), ((4, 6, 12, 0.3), True), ((7, 10, 20, 0.5), False), ((3, 4, 9, 0.0), False)]

    def cases(self):
        cases = []
        for args, public in self.configs:
            call = "build_classifier(%s)" % ", ".join(repr(arg) for arg in args)
            for aspect, text in ASPECTS:
                if aspect != "dropout" or _full_args(args)[3] > 0:
                    cases.append(Case("%s: %s" % (call, text), (args, aspect), public=public))
        return cases

    def run(self, student, reference=None):
        result = TestResult(self.grade_id, self.points, title=self.function)
        for args, public in self.configs:
            if reference is None and not public:
                continue
            cases = [case for case in self.cases() if case.args[0] == args]
            try:
                verdicts = self.judge_model(student, args)
            except ProcessLost as lost:
                result.cases += [_failed(case, lost.message) for case in cases]
                result.process_failure = lost.status
                break
            for case in cases:
                result.cases.append(_failed(case, verdicts[case.args[1]]))
        return result

    def judge_model(self, student, args) -> dict:
        input_dim, n_classes, hidden_units, rate = _full_args(args)
        spec = keras_model.classifier_layers(n_classes, hidden_units, rate)
        x = np.random.default_rng(input_dim).normal(size=(2000, input_dim))
        facts, problem = judge_rebuilt(student, self.function, args, x)
        if problem:
            return {aspect: problem for aspect, _ in ASPECTS}
        return {
            "layers": keras_model.layers_problem(facts, spec),
            "params": keras_model.params_problem(facts, spec, input_dim),
            "shapes": keras_model.shapes_problem(facts, spec, input_dim),
            "compile": keras_model.compile_problem(facts),
            "loss": keras_model.loss_problem(facts),
            "inference": keras_model.inference_problem(facts, x),
            "dropout": self.dropout_in_place(facts, rate),
        }

    @staticmethod
    def dropout_in_place(facts, rate):
        dropouts = facts["dropouts"]
        if dropouts is None:
            return "the model could not be run on inputs of the size build_classifier was given"
        if len(dropouts) != 1:
            return "expected one Dropout layer, found %d" % len(dropouts)
        problem = keras_model.dropout_problem(dropouts[0]["input"], dropouts[0]["output"], rate, rtol=1e-5)
        return None if problem is None else "its Dropout layer in training: " + problem


def _error_of(answer) -> str | None:
    """What the student's code raised, in words, or None when it answered."""
    outcome = Outcome.from_response(answer)
    return outcome.error_text() if outcome.error else None


def _failed(case, message):
    label = case.label if case.public else "hidden case: " + case.label
    return CaseResult(label=label, passed=not message, message=message or "", public=case.public)


build_classifier = ClassifierTest("build_classifier", 3)


# --- run_experiment -------------------------------------------------------------------

# The experiment the grader runs: digits rows, rates, seeds and epochs of its own choosing,
# a bounded amount of fitting (4 models of 3 epochs on 480 training rows: about 8 s).
ROWS, RATES, SEEDS, EPOCHS = 800, [0.0, 0.4], [3, 17], 3
# A reported accuracy may differ from the grader's by one validation row: the student's
# process and the trusted worker round float32 sums differently, which can flip a near tie.
MEAN_STD_ATOL = 1e-6
# Chance on ten classes is 0.1; the reference's models get 0.55 to 0.77 here.
TRAINED_ACCURACY = 0.3
# The validation rows for the student's notebook, which has no reference (see `validation_rows`).
VALIDATION = shipped_data("ps4_validation.json")

EXPERIMENT_ASPECTS = [
    ("entries", "one entry per rate with val_accuracy, mean, std and a model per seed"),
    ("architecture", "every model is build_classifier(64, 10, 64, rate) (rebuilt by the grader)"),
    ("accuracies", "each reported val_accuracy is the model's accuracy on its seed's validation rows"),
    ("summary", "mean and std (population) are those of the accuracies"),
    ("trained", "every model was trained (accuracy well above chance)"),
]


@functools.lru_cache(maxsize=1)
def experiment_data():
    """The grader's rows of digits, scaled by 1/16 (whole sixteenths), and their labels."""
    from sklearn.datasets import load_digits
    X, y = load_digits(return_X_y=True)
    rows = np.sort(np.random.default_rng(2026).permutation(len(X))[:ROWS])
    return X[rows] / 16.0, y[rows].astype(np.int64)


def validation_rows(seed, reference=None):
    """The grader's validation rows of `seed`'s split of its digits (docs/contracts.md),
    standardised with the training rows' statistics: (X_val, y_val).

    With the reference solutions (the grader's side) they are computed by its
    `split_indices` and `standardize`. The student's notebook has none, so it reads them
    from `data/ps4_validation.json` (made from the reference by
    `authoring.ps4_validation`): the validation rows' indices and, the digits being whole
    sixteenths, each column's standardised value of every sixteenth, looked up here.
    """
    X, y = experiment_data()
    if reference is not None:
        train, val, _ = reference.split_indices(len(X), seed)
        return reference.standardize(X[train], X[val])[1], y[val]
    shipped = shipped_validation()[str(seed)]
    rows = np.array(shipped["rows"], dtype=np.int64)
    sixteenths = np.rint(X[rows] * 16).astype(np.int64)
    return np.array(shipped["values"])[sixteenths, np.arange(X.shape[1])], y[rows]


@functools.lru_cache(maxsize=1)
def shipped_validation() -> dict:
    """seed -> {"rows": validation row indices, "values": (17, features) standardised sixteenths}."""
    with open(VALIDATION, encoding="utf-8") as handle:
        return json.load(handle)


class ExperimentTest(Test):
    """Run the student's experiment once, on the grader's data, rates, seeds and epochs;
    rebuild every returned model on the trusted worker and evaluate it on its seed's
    validation rows; judge each aspect as one case."""

    def cases(self):
        call = "run_experiment(%d digits, %s, %s, %d)" % (ROWS, RATES, SEEDS, EPOCHS)
        return [Case("%s: %s" % (call, text), (aspect,), public=True) for aspect, text in EXPERIMENT_ASPECTS]

    def run(self, student, reference=None):
        result = TestResult(self.grade_id, self.points, title=self.function)
        try:
            verdicts = self.judge_experiment(student, reference)
        except ProcessLost as lost:
            result.cases = [_failed(case, lost.message) for case in self.cases()]
            result.process_failure = lost.status
            return result
        result.cases = [_failed(case, verdicts[case.args[0]]) for case in self.cases()]
        return result

    def judge_experiment(self, student, reference=None) -> dict:
        X, y = experiment_data()
        answer = student.request("serialise_experiment", function=self.function,
                                 args=[X, y, list(RATES), list(SEEDS), EPOCHS])
        if not isinstance(answer, dict) or _error_of(answer) or not isinstance(answer.get("value"), list):
            message = (_error_of(answer) if isinstance(answer, dict) else None) or \
                "what run_experiment returned could not be read back from your process"
            return {aspect: message for aspect, _ in EXPERIMENT_ASPECTS}
        entries, problem = experiment_entries(answer["value"])
        if problem:
            return {aspect: problem for aspect, _ in EXPERIMENT_ASPECTS}
        architecture, unverified, accuracies, trained = [], [], [], []
        rows = {seed: validation_rows(seed, reference) for seed in SEEDS}
        for rate, entry in zip(RATES, entries):
            spec = keras_model.classifier_layers(10, 64, rate)
            for seed, reported, model in zip(SEEDS, entry["val_accuracy"], entry["models"]):
                where = "rate %g, seed %d: " % (rate, seed)
                x_val, y_val = rows[seed]
                if isinstance(model, str):
                    unverified.append(where + "the model is " + model)
                    continue
                facts, problem = rebuilt_facts(model, x_val)
                problem = problem or keras_model.inference_problem(facts, x_val)
                if problem:
                    unverified.append(where + problem)
                    continue
                problem = architecture_problem(facts, spec, X.shape[1])
                if problem:
                    architecture.append(where + problem)
                ours = keras_model.accuracy(facts["inference"][0], y_val)
                if ours is None:
                    unverified.append(where + "the model does not give one row of %d scores per digit" % 10)
                    continue
                if not abs(reported - ours) <= 1.0 / len(y_val) + 1e-9:
                    accuracies.append(where + "you report a validation accuracy of %s, the model you returned "
                                      "gets %s on that seed's validation rows (standardised with its training "
                                      "rows' statistics, dropout off)" % (fmt(reported), fmt(ours)))
                if ours < TRAINED_ACCURACY:
                    trained.append(where + "the model gets %s on the validation rows, about chance (0.1): "
                                   "was it fitted?" % fmt(ours))
        if unverified:
            # Numbers without models the grader can run are numbers written down: they earn nothing.
            message = "the grader could not check your experiment with the models it returned: " + \
                "; ".join(unverified[:3])
            return {aspect: message for aspect, _ in EXPERIMENT_ASPECTS}
        return {"entries": None, "architecture": "; ".join(architecture[:3]) or None,
                "accuracies": "; ".join(accuracies[:3]) or None, "summary": summary_problem(entries),
                "trained": "; ".join(trained[:3]) or None}


def experiment_entries(value):
    """The entries for the grader's rates, in its order, each with val_accuracy (finite
    floats), mean, std and models, one per seed: (entries, None) or (None, why)."""
    by_rate = {}
    for entry in value:
        rate = entry.get("rate") if isinstance(entry, dict) else None
        if type(rate) in (int, float) and math.isfinite(rate):
            by_rate.setdefault(float(rate), entry)
    found = []
    for rate in RATES:
        entry = by_rate.get(float(rate))
        if entry is None:
            return None, ("no entry for the rate %g: return a dict keyed by each rate of dropout_rates "
                          "(got the keys %s)" % (rate, sorted(by_rate)))
        for key in ("val_accuracy", "mean", "std", "models"):
            if key not in entry or entry[key] is None:
                return None, "the entry of rate %g has no %r (or it could not be read)" % (rate, key)
        accuracies, models = _numbers(entry["val_accuracy"]), entry["models"]
        if accuracies is None or len(accuracies) != len(SEEDS) or \
                not all(type(a) in (int, float) and math.isfinite(a) for a in accuracies):
            return None, "the val_accuracy of rate %g should be %d numbers, one per seed, got %s" % (
                rate, len(SEEDS), describe(accuracies))
        if not isinstance(models, list) or len(models) != len(SEEDS):
            return None, "the models of rate %g should be a list of %d models, one per seed, got %s" % (
                rate, len(SEEDS), describe(models))
        if not all(type(entry[key]) in (int, float) and math.isfinite(entry[key]) for key in ("mean", "std")):
            return None, "the mean and std of rate %g should be numbers" % rate
        found.append({**entry, "val_accuracy": accuracies})
    return found, None


def _numbers(value):
    """A list, tuple or 1-D float or integer array as a list of Python numbers, or None."""
    if isinstance(value, np.ndarray):
        if value.ndim != 1 or value.dtype.kind not in "fiu":
            return None
        return [float(item) for item in value]
    if isinstance(value, (list, tuple)):
        return list(value)
    return None


def summary_problem(entries) -> str | None:
    for rate, entry in zip(RATES, entries):
        accuracies = np.asarray(entry["val_accuracy"], dtype=np.float64)
        mean, std = float(np.mean(accuracies)), float(np.std(accuracies))
        if not math.isclose(entry["mean"], mean, abs_tol=MEAN_STD_ATOL):
            return "rate %g: the mean is %s, but the accuracies' mean is %s" % (rate, fmt(entry["mean"]), fmt(mean))
        if not math.isclose(entry["std"], std, abs_tol=MEAN_STD_ATOL):
            hint = ""
            if math.isclose(entry["std"], float(np.std(accuracies, ddof=1)), abs_tol=MEAN_STD_ATOL):
                hint = ": use the population std (np.std's default, ddof=0)"
            return "rate %g: the std is %s, but the accuracies' std is %s%s" % (
                rate, fmt(entry["std"]), fmt(std), hint)
    return None


run_experiment = ExperimentTest("run_experiment", 4)


ASSIGNMENT = Assignment(
    "ps4_keras",
    tests=(dropout, standardize, split_indices, build_classifier, run_experiment),
    mistake=Mistake("standardize", "X_train.std(axis=0)", "X_train.std(axis=0, ddof=1)"),
    frameworks=("tensorflow", "keras"),
    # Building and serialising a model takes longer than one NumPy call; the experiment
    # fits four small models (about 8 s here).
    time_factors={"serialise_model": 3, "serialise_experiment": 12},
    keras_worker=True)
