"""Run notebooks in real Jupyter kernels, as Jupyter and nbgrader do (nbclient).

Errors are allowed, so every cell runs and every test cell gets its own output, the
way `nbgrader autograde` executes a submission. Several notebooks run concurrently,
each in its own kernel: most of the time goes into starting kernels and importing
TensorFlow, which overlap well.
"""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from dataclasses import dataclass, field

import nbformat
from nbclient import NotebookClient

import autograder

# TensorFlow writes C++ log lines to stderr, and nbgrader scores a test cell that writes
# to stderr as 0: quiet it in every kernel we start, as nbgrader_config.py does.
QUIET_TENSORFLOW = {"TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0",
                    "KERAS_BACKEND": "tensorflow"}


@dataclass
class Run:
    """One notebook to execute: where its kernel starts, and what to add to its environment."""
    notebook: nbformat.NotebookNode
    cwd: str
    env: dict = field(default_factory=dict)


@dataclass
class Executed:
    """A notebook after its run, with outputs; `error` says why the run stopped early."""
    notebook: nbformat.NotebookNode
    error: str = ""


def kernel_environment(extra: dict | None = None) -> dict:
    """This process's environment for a kernel, able to import this very `autograder`.

    The kernel runs this interpreter (nbclient maps the `python3` kernelspec's "python" to
    sys.executable), and PYTHONPATH makes it find the package even in a checkout that
    is not installed.
    """
    env = dict(os.environ)
    for key, value in QUIET_TENSORFLOW.items():
        env.setdefault(key, value)
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(autograder.__file__)))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_parent, env.get("PYTHONPATH")]))
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
    env.update(extra or {})
    return env


def execute(runs: list[Run], timeout: float = 120, parallel: int | None = None) -> list[Executed]:
    """Execute every notebook (at most `parallel` at once), in the order given.

    `timeout` is per cell. A cell that times out or a kernel that dies ends that
    notebook's run: its remaining cells keep no outputs.
    """
    parallel = parallel or max(2, os.cpu_count() or 1)
    return asyncio.run(_execute_all(runs, timeout, parallel))


async def _execute_all(runs, timeout, parallel):
    slots = asyncio.Semaphore(parallel)

    async def one(run):
        async with slots:
            return await _execute(run, timeout)

    return await asyncio.gather(*(one(run) for run in runs))


async def _execute(run: Run, timeout: float) -> Executed:
    notebook = nbformat.from_dict(run.notebook)  # a copy: the caller's stays as it was
    client = NotebookClient(notebook, timeout=timeout, allow_errors=True, kernel_name="python3",
                            resources={"metadata": {"path": run.cwd}})
    try:
        # The kernel process's own stderr is start-up chatter, not cell output.
        await client.async_execute(cwd=run.cwd, env=kernel_environment(run.env), stderr=subprocess.DEVNULL)
    except Exception as error:  # noqa: BLE001 (a timeout or a dead kernel is a result)
        return Executed(notebook, "%s: %s" % (type(error).__name__, str(error).strip()[:500]))
    return Executed(notebook)
