"""ps2_learning: gradient descent and loss functions.

Points: gradient_step 1, gradient_descent 2, mse 1, mae 1, huber 2,
binary_cross_entropy 2, categorical_cross_entropy 2, minibatches 2 (13 in all).
The one-line updates and the plain averages are worth 1; what has an edge to get
right (the path's first and last rows, the clip, the two pieces of Huber, the
shuffle and the short last batch) is worth 2.

Most hints are mistake models computed from the case itself (the inputs, or the
right answer), so they also help on the public cases in the student's notebook,
where there is no reference solution.
"""
import numpy as np

from .assignment import Assignment, Mistake
from .cases import Case, FunctionTest, expected_as, inputs, nonfinite, same_as
from .compare import as_float_array



def _random(seed, *shape, scale=1.0):
    return np.random.default_rng(seed).normal(0.0, scale, size=shape)


def _probabilities(seed, *shape):
    return np.random.default_rng(seed).uniform(0.02, 0.98, size=shape)


def _labels(seed, *shape):
    return np.random.default_rng(seed).integers(0, 2, size=shape).astype(float)


def _one_hot(seed, n, k):
    return np.eye(k)[np.random.default_rng(seed).integers(0, k, size=n)]


def _softmax_rows(seed, n, k):
    z = _random(seed, n, k, scale=2.0)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _size(case):
    return np.size(case.args[0])


# --- gradient_step -----------------------------------------------------------------------

def gradient_step_cases():
    return [
        Case("the lesson's step: x = 5, gradient 4, learning rate 0.1", (5.0, 4.0, 0.1),
             public=True, expected=4.6),
        Case("x = [1, 2], grad = [0.5, -1], learning rate 0.2", ([1.0, 2.0], [0.5, -1.0], 0.2),
             public=True, expected=np.array([0.9, 2.2])),
        Case("a negative gradient: x = 0, gradient -6, learning rate 0.1", (0.0, -6.0, 0.1)),
        Case("random (3, 4) arrays, learning rate 0.01", (_random(1, 3, 4), _random(2, 3, 4), 0.01)),
        Case("learning rate 0 leaves x where it is", (_random(3, 5), _random(4, 5), 0.0)),
        Case("float32 arrays", (_random(5, 4).astype(np.float32), _random(6, 4).astype(np.float32), 0.5)),
        Case("x of shape (3,) with grad of shape (2,)", (_random(7, 3), _random(8, 2), 0.1),
             raises="ValueError"),
    ]


def _step_uphill(case, reference):
    x, grad, learning_rate = inputs(case)[0]
    return np.asarray(x, dtype=float) + learning_rate * np.asarray(grad, dtype=float)


def _step_without_rate(case, reference):
    x, grad, _ = inputs(case)[0]
    return np.asarray(x, dtype=float) - np.asarray(grad, dtype=float)


gradient_step = FunctionTest(
    "gradient_step", 1, gradient_step_cases, params=("x", "grad", "learning_rate"),
    hints=[
        same_as(_step_uphill, "this steps uphill (x + learning_rate * grad): "
                              "move against the gradient, x - learning_rate * grad"),
        same_as(_step_without_rate, "the learning rate is missing: x - learning_rate * grad"),
    ])


# --- gradient_descent --------------------------------------------------------------------

def bowl(center):
    """The gradient of (x - center)^2, as a tag the student's side turns into a function."""
    return {"$grad": {"kind": "quadratic", "params": {"center": center, "scale": 2.0}}}


