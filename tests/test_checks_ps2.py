"""The ps2_learning checks: fair to right answers, however written; firm with wrong ones."""
import numpy as np
import pytest

from autograder.checks import ps2_learning as checks
from check_helpers import (Impostor, failures, grade, passed_fraction, reference_of, student)

REF = reference_of("ps2_learning")
TESTS = {test.function: test for test in checks.ASSIGNMENT.tests}


def run(function, variant, full=True):
    return grade(TESTS[function], student(REF, **{function: variant}), REF if full else None)


def as_arrays(y_true, y_pred):
    return np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)


# --- the reference and the shipped data -------------------------------------------------

def test_the_mini_challenge_ends_near_ten_not_at_the_seeds_8_84():
    case = next(case for case in TESTS["gradient_descent"].cases() if "mini-challenge" in case.label)
    assert case.expected.shape == (21,)
    assert case.expected[-1] == pytest.approx(9.884707849539316)


# --- gradient_step and gradient_descent ----------------------------------------------------

def test_a_step_uphill_is_named():
    result = run("gradient_step", lambda x, grad, lr: np.asarray(x) + lr * np.asarray(grad), full=False)
    assert result.score == 0
    assert "uphill" in failures(result)


def test_a_step_that_changes_x_in_place_fails():
    def gradient_step(x, grad, learning_rate):
        if isinstance(x, np.ndarray):
            x -= learning_rate * np.asarray(grad)
            return x
        return x - learning_rate * np.asarray(grad)
    assert "changed its input x in place" in failures(run("gradient_step", gradient_step))


def descent(update, record_first=True, extra_step=0):
    """gradient_descent written with a given update and a possible off-by-one."""
    def gradient_descent(grad_fn, x0, learning_rate, steps):
        x = np.asarray(x0, dtype=float)
        path = [x] if record_first else []
        for _ in range(steps + extra_step):
            x = update(x, grad_fn(x), learning_rate)
            path.append(x)
        return np.array(path)
    return gradient_descent


def downhill(x, g, lr):
    return x - lr * g


def test_a_path_without_x0_is_named():
    result = run("gradient_descent", descent(downhill, record_first=False), full=False)
    assert result.score == 0
    assert "x0 is missing" in failures(result)


def test_a_path_one_step_short_is_named():
    result = run("gradient_descent", descent(downhill, extra_step=-1), full=False)
    assert "stops one step early" in failures(result)


def test_a_walk_uphill_is_named():
    result = run("gradient_descent", descent(lambda x, g, lr: x + lr * g), full=False)
    assert "walks uphill" in failures(result)


def test_a_path_of_one_aliased_array_is_named():
    def gradient_descent(grad_fn, x0, learning_rate, steps):
        x = np.array(x0, dtype=float)
        path = [x]
        for _ in range(steps):
            x -= learning_rate * grad_fn(x)
            path.append(x)
        return np.array(path)
    assert "the same array each time" in failures(run("gradient_descent", gradient_descent, full=False))


def test_returning_only_the_final_x_is_named():
    def gradient_descent(grad_fn, x0, learning_rate, steps):
        return descent(downhill)(grad_fn, x0, learning_rate, steps)[-1]
    assert "only the final x" in failures(run("gradient_descent", gradient_descent, full=False))


def test_a_negative_step_count_must_raise():
    result = run("gradient_descent", descent(downhill))
    assert [case.label for case in result.cases if not case.passed] == ["hidden case: steps = -1"]
    assert result.score == pytest.approx(2 * (len(result.cases) - 1) / len(result.cases), abs=1e-4)


def gradient_descent_with_a_list(grad_fn, x0, learning_rate, steps):
    if steps < 0:
        raise ValueError("steps must not be negative")
    xs = [np.array(x0, dtype=float)]
    for _ in range(steps):
        xs.append(xs[-1] - learning_rate * grad_fn(xs[-1]))
    return np.array(xs)


def gradient_descent_preallocated(grad_fn, x0, learning_rate, steps):
    if steps < 0:
        raise ValueError("steps must not be negative")
    x = np.asarray(x0, dtype=float)
    path = np.zeros((steps + 1,) + x.shape)
    path[0] = x
    for i in range(1, steps + 1):
        path[i] = path[i - 1] - learning_rate * grad_fn(path[i - 1])
    return path


