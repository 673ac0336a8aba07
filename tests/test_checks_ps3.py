"""The ps3_backprop checks (version 2): fair to right answers, however written; firm with wrong ones."""
import time
from pathlib import Path

import numpy as np
import pytest

from autograder.checks import ps3_backprop as checks
from autograder.notebooks import cells as notebooks
from autograder.sandbox import Limits, SandboxStudent, Zygote
from check_helpers import REPO, Impostor, failures, grade, lying_array, reference_of, student

REF = reference_of("ps3_backprop")
TESTS = {test.function: test for test in checks.ASSIGNMENT.tests}
SOURCE = notebooks.read(REPO / "assignments" / "ps3_backprop" / "ps3_backprop.ipynb")


def run(function, full=True, **functions):
    return grade(TESTS[function], student(REF, **functions), REF if full else None)


def notebook_namespace(**replace):
    """The source notebook's setup and solution cells, run: a second, differently written answer."""
    namespace = {}
    program = [cell.source for cell in notebooks.setup_cells(SOURCE)[1:]]
    program += [cell.source for cell in notebooks.solution_cells(SOURCE).values()]
    exec("import numpy as np\n" + "\n\n".join(program), namespace)
    namespace.update(replace)
    return namespace


# --- softmax_cross_entropy ---------------------------------------------------------------

def softmax_ce(shift=True, scale_loss=True, scale_grad=True, sign=1.0, onehot=True, axis=1):
    """softmax_cross_entropy with one of the usual slips switched on."""
    def softmax_cross_entropy(logits, labels):
        logits = np.asarray(logits, dtype=float)
        labels = np.asarray(labels)
        if labels.shape != (len(logits),) or labels.max() >= logits.shape[1]:
            raise ValueError("bad labels")
        z = logits - logits.max(axis=axis, keepdims=True) if shift else logits
        with np.errstate(all="ignore"):
            p = np.exp(z) / np.exp(z).sum(axis=axis, keepdims=True)
            n, rows = len(logits), np.arange(len(logits))
            loss = -np.log(p[rows, labels]).sum() / (n if scale_loss else 1)
            grad = p - (np.eye(logits.shape[1])[labels] if onehot else 0.0)
        return float(loss), sign * grad / (n if scale_grad else 1)
    return softmax_cross_entropy


@pytest.mark.parametrize("slip, hint", [
    ({"shift": False}, "subtract each row's largest logit first"),
    ({"scale_grad": False}, "dlogits is n times too large"),
    ({"scale_loss": False, "scale_grad": False}, "this is the sum over the rows"),
    ({"scale_loss": False}, "the loss is the sum over the rows"),
    ({"sign": -1.0}, "dlogits has the wrong sign"),
    ({"onehot": False}, "dlogits is missing the onehot"),
    ({"axis": 0}, "the softmax runs down the columns"),
], ids=["no max subtraction", "1/n forgotten", "sum", "summed loss", "sign", "no onehot", "columns"])
def test_softmax_cross_entropy_mistakes_are_named_on_public_cases(slip, hint):
    result = run("softmax_cross_entropy", full=False, softmax_cross_entropy=softmax_ce(**slip))
    assert not result.passed
    assert hint in failures(result)


def test_softmax_without_max_subtraction_fails_only_where_logits_are_large():
    result = run("softmax_cross_entropy", softmax_cross_entropy=softmax_ce(shift=False))
    assert [case.label for case in result.cases if not case.passed] == [
        "logits as large as +-1000 (subtract each row's largest first)",
        "hidden case: large logits everywhere"]


