"""The ps1_forward checks: fair to right answers, however written; firm with wrong ones."""
import numpy as np
import pytest

from autograder.checks import ps1_forward as checks
from check_helpers import (Impostor, LyingFloat, failures, grade, lying_array, reference_of,
                           student)

REF = reference_of("ps1_forward")
TESTS = {test.function: test for test in checks.ASSIGNMENT.tests}


def run(function, variant, full=True):
    return grade(TESTS[function], student(REF, **{function: variant}), REF if full else None)


# --- the reference and the shipped data -------------------------------------------------

def test_messages_name_the_function_not_the_grade_id():
    result = run("relu", lambda x: np.asarray(x, dtype=float))
    assert result.message().startswith("relu: ")


# --- wrong answers ---------------------------------------------------------------------

def dense_transposed(x, W, b, activation):
    return REF.dense(x, W, b, activation).T


def dense_without_bias(x, W, b, activation):
    return REF.dense(x, W, np.zeros_like(np.asarray(b, dtype=float)), activation)


def test_a_transposed_product_is_named():
    assert "transposed" in failures(run("dense", dense_transposed))


def test_a_missing_bias_is_named():
    assert "the bias b is missing" in failures(run("dense", dense_without_bias))


def test_sigmoid_where_relu_was_asked_is_named():
    result = run("relu", lambda x: REF.sigmoid(x))
    assert result.score == 0
    assert "this is sigmoid(x)" in failures(result)


def test_a_sigmoid_that_overflows_fails_on_its_warning():
    naive = lambda x: 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))  # noqa: E731
    result = run("sigmoid", naive, full=False)
    message = failures(result)
    assert not result.passed
    assert "emitted a warning" in message and "overflow" in message and "exp(-|x|)" in message


def test_a_forward_pass_with_a_sigmoid_hidden_layer_is_named():
    def forward_pass(x, params):
        hidden = REF.dense(x, params["W1"], params["b1"], "sigmoid")
        return REF.dense(hidden, params["W2"], params["b2"], "sigmoid")
    assert "the hidden layer uses relu, not sigmoid" in failures(run("forward_pass", forward_pass))


def test_a_function_that_raises_reports_the_exception():
    def relu(x):
        raise KeyError("oops")
    result = run("relu", relu)
    assert result.score == 0
    assert "raised KeyError: 'oops'" in failures(result)


def test_an_unfinished_function_says_so():
    def relu(x):
        raise NotImplementedError
    assert "not implemented yet" in failures(run("relu", relu))


def test_a_function_that_returns_none_fails():
    result = run("relu", lambda x: None)
    assert result.score == 0
    assert "got None" in failures(result)


def test_a_list_of_the_wrong_shape_fails():
    result = run("relu", lambda x: REF.relu(x).ravel().tolist())
    assert "got a list (an array of shape (4,))" in failures(result)


def test_a_missing_function_is_reported():
    namespace = student(REF)
    del namespace["neuron"]
    result = grade(TESTS["neuron"], namespace, REF)
    assert result.score == 0
    assert "neuron is not defined" in failures(result)


def test_changing_the_input_in_place_fails():
    def relu(x):
        x = np.asarray(x)
        if x.dtype.kind == "f":
            x[x < 0] = 0.0  # writes into the caller's array
        return np.maximum(x, 0.0)
    result = run("relu", relu)
    assert "changed its input x in place" in failures(result)
    assert 0 < result.score < TESTS["relu"].points


@pytest.mark.parametrize("liar", [
    lambda x: lying_array(REF.relu(x) + 1.0, REF.relu(x)),
    lambda x: Impostor(REF.relu(x)),
    lambda x: [Impostor(v) for v in np.ravel(REF.relu(x))],
], ids=["ndarray subclass", "__array__ and __eq__", "a list of impostors"])
def test_answers_that_lie_about_their_value_get_no_credit(liar):
    assert run("relu", liar).score == 0


