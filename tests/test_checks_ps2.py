"""The ps2_learning checks (version 2): fair to right answers, however written; firm with wrong ones."""
import time

import numpy as np
import pytest

from autograder.checks import ps2_learning as checks
from autograder.checks.cases import MISSING
from autograder.notebooks import cells as notebooks
from check_helpers import REPO, Impostor, failures, grade, passed_fraction, reference_of, student

REF = reference_of("ps2_learning")
TESTS = {test.function: test for test in checks.ASSIGNMENT.tests}


def run(function, variant, full=True):
    return grade(TESTS[function], student(REF, **{function: variant}), REF if full else None)


def as_arrays(y_true, y_pred):
    return np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)


# --- mse ---------------------------------------------------------------------------------

def checked(loss):
    """A loss that refuses mismatched shapes, as the contract asks."""
    def function(y_true, y_pred, *args, **kwargs):
        y_true, y_pred = as_arrays(y_true, y_pred)
        if y_true.shape != y_pred.shape:
            raise ValueError("shapes differ")
        return loss(y_true, y_pred, *args, **kwargs)
    return function


@pytest.mark.parametrize("mistake, hint", [
    (lambda t, p: np.sum((t - p) ** 2), "divide by their number"),
    (lambda t, p: np.sqrt(np.mean((t - p) ** 2)), "RMSE"),
    (lambda t, p: np.sum((t - p) ** 2) / (t.size - 1), "divides by n - 1"),
    (lambda t, p: np.var(t - p), "np.var subtracts the mean error"),
    (lambda t, p: np.mean(np.abs(t - p)), "this is the MAE"),
], ids=["sum", "rmse", "ddof", "var", "mae"])
def test_mse_mistakes_are_named(mistake, hint):
    result = run("mse", checked(mistake), full=False)
    assert hint in failures(result)
    assert not result.passed


def test_a_loss_that_broadcasts_mismatched_shapes_loses_those_cases_only():
    def mse(y_true, y_pred):
        return float(np.mean((np.asarray(y_true) - np.asarray(y_pred)) ** 2))
    result = run("mse", mse)
    assert [case.label for case in result.cases if not case.passed] == [
        "y_true of shape (3,) and y_pred of shape (3, 1): mismatched shapes"]
    assert "should raise ValueError for this input, but returned a single number" in failures(result)


