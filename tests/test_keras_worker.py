"""The trusted Keras worker: a real process, its limits, and the judging that no data can crash.

A worker that dies or times out on a request answers that request with an error that
says so and is restarted for the next one. The allow-list and the judging of a model
and of an experiment are fed every kind of value the wire can carry (Hypothesis) and
must answer with a result, never an exception.
"""
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder.checks import keras_config, keras_worker, ps4_keras
from autograder.sandbox import wire

MODEL_CONFIG = None


def small_model():
    """A serialised two-layer classifier: what the child sends for a model."""
    global MODEL_CONFIG
    if MODEL_CONFIG is None:
        import keras
        from autograder.sandbox.inside import handlers
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"),
                                  keras.layers.Dense(2, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        MODEL_CONFIG = handlers._serialised(keras, model)
    return MODEL_CONFIG


def rebuild(worker):
    return worker.request("rebuild_model", x=np.ones((5, 3)), seed=0, **small_model())


@pytest.mark.slow
def test_the_worker_rebuilds_and_runs_a_model():
    worker = keras_worker.KerasWorker()
    try:
        facts = rebuild(worker)["value"]
        assert facts["params"] == 4 * 4 + 5 * 2 and np.shape(facts["inference"][0]) == (5, 2)
    finally:
        worker.close()


@pytest.mark.slow
def test_a_worker_out_of_time_fails_that_request_only_and_is_restarted():
    worker = keras_worker.KerasWorker(request_seconds=1e-4)
    try:
        worker.start()
        answer = rebuild(worker)
        assert "took longer than" in answer["error"] and "restarted" in answer["error"]
        worker.request_seconds = 60
        assert rebuild(worker)["value"]["params"] == 26
    finally:
        worker.close()


@pytest.mark.slow
def test_a_worker_out_of_memory_fails_that_request_only_and_is_restarted():
    worker = keras_worker.KerasWorker(memory_mb=1400)
    try:
        answer = worker.request("rebuild_model", config="{}", weights=[np.zeros(60_000_000)], x=np.zeros((2, 2)))
        assert "Keras worker" in answer["error"] and "1400 MB" in answer["error"]
        assert rebuild(worker)["value"]["params"] == 26
    finally:
        worker.close()


def test_a_closed_worker_is_a_grader_fault_not_a_students_failure():
    worker = keras_worker.KerasWorker()
    worker.close()
    with pytest.raises(keras_worker.KerasWorkerUnavailable):
        rebuild(worker)


# --- no value can make the judging raise ------------------------------------------------

def _arrays():
    return st.builds(lambda shape, kind: np.zeros(shape, dtype=kind),
                     st.lists(st.integers(0, 3), max_size=3).map(tuple), st.sampled_from(["f8", "f4", "i8", "?"]))


PLAIN = st.recursive(
    st.none() | st.booleans() | st.integers(-2 ** 63, 2 ** 63 - 1) | st.floats() | st.text(max_size=20) | _arrays(),
    lambda inner: st.lists(inner, max_size=4) | st.lists(inner, max_size=3).map(tuple)
    | st.dictionaries(st.sampled_from(["class_name", "config", "layers", "units", "rate", "module", "loss", "val_loss",
                                       "history", "params", "weights", "batch_shape", "activation", "registered_name",
                                       "optimizer", "metrics", "patience", "monitor", "epochs", "steps"]) | st.text(max_size=5),
                      inner, max_size=5),
    max_leaves=20)

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(PLAIN)
def test_the_allow_list_answers_every_value_with_a_result(value):
    value = wire.decode(wire.encode(wire.to_plain(value)))
    for judge in (keras_config.model_problem, keras_config.compile_problem):
        assert judge(value) is None or isinstance(judge(value), str)


@FAST
@given(PLAIN)
def test_an_experiment_of_any_shape_is_read_without_raising(value):
    value = wire.decode(wire.encode(wire.to_plain(value)))
    entries, problem = ps4_keras.experiment_entries(value if isinstance(value, list) else [value])
    assert (entries is None) == isinstance(problem, str)


def test_a_config_of_a_class_of_ones_own_is_refused_by_name_before_anything_is_built():
    config = {"class_name": "Sequential", "module": "keras", "config": {"layers": [
        {"class_name": "MyDense", "module": None, "config": {"units": 3}}]}}
    assert "'MyDense' is not one of Keras's own classes" in keras_config.model_problem(json.loads(json.dumps(config)))


@pytest.mark.parametrize("module", ["os", "__main__", "builtins", "kerasx.layers"])
def test_an_allowed_class_name_from_another_module_is_refused(module):
    config = {"class_name": "Sequential", "module": module, "config": {"layers": []}}
    assert "not from Keras" in keras_config.model_problem(config)


class Answering:
    """A student process whose every reply is `reply` (a forged or broken answer)."""

    def __init__(self, reply):
        self.reply = wire.decode(wire.encode(wire.to_plain(reply)))

    def request(self, op, **params):
        return self.reply


SLOW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

REPLIES = st.fixed_dictionaries({}, optional={"value": PLAIN, "error": PLAIN, "warnings": PLAIN})


@SLOW
@given(REPLIES)
def test_a_reply_of_any_shape_about_a_model_is_judged_without_raising(reply):
    verdicts = ps4_keras.build_classifier.judge_model(Answering(reply), (5, 3))
    assert all(isinstance(message, str) for message in verdicts.values())


@SLOW
@given(REPLIES)
def test_a_reply_of_any_shape_about_an_experiment_is_judged_without_raising(reply):
    verdicts = ps4_keras.run_experiment.judge_experiment(Answering(reply))
    assert all(isinstance(message, str) for message in verdicts.values())
