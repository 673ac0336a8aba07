"""The three processes forked for one sandboxed run of student code.

    zygote -> supervisor (root, host namespaces)
                 -> init (root, PID 1 of new namespaces: hides files, mounts /proc)
                      -> runner (unprivileged uid: runs the student's cells, answers requests)

That is the `root` tier. The grader's configuration names the tier (it is never read
from the environment here): in the `userns` tier the supervisor, an ordinary user,
makes the namespaces inside a new user namespace, init builds the same filesystem with
the capabilities it has there, and the runner gives up every capability instead of
changing uid; in the `none` tier there are no namespaces and the runner works in a
temporary folder. Every tier sets the rlimits.

The supervisor owns the run's cgroup (where the grader may make one) and reports how
the run ended on a status pipe; it kills everything when the grader sends it SIGTERM.
The init process prepares the filesystem and waits: when it exits, the kernel kills
every process left in the PID namespace, so nothing the student started can outlive
the run. The runner executes the student's code and answers the grader's requests
(see `handlers`) over a socket, speaking only `wire` messages.
"""
from __future__ import annotations

import builtins
import functools
import json
import os
import shutil
import signal
import tempfile
import traceback

from .. import framing, wire
from . import cgroups, handlers, isolation, landlock, seccomp

WORKDIR = "/tmp/work"


def supervise(config: dict, conn_fd: int, status_fd: int) -> None:
    """Entry point in the freshly forked child of the zygote; never returns.

    The status is one line, sent as soon as it is known: the grader reads it without
    waiting for this process to clean up (the cgroup, which the kernel releases a few
    milliseconds after the run's last task) and to exit.
    """
    cleanups = []
    try:
        status = _supervise(config, conn_fd, status_fd, cleanups)
    except BaseException as error:  # noqa: BLE001 (report, whatever happened)
        status = {"setup_error": "%s: %s" % (type(error).__name__, error)}
    try:
        os.write(status_fd, json.dumps(status).encode() + b"\n")
        os.close(status_fd)
        if cleanups:
            isolation.die_with_parent(False)  # the run is over: finish cleaning up even if the grader has gone
        for cleanup in cleanups:
            cleanup()
    finally:
        os._exit(0)


def _supervise(config, conn_fd, status_fd, cleanups):
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    isolation.die_with_parent()
    tier = config.get("tier", "none")
    protections = []
    cgroup = None
    if config.get("cgroups"):  # where the grader found it may make groups for its runs
        isolation.protect_from_oom_killer()
        cgroup = cgroups.RunGroup(config["cgroups"], cgroups.run_name(os.getpid()),
                                  config["memory_mb"], config["max_tasks"])
        cleanups.append(cgroup.remove)  # also if what follows fails
        cgroup.join()
        protections += cgroup.protections()
    uid = None  # a fresh uid for the runner (as root)
    if os.geteuid() == 0 and tier in ("root", "none"):
        # A uid of its own (the supervisor's pid is unique among live processes), so that
        # per-user limits and permissions separate concurrent runs.
        uid = config["uid_base"] + os.getpid()
    if tier == "root":
        isolation.unshare_namespaces()
        protections.append("namespaces")
        workdir = WORKDIR
    elif tier == "userns":
        if os.geteuid() == 0:  # forced on root: run as an ordinary user would
            isolation.become_ordinary_user(config["uid_base"] + os.getpid())
        isolation.unshare_user_namespaces()
        isolation.die_with_parent()  # (kept by the kernel here; set again in case it is not)
        protections += ["user namespace", "namespaces", "no capabilities"]
        workdir = WORKDIR
    elif tier == "landlock":
        # No namespaces: Landlock and seccomp in the runner (which adds them to its
        # protections), a watchdog here for memory, and, as root, a fresh uid.
        if os.geteuid() == 0:
            isolation.protect_from_oom_killer()
            uid = config["uid_base"] + os.getpid()
        isolation.become_subreaper()  # orphans (daemons) come back here, to be killed
        protections += ["memory watchdog"] + ["fresh uid"] * (uid is not None)
        workdir = tempfile.mkdtemp(prefix="dlcourse-run-")
        cleanups.append(lambda: shutil.rmtree(workdir, ignore_errors=True))
    elif tier == "none":
        protections.append("no namespaces (tier none)")
        workdir = tempfile.mkdtemp(prefix="dlcourse-run-")
    else:
        raise ValueError("unknown sandbox tier %r" % tier)
    read_fd, write_fd = os.pipe()  # the runner's own protections (landlock tier)
    init = os.fork()
    if init == 0:
        os.close(status_fd)
        os.close(read_fd)
        _run_init(config, conn_fd, tier, cgroup, uid, workdir, write_fd)
    os.close(conn_fd)
    os.close(write_fd)
    signal.signal(signal.SIGTERM, lambda *_: isolation.kill_quietly(init))
    if tier == "landlock":
        wait_status, memory = isolation.watch_memory(init, config["memory_mb"] * 2**20)
        isolation.kill_descendants()  # no PID namespace: whatever the run started ends here
    else:
        _, wait_status = os.waitpid(init, 0)
        memory = {}
    with os.fdopen(read_fd, "rb") as reported:
        protections += [line for line in reported.read(4096).decode(errors="replace").splitlines() if line]
    status = {"protections": protections, "sandbox": tier, **_exit_info(wait_status), **memory}
    if cgroup is not None:
        status.update(cgroup.stats())
    if workdir != WORKDIR and tier != "landlock":
        cleanups.append(lambda: shutil.rmtree(workdir, ignore_errors=True))
    return status