def mse_loops(y_true, y_pred):
    y_true, y_pred = as_arrays(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError("y_true and y_pred differ in shape")
    total = 0.0
    for t, p in zip(y_true.ravel(), y_pred.ravel()):
        total += (t - p) ** 2
    return total / y_true.size


@pytest.mark.parametrize("variant", [mse_loops, checked(lambda t, p: np.square(t - p).mean()),
                                     checked(lambda t, p: np.average((p - t) ** 2))])
def test_mse_alternatives(variant):
    assert run("mse", variant).passed


# --- binary_cross_entropy ----------------------------------------------------------------

def unclipped_bce(y_true, p, eps=1e-7):
    y, p = as_arrays(y_true, p)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def test_unclipped_bce_is_told_to_clip():
    result = run("binary_cross_entropy", checked(unclipped_bce), full=False)
    message = failures(result)
    assert "where a finite number was expected" in message and "clip p" in message
    assert result.score == 1  # the first public case has no p at 0 or 1


@pytest.mark.parametrize("mistake, hint", [
    (lambda y, p, eps=1e-7: REF.binary_cross_entropy(p, y), "the arguments are swapped"),
    (lambda y, p, eps=1e-7: -REF.binary_cross_entropy(y, p), "the sign is flipped"),
    (lambda y, p, eps=1e-7: REF.binary_cross_entropy(y, p) * np.size(y), "divide by their number"),
], ids=["swapped", "sign", "sum"])
def test_bce_mistakes_are_named(mistake, hint):
    assert hint in failures(run("binary_cross_entropy", mistake, full=False))


def bce_where(y_true, p, eps=1e-7):
    y, p = as_arrays(y_true, p)
    if y.shape != p.shape:
        raise ValueError("shapes differ")
    p = np.clip(p, eps, 1 - eps)
    return float(np.mean(np.where(y == 1, -np.log(p), -np.log1p(-p))))


def test_bce_alternative():
    assert run("binary_cross_entropy", bce_where).passed


# --- minibatches -------------------------------------------------------------------------

def batches_of(order, batch_size):
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def test_unshuffled_batches_are_named():
    result = run("minibatches", lambda n, b, rng: batches_of(np.arange(n), b))
    assert "not shuffled" in failures(result)


def test_shuffling_with_np_random_is_named():
    def minibatches(n_samples, batch_size, rng):
        # NumPy's global generator, seeded here so that no small case matches by chance
        return batches_of(np.random.RandomState(1).permutation(n_samples), batch_size)
    result = run("minibatches", minibatches, full=False)
    assert result.score == 0
    assert "use the rng you were given (not np.random)" in failures(result)


def test_dropping_the_short_last_batch_is_named():
    def minibatches(n_samples, batch_size, rng):
        order = rng.permutation(n_samples)
        return [order[i:i + batch_size] for i in range(0, n_samples - batch_size + 1, batch_size)]
    result = run("minibatches", minibatches)
    assert "the last, shorter batch is missing" in failures(result)
    assert 0 < result.score < 2  # right where the batches divide the data evenly


def test_splitting_into_equal_parts_is_not_batching():
    def minibatches(n_samples, batch_size, rng):
        return np.array_split(rng.permutation(n_samples), -(-n_samples // batch_size))
    assert not run("minibatches", minibatches).passed


def test_float_batches_fail():
    def minibatches(n_samples, batch_size, rng):
        return [batch.astype(float) for batch in REF.minibatches(n_samples, batch_size, rng)]
    assert "must hold integers" in failures(run("minibatches", minibatches, full=False))


def test_a_batch_that_is_not_numbers_fails_without_breaking_the_shuffle_hint():
    def minibatches(n_samples, batch_size, rng):
        return REF.minibatches(n_samples, batch_size, rng)[:-1] + [[None, None]]
    result = run("minibatches", minibatches, full=False)
    assert not result.passed
    assert "expected an array of shape (2,), got a list of 2 items" in failures(result)


def minibatches_shuffle(n_samples, batch_size, rng):
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    order = np.arange(n_samples)
    rng.shuffle(order)
    return batches_of(order, batch_size)


def minibatches_lists(n_samples, batch_size, rng):
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    return [list(map(int, batch)) for batch in batches_of(rng.permutation(n_samples), batch_size)]


@pytest.mark.parametrize("variant", [minibatches_shuffle, minibatches_lists])
def test_minibatches_alternatives(variant):
    assert run("minibatches", variant).passed


# --- centred_gradient ----------------------------------------------------------------------

def differences(kind="centred", fixed_h=None, flatten=False, keep_dtype=False, check_h=True):
    """centred_gradient written with a given difference and a possible slip."""
    def centred_gradient(f, x, h=1e-5):
        if check_h and not h > 0:
            raise ValueError("h must be positive")
        h = fixed_h or h
        x = np.array(x) if keep_dtype else np.array(x, dtype=float)
        slope = np.zeros(x.shape)
        for index in np.ndindex(x.shape):
            step = np.zeros_like(x)
            step[index] = h
            if kind == "centred":
                slope[index] = (f(x + step) - f(x - step)) / (2 * h)
            elif kind == "forward":
                slope[index] = (f(x + step) - f(x)) / h
            elif kind == "over h":
                slope[index] = (f(x + step) - f(x - step)) / h
            elif kind == "flipped":
                slope[index] = (f(x - step) - f(x + step)) / (2 * h)
        return slope.ravel() if flatten else slope
    return centred_gradient


@pytest.mark.parametrize("mistake, hint", [
    (differences("forward"), "this is a forward difference"),
    (differences("over h"), "divide by 2h"),
    (differences("flipped"), "the sign is flipped"),
], ids=["forward", "over h", "flipped"])
def test_centred_gradient_mistakes_are_named_on_public_cases(mistake, hint):
    result = run("centred_gradient", mistake, full=False)
    assert result.score == 0
    assert hint in failures(result)


@pytest.mark.parametrize("mistake, hint", [
    (differences(fixed_h=1e-5), "use the h you were given"),
    (differences(flatten=True), "the gradient must have the shape of x"),
    (differences(keep_dtype=True), "work on a float64 copy"),
], ids=["fixed h", "flattened", "float32"])
def test_centred_gradient_slips_cost_some_cases_and_are_named(mistake, hint):
    result = run("centred_gradient", mistake)
    assert hint in failures(result)
    assert 0 < result.score < 2


def test_a_forward_difference_fails_even_at_a_small_h():
    result = run("centred_gradient", differences("forward"))
    failed = [case.label for case in result.cases if not case.passed]
    assert "hidden case: f(x) = sum(sin(x)) at random x of shape (6,) with h = 1e-3" in failed
    assert "f(x) = sum(sin(x)) at x = [0, 1, 2] with the default h" in failed


def test_an_unchecked_h_loses_only_that_case():
    result = run("centred_gradient", differences(check_h=False))
    assert [case.label for case in result.cases if not case.passed] == ["hidden case: h = 0"]


def test_nudging_x_in_place_without_putting_it_back_fails():
    def centred_gradient(f, x, h=1e-5):
        if not h > 0:
            raise ValueError("h must be positive")
        x = x if isinstance(x, np.ndarray) and x.dtype == float else np.array(x, dtype=float)
        slope = np.zeros(x.shape)
        for index in np.ndindex(x.shape):
            x[index] += h
            above = f(x)
            x[index] -= 2 * h
            below = f(x)
            slope[index] = (above - below) / (2 * h)
        return slope
    assert "changed its input x in place" in failures(run("centred_gradient", centred_gradient))


def centred_with_identity_rows(f, x, h=1e-5):
    if h <= 0:
        raise ValueError("h must be positive")
    x = np.asarray(x, dtype=np.float64)
    steps = np.eye(x.size).reshape((x.size,) + x.shape) * h
    return np.array([(f(x + step) - f(x - step)) / (2 * h) for step in steps]).reshape(x.shape)


def centred_restoring_a_copy(f, x, h=1e-5):
    if h <= 0:
        raise ValueError("h must be positive")
    point = np.array(x, dtype=float)
    slope = np.empty_like(point)
    flat, out = point.reshape(-1), slope.reshape(-1)
    for i in range(flat.size):
        keep = flat[i]
        flat[i] = keep + h
        above = f(point)
        flat[i] = keep - h
        below = f(point)
        flat[i] = keep
        out[i] = (above - below) / (2 * h)
    return slope


@pytest.mark.parametrize("variant", [centred_with_identity_rows, centred_restoring_a_copy])
def test_centred_gradient_alternatives(variant):
    assert run("centred_gradient", variant).passed


def test_the_expected_gradients_are_closed_forms_the_reference_agrees_with():
    for case in TESTS["centred_gradient"].cases():
        if case.raises:
            continue
        assert case.expected is MISSING  # computed by the check, with or without a reference
        name, x, h = checks._parts(case)
        exact = TESTS["centred_gradient"].expected(REF, case)
        numeric = REF.centred_gradient(checks.wire.FUNCTIONS[name], x, h)
        np.testing.assert_allclose(numeric, exact, rtol=1e-8, atol=1e-9, err_msg=case.label)


# --- relative_error ------------------------------------------------------------------------

def norms(denominator):
    def relative_error(a, b):
        a, b = as_arrays(a, b)
        if a.shape != b.shape:
            raise ValueError("shapes differ")
        return float(np.linalg.norm(a - b) / denominator(a, b))
    return relative_error


@pytest.mark.parametrize("mistake, hint", [
    (norms(lambda a, b: np.linalg.norm(a) + np.linalg.norm(b)), "0 / 0"),
    (norms(lambda a, b: max(np.linalg.norm(a), 1e-12)), "divides by norm(a) only"),
    (norms(lambda a, b: max(np.linalg.norm(a + b), 1e-12)), "not norm(a + b)"),
    (norms(lambda a, b: 1.0), "this is the absolute error"),
], ids=["no floor", "norm a", "norm of sum", "absolute"])
def test_relative_error_mistakes_are_named(mistake, hint):
    result = run("relative_error", mistake, full=False)
    assert hint in failures(result)
    assert not result.passed


def test_the_largest_entry_form_is_named():
    def relative_error(a, b):
        a, b = as_arrays(a, b)
        if a.shape != b.shape:
            raise ValueError("shapes differ")
        return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)), np.max(np.abs(b)), 1e-12))
    result = run("relative_error", relative_error)
    assert "Euclidean norms over all elements" in failures(result)


