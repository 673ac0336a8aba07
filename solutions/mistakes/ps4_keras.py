"""Typical mistakes in ps4_keras, modelled for the grader's hints.

Each model takes the graded function's arguments and returns what a submission with
that one mistake returns. A model is the right computation with one thing changed, so
these live with the answer key.
"""
import numpy as np


# --- standardize ----------------------------------------------------------------------

def _standardized(X_train, X_test, ddof=0, test_statistics=False):
    """The contract's standardisation with the slips that are switched on."""
    X_train = np.asarray(X_train, dtype=np.float64)
    X_test = np.asarray(X_test, dtype=np.float64)
    mean, std = X_train.mean(axis=0), X_train.std(axis=0, ddof=ddof)
    scale = np.where(std == 0, 1.0, std)
    if test_statistics:
        test_std = X_test.std(axis=0)
        X_test_s = (X_test - X_test.mean(axis=0)) / np.where(test_std == 0, 1.0, test_std)
    else:
        X_test_s = (X_test - mean) / scale
    return (X_train - mean) / scale, X_test_s, mean, std


def sample_std(X_train, X_test):
    return _standardized(X_train, X_test, ddof=1)


def own_statistics_for_test_set(X_train, X_test):
    return _standardized(X_train, X_test, test_statistics=True)


# --- split_indices --------------------------------------------------------------------

def _split(n, seed, val_fraction, test_fraction, size=round, reverse=False):
    """The contract's split with the slips that are given."""
    order = np.random.default_rng(seed).permutation(n)
    n_test, n_val = size(n * test_fraction), size(n * val_fraction)
    parts = (order[n_test + n_val:], order[n_test:n_test + n_val], order[:n_test])
    return parts[::-1] if reverse else parts


def split_reversed(n, seed, val_fraction=0.2, test_fraction=0.2):
    return _split(n, seed, val_fraction, test_fraction, reverse=True)


def sizes_truncated(n, seed, val_fraction=0.2, test_fraction=0.2):
    return _split(n, seed, val_fraction, test_fraction, size=int)