def gradient_descent_cases():
    return [
        Case("the lesson's f(x) = (x - 3)^2 from x0 = 0, learning rate 0.1, 5 steps",
             (bowl(3.0), 0.0, 0.1, 5), public=True,
             expected=np.array([0.0, 0.6, 1.08, 1.464, 1.7712, 2.01696])),
        # x_k = 10 (1 - 0.8^k): after 20 steps x = 9.8847 (the lesson's seed text says 8.84).
        Case("the mini-challenge f(x) = (x - 10)^2 from x0 = 0, learning rate 0.1, 20 steps",
             (bowl(10.0), 0.0, 0.1, 20), public=True,
             expected=10.0 * (1.0 - 0.8 ** np.arange(21))),
        Case("an array x0 = [0, 0] towards [1, -2], learning rate 0.25, 2 steps",
             (bowl([1.0, -2.0]), [0.0, 0.0], 0.25, 2), public=True,
             expected=np.array([[0.0, 0.0], [0.5, -1.0], [0.75, -1.5]])),
        Case("steps = 0 gives just x0, as one row", (bowl(3.0), [2.0, 5.0], 0.1, 0)),
        Case("x0 of shape (2, 3), 10 steps", (bowl(_random(10, 2, 3)), _random(11, 2, 3), 0.05, 10)),
        Case("a learning rate too high (1.1): the walk diverges", (bowl(1.0), 0.5, 1.1, 8)),
        Case("an integer x0 = 7, learning rate 0.3, 4 steps", (bowl(-1.0), 7, 0.3, 4)),
        Case("a single step", (bowl(_random(12, 4)), _random(13, 4), 0.2, 1)),
        Case("steps = -1", (bowl(3.0), 0.0, 0.1, -1), raises="ValueError"),
    ]


def _walk_uphill(case, reference):
    grad_fn, x0, learning_rate, steps = inputs(case)[0]
    path = [np.asarray(x0, dtype=float)]
    for _ in range(steps):
        path.append(path[-1] + learning_rate * grad_fn(path[-1]))
    return np.array(path)


def _rows(case, expected):
    return np.asarray(expected).shape[0]


gradient_descent = FunctionTest(
    "gradient_descent", 2, gradient_descent_cases, params=("grad_fn", "x0", "learning_rate", "steps"),
    hints=[
        expected_as(lambda case, expected: expected[1:] if _rows(case, expected) > 1 else None,
                    "x0 is missing: the path starts with x0, then one row per step "
                    "(steps + 1 rows)"),
        expected_as(lambda case, expected: expected[:-1] if _rows(case, expected) > 1 else None,
                    "the path stops one step early: it has steps + 1 rows, x0 and then "
                    "every one of the `steps` iterates"),
        expected_as(lambda case, expected: expected[-1] if _rows(case, expected) > 1 else None,
                    "this is only the final x: return the whole path, x0 first"),
        expected_as(lambda case, expected: np.broadcast_to(expected[-1], np.shape(expected))
                    if _rows(case, expected) > 1 else None,
                    "every row is the final x: the list holds the same array each time, "
                    "changed in place by x -= ...; use x = x - ... (or append a copy)"),
        same_as(_walk_uphill, "this walks uphill (x + learning_rate * grad): the update is "
                              "x - learning_rate * grad_fn(x)"),
    ])


# --- mse and mae -------------------------------------------------------------------------

def regression_cases(seed, public_expected):
    """The cases both averages share; `public_expected` holds the two public answers."""
    lesson, four = public_expected
    return [
        Case("the lesson's 3 predictions [2.8, 5.3, 6.5] for targets [3, 5, 7]",
             ([3.0, 5.0, 7.0], [2.8, 5.3, 6.5]), public=True, expected=lesson),
        Case("targets [3, 5, 7, 9], predictions [2.8, 5.3, 6.5, 9.2]",
             (np.array([3.0, 5.0, 7.0, 9.0]), np.array([2.8, 5.3, 6.5, 9.2])), public=True,
             expected=four),
        Case("y_true of shape (3,) and y_pred of shape (3, 1): mismatched shapes",
             ([1.0, 2.0, 3.0], [[1.0], [2.0], [3.0]]), public=True, raises="ValueError"),
        Case("a single value", ([2.0], [-1.5])),
        Case("perfect predictions", (_random(seed, 6), _random(seed, 6))),
        Case("random (4, 3) arrays (the mean is over all 12 elements)",
             (_random(seed + 1, 4, 3), _random(seed + 2, 4, 3))),
        Case("random (50,) arrays with an outlier",
             (_random(seed + 3, 50), np.append(_random(seed + 4, 49), 40.0))),
        Case("float32 arrays", (_random(seed + 5, 7).astype(np.float32), _random(seed + 6, 7).astype(np.float32))),
        Case("y_true of shape (4,) and y_pred of shape (5,)", (_random(seed + 7, 4), _random(seed + 8, 5)),
             raises="ValueError"),
    ]


