"""Reference solution for ps4_keras (version 2): an experiment on digits.

dropout, standardize and split_indices are plain NumPy (float64, inputs never
modified); build_classifier builds a Keras digits classifier and run_experiment trains
it with and without dropout over several seeds.
"""
import operator

import numpy as np


def _count(value, name, minimum):
    """value as an int >= minimum, or a ValueError naming the argument."""
    try:
        value = operator.index(value)
    except TypeError:
        raise ValueError("%s must be an integer, got %r" % (name, value)) from None
    if value < minimum:
        raise ValueError("%s must be at least %d, got %d" % (name, minimum, value))
    return value


def dropout(x, rate, training, rng):
    """Inverted dropout: zero each unit with probability `rate` while training.

    Survivors are scaled by 1 / (1 - rate) so every unit's expected value is the same
    in training and at inference, where dropout does nothing.
    """
    if not 0.0 <= rate < 1.0:
        raise ValueError("dropout: rate must be in [0, 1), got %r" % (rate,))
    x = np.array(x, dtype=np.float64)  # a copy: the caller's array is never touched
    if not training:
        return x
    mask = rng.random(x.shape) >= rate
    return x * mask / (1.0 - rate)


def standardize(X_train, X_test):
    """Shift and scale every column to mean 0, std 1, using the training set only.

    Using the test set's statistics would leak information about it into the model.
    A constant column (std 0) is only shifted: dividing by 0 would give NaN.
    """
    X_train = np.asarray(X_train, dtype=np.float64)
    X_test = np.asarray(X_test, dtype=np.float64)
    if X_train.ndim != 2 or len(X_train) == 0:
        raise ValueError("standardize: X_train must be 2-D (samples, features) with at least "
                         "one row, got shape %s" % (X_train.shape,))
    if X_test.ndim != 2 or X_test.shape[1] != X_train.shape[1]:
        raise ValueError("standardize: X_test must be 2-D with the %d columns of X_train, got "
                         "shape %s" % (X_train.shape[1], X_test.shape))
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    scale = np.where(std == 0, 1.0, std)
    return (X_train - mean) / scale, (X_test - mean) / scale, mean, std


def split_indices(n, seed, val_fraction=0.2, test_fraction=0.2):
    """(train, val, test) index arrays of one shuffled order of range(n).

    The test rows are the first round(n * test_fraction) of the order, the validation
    rows the next round(n * val_fraction), and the training rows the rest.
    """
    n = _count(n, "split_indices: n", 0)
    for name, fraction in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if not 0.0 <= fraction < 1.0:
            raise ValueError("split_indices: %s must be in [0, 1), got %r" % (name, fraction))
    if val_fraction + test_fraction >= 1.0:
        raise ValueError("split_indices: val_fraction + test_fraction must be below 1, got %r"
                         % (val_fraction + test_fraction))
    order = np.random.default_rng(seed).permutation(n)
    n_test = round(n * test_fraction)
    n_val = round(n * val_fraction)
    return order[n_test + n_val:], order[n_test:n_test + n_val], order[:n_test]


def build_classifier(input_dim, n_classes, hidden_units=64, dropout_rate=0.0):
    """One hidden ReLU layer, Dropout after it when the rate is above 0, a softmax output.

    Compiled with Adam (learning rate 0.001), sparse categorical cross-entropy (labels
    are the integers 0..n_classes-1) and accuracy.
    """
    import keras  # here, not at the top: the grader uses the NumPy parts without TensorFlow

    input_dim = _count(input_dim, "build_classifier: input_dim", 1)
    n_classes = _count(n_classes, "build_classifier: n_classes", 2)
    hidden_units = _count(hidden_units, "build_classifier: hidden_units", 1)
    if not 0.0 <= dropout_rate < 1.0:
        raise ValueError("build_classifier: dropout_rate must be in [0, 1), got %r" % (dropout_rate,))
    layers = [keras.Input((input_dim,)), keras.layers.Dense(hidden_units, activation="relu")]
    if dropout_rate > 0:
        layers.append(keras.layers.Dropout(dropout_rate))
    layers.append(keras.layers.Dense(n_classes, activation="softmax"))
    model = keras.Sequential(layers)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def run_experiment(X, y, dropout_rates, seeds, epochs):
    """For each dropout rate and seed: split, standardise, build, fit, measure.

    Returns {rate: {"val_accuracy": [one per seed], "mean", "std", "models"}}, the
    accuracies measured on the validation rows with dropout off (Keras's evaluate runs
    the model at inference), the std the population one.
    """
    import keras

    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    epochs = _count(epochs, "run_experiment: epochs", 0)
    if X.ndim != 2 or y.shape != (len(X),):
        raise ValueError("run_experiment: X must be (n, d) and y (n,), got %s and %s" % (X.shape, y.shape))
    results = {}
    for rate in dropout_rates:
        accuracies, models = [], []
        for seed in seeds:
            keras.utils.set_random_seed(seed)
            train, val, _ = split_indices(len(X), seed)
            X_train, X_val, _, _ = standardize(X[train], X[val])
            model = build_classifier(X.shape[1], 10, 64, rate)
            model.fit(X_train, y[train], epochs=epochs, batch_size=32, verbose=0)
            probabilities = np.asarray(model(X_val, training=False))  # dropout off
            accuracies.append(float(np.mean(np.argmax(probabilities, axis=1) == y[val])))
            models.append(model)
        results[rate] = {"val_accuracy": accuracies, "mean": float(np.mean(accuracies)),
                         "std": float(np.std(accuracies)), "models": models}
    return results