def softmax_ce_by_rows(logits, labels):
    """A loop over the rows with np.logaddexp.reduce: written nothing like the reference."""
    logits = np.array(logits, dtype=np.float64)
    labels = [int(label) for label in np.asarray(labels)]
    if len(labels) != len(logits) or not all(0 <= label < logits.shape[1] for label in labels):
        raise ValueError("labels do not fit the logits")
    total, grad = 0.0, np.zeros_like(logits)
    for row, label in zip(range(len(logits)), labels):
        log_norm = np.logaddexp.reduce(logits[row])
        total += log_norm - logits[row, label]
        grad[row] = np.exp(logits[row] - log_norm)
        grad[row, label] -= 1
    return total / len(labels), grad / len(labels)


def test_softmax_cross_entropy_written_differently_passes():
    assert run("softmax_cross_entropy", softmax_cross_entropy=softmax_ce_by_rows).passed


# --- forward_with_cache --------------------------------------------------------------------

ACT = {"relu": lambda z: np.maximum(z, 0), "sigmoid": lambda z: 1 / (1 + np.exp(-z)), "tanh": np.tanh}


def forward(activate_last=None, probabilities=False, biases=True, fixed_hidden=None, pair=True):
    """forward_with_cache with one of the usual slips switched on; the cache is a list of (Z, A)."""
    def forward_with_cache(X, layers, hidden="relu"):
        if hidden not in ACT:
            raise ValueError("unknown activation")
        A = np.asarray(X, dtype=float)
        cache = [(None, A)]
        for index, (W, b) in enumerate(layers):
            Z = A @ W + (b if biases else 0.0)
            last = index == len(layers) - 1
            A = (ACT[activate_last](Z) if activate_last else Z) if last else ACT[fixed_hidden or hidden](Z)
            cache.append((Z, A))
        if probabilities:
            A = np.exp(A - A.max(axis=1, keepdims=True))
            A = A / A.sum(axis=1, keepdims=True)
        return (A, cache) if pair else A
    return forward_with_cache


@pytest.mark.parametrize("slip, hint", [
    ({"probabilities": True}, "these are probabilities: return the logits"),
    ({"fixed_hidden": "relu"}, "the hidden layers use relu whatever `hidden` says"),
    ({"activate_last": "relu"}, "the last layer is linear"),
    ({"biases": False}, "the biases are missing"),
], ids=["softmax applied", "hidden ignored", "last activated", "no biases"])
def test_forward_mistakes_are_named(slip, hint):
    result = run("forward_with_cache", full=False, forward_with_cache=forward(**slip))
    assert not result.passed
    assert hint in failures(result)


def test_a_forward_that_returns_only_the_logits_is_told_to_return_the_pair():
    result = run("forward_with_cache", full=False, forward_with_cache=forward(pair=False))
    assert not any(case.passed for case in result.cases)  # a refusal counts only once it works
    assert "forward_with_cache returns a pair: return logits, cache" in failures(result)


def test_forward_with_a_cache_of_its_own_passes():
    assert run("forward_with_cache", forward_with_cache=forward()).passed


# --- network_gradients ------------------------------------------------------------------------

def backprop(per_sample_mean=True, sign=1.0, slope=None, transpose=False, db_axis=0, keepdims=False):
    """network_gradients for forward()'s cache, with one of the usual slips switched on."""
    slopes = {"relu": lambda Z, A: (Z > 0).astype(float), "sigmoid": lambda Z, A: A * (1 - A),
              "tanh": lambda Z, A: 1 - A ** 2}

    def network_gradients(labels, layers, cache, hidden="relu"):
        labels = np.asarray(labels, dtype=int)
        logits = cache[-1][1]
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        dZ = sign * (p - np.eye(logits.shape[1])[labels]) / (len(labels) if per_sample_mean else 1)
        grads = []
        for index in range(len(layers) - 1, -1, -1):
            Z_prev, A_prev = cache[index]
            dW = A_prev.T @ dZ
            grads.append((dW.T if transpose else dW, dZ.sum(axis=db_axis, keepdims=keepdims)))
            if index:
                dZ = (dZ @ np.asarray(layers[index][0]).T) * slopes[slope or hidden](Z_prev, A_prev)
        return grads[::-1]
    return network_gradients