def _errors(case):
    y_true, y_pred = inputs(case)[0][:2]
    return np.asarray(y_true, dtype=float) - np.asarray(y_pred, dtype=float)


SUM_NOT_MEAN = "this is the sum of the errors' terms; divide by their number (np.mean)"

mse = FunctionTest(
    "mse", 1, lambda: regression_cases(20, (0.12666666666666668, 0.105)), params=("y_true", "y_pred"),
    hints=[
        expected_as(lambda case, expected: expected * _size(case), SUM_NOT_MEAN),
        expected_as(lambda case, expected: np.sqrt(expected),
                    "this is the root of the MSE (RMSE): leave out the square root"),
        expected_as(lambda case, expected: expected * _size(case) / (_size(case) - 1)
                    if _size(case) > 1 else None,
                    "this divides by n - 1: the mean divides by n"),
        same_as(lambda case, ref: np.var(_errors(case)),
                "np.var subtracts the mean error first: square the errors themselves"),
        same_as(lambda case, ref: np.mean(np.abs(_errors(case))), "this is the MAE: square the errors"),
    ])

mae = FunctionTest(
    "mae", 1, lambda: regression_cases(40, (0.3333333333333333, 0.3)), params=("y_true", "y_pred"),
    hints=[
        expected_as(lambda case, expected: expected * _size(case), SUM_NOT_MEAN),
        same_as(lambda case, ref: np.mean(_errors(case)),
                "positive and negative errors cancel here: take np.abs of each error"),
        same_as(lambda case, ref: np.mean(_errors(case) ** 2), "this is the MSE: use absolute errors"),
    ])


# --- huber -------------------------------------------------------------------------------

def huber_cases():
    targets = [0.0, 0.0, 0.0, 0.0]
    predictions = [0.5, -0.5, 2.0, -3.0]
    return [
        Case("errors [0.5, -0.5, 2, -3] with the default delta 1", (targets, predictions),
             public=True, expected=1.0625),
        Case("errors [0.5, -0.5, 2, -3] with delta = 2", (targets, predictions), {"delta": 2.0},
             public=True, expected=1.5625),
        Case("only small errors (Huber is half the MSE there)", (_random(60, 8, scale=0.3), np.zeros(8))),
        Case("only large errors", (_random(61, 8) + 5.0, np.zeros(8))),
        Case("random (5, 4) arrays", (_random(62, 5, 4, scale=2.0), _random(63, 5, 4))),
        Case("random (30,) arrays with delta = 0.5", (_random(64, 30, scale=2.0), _random(65, 30)),
             {"delta": 0.5}),
        Case("random (30,) arrays with delta = 3", (_random(66, 30, scale=3.0), _random(67, 30)),
             {"delta": 3.0}),
        Case("y_true of shape (3,) and y_pred of shape (3, 1)", ([1.0, 2.0, 3.0], [[1.0], [2.0], [3.0]]),
             raises="ValueError"),
    ]


def _huber_like(half=0.5, shift=0.5, delta=None):
    """Huber with its constants changed: the shapes of the usual slips."""
    def candidate(case, reference):
        args, kwargs = inputs(case)
        d = kwargs.get("delta", 1.0) if delta is None else delta
        e = np.abs(np.asarray(args[0], dtype=float) - np.asarray(args[1], dtype=float))
        return np.mean(np.where(e <= d, half * e ** 2, d * (e - shift * d)))
    return candidate


huber = FunctionTest(
    "huber", 2, huber_cases, params=("y_true", "y_pred"),
    hints=[
        same_as(_huber_like(delta=1.0), "this is Huber with delta 1: use the delta you were given"),
        same_as(_huber_like(half=1.0), "the squared part is 0.5 * e**2, not e**2"),
        same_as(_huber_like(shift=0.0), "the linear part is delta * (|e| - 0.5 * delta): "
                                        "the - 0.5 * delta makes the pieces meet"),
        expected_as(lambda case, expected: expected * _size(case), SUM_NOT_MEAN),
    ])


