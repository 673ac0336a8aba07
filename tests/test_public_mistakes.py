"""The mistake models stay with the answer key; the notebook gets digests of them."""
import json

import numpy as np

from autograder.authoring import public_mistakes
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
