"""What a student's notebook knows of the modelled mistakes: digests, not models.

A `cases.mistake` hint compares an answer with the grader's model of a typical
mistake. A model is the right computation with one thing changed, so it stays with the
answer key (`solutions/mistakes/`), which the student's notebook never has. To name a
mistake on a public case all the same, this package ships, for each public case and
model, a digest of the model's answer rounded to DIGITS decimals
(`data/public_mistakes.json`, made by `authoring.public_mistakes`); the notebook
compares it with the digest of the student's answer rounded the same way. A digest
gives away neither the model nor its answer.
"""
from __future__ import annotations

import functools
import hashlib
import json

import numpy as np

from ..files import shipped_data
from ..sandbox import wire
from .compare import as_float_array

DIGITS = 6
TABLE = shipped_data("public_mistakes.json")


def key(name: str, fixed: dict, case) -> str:
    """Where the digest of model `name` (with `fixed`) on `case` is kept: a digest of
    the model and the case's inputs."""
    return _digest(wire.encode([name, fixed, list(case.args), case.kwargs]))


def fingerprint(value) -> str | None:
    """A digest of `value` rounded to DIGITS decimals; None if it is not numbers."""
    canonical = _rounded(value)
    return None if canonical is None else _digest(json.dumps(canonical).encode())


def known(case_key: str) -> str | None:
    """The shipped digest of a model's answer, if there is one."""
    return _table().get(case_key)


@functools.lru_cache(maxsize=1)
def _table() -> dict:
    try:
        with open(TABLE, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return {}


def _rounded(value):
    """Numbers as nested lists of rounded floats with their shapes (a container of
    differently shaped arrays, e.g. a network's (W, b) pairs, item by item)."""
    array = as_float_array(value)
    if array is not None:
        with np.errstate(all="ignore"):  # rounding 1e308 overflows to inf, which is fine here
            return [list(array.shape), (np.round(array, DIGITS) + 0.0).ravel().tolist()]
    if isinstance(value, (list, tuple)):
        items = [_rounded(item) for item in value]
        return None if any(item is None for item in items) else items
    return None


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
