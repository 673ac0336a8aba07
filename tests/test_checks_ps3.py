"""The ps3_backprop checks: fair to right answers, however written; firm with wrong ones."""
from pathlib import Path

import numpy as np
import pytest

from autograder.checks import gradcheck
from autograder.checks import ps3_backprop as checks
from autograder.sandbox import Limits, SandboxStudent, Zygote
from check_helpers import (Impostor, failures, grade, lying_array, reference_of, student)

REF = reference_of("ps3_backprop")
TESTS = {test.function: test for test in checks.ASSIGNMENT.tests}


def run(function, full=True, **functions):
    return grade(TESTS[function], student(REF, **functions), REF if full else None)


def sigmoid(z):
    return np.exp(-np.logaddexp(0.0, -z))


# --- the reference and the shipped data -------------------------------------------------

@pytest.mark.parametrize("case", [case for case in TESTS["backward"].cases() if case.public],
                         ids=lambda case: case.label)
def test_public_gradients_are_the_references(case):
    X, y, params = case.args
    _, cache = REF.forward(X, params)
    computed = REF.backward(X, y, params, cache)
    assert all(gradcheck.relative_error(case.expected[k], computed[k]) < 1e-12 for k in computed)


def test_public_gradients_agree_with_the_numerical_gradient():
    for case in TESTS["backward"].cases():
        if case.public:
            numerical = TESTS["backward"].expected(REF, case)
            for key, value in numerical.items():
                assert gradcheck.relative_error(case.expected[key], value) < gradcheck.THRESHOLD / 100


# --- gradcheck -------------------------------------------------------------------------

def test_numerical_gradient_of_a_quadratic_is_exact_and_leaves_params_alone():
    params = {"a": np.array([1.0, -2.0]), "b": np.array([[3.0]])}
    before = {key: value.copy() for key, value in params.items()}
    gradient = gradcheck.numerical_gradient(lambda p: np.sum(p["a"] ** 2) + 5 * p["b"][0, 0], params)
    assert gradcheck.relative_error(gradient["a"], [2.0, -4.0]) < 1e-9
    assert gradcheck.relative_error(gradient["b"], [[5.0]]) < 1e-9
    assert all(np.array_equal(params[key], before[key]) for key in params)


def test_relative_error_is_scale_free_and_safe_at_zero():
    assert gradcheck.relative_error([1e-8, 2e-8], [1e-8, 2e-8]) == 0
    assert gradcheck.relative_error([1e-8, 0.0], [2e-8, 0.0]) == pytest.approx(0.5)
    assert gradcheck.relative_error([0.0], [0.0]) == 0


# --- init_params -----------------------------------------------------------------------

def init_like(draw, biases=np.zeros):
    def init_params(seed):
        rng = np.random.default_rng(seed)
        return {key: draw(rng, shape) if key.startswith("W") else biases(shape)
                for key, shape in checks.SHAPES.items()}
    return init_params


@pytest.mark.parametrize("init", [
    init_like(lambda rng, shape: rng.uniform(-0.5, 0.5, shape)),
    init_like(lambda rng, shape: rng.normal(0, np.sqrt(2 / shape[0]), shape)),
    init_like(lambda rng, shape: rng.standard_normal(shape)),
], ids=["uniform", "he", "standard normal"])
def test_any_seeded_random_initialisation_passes(init):
    assert run("init_params", init_params=init).passed


@pytest.mark.parametrize("init, words", [
    (init_like(lambda rng, shape: np.zeros(shape)), "all entries of W1 are 0"),
    (init_like(lambda rng, shape: np.full(shape, 0.1)), "all entries of W1 are 0.1"),
    (lambda seed: {k: np.random.normal(size=s) for k, s in checks.SHAPES.items()}, "b1, b2 and b3 should start at zero"),
    (init_like(lambda rng, shape: np.random.normal(size=shape)), "draw from rng = np.random.default_rng(seed)"),
    (init_like(lambda rng, shape: np.random.default_rng(0).normal(size=shape)), "the same W1, W2 and W3"),
    (init_like(lambda rng, shape: rng.normal(size=shape[::-1])), "W1 of shape (3, 2), expected (2, 3)"),
    (init_like(lambda rng, shape: rng.normal(size=shape), biases=lambda shape: np.zeros((1,) + shape)),
     "a bias is 1-D"),
    (lambda seed: [np.zeros(2)], "expected a dict with keys"),
], ids=["zeros", "constant", "random biases", "np.random", "seed ignored", "transposed", "2-D biases", "a list"])
def test_bad_initialisations_are_named(init, words):
    result = run("init_params", init_params=init)
    assert not result.passed
    assert words in failures(result)


