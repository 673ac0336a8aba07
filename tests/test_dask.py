"""Grading on a Dask cluster: the grades of the local pool, and a lost worker costs nothing.

A real dask.distributed LocalCluster of two worker processes (daemonic, as Dask makes
them), each starting its own warm zygote and sandboxing every submission in a child.
Two "slow" students (full marks after a 2-second first cell) keep a worker busy long
enough to kill it mid-submission.
"""
import json
import multiprocessing
import os
import shutil
import signal
import threading
import time

import psutil
import pytest
from distributed import Client, LocalCluster

from autograder.authoring import examples
from autograder.batch.cache import ResultCache, cache_key, grading_fingerprint
from autograder.batch.executors import local_runner
from autograder.batch.jobs import find_submissions
from autograder.batch.run import grade_jobs
from autograder.batch.executors import dask_runner
from autograder.batch.warm_workers import WarmWorkers
from autograder.batch.shards import Shard, read_shard_file

from grading_helpers import ASSIGNMENT, example_class
from course_helpers import autograder_command

pytestmark = pytest.mark.slow  # a Dask cluster started and a class graded on it: over 10 s

SLOW = ("slow-1", "slow-2")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = example_class(tmp_path_factory, "dask")
    with open(course.source_notebook(ASSIGNMENT)) as handle:
        answers = examples.answers_of("full", ASSIGNMENT, json.load(handle))
    first = next(iter(answers))
    notebook = examples.filled(examples.released_notebook(course.root, ASSIGNMENT),
                               {**answers, first: "import time\ntime.sleep(2)\n" + answers[first]})
    for student in SLOW:
        examples.write_submission(course.root, ASSIGNMENT, student, notebook)
    return course


@pytest.fixture(scope="module")
def local(course):
    """The class graded by the default local thread pool."""
    results = grade_jobs(course, ASSIGNMENT, find_submissions(course, ASSIGNMENT), 2, force=True,
                         run=local_runner(2, WarmWorkers.of_this_process()))
    WarmWorkers.of_this_process().close()
    return results


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster, set_as_default=False) as client:
        yield cluster, client


def graded_on(cluster, course):
    return grade_jobs(course, ASSIGNMENT, find_submissions(course, ASSIGNMENT), 2, force=True,
                      run=dask_runner(cluster.scheduler_address))


def comparable(results):
    """Everything about each result but the memory it happened to peak at."""
    return {student: {**result.to_record(), "peak_memory_mb": None} for student, result in results.items()}


def test_the_cluster_gives_the_grades_of_the_local_pool(course, local, cluster):
    daemonic = cluster[1].run(lambda: multiprocessing.current_process().daemon)
    assert list(daemonic.values()) == [True, True]  # yet each starts its zygote (a subprocess)
    assert comparable(graded_on(cluster[0], course)) == comparable(local)
    assert local["full-000"].score == local["slow-1"].score == 10
    assert "namespaces" in local["full-000"].protections  # the workers sandboxed as strictly


def test_the_grade_command_runs_on_a_dask_scheduler(course, local, cluster):
    # One shard of one: the lossless records, and no gradebook to wait for.
    done = autograder_command("grade", ASSIGNMENT, "--course", course.root, "--force", "--executor", "dask",
                              "--scheduler", cluster[0].scheduler_address, "--shard", "1/1", cwd=course.root)
    assert done.returncode == 0, done.stderr[-3000:]
    shard = read_shard_file(Shard(1, 1).path(course, ASSIGNMENT))
    assert comparable({student: result for student, (_, result) in shard.graded.items()}) == comparable(local)
    missing = autograder_command("grade", ASSIGNMENT, "--course", course.root, "--executor", "dask",
                                 cwd=course.root)
    assert missing.returncode == 2 and "--executor dask needs --scheduler" in missing.stderr


def kill_worker_during(cluster, client, batch):
    """Run `batch` in a thread; SIGKILL the worker that is grading a slow student.
    Returns (the batch's results, the killed task's key, the zygotes the worker had)."""
    client.wait_for_workers(2, timeout=60)
    pids = client.run(os.getpid)
    outcome = {}
    thread = threading.Thread(target=lambda: outcome.update(results=batch()))
    thread.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        executing = client.run(lambda dask_worker: [str(t.key) for t in dask_worker.state.executing])
        busy = [(worker, key) for worker, keys in executing.items() for key in keys if "-slow-" in key]
        if busy:
            break
        time.sleep(0.05)
    worker, key = busy[0]
    time.sleep(0.5)  # well inside the slow cell
    zygotes = psutil.Process(pids[worker]).children()
    os.kill(pids[worker], signal.SIGKILL)
    thread.join(timeout=180)
    return outcome["results"], key, zygotes


def test_a_worker_killed_mid_batch_is_retried_by_the_cluster(course, local, cluster):
    cluster, client = cluster
    results, key, zygotes = kill_worker_during(cluster, client, lambda: graded_on(cluster, course))
    assert comparable(results) == comparable(local)
    started = [t for t in cluster.scheduler.story(key) if t[0] == key and t[2] == "processing"]
    assert len(started) >= 2, "the killed task ran once only"
    assert zygotes and psutil.wait_procs(zygotes, timeout=10)[1] == []  # the worker's zygote went with it


def test_a_task_the_cluster_gives_up_on_is_a_grader_error_not_a_grade(course, local, cluster):
    cluster, client = cluster
    shutil.rmtree(os.path.join(course.state, "cache"))
    allowed, cluster.scheduler.allowed_failures = cluster.scheduler.allowed_failures, 0
    try:
        results, _, _ = kill_worker_during(cluster, client, lambda: graded_on(cluster, course))
    finally:
        cluster.scheduler.allowed_failures = allowed
    lost = {student for student, result in results.items() if result.status == "grader_error"}
    # The killed worker's slow student, and any other task it held when it died (on a
    # loaded machine the worker may have moved on to the next slow student).
    assert lost and lost <= set(SLOW) and all("KilledWorker" in results[s].message for s in lost), results
    assert {s: r.score for s, r in results.items() if s not in lost} == \
        {s: r.score for s, r in local.items() if s not in lost}
    cache, fingerprint = ResultCache(course, ASSIGNMENT), grading_fingerprint(course, ASSIGNMENT)
    cached = {job.student for job in find_submissions(course, ASSIGNMENT)
              if cache.get(job.student, cache_key(job, fingerprint))}
    assert cached == set(results) - lost  # so the next run grades the lost ones again