@pytest.mark.parametrize("variant", [gradient_descent_with_a_list, gradient_descent_preallocated])
def test_gradient_descent_alternatives(variant):
    assert run("gradient_descent", variant).passed


# --- mse, mae, huber ---------------------------------------------------------------------

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


def test_mae_without_abs_is_named():
    result = run("mae", checked(lambda t, p: np.mean(t - p)), full=False)
    assert "take np.abs of each error" in failures(result)


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


def huber_like(half=0.5, shift=0.5, ignore_delta=False):
    def huber(y_true, y_pred, delta=1.0):
        d = 1.0 if ignore_delta else delta
        e = np.abs(np.subtract(*as_arrays(y_true, y_pred)))
        return np.mean(np.where(e <= d, half * e ** 2, d * (e - shift * d)))
    return checked(huber)


@pytest.mark.parametrize("mistake, hint", [
    (huber_like(ignore_delta=True), "use the delta you were given"),
    (huber_like(half=1.0), "0.5 * e**2"),
    (huber_like(shift=0.0), "the pieces meet"),
], ids=["delta ignored", "no half", "no shift"])
def test_huber_mistakes_are_named(mistake, hint):
    assert hint in failures(run("huber", mistake, full=False))


def test_huber_ignoring_delta_gets_partial_credit():
    result = run("huber", huber_like(ignore_delta=True))
    assert 0 < result.score < 2


def huber_through_minimum(y_true, y_pred, delta=1.0):
    """The same loss as a quadratic part capped at delta plus a linear rest."""
    e = np.abs(np.subtract(*as_arrays(y_true, y_pred)))
    small = np.minimum(e, delta)
    return float(np.mean(0.5 * small ** 2 + delta * (e - small)))


def test_huber_alternative():
    assert run("huber", checked(huber_through_minimum)).passed


# --- cross-entropies ---------------------------------------------------------------------

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


def cce_mean_over_elements(y_true, probs, eps=1e-7):
    y, p = as_arrays(y_true, probs)
    return -np.mean(y * np.log(np.clip(p, eps, 1.0)))


def test_cce_averaging_over_every_element_is_named():
    result = run("categorical_cross_entropy", checked(cce_mean_over_elements), full=False)
    assert result.score == 0
    assert "sum over the classes of each row" in failures(result)


def test_unclipped_cce_is_told_to_clip():
    def cce(y_true, probs, eps=1e-7):
        y, p = as_arrays(y_true, probs)
        return -np.mean(np.sum(y * np.log(p), axis=1))
    assert "clip the probabilities" in failures(run("categorical_cross_entropy", checked(cce), full=False))


def cce_by_index(y_true, probs, eps=1e-7):
    y, p = as_arrays(y_true, probs)
    if y.shape != p.shape:
        raise ValueError("shapes differ")
    picked = p[np.arange(len(p)), y.argmax(axis=1)]
    return float(-np.log(np.clip(picked, eps, 1.0)).mean())


def test_cce_alternative():
    assert run("categorical_cross_entropy", cce_by_index).passed


# --- minibatches -------------------------------------------------------------------------

def batches_of(order, batch_size):
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def test_unshuffled_batches_are_named():
    result = run("minibatches", lambda n, b, rng: batches_of(np.arange(n), b))
    assert "not shuffled" in failures(result)


def test_shuffling_with_np_random_is_named():
    def minibatches(n_samples, batch_size, rng):
        return batches_of(np.random.permutation(n_samples), batch_size)
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


# --- dishonest and broken answers ----------------------------------------------------------

def test_an_impostor_loss_gets_no_credit():
    result = run("mse", lambda y_true, y_pred: Impostor(REF.mse(y_true, y_pred)))
    assert passed_fraction(result) == pytest.approx(2 / 9)  # only the two cases that must raise
    assert "returned a value of type Impostor" in failures(result)


def test_a_loss_returning_none_fails():
    assert "got None" in failures(run("mae", lambda y_true, y_pred: None, full=False))