def _exit_info(wait_status):
    """How the init process ended; it passes on its runner's ending as its own."""
    if os.WIFSIGNALED(wait_status):
        return {"signal": os.WTERMSIG(wait_status)}
    code = os.WEXITSTATUS(wait_status)
    if code >= 128:
        return {"signal": code - 128}
    return {"exit_code": code}


def _run_init(config, conn_fd, tier, cgroup, uid, workdir, report_fd):
    """PID 1 of the new namespaces: a minimal filesystem, then start the runner, reap.

    It dies with its supervisor: if the supervisor is killed (or the zygote, which
    takes the supervisor with it), the namespace ends with everything the student
    started, instead of running on unsupervised.
    """
    try:
        isolation.die_with_parent()
        if tier in ("root", "userns"):
            isolation.enter_minimal_root(isolation.paths_python_needs(), config["hidden"], config["tmp_size_mb"])
        os.makedirs(workdir, exist_ok=True)
        if uid is not None:
            os.chown(workdir, uid, uid)
        os.chdir(workdir)
        runner = os.fork()
        if runner == 0:
            _run_runner(config, conn_fd, tier, uid, cgroup, report_fd)
        os.close(conn_fd)
        os.close(report_fd)
        while True:  # reap everything; the runner's end is the namespace's end
            pid, wait_status = os.wait()
            if pid == runner:
                info = _exit_info(wait_status)
                os._exit(128 + info["signal"] if "signal" in info else info["exit_code"])
    except BaseException:  # noqa: BLE001
        traceback.print_exc()
        os._exit(70)


def _run_runner(config, conn_fd, tier, uid, cgroup, report_fd):
    """The process that runs student code: limits, a fresh uid (as root) or no
    capabilities (in a user namespace), Landlock and seccomp (landlock tier), then
    the request loop. It tells the supervisor on `report_fd` what it enforced."""
    try:
        workdir = os.getcwd()
        isolation.set_limits(
            cpu_seconds=config["cpu_seconds"], file_mb=config["file_mb"],
            open_files=config["open_files"],
            processes=None if cgroup is not None and cgroup.limits_tasks else config["max_tasks"],
            data_mb=None if cgroup is not None and cgroup.limits_memory else config["memory_mb"])
        if uid is not None:
            isolation.drop_privileges(uid)
        if tier == "userns":
            isolation.drop_capabilities()  # so that nothing can undo the mounts
        if tier == "landlock":  # before any thread starts and any student code runs
            done = landlock.restrict(
                isolation.SYSTEM_PATHS + isolation._safe_to_keep(isolation.paths_python_needs(), config["hidden"]),
                [workdir])
            done.append(seccomp.install())
            os.write(report_fd, "".join(line + "\n" for line in done).encode())
        os.close(report_fd)
        isolation.die_with_parent()
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-large write fails, not kills
        _redirect_standard_streams(workdir, conn_fd)
        _reset_environment(workdir)
    except BaseException:  # noqa: BLE001
        traceback.print_exc()
        os._exit(71)
    serve(conn_fd)
    os._exit(0)