def relative_error_flat(a, b):
    if np.shape(a) != np.shape(b):
        raise ValueError("a and b differ in shape")
    a, b = np.ravel(np.asarray(a, dtype=float)), np.ravel(np.asarray(b, dtype=float))
    return float(np.sqrt(np.dot(a - b, a - b)) / max(np.sqrt(a @ a) + np.sqrt(b @ b), 1e-12))


def relative_error_hypot(a, b):
    a, b = as_arrays(a, b)
    if a.shape != b.shape:
        raise ValueError("shapes differ")
    scale = np.linalg.norm(a.ravel()) + np.linalg.norm(b.ravel())
    return float(np.linalg.norm((a - b).ravel()) / (scale if scale > 1e-12 else 1e-12))


@pytest.mark.parametrize("variant", [relative_error_flat, relative_error_hypot])
def test_relative_error_alternatives(variant):
    assert run("relative_error", variant).passed


# --- logistic_gradients ----------------------------------------------------------------------

def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def gradients(slip=None):
    """logistic_gradients with one of the usual slips."""
    def logistic_gradients(w, b, X, y):
        X, y, w = np.asarray(X, dtype=float), np.asarray(y, dtype=float), np.asarray(w, dtype=float)
        if w.shape != (X.shape[1],) or y.shape != (len(X),):
            raise ValueError("shapes differ")
        p = sigmoid(X @ w + (0.0 if slip == "no bias" else b))
        error = y - p if slip == "sign" else p - y
        if slip == "slope":
            error = error * p * (1 - p)
        n = 1 if slip == "sum" else len(X)
        db = error / n if slip == "db array" else float(np.sum(error) / n)
        return X.T @ error / n, db
    return logistic_gradients


