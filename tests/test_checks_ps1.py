"""The ps1_forward checks: fair to right answers, however written; firm with wrong ones.

Each typical mistake of the version-2 functions (init_layers, network_forward, accuracy)
fails with the hint that names it, and every function has hidden cases.
"""
import numpy as np
import pytest

from autograder.checks import ps1_forward as checks
from autograder.notebooks import cells as notebooks
from check_helpers import (REPO, Impostor, LyingFloat, failures, grade, lying_array, reference_of,
                           student)

REF = reference_of("ps1_forward")
TESTS = {test.function: test for test in checks.ASSIGNMENT.tests}
SOURCE = REPO / "assignments" / "ps1_forward" / "ps1_forward.ipynb"


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
    del namespace["init_layers"]
    result = grade(TESTS["init_layers"], namespace, REF)
    assert result.score == 0
    assert "init_layers is not defined" in failures(result)


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
    result = run("accuracy", lambda probs, labels: LyingFloat(-1.0, REF.accuracy(probs, labels)))
    assert not any(case.passed for case in result.cases)  # its refusals count only once it works


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


# --- partial credit --------------------------------------------------------------------

def dense_without_checks(x, W, b, activation):
    z = np.asarray(x, dtype=float) @ np.asarray(W, dtype=float) + b
    return {"relu": REF.relu, "sigmoid": REF.sigmoid}.get(activation, lambda v: v)(z)


def test_partial_credit_is_the_fraction_of_cases_passed():
    full = run("dense", dense_without_checks)
    unknown_names = [case for case in full.cases if "not one of the three" in case.label]
    assert [case.passed for case in unknown_names] == [False, False]
    assert sum(not case.passed for case in full.cases) == 2
    assert full.score == round(2 * (len(full.cases) - 2) / len(full.cases), 4)
    public = run("dense", dense_without_checks, full=False)
    assert public.score == round(2 * 3 / 4, 4)
    assert not public.passed


# --- every function has hidden cases ----------------------------------------------------

@pytest.mark.parametrize("function", sorted(TESTS))
def test_every_function_has_public_and_hidden_cases(function):
    cases = TESTS[function].cases()
    assert any(case.public for case in cases) and sum(not case.public for case in cases) >= 3


def test_the_points_are_the_contracts():
    assert {name: test.points for name, test in TESTS.items()} == {
        "relu": 1, "sigmoid": 1, "dense": 2, "init_layers": 2, "network_forward": 3, "accuracy": 1}
    assert [test.function for test in checks.ASSIGNMENT.tests] == [
        "relu", "sigmoid", "dense", "init_layers", "network_forward", "accuracy"]


# --- init_layers ---------------------------------------------------------------------------

GAINS = {"he": 2.0, "xavier": 1.0}


