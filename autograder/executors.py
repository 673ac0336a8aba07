"""Where a batch's grading jobs run: a local thread pool (the default) or a Dask cluster.

Either is a `run(todo, on_result)` for `batch.grade_jobs`. A job is plain data and
`safely_graded` runs the trusted side wherever it lands: on a Dask worker it starts
that worker's own warm zygote and isolates each submission in its own child, as
locally. A student's failure is a result, never an exception, so nothing the
student does makes Dask retry. Losing a worker is the engine's business: the
scheduler hands its unfinished jobs to other workers (up to its
`distributed.scheduler.allowed-failures`), and a job it gives up on becomes a
`grader_error` result, which is not cached, so the next run grades it again.
"""
from __future__ import annotations

import uuid

from .batch import local_runner, safely_graded
from .grader import failed_result

EXECUTORS = ("local", "dask")


def runner(executor: str, workers: int, scheduler: str | None = None):
    """The `run` of `executor`; Dask needs the scheduler's address."""
    if executor == "local":
        return local_runner(workers)
    if executor == "dask":
        if not scheduler:
            raise ValueError("--executor dask needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786)")
        return dask_runner(scheduler)
    raise ValueError("unknown executor %r (expected one of %s)" % (executor, ", ".join(EXECUTORS)))


def dask_runner(address: str, connect_timeout: float = 30.0):
    """Grade each job as one task on the Dask cluster whose scheduler is at `address`."""
    def run(todo, on_result):
        with _connect(address, connect_timeout) as client:
            from distributed import as_completed
            futures = {client.submit(safely_graded, job, key=_task_key(job), pure=False): (job, key)
                       for job, key in todo}
            try:
                for future in as_completed(futures, loop=client.loop):
                    job, key = futures[future]
                    on_result(job, key, _result_of(future, job))
                    future.release()
            except BaseException:
                client.cancel(list(futures))
                raise
    return run


def _connect(address: str, timeout: float):
    try:
        from distributed import Client
    except ImportError:
        raise RuntimeError("--executor dask needs the dask and distributed packages "
                           "(pip install -r requirements.txt)") from None
    try:
        return Client(address, timeout=timeout, set_as_default=False)
    except OSError as error:
        raise RuntimeError("cannot reach the Dask scheduler at %s: %s" % (address, error)) from None


def _task_key(job) -> str:
    """Unique, and readable on the Dask dashboard."""
    return "grade-%s-%s-%s" % (job.assignment, job.student, uuid.uuid4().hex[:8])


def _result_of(future, job):
    """The job's result, or a grader_error saying why the cluster could not give one."""
    try:
        return future.result()
    except Exception as error:  # noqa: BLE001 (KilledWorker, a cancelled task, a lost scheduler)
        return failed_result(job, "grader_error", "the Dask cluster could not grade this submission "
                             "(%s: %s); run the same command again to retry it" % (type(error).__name__, error))
