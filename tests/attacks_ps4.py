"""Hostile, broken and alternative ps4_keras submissions, each with what grading must make of it.

Issue 14's catalogue, for version 2: answers that would earn Keras points they had not
earned (descriptions forged by patching the child's request handlers, numbers written
down without the models that give them, layers of one's own) or that would make the
judging itself raise (a layer with an extra weight). Each attack writes only the cells
it names, the others are the source notebook's answers; `lost` are the tests that must
earn nothing, `earns` the tests that keep only part of their points (the cases the
attack does not touch), and every other test keeps its full points. The alternatives
are correct answers written another way the contract allows: full marks.
"""
from __future__ import annotations

from dataclasses import dataclass, field

ASSIGNMENT = "ps4_keras"
POINTS = {"test_dropout": 3, "test_standardize": 2, "test_split_indices": 1, "test_build_classifier": 3,
          "test_run_experiment": 4}

HEAD = "import keras\n\ndef build_classifier(input_dim, n_classes, hidden_units=64, dropout_rate=0.0):\n"
COMPILE = ("    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001),\n"
           "                  loss='sparse_categorical_crossentropy', metrics=['accuracy'])\n    return model\n")


def classifier(hidden: str = "keras.layers.Dense(hidden_units, activation='relu')",
               dropout: str = "keras.layers.Dropout(dropout_rate)",
               output: str = "keras.layers.Dense(n_classes, activation='softmax')", prefix: str = "") -> str:
    """A build_classifier cell whose Sequential holds these layers (source text)."""
    return (prefix + HEAD + "    layers = [keras.Input((input_dim,)), %s]\n" % hidden
            + "    if dropout_rate > 0:\n        layers.append(%s)\n" % dropout
            + "    model = keras.Sequential(layers + [%s])\n" % output + COMPILE)


FORGED_HANDLERS = """import numpy as np
from autograder.sandbox.inside import handlers

def _forged_model(namespace, store, request):
    dim, classes = request['args'][:2]
    layers = [{'class': 'Dense', 'units': 64, 'activation': 'relu', 'params': (dim + 1) * 64},
              {'class': 'Dense', 'units': classes, 'activation': 'softmax', 'params': 65 * classes}]
    return {'value': {'class': 'Sequential', 'input_shape': [None, dim], 'layers': layers,
                      'params': sum(layer['params'] for layer in layers), 'compiled': True,
                      'optimizer': {'class': 'Adam', 'learning_rate': 0.001},
                      'loss': 'sparse_categorical_crossentropy', 'metrics': ['accuracy']}}

def _forged_experiment(namespace, store, request):
    return {'value': [{'rate': rate, 'val_accuracy': [0.97, 0.95], 'mean': 0.96, 'std': 0.01,
                       'models': [{'class': 'Sequential', 'params': 4810}] * 2} for rate in request['args'][2]]}

handlers.OPERATIONS.update(serialise_model=_forged_model, serialise_experiment=_forged_experiment)

def build_classifier(input_dim, n_classes, hidden_units=64, dropout_rate=0.0):
    raise NotImplementedError()
"""

NUMBERS_WRITTEN_DOWN = """def run_experiment(X, y, dropout_rates, seeds, epochs):
    # the numbers of a run on my machine
    return {rate: {'val_accuracy': [0.96] * len(seeds), 'mean': 0.96, 'std': 0.0, 'models': [None] * len(seeds)}
            for rate in dropout_rates}
"""

INFLATED = """import numpy as np
import keras

def run_experiment(X, y, dropout_rates, seeds, epochs):
    X = np.asarray(X, dtype=float)
    results = {}
    for rate in dropout_rates:
        accuracies, models = [], []
        for seed in seeds:
            keras.utils.set_random_seed(seed)
            train, val, _ = split_indices(len(X), seed)
            X_train, X_val, _, _ = standardize(X[train], X[val])
            model = build_classifier(X.shape[1], 10, 64, rate)
            model.fit(X_train, y[train], epochs=epochs, batch_size=32, verbose=0)
            accuracies.append(0.99)  # better than the model
            models.append(model)
        results[rate] = {'val_accuracy': accuracies, 'mean': 0.99, 'std': 0.0, 'models': models}
    return results
"""