def run_gradients(full=True, **slip):
    return run("network_gradients", full, forward_with_cache=forward(), network_gradients=backprop(**slip))


def test_backprop_with_a_cache_of_its_own_passes():
    assert run_gradients().passed


def test_backprop_with_loops_over_the_samples_passes():
    def network_gradients(labels, layers, cache, hidden="relu"):
        grads = [(np.zeros(np.shape(W)), np.zeros(np.shape(b))) for W, b in layers]
        logits = cache[-1][1]
        for row, label in enumerate(np.asarray(labels, dtype=int)):
            p = np.exp(logits[row] - logits[row].max())
            dz = p / p.sum()
            dz[label] -= 1
            for index in range(len(layers) - 1, -1, -1):
                Z_prev, A_prev = cache[index]
                grads[index][0][...] += np.outer(A_prev[row], dz) / len(labels)
                grads[index][1][...] += dz / len(labels)
                if index:
                    slope = {"relu": Z_prev[row] > 0, "sigmoid": A_prev[row] * (1 - A_prev[row]),
                             "tanh": 1 - A_prev[row] ** 2}[hidden]
                    dz = (np.asarray(layers[index][0]) @ dz) * slope
        return grads
    assert run("network_gradients", forward_with_cache=forward(), network_gradients=network_gradients).passed


@pytest.mark.parametrize("slip, hint", [
    ({"per_sample_mean": False}, "every gradient is n = 5 times too large"),
    ({"sign": -1.0}, "every gradient has the wrong sign"),
    ({"slope": "sigmoid"}, "layer 1 is right, so the error goes wrong flowing back into layer 0"),
    ({"transpose": True}, "dW is transposed"),
    ({"db_axis": 1}, "db is summed over the wrong axis"),
    ({"keepdims": True}, "b is 1-D"),
], ids=["1/n forgotten", "sign", "wrong activation derivative", "dW transposed", "db axis", "db keepdims"])
def test_backprop_mistakes_are_named_on_public_cases(slip, hint):
    result = run_gradients(full=False, **slip)
    assert not result.passed
    assert hint in failures(result)


def test_a_wrong_tanh_derivative_is_located_in_hidden_cases():
    slopes = backprop(slope="sigmoid")  # tanh networks given sigmoid's A (1 - A)
    result = run("network_gradients", forward_with_cache=forward(), network_gradients=slopes)
    messages = failures(result)
    assert "with the derivative of tanh: 1 - A**2" in messages
    assert "with the derivative of sigmoid" not in messages  # sigmoid networks are right


def test_public_failures_show_the_gradient_and_hidden_ones_do_not():
    result = run_gradients(sign=-1.0)
    public, hidden = result.cases[0], result.cases[4]
    assert "expected [" in public.message and "got [" in public.message
    assert "expected" not in hidden.message.split(" - hint")[0]


def test_network_gradients_is_graded_with_the_students_own_forward():
    def broken(X, layers, hidden="relu"):
        raise RuntimeError("broken forward")
    result = run("network_gradients", forward_with_cache=broken)
    assert result.score == 0
    assert ("network_gradients is given the cache of your forward_with_cache, but forward_with_cache "
            "raised RuntimeError") in failures(result)


def test_network_gradients_that_changes_layers_in_place_fails():
    def network_gradients(labels, layers, cache, hidden="relu"):
        grads = REF.network_gradients(labels, layers, cache, hidden)
        layers[0][0][...] -= 0.1 * grads[0][0]
        return grads
    assert "changed its input layers in place" in failures(run("network_gradients", network_gradients=network_gradients))


def changes_layers_beyond_the_wire(forward_with_cache):
    """`forward_with_cache` that also puts into `layers` something plain data cannot carry."""
    def changed(X, layers, hidden="relu"):
        layers.append(lambda: "the cache")
        return forward_with_cache(X, layers[:-1], hidden)
    return changed


