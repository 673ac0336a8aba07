"""Reference solution for ps4_keras: Keras, dropout and overfitting.

dropout and standardize are plain NumPy (float64, inputs never modified); the rest
builds, and trains, the lesson's Keras model.
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


def build_model(input_dim=2):
    """The lesson's binary classifier: 193 parameters for input_dim 2.

    Dropout after the widest layer is the regulariser; the sigmoid output is a
    probability, the natural partner of binary cross-entropy.
    """
    import keras  # here, not at the top: the grader uses the NumPy parts without TensorFlow

    input_dim = _count(input_dim, "build_model: input_dim", 1)
    model = keras.Sequential([
        keras.Input((input_dim,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(8, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model


def early_stopping(patience=5):
    """Stop when validation loss has not improved for `patience` epochs, keep the best."""
    import keras

    patience = _count(patience, "early_stopping: patience", 0)
    return keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience,
                                         restore_best_weights=True)


def train(model, X, y, epochs=50, batch_size=32):
    """Fit on the first 80% of the rows, validate on the last 20%, stop early."""
    epochs = _count(epochs, "train: epochs", 0)
    batch_size = _count(batch_size, "train: batch_size", 1)
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if X.ndim == 0 or y.ndim == 0 or len(X) != len(y):
        raise ValueError("train: X and y must have the same number of rows, got %d and %d"
                         % (len(X), len(y)))
    return model.fit(X, y, epochs=epochs, batch_size=batch_size, validation_split=0.2,
                     callbacks=[early_stopping()], verbose=0)