def init_with(std=lambda gain, n_in, n_out: np.sqrt(gain / n_in), draw_b=False, b=np.zeros,
              fresh=False, transpose_draw=False, reverse=False, legacy=False, shape_out_in=False):
    """init_layers written with one mistake (or none, with the defaults)."""
    def init_layers(layer_sizes, seed, scheme="he"):
        if scheme not in ("he", "xavier", "zeros"):
            raise ValueError("unknown scheme")
        sizes = [int(size) for size in layer_sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError("bad sizes")
        make = np.random.RandomState if legacy else np.random.default_rng
        rng = make(seed)
        pairs = list(enumerate(zip(sizes[:-1], sizes[1:])))
        layers = [None] * len(pairs)
        for index, (n_in, n_out) in (reversed(pairs) if reverse else pairs):
            if fresh:
                rng = make(seed)
            if scheme == "zeros":
                W = np.zeros((n_in, n_out))
            else:
                scale = std(GAINS[scheme], n_in, n_out)
                if transpose_draw:
                    W = rng.normal(0.0, scale, size=(n_out, n_in)).T
                else:
                    W = rng.normal(0.0, scale, size=(n_in, n_out))
            bias = rng.normal(0.0, 1.0, size=n_out) if draw_b and scheme != "zeros" else b(n_out)
            layers[index] = (W.T if shape_out_in else W, bias)
        return layers
    return init_layers


@pytest.mark.parametrize("mistake, hint", [
    (init_with(std=lambda gain, n_in, n_out: gain / n_in), "you used the variance (no square root)"),
    (init_with(std=lambda gain, n_in, n_out: np.sqrt(gain / n_out)), "not by its outputs"),
    (init_with(std=lambda gain, n_in, n_out: np.sqrt((3.0 - gain) / n_in)), "the other scheme's scale"),
    (init_with(std=lambda gain, n_in, n_out: 1.0), "the weights are not scaled"),
    (init_with(b=np.ones), "every b must start at zeros"),
    (init_with(fresh=True), "create the generator once, before the loop"),
    (init_with(transpose_draw=True), "draw each W with size=(n_in, n_out)"),
    (init_with(reverse=True), "draw the layers in order"),
    (init_with(legacy=True), "np.random.seed with the np.random functions"),
    (init_with(shape_out_in=True), "each W has shape (n_in, n_out)"),
], ids=["std as variance", "n_out", "schemes swapped", "unscaled", "b ones", "generator per layer",
        "transposed draw", "reversed order", "legacy generator", "W transposed"])
def test_each_init_layers_mistake_fails_with_its_hint(mistake, hint):
    result = run("init_layers", mistake)
    assert not result.passed
    assert hint in failures(result), failures(result)


def test_drawing_b_is_named():
    def init_layers(layer_sizes, seed, scheme="he"):
        if scheme not in GAINS:
            return REF.init_layers(layer_sizes, seed, scheme)
        rng = np.random.default_rng(seed)
        sizes = list(layer_sizes)
        layers = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            std = np.sqrt(GAINS[scheme] / n_in)
            layers.append((rng.normal(0.0, std, size=(n_in, n_out)), rng.normal(0.0, std, size=n_out)))
        return layers
    assert "b is drawn too" in failures(run("init_layers", init_layers))


def test_a_transposed_network_names_the_layer_and_its_part():
    message = failures(run("init_layers", init_with(shape_out_in=True), full=False))
    assert "layer 0's W: expected an array of shape (3, 2), got an array of shape (2, 3)" in message


def test_the_declared_mistake_costs_part_of_init_layers_with_the_variance_hint():
    mistake = checks.ASSIGNMENT.mistake
    assert mistake.function == "init_layers"
    source = next(cell for cell in notebooks.cells(notebooks.read(SOURCE)) if cell.name == "init_layers").source
    namespace = {"np": np}
    exec(mistake.applied_to(source), namespace)  # noqa: S102 (the course's own notebook)
    result = run("init_layers", namespace["init_layers"])
    assert 0 < result.score < TESTS["init_layers"].points
    assert "you used the variance" in failures(result)


def init_standard_normal(layer_sizes, seed, scheme="he"):
    gains = {"he": 2.0, "xavier": 1.0, "zeros": 0.0}
    if scheme not in gains or len(layer_sizes) < 2 or min(layer_sizes) < 1:
        raise ValueError("init_layers: bad scheme or sizes")
    rng = np.random.default_rng(seed)
    layers = []
    for i in range(len(layer_sizes) - 1):
        n_in, n_out = int(layer_sizes[i]), int(layer_sizes[i + 1])
        W = np.zeros((n_in, n_out)) if scheme == "zeros" else \
            rng.standard_normal((n_in, n_out)) * (gains[scheme] / n_in) ** 0.5
        layers.append([W, np.zeros(n_out)])
    return layers


@pytest.mark.parametrize("init_layers", [init_with(), init_standard_normal], ids=["loop", "standard normal"])
def test_init_layers_alternatives(init_layers):
    result = run("init_layers", init_layers)
    assert result.passed, failures(result)


# --- network_forward -----------------------------------------------------------------------

ACT = {"relu": lambda z: np.maximum(z, 0.0), "sigmoid": lambda z: 0.5 * (1 + np.tanh(z / 2)), "tanh": np.tanh}


def forward_with(naive=False, last_activated=False, axis=1, output="softmax", bias=True, always=None):
    """network_forward written with one mistake (or none, with the defaults)."""
    def network_forward(X, layers, hidden="relu"):
        if hidden not in ACT:
            raise ValueError("unknown hidden activation")
        a = np.asarray(X, dtype=float)
        for index, (W, b) in enumerate(layers):
            z = a @ np.asarray(W, dtype=float) + (np.asarray(b, dtype=float) if bias else 0.0)
            a = ACT[always or hidden](z) if index < len(layers) - 1 or last_activated else z
        if output == "logits":
            return a
        if output == "sigmoid":
            return ACT["sigmoid"](a)
        e = np.exp(a if naive else a - np.max(a, axis=axis, keepdims=True))
        return e / np.sum(e, axis=axis, keepdims=True)
    return network_forward


@pytest.mark.parametrize("mistake, hint", [
    (forward_with(naive=True), "subtract each row's largest logit before exp"),
    (forward_with(last_activated=True), "the last layer is linear"),
    (forward_with(axis=0), "the softmax normalises each row (axis=1)"),
    (forward_with(output="logits"), "these are the logits"),
    (forward_with(output="sigmoid"), "not a sigmoid of each logit"),
    (forward_with(bias=False), "the biases are missing"),
    (forward_with(always="relu"), "this uses the 'relu' hidden activation"),
    (lambda X, layers, hidden="relu": forward_with()(X, layers, hidden).T, "your result is transposed"),
], ids=["softmax overflows", "last layer activated", "axis 0", "logits", "sigmoid output", "no bias",
        "always relu", "transposed"])
def test_each_network_forward_mistake_fails_with_its_hint(mistake, hint):
    result = run("network_forward", mistake)
    assert not result.passed
    assert hint in failures(result), failures(result)


def test_a_softmax_without_the_shift_fails_in_public_too():
    result = run("network_forward", forward_with(naive=True), full=False)
    message = failures(result)
    assert "must not overflow" in message and ("nan" in message or "warning" in message)


def test_changing_the_layers_in_place_fails():
    def network_forward(X, layers, hidden="relu"):
        for W, b in layers:
            if isinstance(W, np.ndarray) and W.dtype.kind == "f":
                W *= 1.0 + 1e-3 * 0  # a write into the caller's array, same values...
                W[...] = W + 0.0
                b += 1.0  # ...and a change
                b -= 1.0
                b[...] = b * 2.0
                b[...] = b / 2.0
        return REF.network_forward(X, [(np.asarray(W), np.asarray(b) + 1.0) for W, b in layers], hidden)
    result = run("network_forward", network_forward)
    assert not result.passed


def test_a_bias_changed_in_place_is_reported():
    def network_forward(X, layers, hidden="relu"):
        probs = REF.network_forward(X, layers, hidden)
        for _, b in layers:
            if isinstance(b, np.ndarray) and b.dtype.kind == "f":
                b[...] = 0.0
        return probs
    result = run("network_forward", network_forward)
    assert "changed its input layers in place" in failures(result)


def forward_logsumexp(X, layers, hidden="relu"):
    if hidden not in ACT:
        raise ValueError("unknown hidden activation %r" % hidden)
    a = np.array(X, dtype=float)
    *inner, (W_last, b_last) = [(np.array(W, dtype=float), np.array(b, dtype=float)) for W, b in layers]
    for W, b in inner:
        a = ACT[hidden](a @ W + b)
    z = a @ W_last + b_last
    m = z.max(axis=1, keepdims=True)
    return np.exp(z - (m + np.log(np.exp(z - m).sum(axis=1, keepdims=True))))


def forward_float32(X, layers, hidden="relu"):
    """Computed in float32 throughout where the inputs are float32: within rtol 1e-5."""
    a = np.asarray(X)
    dtype = a.dtype if a.dtype == np.float32 else np.float64
    a = a.astype(dtype)
    for index, (W, b) in enumerate(layers):
        z = a @ np.asarray(W, dtype=dtype) + np.asarray(b, dtype=dtype)
        if index == len(layers) - 1:
            a = z
        elif hidden in ACT:
            a = ACT[hidden](z).astype(dtype)
        else:
            raise ValueError("unknown hidden activation")
    e = np.exp(a - a.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("network_forward", [forward_with(), forward_logsumexp, forward_float32],
                         ids=["loop", "logsumexp", "float32 arithmetic"])
def test_network_forward_alternatives(network_forward):
    result = run("network_forward", network_forward)
    assert result.passed, failures(result)


def test_float32_inputs_are_judged_with_rtol_1e5_and_others_not():
    float32_case = next(case for case in TESTS["network_forward"].cases() if "float32" in case.label)
    other = next(case for case in TESTS["network_forward"].cases() if not case.public and not case.raises)
    for case, tolerated in ((float32_case, True), (other, False)):
        expected = TESTS["network_forward"].expected(REF, case)
        nudged = expected * (1 + 5e-6)
        assert (TESTS["network_forward"].problem(case, nudged, expected, REF) is None) is tolerated


# --- accuracy -------------------------------------------------------------------------------

def accuracy_right(probs, labels):
    probs, labels = np.asarray(probs, dtype=float), np.asarray(labels)
    if len(probs) != len(labels):
        raise ValueError("probs and labels have different numbers of rows")
    return float(np.mean(np.argmax(probs, axis=1) == labels))


@pytest.mark.parametrize("mistake, hint", [
    (lambda p, y: float(np.mean(np.asarray(p)[np.arange(len(y)), np.asarray(y)])), "the mean probability"),
    (lambda p, y: accuracy_right(p, y) * len(y), "divide by the number of rows"),
    (lambda p, y: accuracy_right(p, y) * 100, "not a percentage"),
    (lambda p, y: 1 - accuracy_right(p, y), "the fraction of rows predicted wrong"),
    (lambda p, y: float(np.mean(np.max(p, axis=1) == np.asarray(y))), "not the probability itself"),
], ids=["mean probability", "count", "percentage", "error rate", "compares probabilities"])
def test_each_accuracy_mistake_fails_with_its_hint(mistake, hint):
    result = run("accuracy", mistake)
    assert not result.passed
    assert hint in failures(result), failures(result)


def test_accuracy_ties_go_to_the_first_largest():
    def last_largest(probs, labels):
        probs = np.asarray(probs, dtype=float)
        flipped = np.argmax(probs[:, ::-1], axis=1)
        if len(probs) != len(labels):
            raise ValueError("rows differ")
        return float(np.mean(probs.shape[1] - 1 - flipped == np.asarray(labels)))
    result = run("accuracy", last_largest, full=False)
    assert [case.passed for case in result.cases] == [True, False, True]
    any_largest = lambda probs, labels: float(np.mean(  # noqa: E731
        np.asarray(probs)[np.arange(len(labels)), labels] == np.max(probs, axis=1)))
    assert "ties, labels at the second largest" in failures(run("accuracy", any_largest))


def accuracy_loop(probs, labels):
    if len(probs) != len(labels):
        raise ValueError("accuracy: %d rows but %d labels" % (len(probs), len(labels)))
    right = 0
    for row, label in zip(probs, labels):
        row = list(row)
        right += row.index(max(row)) == label
    return right / len(labels)


@pytest.mark.parametrize("accuracy", [accuracy_right, accuracy_loop], ids=["argmax", "loop"])
def test_accuracy_alternatives(accuracy):
    result = run("accuracy", accuracy)
    assert result.passed, failures(result)