def test_a_forward_that_changes_layers_beyond_reporting_fails():
    result = run("forward_with_cache", forward_with_cache=changes_layers_beyond_the_wire(REF.forward_with_cache))
    assert result.score == 0  # its refusal counts only once it works on valid input
    assert ("it changed its input layers (it could not be reported back: a value of type function)"
            in failures(result))


def test_a_forward_that_changes_layers_beyond_reporting_fails_in_the_sandbox():
    source = Path(REF.module.__file__).read_text() + (
        "\n_right_forward = forward_with_cache\n"
        "def forward_with_cache(X, layers, hidden='relu'):\n"
        "    layers.append(lambda: 'the cache')\n"
        "    return _right_forward(X, layers[:-1], hidden)\n")
    zygote = Zygote(("numpy",))
    sandboxed = SandboxStudent(zygote, [("solution", source)], Limits(call_timeout=10))
    try:
        result = TESTS["forward_with_cache"].run(sandboxed, REF)
        gradients = TESTS["network_gradients"].run(sandboxed, REF)
    finally:
        sandboxed.close()
        zygote.close()
    assert result.score == 0 and not result.process_failure
    assert "it could not be reported back: a value of type function" in failures(result)
    # The cache stayed in the child: network_gradients used it there, and is right.
    assert gradients.passed, failures(gradients)


def test_lying_gradients_get_no_credit():
    def network_gradients(labels, layers, cache, hidden="relu"):
        right = REF.network_gradients(labels, layers, cache, hidden)
        return [(lying_array(2 * dW + 1, dW), lying_array(2 * db + 1, db)) for dW, db in right]
    assert run("network_gradients", network_gradients=network_gradients).score == 0


# --- gradient_check ------------------------------------------------------------------------

def test_a_constant_answer_fails_where_the_error_is_honestly_large():
    result = run("gradient_check", gradient_check=lambda X, labels, layers, hidden="relu", h=1e-5: 0.0)
    failed = [case.label for case in result.cases if not case.passed]
    assert len(failed) == 4 and all("kink" in label or "h = " in label for label in failed)
    assert "differ by a relative error of" in failures(result)


def test_gradient_check_ignoring_h_fails_the_large_steps():
    def gradient_check(X, labels, layers, hidden="relu", h=1e-5):
        return REF.gradient_check(X, labels, layers, hidden)
    result = run("gradient_check", full=False, gradient_check=gradient_check)
    assert [case.passed for case in result.cases] == [True, True, False]


def test_the_declared_mistake_is_in_the_source_and_costs_its_test():
    mistake = checks.ASSIGNMENT.mistake
    cell = notebooks.solution_cells(SOURCE)[mistake.function].source
    namespace = notebook_namespace()
    exec(mistake.applied_to(cell), namespace)
    result = grade(TESTS[mistake.function], namespace, REF)
    assert 0 < result.score < TESTS[mistake.function].points
    assert "take (loss(p + h) - loss(p - h)) / (2h)" in failures(result)


def test_a_right_check_of_a_wrong_backward_pass_earns_the_points_and_a_silent_one_does_not():
    """gradient_check is judged by consistency: it must report what the student's backward does."""
    wrong = backprop(per_sample_mean=False)
    honest = notebook_namespace(forward_with_cache=forward(), network_gradients=wrong)
    result = grade(TESTS["gradient_check"], honest, REF)
    assert result.passed, failures(result)
    silent = notebook_namespace(forward_with_cache=forward(), network_gradients=wrong,
                                gradient_check=lambda X, labels, layers, hidden="relu", h=1e-5: 1e-9)
    result = grade(TESTS["gradient_check"], silent, REF)
    assert result.score == 0
    assert "(a correct gradient_check gives about the same)" in failures(result)


