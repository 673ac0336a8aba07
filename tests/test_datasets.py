"""The checks' copies of scikit-learn's data sets are scikit-learn's own."""
import numpy as np
import pytest

from autograder.checks import datasets


def test_the_digits_are_load_digits():
    from sklearn.datasets import load_digits
    for ours, theirs in zip(datasets.digits(), load_digits(return_X_y=True)):
        np.testing.assert_array_equal(ours, theirs)


def test_the_breast_cancer_rows_are_load_breast_cancer():
    from sklearn.datasets import load_breast_cancer
    X, y = datasets.breast_cancer()
    assert X.shape == (569, 30) and set(np.unique(y)) == {0, 1}
    for ours, theirs in zip((X, y), load_breast_cancer(return_X_y=True)):
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("n_samples, noise, random_state", [(400, 0.2, 0), (101, 0.05, 7)])
def test_the_moons_are_make_moons(n_samples, noise, random_state):
    from sklearn.datasets import make_moons
    theirs = make_moons(n_samples=n_samples, noise=noise, random_state=random_state, shuffle=False)
    for ours, expected in zip(datasets.moons(n_samples, noise, random_state), theirs):
        np.testing.assert_array_equal(ours, expected)
