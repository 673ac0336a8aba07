"""Grade a class: find the submissions, reuse cached results, grade the rest in parallel.

Every finished result is written to the cache at once (atomically), keyed by the
submission's bytes and everything that decides its grade (the source notebook, the
reference solutions, the checks, this package's version). So a batch that is killed
or interrupted loses nothing: running the same command again grades only what is
missing, and a late submission costs one grading, not a whole class.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import sys
import tempfile
import threading
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from . import __version__
from .course import Course
from .grader import Job, failed_result, grade_submission, resume_grading, stop_grading
from .results import StudentResult
from .sandbox import Limits
from .submission import MAX_NOTEBOOK_BYTES, read_regular_file


def find_submissions(course: Course, assignment: str, students=None, limits: Limits | None = None) -> list[Job]:
    """One job per student folder in submitted/ that has this assignment, sorted by id."""
    limits = limits or Limits()
    limits.hidden = course.hidden_paths()
    root = course.submitted()
    names = sorted(os.listdir(root)) if os.path.isdir(root) else []
    if students:
        unknown = sorted(set(students) - set(names))
        if unknown:
            raise ValueError("no submissions from %s in %s" % (", ".join(unknown), root))
        names = [name for name in names if name in set(students)]
    jobs = []
    for student in names:
        # Joined without a trailing separator: "home/" would resolve a link to a folder.
        home = os.path.join(root, student)
        folder = os.path.join(home, assignment)
        if os.path.islink(home) or os.path.islink(folder):
            jobs.append(_job(course, assignment, student, None, limits))
        elif os.path.isdir(home) and os.path.lexists(folder):
            jobs.append(_job(course, assignment, student, folder, limits))
    return jobs


def _job(course, assignment, student, folder, limits):
    job = Job(course.root, assignment, student, None, course.source_notebook(assignment), limits)
    if folder is None or not os.path.isdir(folder):
        job.missing = "the submission is a symbolic link or not a folder: nothing was read from it"
        return job
    expected = os.path.join(folder, assignment + ".ipynb")
    if os.path.lexists(expected):
        job.notebook = expected
        return job
    others = sorted(name for name in os.listdir(folder) if name.endswith(".ipynb"))
    if len(others) == 1:
        job.notebook = os.path.join(folder, others[0])
        job.note = "graded %s in place of the missing %s.ipynb" % (others[0], assignment)
    else:
        job.missing = "no %s.ipynb in the submission%s" % (
            assignment, " (found %s)" % ", ".join(others) if others else "")
    return job


# --- the cache ----------------------------------------------------------------------

def grading_fingerprint(course: Course, assignment: str) -> str:
    """Everything besides the submission that decides a grade, hashed: the source
    notebook, the reference solutions and every module of this package (the checks,
    but also how the sandbox runs and answers them)."""
    digest = hashlib.sha256(__version__.encode())
    for path in [course.source_notebook(assignment),
                 os.path.join(course.root, "solutions", assignment + ".py")] + _package_sources():
        with open(path, "rb") as handle:
            digest.update(handle.read())
    return digest.hexdigest()


def _package_sources() -> list[str]:
    package = os.path.dirname(os.path.abspath(__file__))
    return sorted(os.path.join(folder, name) for folder, _, names in os.walk(package)
                  for name in names if name.endswith(".py"))


def cache_key(job: Job, fingerprint: str) -> str:
    """The hash of what decides this job's grade. The notebook is read as grading
    reads it (no links, no special files, no more than the size limit), so hashing a
    FIFO or a link to /dev/zero can neither hang nor exhaust the grader."""
    digest = hashlib.sha256(fingerprint.encode())
    digest.update(json.dumps([job.note, job.missing]).encode())
    if job.notebook:
        try:
            data, size = read_regular_file(job.notebook, MAX_NOTEBOOK_BYTES)
            digest.update(b"%d:" % size + data)
        except OSError as error:
            digest.update(("%s: %s" % (type(error).__name__, error.strerror)).encode())
    return digest.hexdigest()


class ResultCache:
    """One JSON file per student and assignment under .autograder/cache/."""

    def __init__(self, course: Course, assignment: str):
        self.folder = os.path.join(course.state, "cache", assignment)
        self.failed = False

    def _path(self, student):
        return os.path.join(self.folder, hashlib.sha256(student.encode()).hexdigest()[:32] + ".json")

    def get(self, student: str, key: str) -> StudentResult | None:
        try:
            with open(self._path(student)) as handle:
                entry = json.load(handle)
        except (OSError, ValueError):
            return None
        if entry.get("key") != key or entry.get("student") != student:
            return None
        return StudentResult.from_record(entry["result"])

    def put(self, student: str, key: str, result: StudentResult) -> None:
        os.makedirs(self.folder, exist_ok=True)
        write_atomically(self._path(student), json.dumps(
            {"key": key, "student": student, "result": result.to_record()}))

    def put_or_warn(self, student: str, key: str, result: StudentResult) -> None:
        """Cache a result; if the disk is full (or read-only), say so once and go on.

        The result stays in this run's results, so the batch still finishes and its
        reports are written where they can be; an uncached result is graded again by
        the next run, so nothing is lost.
        """
        try:
            self.put(student, key, result)
        except OSError as error:
            if not self.failed:
                print("warning: cannot cache results in %s (%s): they will be graded again next time"
                      % (self.folder, error.strerror or error), file=sys.stderr)
            self.failed = True


def write_atomically(path: str, text: str) -> None:
    """Write to a temporary file beside `path`, then rename: never a half-written file."""
    folder = os.path.dirname(path) or "."
    os.makedirs(folder, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


# --- running ----------------------------------------------------------------------

def grade_jobs(course: Course, assignment: str, jobs: list[Job], workers: int, force: bool = False,
               progress=None, run=None) -> dict[str, StudentResult]:
    """Results for every job, cached ones reused unless `force`.

    `run(jobs, on_result)` grades the jobs that are not cached; the default is a local
    thread pool of `workers` threads (each submission still runs in its own sandboxed
    process; the threads only wait on them and compare answers).
    """
    cache = ResultCache(course, assignment)
    fingerprint = grading_fingerprint(course, assignment)
    results, todo = {}, []
    for job in jobs:
        key = cache_key(job, fingerprint)
        cached = None if force else cache.get(job.student, key)
        if cached is not None:
            results[job.student] = cached
        else:
            todo.append((job, key))
    if progress:
        progress.start(total=len(jobs), cached=len(results))

    def on_result(job, key, result):
        if result.status != "grader_error":
            cache.put_or_warn(job.student, key, result)
        results[job.student] = result
        if progress:
            progress.advance(result)

    (run or local_runner(workers))(todo, on_result)
    if progress:
        progress.finish()
    return {job.student: results[job.student] for job in jobs}


def local_runner(workers: int):
    """Grade in a pool of threads. If the batch is interrupted (Ctrl-C, or a failure
    handling a result), the submissions in progress are stopped at once rather than
    waited for: their results would not be recorded anyway, and a hanging one could
    hold the interrupted grader for minutes."""
    def run(todo, on_result):
        resume_grading()
        pool = ThreadPoolExecutor(max_workers=max(1, workers))
        pending = {pool.submit(safely_graded, job): (job, key) for job, key in todo}
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
            stop_grading()
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


def safely_graded(job: Job) -> StudentResult:
    """The job's result; a fault of the grader becomes a `grader_error` result (not
    cached, so the next run retries it) instead of stopping the batch."""
    try:
        return grade_submission(job)
    except Exception as error:  # noqa: BLE001
        return failed_result(job, "grader_error", "the grader failed on this submission: %s: %s"
                             % (type(error).__name__, error))


def grade_assignment(course: Course, assignment: str, students=None, workers: int = 2,
                     limits: Limits | None = None, force: bool = False, progress=None, run=None,
                     select=None):
    """Find and grade the submissions of `assignment`: (jobs, results by student).

    `select(student)` keeps only some students (a shard of the class)."""
    if not os.path.isfile(course.source_notebook(assignment)):
        raise FileNotFoundError("no source notebook %s" % course.source_notebook(assignment))
    jobs = find_submissions(course, assignment, students, limits)
    if select is not None:
        jobs = [job for job in jobs if select(job.student)]
    return jobs, grade_jobs(course, assignment, jobs, workers, force, progress, run)
