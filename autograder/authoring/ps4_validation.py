"""Make the validation rows that a student's notebook judges ps4's run_experiment on
(`data/ps4_validation.json`, shipped with the package; see
`checks.ps4_keras.validation_rows`).

For each of the grader's seeds: the indices of its split's validation rows, and for
every column the standardised value of each sixteenth 0/16 .. 16/16 (the grader's
digits are whole sixteenths), all computed by the reference solutions. Run it from the
course after changing the grader's experiment data or seeds:
`python -m autograder.authoring.ps4_validation`. A test fails while the shipped table
differs from the one the reference gives.
"""
from __future__ import annotations

import json

import numpy as np

from ..checks import ps4_keras, reference

SIXTEENTHS = np.arange(17) / 16.0


def table(root=None) -> dict:
    """seed -> {"rows": validation row indices, "values": (17, features) standardised sixteenths}."""
    solutions = reference.load("ps4_keras", root)
    X, _ = ps4_keras.experiment_data()
    every_sixteenth = np.repeat(SIXTEENTHS[:, None], X.shape[1], axis=1)
    found = {}
    for seed in ps4_keras.SEEDS:
        train, val, _ = solutions.split_indices(len(X), seed)
        values = solutions.standardize(X[train], every_sixteenth)[1]
        found[str(seed)] = {"rows": [int(row) for row in val], "values": values.tolist()}
    return found


def write(root=None) -> None:
    with open(ps4_keras.VALIDATION, "w", encoding="utf-8") as handle:
        json.dump(table(root), handle)
        handle.write("\n")


if __name__ == "__main__":
    write()
    print("the validation rows of seeds %s written to %s" % (ps4_keras.SEEDS, ps4_keras.VALIDATION))
