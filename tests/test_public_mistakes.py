"""The answer key stays out of the package students install: the mistake models live
beside the solutions, and the notebook gets digests of their answers."""
import glob
import json
import os

import numpy as np

from autograder.authoring import leaks, public_mistakes
from autograder.checks import fingerprints

from course_helpers import REPO


def test_the_shipped_digests_are_the_ones_the_models_give():
    with open(fingerprints.TABLE, encoding="utf-8") as handle:
        shipped = json.load(handle)
    assert shipped == public_mistakes.table(REPO), \
        "the shipped table is out of date: run python -m autograder.authoring.public_mistakes"
    assert len(shipped) > 20


def test_a_digest_is_of_the_numbers_rounded_not_of_how_they_are_held():
    layers = [(np.array([[0.1, 0.2]]), np.zeros(2)), (np.array([[1.0], [2.0]]), np.zeros(1))]
    as_lists = [[W.tolist(), b.tolist()] for W, b in layers]
    assert fingerprints.fingerprint(layers) == fingerprints.fingerprint(as_lists)
    assert fingerprints.fingerprint(layers) == fingerprints.fingerprint(
        [(W * (1 + 1e-12), b) for W, b in layers])
    assert fingerprints.fingerprint(layers) != fingerprints.fingerprint([(W.T, b) for W, b in layers])
    assert fingerprints.fingerprint(layers) != fingerprints.fingerprint([(W + 1e-4, b) for W, b in layers])
    assert fingerprints.fingerprint("not numbers") is None


# Lines of the answer key that compute no graded function, and may be in the package:
# input conversions, the test data's generator, the contract's formulas and conditions
# that hints and specs quote, and the ps3 notebook's relative-error helper.
GENERIC_LINES = {
    "a = np.asarray(a, dtype=np.float64)", "b = np.asarray(b, dtype=np.float64)",
    "w = np.asarray(w, dtype=np.float64)", "x = np.asarray(x, dtype=np.float64)",
    "rng = np.random.default_rng(seed)",
    "v = beta * velocity + grad", "if dropout_rate > 0:", "keras.utils.set_random_seed(seed)",
    "return _norm(a - b)",
}


def test_the_package_holds_no_line_of_the_answer_key():
    """Students install the package, so the checks compute no graded function's answer
    nor a mistake model of one: those are in solutions/ and solutions/mistakes/."""
    secrets = leaks.course_secrets({}, os.path.join(REPO, "solutions"))
    found = []
    for path in sorted(glob.glob(os.path.join(REPO, "autograder", "**", "*.py"), recursive=True)):
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        found += ["%s: %s (%s)" % (os.path.relpath(path, REPO), secret.text, secret.origin)
                  for secret in secrets if secret.text in text and secret.text not in GENERIC_LINES]
    assert found == []