def test_random_biases_lose_only_the_zero_bias_cases():
    init = init_like(lambda rng, shape: rng.normal(size=shape), biases=lambda shape: np.ones(shape))
    result = run("init_params", init_params=init)
    assert [case.passed for case in result.cases].count(False) == 3
    assert result.score == pytest.approx(1 * 12 / 15, abs=1e-4)


# --- forward ---------------------------------------------------------------------------

def network(hidden=sigmoid, biases=True):
    def forward(X, params):
        A = np.asarray(X, dtype=float)
        activations = []
        for layer in (1, 2, 3):
            z = A @ params["W%d" % layer] + (params["b%d" % layer] if biases else 0.0)
            A = sigmoid(z) if layer == 3 else hidden(z)
            activations.append(A)
        return A, activations
    return forward


def test_a_forward_pass_with_relu_hidden_layers_is_named():
    result = run("forward", forward=network(hidden=lambda z: np.maximum(z, 0)))
    assert "the hidden layers use relu" in failures(result)


def test_a_forward_pass_without_biases_is_named():
    assert "the biases are missing" in failures(run("forward", forward=network(biases=False)))


def test_a_forward_that_returns_only_a3_is_told_to_return_the_pair():
    result = run("forward", full=False, forward=lambda X, params: REF.forward(X, params)[0])
    assert result.score == 0
    assert "forward returns a pair: return A3, cache" in failures(result)


def test_a_transposed_output_is_named():
    result = run("forward", forward=lambda X, params: (REF.forward(X, params)[0].T, None))
    assert "A3 is transposed" in failures(result)


def test_forward_with_its_own_cache_passes():
    assert run("forward", forward=network()).passed


def test_an_overflowing_but_right_forward_passes():
    naive = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    def forward(X, params):
        A1 = naive(np.asarray(X) @ params["W1"] + params["b1"])
        A2 = naive(A1 @ params["W2"] + params["b2"])
        return naive(A2 @ params["W3"] + params["b3"]), {}
    assert run("forward", forward=forward).passed


# --- backward --------------------------------------------------------------------------

def backprop(scale=lambda n: 1.0 / n, sign=1.0, hidden_slope=True, transpose_w2=False, sum_biases=True):
    """backward with one of the usual slips switched on; cache is network()'s list."""
    def backward(X, y, params, cache):
        X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
        A1, A2, A3 = cache
        n = len(X)
        dZ3 = sign * (A3 - y) * scale(n)
        dZ2 = (dZ3 @ params["W3"].T) * (A2 * (1 - A2) if hidden_slope else 1.0)
        dZ1 = (dZ2 @ params["W2"].T) * A1 * (1 - A1)
        reduce = (lambda dZ: dZ.sum(axis=0)) if sum_biases else (lambda dZ: dZ)
        return {"W1": X.T @ dZ1, "b1": reduce(dZ1),
                "W2": (dZ2.T @ A1) if transpose_w2 else A1.T @ dZ2, "b2": reduce(dZ2),
                "W3": A2.T @ dZ3, "b3": reduce(dZ3)}
    return backward


def run_backward(full=True, **slip):
    return run("backward", full, forward=network(), backward=backprop(**slip))


def test_backward_written_as_network_and_backprop_passes():
    assert run_backward().passed


def test_backward_with_loops_over_samples_passes():
    def backward(X, y, params, cache):
        A1, A2, A3 = cache
        grads = {key: np.zeros(shape) for key, shape in checks.SHAPES.items()}
        for i in range(len(X)):
            dz3 = A3[i] - y[i]
            dz2 = (params["W3"] @ dz3) * A2[i] * (1 - A2[i])
            dz1 = (params["W2"] @ dz2) * A1[i] * (1 - A1[i])
            for layer, inputs, dz in ((1, X[i], dz1), (2, A1[i], dz2), (3, A2[i], dz3)):
                grads["W%d" % layer] += np.outer(inputs, dz)
                grads["b%d" % layer] += dz
        return {key: value / len(X) for key, value in grads.items()}
    assert run("backward", forward=network(), backward=backward).passed


def test_summing_over_the_batch_is_named():
    for full in (False, True):
        result = run_backward(full, scale=lambda n: 1.0)
        assert "8 times too large" in failures(result) and "a sum instead of a mean" in failures(result)
    assert result.cases[3].passed  # one sample: a sum is a mean


def test_a_sign_error_is_named():
    assert "every gradient has the wrong sign" in failures(run_backward(full=False, sign=-1.0))


