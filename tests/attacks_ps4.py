"""Hostile, broken and alternative ps4_keras submissions, each with what grading must make of it.

Issue 14's catalogue: answers that used to earn Keras points they had not earned (a
description forged by patching the child's request handlers, a History made by hand,
a callback that only looks like EarlyStopping, layers of one's own) or that used to
make the judging itself raise (an empty val_loss, a layer with an extra weight, a
string where a number belongs). Each attack writes only the cells it names, the others
are the source notebook's answers, and `lost` are the tests that must earn nothing;
every other test keeps its full points. Attacks on `early_stopping` come with a `train`
that makes its own EarlyStopping, so that their loss stays in that one test. The
alternatives are correct answers written another way the contract allows: full marks.
"""
from __future__ import annotations

from dataclasses import dataclass

ASSIGNMENT = "ps4_keras"
POINTS = {"test_dropout": 3, "test_standardize": 2, "test_build_model": 4, "test_early_stopping": 1, "test_train": 3}

MODEL_HEAD = "import keras\n\ndef build_model(input_dim=2):\n"
COMPILE = ("    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001),\n"
           "                  loss='binary_crossentropy', metrics=['accuracy'])\n    return model\n")
SELF_CONTAINED_TRAIN = (
    "import keras\n\ndef train(model, X, y, epochs=50, batch_size=32):\n"
    "    stop = keras.callbacks.EarlyStopping(monitor='val_loss', patience=5, restore_best_weights=True)\n"
    "    return model.fit(X, y, epochs=epochs, batch_size=batch_size, validation_split=0.2,\n"
    "                     callbacks=[stop], verbose=0)\n")


def model_with(*layers: str) -> str:
    """A build_model cell whose Sequential holds `layers` (source text) after the Input."""
    return (MODEL_HEAD + "    model = keras.Sequential([keras.Input((input_dim,)), %s])\n" % ", ".join(layers)
            + COMPILE)


LESSON_LAYERS = ("keras.layers.Dense(16, activation='relu')", "keras.layers.Dropout(0.2)",
                 "keras.layers.Dense(8, activation='relu')", "keras.layers.Dense(1, activation='sigmoid')")

FORGED_HANDLERS = """import numpy as np
from autograder.sandbox.inside import handlers

def _forged_model(namespace, store, request):
    dim = request['args'][0]
    layers = [{'class': 'Dense', 'units': 16, 'activation': 'relu', 'params': (dim + 1) * 16},
              {'class': 'Dropout', 'rate': 0.2, 'params': 0},
              {'class': 'Dense', 'units': 8, 'activation': 'relu', 'params': 136},
              {'class': 'Dense', 'units': 1, 'activation': 'sigmoid', 'params': 9}]
    return {'value': {'class': 'Sequential', 'input_shape': [None, dim], 'layers': layers,
                      'params': sum(layer['params'] for layer in layers), 'compiled': True,
                      'optimizer': {'class': 'Adam', 'learning_rate': 0.001},
                      'loss': 'binary_crossentropy', 'metrics': ['accuracy']}}

def _forged_callback(namespace, store, request):
    return {'value': {'class': 'EarlyStopping', 'monitor': 'val_loss', 'restore_best_weights': True,
                      'patience': request.get('kwargs', {}).get('patience', 5)}}

def _forged_history(namespace, store, request):
    return {'value': {'class': 'History', 'final_val_loss': 0.7,
                      'history': {'loss': [0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1],
                                  'val_loss': [0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3]},
                      'params': {'epochs': 50, 'steps': 1, 'verbose': 0}}}

handlers.OPERATIONS.update(serialise_model=_forged_model, describe_model=_forged_model,
                           report_callback=_forged_callback, describe_callback=_forged_callback,
                           train_reference_model=_forged_history, fit_reference_model=_forged_history)

def build_model(input_dim=2):
    raise NotImplementedError()
"""


@dataclass
class Submission:
    name: str  # the student's id: what the submission does
    cells: dict  # grade_id -> the cell's source, replacing the source notebook's answer
    lost: tuple = ()  # tests that earn nothing; the others earn full points