def _redirect_standard_streams(workdir, conn_fd):
    """stdin from /dev/null, output to a file in the work folder; close every other fd."""
    null = os.open(os.devnull, os.O_RDONLY)
    output = os.open(os.path.join(workdir, "output.txt"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(null, 0)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.closerange(3, conn_fd)
    os.closerange(conn_fd + 1, 1 << 16)


def _reset_environment(workdir):
    keep = ("PATH", "LANG", "LC_ALL", "TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS",
            "KERAS_BACKEND", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
            "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")
    environment = {key: os.environ[key] for key in keep if key in os.environ}
    environment.update(HOME=workdir, TMPDIR=workdir, MPLBACKEND="Agg",
                       MPLCONFIGDIR=os.path.join(workdir, ".matplotlib"))
    os.environ.clear()
    os.environ.update(environment)


def serve(conn_fd: int) -> None:
    """Answer the grader's requests until it closes the connection.

    Whatever a request does, the loop answers it: an exception anywhere (even from
    the code that reports an answer, if the student broke it) becomes that request's
    error. Builtins are put back as they were before each request and before each
    answer is encoded, so a student who patches `builtins` breaks neither the
    reporting nor the functions graded after.
    """
    import socket
    conn = socket.socket(fileno=conn_fd)
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    namespace["get_ipython"] = lambda: _QuietShell(namespace)
    store: dict = {}
    pristine = dict(builtins.__dict__)
    framing.send(conn, wire.encode({"ready": True}))  # set up; no student code has run yet
    while True:
        try:
            request = wire.decode(framing.receive(conn))
        except framing.ConnectionEnded:
            return
        _restore(builtins.__dict__, pristine)
        try:
            if request.get("op") == "exec":
                response = execute_cell(namespace, request["name"], request["source"])
            else:
                response = handlers.handle(namespace, store, request)
            _restore(builtins.__dict__, pristine)
            payload = wire.encode(response)
        except BaseException as error:  # noqa: BLE001 (a broken answer is that request's error)
            _restore(builtins.__dict__, pristine)
            payload = wire.encode({"error": _answer_error(error)})
        framing.send(conn, payload)


def _restore(names: dict, pristine: dict) -> None:
    """Every builtin as it was (names added since are left alone: nothing relies on them)."""
    names.update(pristine)


def _answer_error(error: BaseException) -> dict:
    info = handlers.error_info(error)
    return {"type": "ReturnTypeError", "types": ["ReturnTypeError"], "traceback": "",
            "message": "the answer could not be reported (%s: %s)" % (info["type"], info["message"])}


class _QuietShell:
    """What `get_ipython()` returns here: magics and shell commands do nothing (and
    `x = !cmd` gives an empty list), except that a cell magic such as %%time still
    runs its cell."""

    def __init__(self, namespace):
        self.namespace = namespace

    def run_line_magic(self, *args, **kwargs):
        return None

    def system(self, *args, **kwargs):
        return None

    def getoutput(self, *args, **kwargs):
        return []

    def run_cell_magic(self, name, line, cell):
        exec(compile(as_python(cell), "<cell magic %s>" % name, "exec"), self.namespace)  # noqa: S102


def execute_cell(namespace: dict, name: str, source: str) -> dict:
    """Run one cell's code in the shared namespace, as a notebook would."""
    try:
        code = compile(as_python(source), "<cell %s>" % name, "exec")
        exec(code, namespace)  # noqa: S102 (running student code is the point)
    except BaseException as error:  # noqa: BLE001 (SystemExit in a cell is the cell's error)
        return {"error": handlers.error_info(error)}
    return {}


def as_python(source: str) -> str:
    """IPython syntax (magics, shell escapes) as plain Python calls to `get_ipython()`.

    Done here, under the sandbox's limits, because it parses the student's text."""
    return _transformer().transform_cell(source) if _transformer() else source


@functools.lru_cache(maxsize=1)
def _transformer():
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        return None
    return TransformerManager()
