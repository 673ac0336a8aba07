"""The trusted Keras worker: a real process, its limits, and the judging that no data can crash.

A worker that dies or times out on a request answers that request with an error that
says so and is restarted for the next one. The allow-list, the settings check and the
judging of a training run are fed every kind of value the wire can carry (Hypothesis)
and must answer with a result, never an exception.
"""
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder.checks import keras_config, keras_worker, ps4_keras
from autograder.sandbox import wire

CALLBACK = {"monitor": "val_loss", "patience": 2, "restore_best_weights": True, "min_delta": 0, "mode": "auto",
            "baseline": None, "start_from_epoch": 0}
LOSSES = [1.0, 0.5, 0.6, 0.7, 0.8, 0.9]


def exercise(worker):
    return worker.request("exercise_callback", settings=CALLBACK, val_losses=LOSSES)


def test_the_worker_rebuilds_and_runs_a_real_early_stopping():
    worker = keras_worker.KerasWorker()
    try:
        assert exercise(worker) == {"value": {"epochs": 4, "weights_of_epoch": 1}}
    finally:
        worker.close()


def test_a_worker_out_of_time_fails_that_request_only_and_is_restarted():
    worker = keras_worker.KerasWorker(request_seconds=1e-4)
    try:
        worker.start()
        answer = exercise(worker)
        assert "took longer than" in answer["error"] and "restarted" in answer["error"]
        worker.request_seconds = 60
        assert exercise(worker)["value"]["epochs"] == 4
    finally:
        worker.close()


def test_a_worker_out_of_memory_fails_that_request_only_and_is_restarted():
    worker = keras_worker.KerasWorker(memory_mb=1400)
    try:
        answer = worker.request("rebuild_model", config="{}", weights=[np.zeros(60_000_000)], x=np.zeros((2, 2)))
        assert "Keras worker" in answer["error"] and "1400 MB" in answer["error"]
        assert exercise(worker)["value"]["epochs"] == 4
    finally:
        worker.close()


def test_a_closed_worker_is_a_grader_fault_not_a_students_failure():
    worker = keras_worker.KerasWorker()
    worker.close()
    with pytest.raises(keras_worker.KerasWorkerUnavailable):
        exercise(worker)


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
    for judge in (keras_config.model_problem, keras_config.compile_problem, keras_config.callback_problem):
        assert judge(value) is None or isinstance(judge(value), str)


@FAST
@given(PLAIN, PLAIN, PLAIN)
def test_a_training_run_of_any_shape_is_judged_without_raising(history, params, weights):
    x, y = ps4_keras._rising_validation_data()
    trained = wire.decode(wire.encode(wire.to_plain({"history": history, "params": params, "weights": weights})))
    initial = ps4_keras._initial_weights(7)
    assert all(isinstance(problem, str) for problem in
               ps4_keras.training_problems(trained, x, y, initial, {"epochs": 50, "batch_size": 32, "stops_early": True}))


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


@SLOW
@given(PLAIN, st.booleans())
def test_a_reply_of_any_shape_about_a_callback_is_judged_without_raising(settings_value, flag):
    test = ps4_keras.early_stopping
    for case in test.cases():
        reply = {"value": {"class": "EarlyStopping", "is_early_stopping": flag, "settings": settings_value}}
        assert isinstance(test.judge(Answering(reply), None, case), str)


REPLIES = st.fixed_dictionaries({}, optional={"value": PLAIN, "error": PLAIN, "warnings": PLAIN})


@SLOW
@given(REPLIES)
def test_a_reply_of_any_shape_about_a_model_is_judged_without_raising(reply):
    verdicts = ps4_keras.build_model.judge_model(Answering(reply), 2)
    assert all(isinstance(message, str) for message in verdicts.values())


@SLOW
@given(REPLIES)
def test_any_reply_to_the_callback_and_training_requests_is_judged_without_raising(reply):
    for test in (ps4_keras.early_stopping, ps4_keras.train):
        for case in test.cases():
            assert isinstance(test.judge(Answering(reply), None, case), str)