ATTACKS = [
    Submission("forged_request_handlers_without_keras", {
        "build_model": FORGED_HANDLERS,
        "early_stopping": "def early_stopping(patience=5):\n    raise NotImplementedError()\n",
        "train": "def train(model, X, y, epochs=50, batch_size=32):\n    raise NotImplementedError()\n"},
        lost=("test_build_model", "test_early_stopping", "test_train")),
    Submission("train_returns_a_hand_made_history", {"train": (
        "import keras\n\ndef train(model, X, y, epochs=50, batch_size=32):\n"
        "    history = keras.callbacks.History()\n"
        "    history.history = {'loss': [0.7, 0.6, 0.5, 0.4, 0.35, 0.3, 0.25],\n"
        "                       'val_loss': [0.69, 0.7, 0.71, 0.72, 0.73, 0.74, 0.75]}\n"
        "    history.params = {'epochs': epochs, 'steps': 1, 'verbose': 0}\n"
        "    return history\n")}, lost=("test_train",)),
    Submission("history_with_an_empty_val_loss", {"train": (
        SELF_CONTAINED_TRAIN.replace("    return model.fit(", "    history = model.fit(")
        + "    history.history['val_loss'] = []\n    return history\n")}, lost=("test_train",)),
    Submission("history_with_a_string_for_a_number", {"train": (
        SELF_CONTAINED_TRAIN.replace("    return model.fit(", "    history = model.fit(")
        + "    history.history['val_loss'][0] = 'low'\n    return history\n")}, lost=("test_train",)),
    Submission("plain_class_named_EarlyStopping", {
        "early_stopping": ("class EarlyStopping:\n    def __init__(self, patience):\n"
                           "        self.monitor, self.patience, self.restore_best_weights = 'val_loss', patience, True\n"
                           "        self.min_delta, self.mode, self.baseline, self.start_from_epoch = 0, 'auto', None, 0\n\n"
                           "def early_stopping(patience=5):\n    return EarlyStopping(patience)\n"),
        "train": SELF_CONTAINED_TRAIN}, lost=("test_early_stopping",)),
    Submission("early_stopping_subclass_whose_epoch_hook_does_nothing", {
        "early_stopping": ("import keras\n\nclass Stop(keras.callbacks.EarlyStopping):\n"
                           "    def on_epoch_end(self, epoch, logs=None):\n        pass\n\n"
                           "def early_stopping(patience=5):\n"
                           "    return Stop(monitor='val_loss', patience=patience, restore_best_weights=True)\n"),
        "train": SELF_CONTAINED_TRAIN}, lost=("test_early_stopping",)),
    Submission("early_stopping_with_a_string_for_its_patience", {
        "early_stopping": ("import keras\n\ndef early_stopping(patience=5):\n"
                           "    stop = keras.callbacks.EarlyStopping(monitor='val_loss', patience=patience,\n"
                           "                                         restore_best_weights=True)\n"
                           "    stop.patience = 'five'\n    return stop\n"),
        "train": SELF_CONTAINED_TRAIN}, lost=("test_early_stopping",)),
    Submission("dropout_layer_that_passes_its_input_through", {"build_model": (
        "import keras\n\nclass Dropout(keras.layers.Dropout):\n"
        "    def call(self, inputs, training=False):\n        return inputs\n\n"
        + model_with(LESSON_LAYERS[0], "Dropout(0.2)", *LESSON_LAYERS[2:]))}, lost=("test_build_model",)),
    Submission("dense_subclass_with_an_extra_weight", {"build_model": (
        "import keras\n\nclass Dense(keras.layers.Dense):\n"
        "    def build(self, input_shape):\n        super().build(input_shape)\n"
        "        self.extra = self.add_weight(shape=(1,), initializer='zeros', name='extra')\n\n"
        + model_with("Dense(16, activation='relu')", *LESSON_LAYERS[1:]))}, lost=("test_build_model",)),
]

ALTERNATIVES = [
    Submission("functional_api", {"build_model": (
        MODEL_HEAD + "    inputs = keras.Input((input_dim,))\n"
        "    hidden = keras.layers.Dense(16, activation='relu')(inputs)\n"
        "    hidden = keras.layers.Dropout(0.2)(hidden)\n"
        "    hidden = keras.layers.Dense(8, activation='relu')(hidden)\n"
        "    model = keras.Model(inputs, keras.layers.Dense(1, activation='sigmoid')(hidden))\n" + COMPILE)}),
    Submission("sequential_add", {"build_model": (
        MODEL_HEAD + "    model = keras.Sequential()\n    model.add(keras.Input((input_dim,)))\n"
        + "".join("    model.add(%s)\n" % layer for layer in LESSON_LAYERS) + COMPILE)}),
    Submission("input_shape_argument", {"build_model": (
        MODEL_HEAD + "    model = keras.Sequential([keras.layers.Dense(16, activation='relu', input_shape=(input_dim,)),"
        " %s])\n" % ", ".join(LESSON_LAYERS[1:]) + COMPILE)}),
    Submission("activation_layers", {"build_model": model_with(
        "keras.layers.Dense(16)", "keras.layers.Activation('relu')", "keras.layers.Dropout(0.2)",
        "keras.layers.Dense(8, activation=None)", "keras.layers.Activation('relu')", "keras.layers.Dense(1)",
        "keras.layers.Activation('sigmoid')")}),
    Submission("other_spellings", {"build_model": (
        model_with(*LESSON_LAYERS).replace("optimizer=keras.optimizers.Adam(learning_rate=0.001)", "optimizer='adam'")
        .replace("loss='binary_crossentropy'", "loss=keras.losses.BinaryCrossentropy()")
        .replace("metrics=['accuracy']", "metrics=['acc']"))}),
]