@pytest.mark.parametrize("slip, hint", [
    ("sign", "the sign is flipped"),
    ("sum", "divide by n"),
    ("db array", "db is one number"),
    ("slope", "it cancels, dL/dz = p - y"),
], ids=["sign", "sum", "db array", "slope"])
def test_logistic_gradient_mistakes_are_named_on_public_cases(slip, hint):
    result = run("logistic_gradients", gradients(slip), full=False)
    assert hint in failures(result)
    assert not result.passed


def test_a_missing_bias_is_named_in_hidden_cases():
    result = run("logistic_gradients", gradients("no bias"))
    assert "the bias is missing" in failures(result)
    assert 0 < result.score < 3  # the cases with b = 0 pass


def logistic_gradients_by_rows(w, b, X, y):
    X, y, w = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64), np.asarray(w, dtype=np.float64)
    if X.ndim != 2 or w.shape != (X.shape[1],) or y.shape != (len(X),):
        raise ValueError("X (n, d), w (d,) and y (n,) do not fit together")
    dw, db = np.zeros_like(w), 0.0
    for row, label in zip(X, y):
        z = row @ w + b
        p = np.exp(-np.logaddexp(0.0, -z))  # sigmoid without overflow
        dw += (p - label) * row
        db += p - label
    return dw / len(X), np.float64(db / len(X))


def logistic_gradients_einsum(w, b, X, y):
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    if w.shape != X.shape[1:] or y.shape != X.shape[:1]:
        raise ValueError("shapes do not fit")
    residual = 0.5 * (1 + np.tanh(0.5 * (X @ w + b))) - y
    return np.einsum("n,nd->d", residual, X) / len(y), residual.mean()


@pytest.mark.parametrize("variant", [logistic_gradients_by_rows, logistic_gradients_einsum])
def test_logistic_gradients_alternatives(variant):
    assert run("logistic_gradients", variant).passed


# --- fit_logistic ----------------------------------------------------------------------------

def fitting(slip=None):
    """fit_logistic built from the reference's pieces, with one of the usual slips."""
    def fit_logistic(X, y, learning_rate, epochs, batch_size, seed):
        X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
        rng = np.random.default_rng(seed)
        w, b, losses = np.zeros(X.shape[1]), 0.0, []
        drawn_once = REF.minibatches(len(X), batch_size, rng) if slip == "batches once" else None
        for _ in range(epochs):
            if slip == "loss before":
                losses.append(REF.binary_cross_entropy(y, sigmoid(X @ w + b)))
            if slip == "rng per epoch":
                rng = np.random.default_rng(seed)
            batches = drawn_once or REF.minibatches(len(X), batch_size, rng)
            for batch in batches:
                dw, db = REF.logistic_gradients(w, b, X[batch], y[batch])
                if slip == "uphill":
                    w, b = w + learning_rate * dw, b + learning_rate * db
                else:
                    w, b = w - learning_rate * dw, b - learning_rate * db
            if slip != "loss before":
                losses.append(REF.binary_cross_entropy(y, sigmoid(X @ w + b)))
        return w, b, losses
    return fit_logistic


