"""Numerical gradients: checking backpropagation without trusting any backward pass.

A gradient is right if it agrees with central differences of the loss itself, so the
check depends only on a forward computation, never on someone's chain rule.
"""
from __future__ import annotations

import numpy as np

STEP = 1e-5
# Central differences in float64 agree with an exact gradient to about 1e-9 on the
# course's smooth networks; the usual slips (a factor n, a sign, a missing sigmoid
# slope) are off by 1e-2 or far more. 1e-5 sits safely between.
THRESHOLD = 1e-5
TINY = 1e-12


def numerical_gradient(f, params: dict, h: float = STEP) -> dict:
    """(f(p + h) - f(p - h)) / 2h for each entry of each array in `params`.

    `f` takes a dict like `params` and returns a number; `params` is not modified.
    """
    point = {key: np.array(value, dtype=np.float64) for key, value in params.items()}
    gradient = {}
    for key, array in point.items():
        slope = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            original = array[index]
            array[index] = original + h
            above = f(point)
            array[index] = original - h
            below = f(point)
            array[index] = original
            slope[index] = (above - below) / (2 * h)
        gradient[key] = slope
    return gradient


def relative_error(a, b) -> float:
    """max |a - b| / max(|a|, |b|, tiny) over a whole array (CS231n's measure).

    Scaled by the array's largest entry rather than entry by entry, so that an entry
    that is nearly 0 (where differences are all rounding) cannot dominate.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    with np.errstate(all="ignore"):  # huge entries overflow a - b to inf: still an answer
        scale = max(float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(b), initial=0.0)), TINY)
        return float(np.max(np.abs(a - b), initial=0.0)) / scale