# --- binary_cross_entropy ----------------------------------------------------------------

def binary_cross_entropy_cases():
    return [
        Case("y = [1, 0, 1, 0], p = [0.9, 0.1, 0.8, 0.3]", ([1.0, 0.0, 1.0, 0.0], [0.9, 0.1, 0.8, 0.3]),
             public=True, expected=0.19763488164214868),
        Case("p exactly 0 and 1 (two right, two confidently wrong): must be finite",
             ([1.0, 0.0, 1.0, 0.0], [1.0, 0.0, 0.0, 1.0]), public=True, expected=8.059047875610752),
        Case("random labels and probabilities of shape (40,)", (_labels(80, 40), _probabilities(81, 40))),
        Case("a column of shape (6, 1)", (_labels(82, 6, 1), _probabilities(83, 6, 1))),
        Case("every prediction exactly right at 0 or 1", ([0.0, 1.0, 1.0], [0.0, 1.0, 1.0])),
        Case("eps = 0.01 with p at 0 and 1", ([1.0, 0.0, 1.0], [0.0, 1.0, 0.5]), {"eps": 0.01}),
        Case("integer labels", (np.array([1, 0, 0, 1]), _probabilities(84, 4))),
        Case("y of shape (4,) and p of shape (4, 1)", (_labels(85, 4), _probabilities(86, 4, 1)),
             raises="ValueError"),
    ]


UNCLIPPED = ("log(0) is -inf: clip p to [eps, 1 - eps] first, "
             "p = np.clip(p, eps, 1 - eps)")

def _clipped_bce(y, p, eps=1e-7):
    """Binary cross-entropy as Keras computes it (p clipped by its epsilon), for a hint
    that needs no reference: it helps on public cases in the student's notebook too."""
    y = np.asarray(y, dtype=np.float64)
    p = np.clip(np.asarray(p, dtype=np.float64), eps, 1 - eps)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


binary_cross_entropy = FunctionTest(
    "binary_cross_entropy", 2, binary_cross_entropy_cases, params=("y_true", "p"),
    hints=[
        nonfinite(UNCLIPPED),
        expected_as(lambda case, expected: -expected, "the sign is flipped: BCE is -mean(...)"),
        same_as(lambda case, ref: _clipped_bce(*inputs(case)[0][1::-1]),
                "the arguments are swapped: y_true comes first, then p"),
        expected_as(lambda case, expected: expected * _size(case), SUM_NOT_MEAN),
    ])


# --- categorical_cross_entropy -----------------------------------------------------------

def categorical_cross_entropy_cases():
    return [
        Case("two rows, true classes 0 and 1", ([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
                                                [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]]),
             public=True, expected=0.2899092476264711),
        Case("probability exactly 0 for the true class of row 2: must be finite",
             ([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]], [[0.7, 0.3, 0.0], [0.5, 0.5, 0.0]]),
             public=True, expected=8.237385297448526),
        Case("10 rows, 4 classes", (_one_hot(90, 10, 4), _softmax_rows(91, 10, 4))),
        Case("one row, 5 classes", (_one_hot(92, 1, 5), _softmax_rows(93, 1, 5))),
        Case("25 rows, 2 classes", (_one_hot(94, 25, 2), _softmax_rows(95, 25, 2))),
        Case("eps = 0.001 with zero probabilities", (_one_hot(96, 4, 3), np.eye(3)[[1, 2, 0, 0]]),
             {"eps": 1e-3}),
        Case("y_true (3, 4) with probs (3, 3)", (_one_hot(97, 3, 4), _softmax_rows(98, 3, 3)),
             raises="ValueError"),
    ]


def _k(case):
    return np.shape(case.args[0])[1]


def _cce_swapped(case, reference):
    y, p = inputs(case)[0][:2]
    return -np.mean(np.sum(np.asarray(p, dtype=float) * np.log(np.clip(y, 1e-7, 1.0)), axis=1))