# Cases of build_classifier at rates of 0 (no Dropout layer): 12 of its 26.
WITHOUT_DROPOUT_SHARE = 12 / 26


@dataclass
class Submission:
    name: str  # the student's id: what the submission does
    cells: dict  # grade_id -> the cell's source, replacing the source notebook's answer
    lost: tuple = ()  # tests that earn nothing; the others earn full points
    earns: dict = field(default_factory=dict)  # tests that earn only these points


ATTACKS = [
    Submission("forged_request_handlers_without_keras", {"build_classifier": FORGED_HANDLERS},
               lost=("test_build_classifier", "test_run_experiment")),
    Submission("experiment_numbers_written_down", {"run_experiment": NUMBERS_WRITTEN_DOWN},
               lost=("test_run_experiment",)),
    Submission("experiment_reports_better_accuracies_than_its_models", {"run_experiment": INFLATED},
               earns={"test_run_experiment": 4 * 4 / 5}),
    Submission("dropout_layer_that_passes_its_input_through", {"build_classifier": classifier(
        dropout="Dropout(dropout_rate)",
        prefix="import keras\n\nclass Dropout(keras.layers.Dropout):\n"
               "    def call(self, inputs, training=False):\n        return inputs\n\n")},
        lost=("test_run_experiment",), earns={"test_build_classifier": 3 * WITHOUT_DROPOUT_SHARE}),
    Submission("dense_subclass_with_an_extra_weight", {"build_classifier": classifier(
        hidden="Dense(hidden_units, activation='relu')",
        prefix="import keras\n\nclass Dense(keras.layers.Dense):\n"
               "    def build(self, input_shape):\n        super().build(input_shape)\n"
               "        self.extra = self.add_weight(shape=(1,), initializer='zeros', name='extra')\n\n")},
        lost=("test_build_classifier", "test_run_experiment")),
]

ALTERNATIVES = [
    Submission("functional_api", {"build_classifier": (
        HEAD + "    inputs = keras.Input((input_dim,))\n"
        "    hidden = keras.layers.Dense(hidden_units, activation='relu')(inputs)\n"
        "    if dropout_rate:\n        hidden = keras.layers.Dropout(dropout_rate)(hidden)\n"
        "    model = keras.Model(inputs, keras.layers.Dense(n_classes, activation='softmax')(hidden))\n" + COMPILE)}),
    Submission("sequential_add_with_input_shape", {"build_classifier": (
        HEAD + "    model = keras.Sequential()\n"
        "    model.add(keras.layers.Dense(hidden_units, activation='relu', input_shape=(input_dim,)))\n"
        "    if dropout_rate > 0:\n        model.add(keras.layers.Dropout(dropout_rate))\n"
        "    model.add(keras.layers.Dense(n_classes, activation='softmax'))\n" + COMPILE)}),
    Submission("activation_layers_and_other_spellings", {"build_classifier": classifier(
        hidden="keras.layers.Dense(hidden_units), keras.layers.Activation('relu')",
        output="keras.layers.Dense(n_classes), keras.layers.Activation('softmax')")
        .replace("optimizer=keras.optimizers.Adam(learning_rate=0.001)", "optimizer='adam'")
        .replace("loss='sparse_categorical_crossentropy'", "loss=keras.losses.SparseCategoricalCrossentropy()")
        .replace("metrics=['accuracy']", "metrics=['acc']")}),
    Submission("experiment_measured_with_evaluate", {"run_experiment": INFLATED.replace(
        "            accuracies.append(0.99)  # better than the model\n",
        "            accuracies.append(model.evaluate(X_val, y[val], verbose=0)[1])\n").replace(
        "        results[rate] = {'val_accuracy': accuracies, 'mean': 0.99, 'std': 0.0, 'models': models}\n",
        "        results[rate] = {'val_accuracy': accuracies, 'mean': float(np.mean(accuracies)),\n"
        "                         'std': float(np.std(accuracies)), 'models': models}\n")}),
]