def test_a_missing_sigmoid_slope_is_located():
    assert "layer 3 is right" in failures(run_backward(full=False, hidden_slope=False))


def test_a_transposed_gradient_is_named():
    message = failures(run_backward(full=False, transpose_w2=True))
    assert "W2 of shape (2, 3), expected (3, 2)" in message and "dW = A_prev.T @ dZ" in message


def test_an_unsummed_bias_gradient_is_named():
    assert "sum the bias gradient over the batch (axis=0)" in failures(run_backward(full=False, sum_biases=False))


def test_public_failures_show_the_gradient_and_hidden_ones_do_not():
    result = run_backward(sign=-1.0)
    public, hidden = result.cases[0], result.cases[2]
    assert "expected [[" in public.message and "got [[" in public.message
    assert "expected" not in hidden.message.split(" - hint")[0]


def test_backward_is_graded_with_the_students_own_forward():
    def forward(X, params):
        raise RuntimeError("broken forward")
    result = run("backward", forward=forward)
    assert result.score == 0
    assert "backward is given the cache of your forward, but forward raised RuntimeError" in failures(result)


def test_a_backward_that_changes_params_in_place_fails():
    def backward(X, y, params, cache):
        grads = REF.backward(X, y, params, cache)
        params["W1"] -= 0.1 * grads["W1"]
        return grads
    assert "changed its input params in place" in failures(run("backward", backward=backward))


def changes_params_beyond_the_wire(forward):
    """`forward` that also adds to `params` a key plain data cannot carry (not a string)."""
    def changed(X, params):
        params[0] = "the cache"
        return forward(X, params)
    return changed


def test_a_forward_that_changes_params_beyond_reporting_fails():
    result = run("forward", forward=changes_params_beyond_the_wire(REF.forward))
    assert result.score == 0
    assert ("it changed its input params (it could not be reported back: a dict with a "
            "non-string key 'int')") in failures(result)


def test_a_forward_that_changes_params_beyond_reporting_fails_in_the_sandbox():
    source = Path(REF.module.__file__).read_text() + (
        "\n_right_forward = forward\n"
        "def forward(X, params):\n"
        "    params[0] = 'the cache'\n"
        "    return _right_forward(X, params)\n")
    zygote = Zygote(("numpy",))
    student = SandboxStudent(zygote, [("solution", source)], Limits(call_timeout=10))
    try:
        result = TESTS["forward"].run(student, REF)
    finally:
        student.close()
        zygote.close()
    assert result.score == 0 and not result.process_failure
    assert "it could not be reported back: a dict with a non-string key 'int'" in failures(result)


def test_lying_gradients_get_no_credit():
    def backward(X, y, params, cache):
        right = REF.backward(X, y, params, cache)
        return {key: lying_array(2 * value + 1, value) for key, value in right.items()}
    assert run("backward", backward=backward).score == 0


# --- optimisers -------------------------------------------------------------------------

def test_sgd_uphill_is_named():
    result = run("sgd_step", full=False, sgd_step=lambda p, g, lr: np.asarray(p) + lr * np.asarray(g))
    assert result.score == 0
    assert "this steps uphill" in failures(result)


def test_momentum_with_the_wrong_sign_is_named():
    def momentum_step(param, grad, velocity, learning_rate, beta=0.9):
        v = beta * np.asarray(velocity) + np.asarray(grad)
        return np.asarray(param) + learning_rate * v, v
    result = run("momentum_step", full=False, momentum_step=momentum_step)
    assert result.score == 0
    assert "the step has the wrong sign" in failures(result)


def test_momentum_in_the_other_convention_is_named():
    def momentum_step(param, grad, velocity, learning_rate, beta=0.9):
        v = beta * np.asarray(velocity) - learning_rate * np.asarray(grad)
        return np.asarray(param) + v, v
    assert "the other common convention" in failures(run("momentum_step", full=False, momentum_step=momentum_step))


def test_momentum_returning_a_list_pair_passes():
    def momentum_step(param, grad, velocity, learning_rate, beta=0.9):
        v = np.multiply(beta, velocity) + grad
        return [np.subtract(param, learning_rate * v), v]
    assert run("momentum_step", momentum_step=momentum_step).passed