def test_fit_logistic_from_the_references_pieces_passes():
    with np.errstate(over="ignore"):
        assert run("fit_logistic", fitting()).passed


@pytest.mark.parametrize("slip", ["batches once", "rng per epoch"])
def test_the_same_batches_every_epoch_are_named_and_still_learn(slip):
    result = run("fit_logistic", fitting(slip))
    assert "every epoch uses the same batches" in failures(result)
    held_out = [case for case in result.cases if "held-out" in case.label]
    assert len(held_out) == 2 and all(case.passed for case in held_out)
    assert 0 < result.score < 4


def test_losses_recorded_before_the_epoch_are_named():
    result = run("fit_logistic", fitting("loss before"), full=False)
    assert "record it after the epoch's steps" in failures(result)


def test_steps_uphill_are_named_and_fail_on_held_out_rows():
    with np.errstate(over="ignore"):
        result = run("fit_logistic", fitting("uphill"))
    message = failures(result)
    assert "subtract learning_rate * dw" in message
    assert "held-out rows correctly, at least 93% expected" in message
    assert not any(case.passed for case in result.cases if "held-out" in case.label)


def test_a_model_fitted_some_other_way_earns_only_the_held_out_cases():
    """Good held-out accuracy without the contract's steps: only the accuracy cases pass."""
    def fit_logistic(X, y, learning_rate, epochs, batch_size, seed):
        X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
        w, b = np.zeros(X.shape[1]), 0.0
        for _ in range(200):  # full-batch descent, many more steps than asked
            dw, db = REF.logistic_gradients(w, b, X, y)
            w, b = w - 0.5 * dw, b - 0.5 * db
        return w, b, np.full(epochs, REF.binary_cross_entropy(y, sigmoid(X @ w + b)))
    result = run("fit_logistic", fit_logistic)
    assert [case.passed for case in result.cases if "held-out" in case.label] == [True, True]
    assert result.score == pytest.approx(4 * 5 / 11, abs=1e-3)  # two cases of weight 2.5 of 11


@pytest.mark.parametrize("returned, problem", [
    (lambda w, b, losses: (w, b), "expected a tuple of 3 values (w, b, losses)"),
    (lambda w, b, losses: (w, np.array([b]), losses), "b: expected a single number"),
    (lambda w, b, losses: (w, b, losses[:-1]), "losses: expected an array of shape (30,)"),
    (lambda w, b, losses: (w * np.nan, b, losses), "w: holds inf or NaN"),
], ids=["pair", "b array", "short losses", "nan"])
def test_malformed_fits_fail_the_held_out_case_with_a_reason(returned, problem):
    def fit_logistic(*args):
        return returned(*REF.fit_logistic(*args))
    result = run("fit_logistic", fit_logistic, full=False)
    assert problem in failures(result)


def assert_same_fit(got, expected, rtol=1e-12):
    for got_part, expected_part in zip(got, expected):
        np.testing.assert_allclose(got_part, expected_part, rtol=rtol, atol=1e-14)


def test_each_fit_mistake_model_is_the_reference_with_its_one_slip():
    models = REF.mistakes
    X, y = checks._toy(170, 30, 3)
    args = (X, y, 0.3, 4, 7, 1)
    # Losses recorded before each epoch's steps: the first is at w = 0, the rest one epoch late.
    w, b, losses = models.losses_before_steps(*args)
    right = REF.fit_logistic(*args)
    assert_same_fit((w, b, losses[1:]), (right[0], right[1], right[2][:-1]))
    assert losses[0] == pytest.approx(np.log(2))
    # Uphill steps are downhill steps with the learning rate negated.
    assert_same_fit(models.steps_uphill(*args), REF.fit_logistic(X, y, -0.3, 4, 7, 1))
    # One step per epoch on all rows is a batch larger than the data (the order aside).
    assert_same_fit(models.one_step_per_epoch(*args), REF.fit_logistic(X, y, 0.3, 4, 50, 1), rtol=1e-10)
    # The same batches every epoch: the first epoch is right, the later ones are not.
    assert_same_fit(models.same_batches_every_epoch(X, y, 0.3, 1, 7, 1), REF.fit_logistic(X, y, 0.3, 1, 7, 1))
    assert not np.allclose(models.same_batches_every_epoch(*args)[0], right[0])
    for model in (models.losses_before_steps, models.steps_uphill, models.one_step_per_epoch,
                  models.same_batches_every_epoch):
        assert_same_fit(model(X, y, 0.1, 0, 5, 3), REF.fit_logistic(X, y, 0.1, 0, 5, 3))