def test_gradient_check_reports_a_broken_network_gradients():
    result = run("gradient_check", full=False, network_gradients=lambda labels, layers, cache, hidden="relu": None)
    assert result.score == 0
    assert "network_gradients returned a gradient that does not fit the layers" in failures(result)


def test_the_graders_comparison_is_tiny_for_a_right_backward_and_large_at_the_kinks():
    test = TESTS["gradient_check"]
    for case in test.cases():
        X, labels, layers, hidden, h = checks._check_args(case)
        _, cache = REF.forward_with_cache(X, layers, hidden)
        value = checks.largest_relative_error(REF.network_gradients(labels, layers, cache, hidden),
                                              test.centred_differences(REF, case))
        assert (value > 1e-4) == ("kink" in case.label or h >= 0.05), (case.label, value)
        assert value == pytest.approx(REF.gradient_check(X, labels, layers, hidden, h), rel=0.5, abs=1e-8)


def test_the_public_centred_differences_are_the_references():
    for case in TESTS["gradient_check"].cases():
        if case.public:
            computed = REF.centred_differences(*checks._check_args(case))
            assert checks.largest_relative_error(case.expected, computed) < 1e-12, case.label


def test_a_gradient_check_that_leaves_the_layers_nudged_fails():
    def gradient_check(X, labels, layers, hidden="relu", h=1e-5):
        value = REF.gradient_check(X, labels, layers, hidden, h)
        layers[0][0][0, 0] += h  # nudged in place and not put back
        return value
    result = run("gradient_check", gradient_check=gradient_check)
    assert result.score == 0
    assert "it changed its input layers in place" in failures(result)


@pytest.mark.parametrize("value", [float("nan"), -1.0, "small", [1e-9, 1e-9]])
def test_a_malformed_gradient_check_answer_fails_with_a_reason(value):
    result = run("gradient_check", full=False, gradient_check=lambda X, labels, layers, hidden="relu", h=1e-5: value)
    assert result.score == 0
    assert "relative error" in failures(result)


# --- optimisers (lesson 05) ---------------------------------------------------------------------

def test_momentum_in_the_other_convention_is_named():
    def momentum_step(param, grad, velocity, learning_rate, beta=0.9):
        v = beta * np.asarray(velocity) - learning_rate * np.asarray(grad)
        return np.asarray(param) + v, v
    assert "the other common convention" in failures(run("momentum_step", full=False, momentum_step=momentum_step))


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
        assert 0 < result.score < 2  # a zero gradient from zero moments is right either way


def test_adam_with_t_off_by_one_is_named():
    def adam_step(param, grad, m, v, t, **settings):
        return REF.adam_step(param, grad, m, v, t + 1, **settings)
    assert "t counts from 1" in failures(run("adam_step", full=False, adam_step=adam_step))


