"""The warm fork server: imports NumPy (and TensorFlow/Keras when asked) once, then
forks one sandboxed child per request.

It is started by the grader with a clean environment and working directory, and it
never imports the reference solutions, the checks' expected values or anything of the
grader's: a forked child inherits the zygote's memory, so that memory must hold
nothing a student may not see. Forking is safe because TensorFlow is imported but
has run no operation here, so none of its threads exist yet.

Protocol on the SOCK_SEQPACKET control socket: once warm, the zygote sends
`{"ready": true}`; then for each child the grader sends a JSON config with two
file descriptors attached (the child's end of the request socket, and the write end of
the status pipe); the zygote answers `{"pid": supervisor_pid}`.
"""
from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import signal
import socket
import sys

def main(control_fd: int, preload: list[str]) -> None:
    control = socket.socket(fileno=control_fd)
    with _without("matplotlib"):
        for module in preload:
            importlib.import_module(module)
    _configure_tensorflow()
    from . import child  # imported now so forked children need no disk access for it
    child.as_python("")  # and IPython's input transformer, which every cell goes through
    # A child shares the zygote's memory until it writes to it, and a garbage collection
    # writes to every object it visits; frozen objects are never visited, so a child
    # copies only what it uses, which matters most for a child of a TensorFlow zygote.
    gc.freeze()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # supervisors are reaped automatically
    try:
        control.send(json.dumps({"ready": True}).encode())
    except OSError:
        return
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, 1 << 20, 2)
        except OSError:
            return
        if not message:
            return  # the grader has gone: so do we (and our children, by PDEATHSIG)
        config = json.loads(message)
        pid = os.fork()
        if pid == 0:
            control.close()
            child.supervise(config, fds[0], fds[1])
        for fd in fds:
            os.close(fd)
        try:
            control.send(json.dumps({"pid": pid}).encode())
        except OSError:
            return  # the grader went away (e.g. Ctrl-C) while we forked


def _configure_tensorflow() -> None:
    """Turn off Grappler, TensorFlow's graph optimiser, in the children.

    Its rewrites pay off for big graphs run many times. A grading child fits tiny
    models for a few epochs, and each epoch of `model.fit` makes new tf.data iterators
    whose graphs Grappler optimises anew: a large share of fitting, for the same
    numbers. This only sets an option; the runtime (and its threads) still starts in
    each child, after the fork.
    """
    tensorflow = sys.modules.get("tensorflow")
    if tensorflow is not None:
        tensorflow.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})


@contextlib.contextmanager
def _without(package: str):
    """Make `package` look absent while the block runs.

    Keras imports matplotlib.pyplot, when it is installed, for its image-gallery
    helpers; that is a noticeable part of every warm worker's start, for nothing the grader
    uses. Afterwards the package imports normally, so a submission that plots still
    can (and pays for it itself).
    """
    sys.modules[package] = None
    try:
        yield
    finally:
        if sys.modules.get(package, 0) is None:
            del sys.modules[package]


if __name__ == "__main__":
    main(int(sys.argv[1]), [name for name in sys.argv[2].split(",") if name])