def test_a_float_that_lies_gets_no_credit():
    result = run("neuron", lambda inputs, weights, bias: LyingFloat(-1.0, REF.neuron(inputs, weights, bias)))
    assert result.score == 0


def test_an_impostor_is_reported_as_an_unusable_type():
    assert "returned a value of type Impostor" in failures(run("relu", lambda x: Impostor(REF.relu(x))))


# --- right answers written differently ----------------------------------------------------

def relu_where(x):
    x = np.asarray(x, dtype=float)
    return np.where(x > 0, x, 0.0)


def relu_clip(x):
    return np.clip(x, 0, None).astype(float)


@pytest.mark.parametrize("relu", [relu_where, relu_clip, lambda x: np.maximum(x, 0)])
def test_relu_alternatives(relu):
    assert run("relu", relu).passed


def sigmoid_logaddexp(x):
    return np.exp(-np.logaddexp(0.0, -np.asarray(x, dtype=float)))


def sigmoid_piecewise(x):
    x = np.asarray(x, dtype=float)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_tanh(x):
    return 0.5 * (1.0 + np.tanh(np.asarray(x, dtype=float) / 2.0))


def sigmoid_clipped(x):
    return 1.0 / (1.0 + np.exp(-np.clip(x, -500, 500)))


@pytest.mark.parametrize("sigmoid", [sigmoid_logaddexp, sigmoid_piecewise, sigmoid_tanh, sigmoid_clipped])
def test_stable_sigmoid_alternatives(sigmoid):
    assert run("sigmoid", sigmoid).passed, failures(run("sigmoid", sigmoid))


def neuron_loop(inputs, weights, bias):
    total = bias
    for value, weight in zip(inputs, weights):
        total += value * weight
    return max(total, 0.0)


def test_a_neuron_written_as_a_loop_passes():
    assert run("neuron", neuron_loop).passed


def dense_loops(x, W, b, activation):
    if activation not in ("relu", "sigmoid", "linear"):
        raise ValueError("unknown activation %r" % activation)
    x, W = np.asarray(x, dtype=float), np.asarray(W, dtype=float)
    if x.shape[1] != W.shape[0]:
        raise ValueError("x and W do not fit")
    out = np.zeros((x.shape[0], W.shape[1]))
    for i in range(x.shape[0]):
        for j in range(W.shape[1]):
            z = b[j] + sum(x[i, k] * W[k, j] for k in range(W.shape[0]))
            out[i, j] = {"relu": max(z, 0.0), "sigmoid": sigmoid_piecewise(z), "linear": z}[activation]
    return out


def test_a_dense_layer_written_with_loops_passes():
    assert run("dense", dense_loops).passed, failures(run("dense", dense_loops))


def test_a_forward_pass_through_einsum_passes():
    def forward_pass(x, params):
        h = np.maximum(np.einsum("nd,dh->nh", np.asarray(x, dtype=float), params["W1"]) + params["b1"], 0)
        return sigmoid_logaddexp(h @ params["W2"] + params["b2"])
    assert run("forward_pass", forward_pass).passed


# --- partial credit --------------------------------------------------------------------

def dense_without_checks(x, W, b, activation):
    z = np.asarray(x, dtype=float) @ np.asarray(W, dtype=float) + b
    return {"relu": REF.relu, "sigmoid": REF.sigmoid}.get(activation, lambda v: v)(z)


def test_partial_credit_is_the_fraction_of_cases_passed():
    full = run("dense", dense_without_checks)
    unknown_names = [case for case in full.cases if "not one of the three" in case.label]
    assert [case.passed for case in unknown_names] == [False, False]
    assert sum(not case.passed for case in full.cases) == 2
    assert full.score == round(3 * (len(full.cases) - 2) / len(full.cases), 4)
    public = run("dense", dense_without_checks, full=False)
    assert public.score == round(3 * 3 / 4, 4)
    assert not public.passed
