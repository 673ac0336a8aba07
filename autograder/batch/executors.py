"""Where a batch's grading jobs run: a local thread pool (the default) or a Dask cluster.

Either is a `run(todo, on_result)` for `run.grade_jobs`. A job is plain data and
`safely_graded` runs the trusted side wherever it lands: on a Dask worker it starts
that worker's own warm zygote and isolates each submission in its own child, as
locally. A student's failure is a result, never an exception, so nothing the
student does makes Dask retry. Losing a worker is the engine's business: the
scheduler hands its unfinished jobs to other workers (up to its
`distributed.scheduler.allowed-failures`), and a job it gives up on becomes a
`grader_error` result, which is not cached, so the next run grades it again.
"""
from __future__ import annotations

import contextlib
import signal
import threading
import uuid
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from ..errors import GraderFault, UsageError
from ..results import Status, StudentResult
from .jobs import Job
from .submission import failed_result, grade_submission
from .warm_workers import WarmWorkers

EXECUTORS = ("local", "dask")


def runner(executor: str, workers: int, warm: WarmWorkers, scheduler: str | None = None):
    """The `run` of `executor`; Dask needs the scheduler's address."""
    if executor == "local":
        return local_runner(workers, warm)
    if executor == "dask":
        if not scheduler:
            raise UsageError("--executor dask needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786)")
        return dask_runner(scheduler)
    raise UsageError("unknown executor %r (expected one of %s)" % (executor, ", ".join(EXECUTORS)))


def local_runner(workers: int, warm: WarmWorkers):
    """Grade in a pool of threads, each submission in a child of `warm`'s workers.

    If the batch is interrupted (Ctrl-C, or a failure handling a result), the
    submissions in progress are stopped at once rather than waited for: their results
    would not be recorded anyway, and a hanging one could hold the interrupted grader
    for minutes."""
    def run(todo, on_result):
        warm.resume()
        pool = ThreadPoolExecutor(max_workers=max(1, workers))
        pending = {pool.submit(safely_graded, job, warm): (job, key) for job, key in todo}
        try:
            with _ctrl_c_noted() as interrupted:
                while pending:
                    done, _ = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
                    if interrupted.is_set():
                        raise KeyboardInterrupt
                    for future in done:
                        job, key = pending.pop(future)
                        on_result(job, key, future.result())
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            warm.stop()
            raise
        pool.shutdown()
    return run


@contextlib.contextmanager
def _ctrl_c_noted():
    """An event that Ctrl-C sets while the block runs, instead of raising at once.

    CPython drops a KeyboardInterrupt that lands in a weakref callback or a __del__
    (it prints "Exception ignored" and goes on), and then the batch would run to the
    end; the event is checked by the loop, which raises the interrupt itself.
    """
    interrupted = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield interrupted
        return
    previous = signal.signal(signal.SIGINT, lambda *_: interrupted.set())
    try:
        yield interrupted
    finally:
        signal.signal(signal.SIGINT, previous)


def safely_graded(job: Job, warm: WarmWorkers | None = None) -> StudentResult:
    """The job's result; a fault of the grader becomes a `grader_error` result (not
    cached, so the next run retries it) instead of stopping the batch. Without `warm`
    (a task on a Dask worker), this process's warm workers grade it."""
    try:
        return grade_submission(job, warm or WarmWorkers.of_this_process())
    except Exception as error:  # noqa: BLE001
        return failed_result(job, Status.GRADER_ERROR, "the grader failed on this submission: %s: %s"
                             % (type(error).__name__, error))


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
        raise GraderFault("--executor dask needs the dask and distributed packages "
                           "(pip install -r requirements.txt)") from None
    try:
        return Client(address, timeout=timeout, set_as_default=False)
    except OSError as error:
        raise GraderFault("cannot reach the Dask scheduler at %s: %s" % (address, error)) from None


def _task_key(job) -> str:
    """Unique, and readable on the Dask dashboard."""
    return "grade-%s-%s-%s" % (job.assignment, job.student, uuid.uuid4().hex[:8])


def _result_of(future, job):
    """The job's result, or a grader_error saying why the cluster could not give one."""
    try:
        return future.result()
    except Exception as error:  # noqa: BLE001 (KilledWorker, a cancelled task, a lost scheduler)
        return failed_result(job, Status.GRADER_ERROR, "the Dask cluster could not grade this submission "
                             "(%s: %s); run the same command again to retry it" % (type(error).__name__, error))