def adam_without_correction(param, grad, m, v, t, learning_rate=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    grad = np.asarray(grad, dtype=float)
    m = beta1 * np.asarray(m) + (1 - beta1) * grad
    v = beta2 * np.asarray(v) + (1 - beta2) * grad ** 2
    return np.asarray(param) - learning_rate * m / (np.sqrt(v) + eps), m, v


@pytest.mark.parametrize("full", [False, True], ids=["public", "full"])
def test_adam_without_bias_correction_is_named(full):
    result = run("adam_step", full, adam_step=adam_without_correction)
    assert "no bias correction" in failures(result)
    if full:
        assert 0 < result.score < 3  # a zero gradient from zero moments is right either way


def test_adam_with_t_off_by_one_is_named():
    def adam_step(param, grad, m, v, t, **settings):
        return REF.adam_step(param, grad, m, v, t + 1, **settings)
    assert "t counts from 1" in failures(run("adam_step", full=False, adam_step=adam_step))


def test_adam_returning_the_corrected_moments_is_named():
    def adam_step(param, grad, m, v, t, learning_rate=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        new_param, m, v = REF.adam_step(param, grad, m, v, t, learning_rate, beta1, beta2, eps)
        return new_param, m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    assert "not the bias-corrected m_hat and v_hat" in failures(run("adam_step", full=False, adam_step=adam_step))


def adam_efficient_form(param, grad, m, v, t, learning_rate=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    """Kingma and Ba's faster form: fold both corrections into the step size."""
    grad = np.asarray(grad, dtype=float)
    m = beta1 * np.asarray(m, dtype=float) + (1 - beta1) * grad
    v = beta2 * np.asarray(v, dtype=float) + (1 - beta2) * grad * grad
    step = learning_rate * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
    return np.asarray(param, dtype=float) - step * m / (np.sqrt(v) + eps), m, v


def test_adam_in_its_efficient_form_passes():
    assert run("adam_step", adam_step=adam_efficient_form).passed


def test_an_optimiser_returning_an_impostor_gets_no_credit():
    result = run("sgd_step", sgd_step=lambda p, g, lr: Impostor(REF.sgd_step(p, g, lr)))
    assert result.score == 0  # its refusal counts only once it works on valid input


# --- train -----------------------------------------------------------------------------

def training(init=None, record_after=False, extra_loss=False, sign=1.0):
    """train written from the pieces, with one of the usual slips switched on."""
    def train(X, y, epochs, learning_rate, seed):
        params = (init or REF.init_params)(seed)
        losses = []
        for _ in range(epochs):
            _, cache = REF.forward(X, params)
            if not record_after:
                losses.append(REF.loss(X, y, params))
            grads = REF.backward(X, y, params, cache)
            params = {k: REF.sgd_step(params[k], sign * grads[k], learning_rate) for k in params}
            if record_after:
                losses.append(REF.loss(X, y, params))
        if extra_loss:
            losses.append(REF.loss(X, y, params))
        return params, losses
    return train


UNIFORM_INIT = init_like(lambda rng, shape: rng.uniform(-1.0, 1.0, shape))


@pytest.mark.parametrize("full", [False, True], ids=["public", "full"])
def test_train_from_a_different_initialisation_passes(full):
    result = run("train", full, init_params=UNIFORM_INIT, train=training(init=UNIFORM_INIT))
    assert result.passed, failures(result)


def test_train_must_start_from_its_own_init_params():
    result = run("train", init_params=UNIFORM_INIT, train=training())
    assert "losses[0] should be the loss of init_params(seed)" in failures(result)
    assert result.score == 0


def test_losses_recorded_after_the_update_are_named():
    assert "losses[i] is the loss before epoch i's update" in failures(run("train", train=training(record_after=True)))


def test_one_loss_too_many_is_named():
    for full in (False, True):
        result = run("train", full, train=training(extra_loss=True))
        assert result.score == 0
    assert "one loss per epoch" in failures(result)


def test_training_uphill_fails_in_both_modes():
    assert "the loss did not fall" in failures(run("train", full=False, train=training(sign=-1.0)))
    assert "the loss grows" in failures(run("train", train=training(sign=-1.0)))


def test_returning_the_initial_params_fails_in_public_mode():
    def train(X, y, epochs, learning_rate, seed):
        return REF.init_params(seed), training()(X, y, epochs, learning_rate, seed)[1]
    assert "init_params(seed) unchanged" in failures(run("train", full=False, train=train))


def test_train_reports_a_broken_init_params():
    result = run("train", init_params=lambda seed: None)
    assert result.score == 0
    assert "train starts from your init_params(seed), and with seed 0 it returned None" in failures(result)


def test_huge_initial_weights_are_graded_silently(recwarn):
    huge = init_like(lambda rng, shape: rng.normal(size=shape) * 1e200)
    result = run("train", init_params=huge, train=training(init=huge))
    assert result.passed, failures(result)
    assert not recwarn.list