def test_adam_in_its_efficient_form_passes():
    def adam_step(param, grad, m, v, t, learning_rate=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        grad = np.asarray(grad, dtype=float)
        m = beta1 * np.asarray(m, dtype=float) + (1 - beta1) * grad
        v = beta2 * np.asarray(v, dtype=float) + (1 - beta2) * grad * grad
        step = learning_rate * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
        return np.asarray(param, dtype=float) - step * m / (np.sqrt(v) + eps), m, v
    assert run("adam_step", adam_step=adam_step).passed


def test_an_optimiser_returning_an_impostor_gets_no_credit():
    result = run("momentum_step", momentum_step=lambda *args, **kw: Impostor(REF.momentum_step(*args, **kw)))
    assert result.score == 0  # its refusal counts only once it works on valid input


# --- train_network --------------------------------------------------------------------------

def trainer(slip):
    """train_network as the grader's model of the mistake `slip` (the reference's run with that slip)."""
    def train_network(X, labels, layer_sizes, optimizer, learning_rate, epochs, batch_size, seed):
        if optimizer not in ("sgd", "momentum", "adam"):
            raise ValueError("unknown optimizer")
        layers, losses = getattr(REF.mistakes, slip)(X, labels, layer_sizes, optimizer, learning_rate, epochs,
                                                     batch_size, seed)
        return list(layers), losses
    return train_network


def test_the_training_models_without_their_slip_are_the_reference():
    for case in TESTS["train_network"].cases():
        if not case.raises and not isinstance(case, checks.HeldOut):
            layers, losses = REF.mistakes._trained(*case.args)
            right_layers, right_losses = REF.train_network(*case.args)
            assert np.allclose(losses, right_losses, rtol=1e-12) and all(
                np.allclose(part, right, rtol=1e-12) for pair, pair_right in zip(layers, right_layers)
                for part, right in zip(pair, pair_right)), case.label


@pytest.mark.parametrize("full", [False, True], ids=["public", "full"])
@pytest.mark.parametrize("slip, hint", [
    ("same_batches_every_epoch", "every epoch uses the same batches"),
    ("losses_before_updates", "losses[i] is the loss after epoch i"),
    ("t_counts_epochs", "Adam's t counts updates (batches), not epochs"),
    ("state_reset_every_epoch", "the optimiser's state (velocity, m, v) starts at zero once"),
], ids=["same batches", "losses before", "t per epoch", "state reset"])
def test_training_slips_are_named(slip, hint, full):
    result = run("train_network", full, train_network=trainer(slip))
    assert not result.passed
    assert hint in failures(result)


def adam_unchecked(param, grad, m, v, t, learning_rate=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    """Adam without the check of t, so that t = 0 divides by 1 - beta ** 0 = 0."""
    grad = np.asarray(grad, dtype=float)
    m = beta1 * np.asarray(m, dtype=float) + (1 - beta1) * grad
    v = beta2 * np.asarray(v, dtype=float) + (1 - beta2) * grad ** 2
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return np.asarray(param) - learning_rate * m_hat / (np.sqrt(v_hat) + eps), m, v


def test_adam_counting_t_from_0_is_named():
    namespace = notebook_namespace(adam_step=adam_unchecked)
    source = notebooks.solution_cells(SOURCE)["train_network"].source
    exec(source.replace("updates = 0", "updates = -1"), namespace)
    result = grade(TESTS["train_network"], namespace)
    assert "t counts updates from 1" in failures(result)
    assert [case.passed for case in result.cases] == [True, True, False, False]


def test_an_untrained_network_fails_the_held_out_cases_by_accuracy():
    def train_network(X, labels, layer_sizes, optimizer, learning_rate, epochs, batch_size, seed):
        layers = REF.init_layers(layer_sizes, seed)
        loss = REF.softmax_cross_entropy(REF.forward_with_cache(X, layers)[0], labels)[0]
        return layers, [loss] * epochs
    result = run("train_network", train_network=train_network)
    assert "held-out digits correctly, at least 90% expected" in failures(result)
    assert not any(case.passed for case in result.cases if "held-out" in case.label)


def test_a_last_loss_that_is_not_the_returned_networks_fails_the_held_out_cases():
    def train_network(*args):
        layers, losses = REF.train_network(*args)
        return layers, np.asarray(losses) * 1.01
    result = run("train_network", full=False, train_network=train_network)
    assert "the last loss is" in failures(result)
    assert result.score == 0


@pytest.mark.parametrize("returned, problem", [
    (None, "expected a pair (layers, losses)"),
    (([], []), "a list of 2 pairs (W, b), got 0 items"),
    (([(np.zeros((64, 32)), np.zeros(32)), (np.zeros((10, 32)), np.zeros(10))], np.zeros(20)), "expected W as"),
    (([(np.zeros((64, 32)), np.zeros(32)), (np.full((32, 10), np.nan), np.zeros(10))], np.zeros(20)), "inf or NaN"),
])
def test_malformed_networks_fail_the_held_out_case_with_a_reason(returned, problem):
    result = run("train_network", full=False, train_network=lambda *args: returned)
    held_out = [case for case in result.cases if "held-out" in case.label]
    assert held_out and not held_out[0].passed and problem in held_out[0].message


def test_the_reference_clears_the_accuracy_bar_with_room_to_spare():
    for case in TESTS["train_network"].cases():
        if isinstance(case, checks.HeldOut):
            layers, _ = REF.train_network(*case.args)
            logits = REF.forward_with_cache(case.X_test, layers)[0]
            assert np.mean(np.argmax(logits, axis=1) == case.y_test) >= 0.95


def test_without_a_reference_the_held_out_case_is_measured_with_the_students_own_forward():
    def forward_with_cache(X, layers, hidden="relu"):
        raise RuntimeError("broken forward")
    def train_network(*args):
        return REF.train_network(*args)
    result = run("train_network", full=False, forward_with_cache=forward_with_cache, train_network=train_network)
    held_out = [case for case in result.cases if "held-out" in case.label]
    assert held_out and not held_out[0].passed
    assert ("measures the returned network with your forward_with_cache here (with the grader's when graded), "
            "but forward_with_cache raised RuntimeError") in held_out[0].message
    assert run("train_network", forward_with_cache=forward_with_cache, train_network=train_network).passed


def test_one_held_out_case_is_on_the_moons():
    X_train, y_train, X_test, y_test = checks.moons_split(0)
    assert len(X_train) + len(X_test) == checks.MOONS_ROWS and set(np.unique(y_test)) == {0, 1}
    assert any(case.data == "moons points" for case in TESTS["train_network"].cases()
               if isinstance(case, checks.HeldOut))


def test_the_digits_split_is_the_graders_and_scaled():
    X_train, y_train, X_test, y_test = checks.digits_split(0)
    assert len(X_train) + len(X_test) == 1797 and len(X_test) == 449
    assert X_train.max() <= 1.0 and X_train.min() >= 0.0
    assert set(np.unique(y_test)) == set(range(10))


def test_every_training_run_is_a_bounded_amount_of_work():
    """Rows times epochs is capped, so a run costs a student's process well under a second
    (0.1-0.2 s for the digits with one BLAS thread), far below the 10 s a call may take."""
    for case in TESTS["train_network"].cases():
        X, _, sizes, _, _, epochs, batch_size = case.args[:7]
        assert len(X) * epochs <= 45000 and max(sizes) <= 64 and batch_size >= 1, case.label
    started = time.perf_counter()
    for case in TESTS["train_network"].cases():
        if not case.raises:
            REF.train_network(*case.args)
    assert time.perf_counter() - started < 20.0


# --- the assignment as a whole ----------------------------------------------------------------

def test_points_and_order_follow_the_contract():
    assert [(test.function, test.points) for test in checks.ASSIGNMENT.tests] == [
        ("softmax_cross_entropy", 3), ("forward_with_cache", 1), ("network_gradients", 4),
        ("gradient_check", 2), ("momentum_step", 1), ("adam_step", 2), ("train_network", 3)]
    assert checks.ASSIGNMENT.points == 16


@pytest.mark.parametrize("function", list(TESTS))
def test_every_function_has_public_and_hidden_cases(function):
    cases = TESTS[function].cases()
    assert any(case.public for case in cases) and any(not case.public for case in cases)


@pytest.mark.parametrize("function", list(TESTS))
def test_the_source_notebooks_answers_written_differently_get_full_marks(function):
    namespace = notebook_namespace()
    for full in (False, True):
        result = grade(TESTS[function], namespace, REF if full else None)
        assert result.passed, failures(result)


def test_the_mislabelled_seed_point_is_gone():
    text = (REPO / "autograder" / "checks" / "ps3_backprop.py").read_text()
    text += (REPO / "assignments" / "ps3_backprop" / "ps3_backprop.ipynb").read_text()
    assert "[0.1, 0.9]" not in text and "SEED_X" not in text