def test_the_held_out_split_is_the_graders_and_standardised():
    X_train, y_train, X_test, y_test = checks.breast_cancer_split(0)
    assert X_train.shape == (427, 30) and X_test.shape == (142, 30)
    np.testing.assert_allclose(X_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(X_train.std(axis=0), 1.0, rtol=1e-12)
    assert set(np.unique(y_train)) == {0.0, 1.0}
    other = checks.breast_cancer_split(1)
    assert not np.array_equal(other[3], y_test)


def test_the_reference_clears_the_accuracy_bar_with_room_to_spare():
    for case in TESTS["fit_logistic"].cases():
        if isinstance(case, checks.HeldOut):
            w, b, _ = REF.fit_logistic(*case.args)
            assert np.mean((case.X_test @ w + b >= 0) == case.y_test) >= 0.95


def test_every_fit_is_a_bounded_amount_of_work():
    """Rows times epochs is capped, so a fit costs a student's process a few hundredths of a
    second (0.03 s for the largest here), far below the 10 s a call may take."""
    for case in TESTS["fit_logistic"].cases():
        X, _, _, epochs, batch_size = case.args[:5]
        assert len(X) * epochs <= 20000 and batch_size >= 1, case.label
    started = time.perf_counter()
    for case in TESTS["fit_logistic"].cases():
        REF.fit_logistic(*case.args)
    assert time.perf_counter() - started < 3.0


# --- the assignment as a whole ------------------------------------------------------------------

def test_points_and_order_follow_the_contract():
    assert [(test.function, test.points) for test in checks.ASSIGNMENT.tests] == [
        ("mse", 1), ("binary_cross_entropy", 2), ("minibatches", 2), ("centred_gradient", 2),
        ("relative_error", 1), ("logistic_gradients", 3), ("fit_logistic", 4)]
    assert checks.ASSIGNMENT.points == 15


@pytest.mark.parametrize("function", list(TESTS))
def test_every_function_has_public_and_hidden_cases(function):
    cases = TESTS[function].cases()
    assert any(case.public for case in cases) and any(not case.public for case in cases)


def test_the_declared_mistake_is_in_the_source_and_costs_its_test():
    mistake = checks.ASSIGNMENT.mistake
    source = notebooks.read(REPO / "assignments" / "ps2_learning" / "ps2_learning.ipynb")
    cell = notebooks.solution_cells(source)[mistake.function].source
    namespace = {"np": np}
    exec(mistake.applied_to(cell), namespace)
    result = grade(TESTS[mistake.function], student(REF, **{mistake.function: namespace[mistake.function]}), REF)
    assert 0 <= result.score < TESTS[mistake.function].points


# --- dishonest and broken answers ----------------------------------------------------------

def test_an_impostor_loss_gets_no_credit():
    result = run("mse", lambda y_true, y_pred: Impostor(REF.mse(y_true, y_pred)))
    assert passed_fraction(result) == 0  # its refusals count only once it works on valid input
    assert "returned a value of type Impostor" in failures(result)


def test_a_loss_returning_none_fails():
    assert "got None" in failures(run("mse", lambda y_true, y_pred: None, full=False))


def test_raising_valueerror_for_everything_earns_nothing():
    """The refusal cases count only once the function works on some valid input: a
    function that raises ValueError for everything collects none of their points."""
    def refuses(*args, **kwargs):
        raise ValueError("no")

    ps2 = reference_of("ps2_learning")
    result = grade(checks.relative_error, student(ps2, relative_error=refuses), ps2)
    assert result.score == 0
    assert "counts only once the function works on valid input" in failures(result)
    working = grade(checks.relative_error, student(ps2), ps2)
    assert working.score == working.max_score