categorical_cross_entropy = FunctionTest(
    "categorical_cross_entropy", 2, categorical_cross_entropy_cases, params=("y_true", "probs"),
    hints=[
        nonfinite("log(0) is -inf: clip the probabilities first, np.clip(probs, eps, 1)"),
        expected_as(lambda case, expected: expected / _k(case),
                    "this averages over every element: sum over the classes of each row, "
                    "then take the mean over the rows"),
        expected_as(lambda case, expected: expected * len(case.args[0]),
                    "this sums over the rows: take the mean over the rows"),
        expected_as(lambda case, expected: -expected, "the sign is flipped: the loss is -mean(...)"),
        same_as(_cce_swapped, "the arguments are swapped: y_true comes first, then probs"),
    ])


# --- minibatches -------------------------------------------------------------------------

def minibatches_cases():
    return [
        Case("10 samples in batches of 4 (the last one has 2)", (10, 4, {"$rng": 0}), public=True,
             expected=[np.array([4, 6, 2, 7]), np.array([3, 5, 9, 0]), np.array([8, 1])]),
        Case("12 samples in batches of 4", (12, 4, {"$rng": 1})),
        Case("7 samples in batches of 3", (7, 3, {"$rng": 2}), public=True,
             expected=[np.array([5, 6, 2]), np.array([3, 4, 0]), np.array([1])]),
        Case("batch size 1", (5, 1, {"$rng": 3})),
        Case("batch size larger than the data", (5, 8, {"$rng": 4})),
        Case("100 samples in batches of 32", (100, 32, {"$rng": 5})),
        Case("batch size 0", (10, 0, {"$rng": 6}), raises="ValueError"),
    ]


def _chunks(order, batch_size):
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def _unshuffled(case, reference):
    n_samples, batch_size, _ = inputs(case)[0]
    return _chunks(np.arange(n_samples), batch_size)


def _other_shuffle(case, got, expected, reference):
    """The batches hold every index once, in batches of the right sizes, but in another order.

    Each batch is read as numbers first: a batch of anything else is not a shuffle.
    """
    if not isinstance(got, list) or len(got) != len(expected):
        return None
    batches = [as_float_array(batch) for batch in got]
    if any(batch is None or batch.shape != np.shape(right) for batch, right in zip(batches, expected)):
        return None
    flat = np.concatenate(batches) if batches else np.zeros(0)
    if np.array_equal(np.sort(flat), np.arange(case.args[0])):
        return ("the batches are shuffled, but not as rng.permutation(n_samples) shuffles: "
                "use the rng you were given (not np.random), once")
    return None


class MinibatchesTest(FunctionTest):
    """Batches are indices: they must match exactly and be integers, so X[batch] works."""

    def problem(self, case, got, expected, reference):
        problem = super().problem(case, got, expected, reference)
        if problem is None and not all(_integers(batch) for batch in got):
            return "the batches must hold integers (indices, so that X[batch] works), not floats"
        return problem


def _integers(batch):
    if isinstance(batch, np.ndarray):
        return batch.dtype.kind in "iu"
    return all(type(item) is int for item in batch)


minibatches = MinibatchesTest(
    "minibatches", 2, minibatches_cases, params=("n_samples", "batch_size", "rng"), rtol=0, atol=0,
    hints=[
        same_as(_unshuffled, "the indices are not shuffled: order = rng.permutation(n_samples)"),
        expected_as(lambda case, expected: expected[:-1] if len(expected) > 1 else None,
                    "the last, shorter batch is missing: keep it (the last batch may be shorter)"),
        expected_as(lambda case, expected: np.concatenate(expected),
                    "this is the whole shuffled order: cut it into batches of batch_size"),
        _other_shuffle,
    ])


ASSIGNMENT = Assignment(
    "ps2_learning",
    tests=(gradient_step, gradient_descent, mse, mae, huber, binary_cross_entropy,
           categorical_cross_entropy, minibatches),
    mistake=Mistake("mae", "np.abs(y_true - y_pred)", "y_true - y_pred"))
