"""Operating-system isolation for a process that will run student code.

Linux only, and only as root for the strong parts; each step says whether it worked so
the grader can report what protected a run. The pieces, applied in a child before any
student code runs:

- namespaces (`unshare`): a new mount namespace (to hide files), PID namespace (the
  child sees only its own processes, and when it ends they all end), network namespace
  (no interfaces but a down loopback), IPC and UTS;
- mounts: a new root that holds only the system folders and the Python installation,
  read-only (an allow-list: the course, other courses, home folders and the host's /tmp
  do not exist in there), a fresh /proc, and a small tmpfs as the working directory;
- cgroups (v1 `memory`, `pids` and `cpu`, where writable): a real memory limit, a
  limit on processes plus threads, and a fair share of the CPU for the run as a whole;
- rlimits: CPU seconds, file size, open files, no core dumps (and processes or data
  size where there is no cgroup);
- a fresh unprivileged uid, so nothing can undo the above.
"""
from __future__ import annotations

import ctypes
import errno
import os
import resource
import signal
import time

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18

PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38

# What a sandboxed child sees of the host, read-only: the system folders (programs,
# libraries, configuration, /sys for CPU counts), plus the Python installation.
SYSTEM_PATHS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/sys"]
DEVICES = ["null", "zero", "full", "random", "urandom"]
NEW_ROOT = "/tmp"  # where the new root is built, on its own tmpfs; the host's /tmp is never used

CGROUP_ROOT = "/sys/fs/cgroup"
CGROUP_GROUP = "dlcourse-autograder"
# How far below its memory limit a run's peak may stop when the limit is what stopped it.
LIMIT_SLACK = 4 << 20

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result, what):
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, "%s: %s" % (what, os.strerror(code)))


def unshare_namespaces() -> None:
    """New mount, PID, network, IPC and UTS namespaces (the next fork is PID 1)."""
    flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
    _check(_libc.unshare(flags), "unshare")


def die_with_parent(enabled: bool = True) -> None:
    """Be killed when the parent dies (reset by a uid change, so call it again after)."""
    _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL if enabled else 0, 0, 0, 0), "prctl(PDEATHSIG)")


def no_new_privileges() -> None:
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")


def _mount(source, target, fstype, flags, data=None):
    encode = lambda s: s.encode() if s is not None else None  # noqa: E731
    _check(_libc.mount(encode(source), encode(target), encode(fstype), flags, encode(data)),
           "mount %s" % target)


def enter_minimal_root(keep: list[str], hidden: list[str], tmp_size_mb: int) -> None:
    """Make the filesystem an allow-list: a new, empty root holding only the system
    folders and the paths Python needs, bound read-only, a few devices, a fresh /proc
    and a small private /tmp; then chroot into it.

    Nothing else of the host exists in there: not the course, not another course's
    answer key in a world-readable folder, not the host's /tmp. The new root is built
    on a tmpfs mounted over /tmp (visible only in this mount namespace), and the kept
    paths are opened first, so they may lie under /tmp (a virtualenv in a checkout).
    The runner later drops root, so the chroot cannot be undone.
    """
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    sources = []
    for path in SYSTEM_PATHS + _safe_to_keep(keep, hidden):
        if os.path.islink(path):
            sources.append((path, "link", os.readlink(path)))
        elif os.path.isdir(path):
            sources.append((path, "dir", os.open(path, os.O_PATH)))
    _mount("tmpfs", NEW_ROOT, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755")
    # The private /tmp first: kept paths under the host's /tmp are then bound inside it.
    os.makedirs(NEW_ROOT + "/tmp")
    _mount("tmpfs", NEW_ROOT + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=%dm,mode=1777" % tmp_size_mb)
    for path, kind, source in sorted(sources, key=lambda item: item[0].count("/")):
        target = NEW_ROOT + path
        if kind == "link":
            if not os.path.lexists(target):
                os.makedirs(os.path.dirname(target), exist_ok=True)
                os.symlink(source, target)
            continue
        os.makedirs(target, exist_ok=True)
        _mount("/proc/self/fd/%d" % source, target, None, MS_BIND | MS_REC)
        _mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID)
        os.close(source)
    _add_devices(NEW_ROOT + "/dev")
    os.makedirs(NEW_ROOT + "/proc")
    os.chroot(NEW_ROOT)
    os.chdir("/")
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)


def _add_devices(folder):
    """/dev/null and friends, bound from the host's; /dev/fd and the standard streams."""
    os.makedirs(folder, exist_ok=True)
    for name in DEVICES:
        target = os.path.join(folder, name)
        open(target, "w").close()
        _mount("/dev/" + name, target, None, MS_BIND)
    for name, link in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                       ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(link, os.path.join(folder, name))


def _safe_to_keep(keep, hidden):
    """Kept paths, minus any that would bring a hidden path back into view."""
    return [path for path in dict.fromkeys(os.path.abspath(p) for p in keep)
            if not any(within(hidden_path, path) for hidden_path in hidden)]


def within(path: str, folder: str) -> bool:
    """Whether `path` is `folder` or lies inside it (by name; links are not followed)."""
    path, folder = os.path.abspath(path), os.path.abspath(folder)
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def drop_privileges(uid: int) -> None:
    """Become an unprivileged uid/gid with no supplementary groups; keep it that way."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    no_new_privileges()


def set_limits(cpu_seconds: int, file_mb: int, open_files: int, processes: int | None,
               data_mb: int | None) -> None:
    """rlimits; processes and data only where no cgroup enforces them better."""
    limits = {
        resource.RLIMIT_CPU: (cpu_seconds, cpu_seconds + 1),
        resource.RLIMIT_FSIZE: (file_mb * 2**20,) * 2,
        resource.RLIMIT_NOFILE: (open_files,) * 2,
        resource.RLIMIT_CORE: (0, 0),
    }
    if processes is not None:
        limits[resource.RLIMIT_NPROC] = (processes,) * 2
    if data_mb is not None:
        limits[resource.RLIMIT_DATA] = (data_mb * 2**20,) * 2
    for which, value in limits.items():
        resource.setrlimit(which, value)


class Cgroup:
    """A v1 memory + pids + cpu cgroup for one sandboxed child (where the host allows it).

    The cpu group sets no limit: being a group is the point. The scheduler shares the
    CPU between groups, so a fork bomb's 64 spinning processes get one run's share,
    not 64 times that, and the students graded beside it are not starved into timeouts.
    All runs together weigh as much as one busy process per core (the parent group's
    shares), as many as the grader runs at once by default.
    """

    def __init__(self, name: str, memory_mb: int, max_tasks: int):
        self.paths = {}
        for controller in ("memory", "pids", "cpu"):
            parent = os.path.join(CGROUP_ROOT, controller, CGROUP_GROUP)
            try:
                os.makedirs(os.path.join(parent, name), exist_ok=True)
            except OSError:
                continue
            self.paths[controller] = os.path.join(parent, name)
            _remove_stale_groups(parent)
        if "memory" in self.paths:
            self._write("memory", "memory.limit_in_bytes", memory_mb * 2**20)
            self._write("memory", "memory.memsw.limit_in_bytes", memory_mb * 2**20, required=False)
        if "pids" in self.paths:
            self._write("pids", "pids.max", max_tasks)
        if "cpu" in self.paths:
            _write_quietly(os.path.dirname(self.paths["cpu"]), "cpu.shares", 1024 * (os.cpu_count() or 1))

    @property
    def limits_memory(self) -> bool:
        return "memory" in self.paths

    @property
    def limits_tasks(self) -> bool:
        return "pids" in self.paths

    @property
    def shares_cpu(self) -> bool:
        return "cpu" in self.paths

    def _write(self, controller, filename, value, required=True):
        try:
            with open(os.path.join(self.paths[controller], filename), "w") as handle:
                handle.write(str(value))
        except OSError:
            if required:
                self.paths.pop(controller, None)

    def add(self, pid: int) -> None:
        for controller in list(self.paths):
            self._write(controller, "cgroup.procs", pid)

    def stats(self) -> dict:
        """Peak memory, whether the OOM killer struck, and whether the run reached its
        memory limit, read after the child ended.

        The kernel counts an OOM kill before it sends the SIGKILL, so once the run has
        ended the count is final. A run that the grader stopped while the kernel was
        still reclaiming at the limit, or choosing what to kill, shows no kill but a
        peak at the limit. The peak is the evidence, not `memory.failcnt`: with a
        memory+swap limit the kernel meets that one first, and counts it in neither
        file. A charge may fail short of the limit by up to a huge page, and more
        where a per-CPU batch is charged at once (LIMIT_SLACK).
        """
        stats = {}
        if "memory" in self.paths:
            path = self.paths["memory"]
            peak = _read_int(path, "memory.max_usage_in_bytes")
            stats["max_memory_mb"] = peak / 2**20
            oom = _read(path, "memory.oom_control")
            stats["oom_kills"] = int(dict(line.split() for line in oom.splitlines()).get("oom_kill", 0))
            limit = _read_int(path, "memory.limit_in_bytes")
            stats["memory_limit_reached"] = bool(limit and peak >= limit - LIMIT_SLACK
                                                 or _read_int(path, "memory.failcnt"))
        return stats

    def remove(self) -> None:
        """Kill what is left in the group, move this process out, delete the group."""
        for controller, path in self.paths.items():
            parent = os.path.dirname(path)
            for _ in range(100):
                pids = [int(p) for p in _read(path, "cgroup.procs").split()]
                others = [p for p in pids if p != os.getpid()]
                for pid in others:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                if os.getpid() in pids:
                    with open(os.path.join(parent, "cgroup.procs"), "w") as handle:
                        handle.write(str(os.getpid()))
                try:
                    os.rmdir(path)
                    break
                except OSError as error:
                    if error.errno != errno.EBUSY:
                        break
                    time.sleep(0.01)


def run_name(supervisor_pid: int) -> str:
    """The name of the cgroups of the run that `supervisor_pid` supervises."""
    return "run-%d" % supervisor_pid


class RunGauge:
    """A run's memory cgroup read from outside, by the grader: the memory the run holds
    and the CPU time its live processes have had. Both are None where the run has no
    memory cgroup (not root, or the host does not allow one)."""

    def __init__(self, supervisor_pid: int):
        self.path = os.path.join(CGROUP_ROOT, "memory", CGROUP_GROUP, run_name(supervisor_pid))

    def memory(self) -> int | None:
        text = _read(self.path, "memory.usage_in_bytes").strip()
        return int(text) if text.isdigit() else None

    def cpu_seconds(self) -> float | None:
        pids = _read(self.path, "cgroup.procs")
        if not pids:
            return None
        ticks = 0
        for pid in pids.split():
            # utime and stime, the 14th and 15th fields (the 2nd, the name, may hold spaces)
            fields = _read("/proc/" + pid, "stat").rpartition(")")[2].split()
            if len(fields) > 12:
                ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")


def _remove_stale_groups(parent):
    """Groups left by supervisors that were killed before they could clean up
    (named run-<pid> after their supervisor; an empty group of a dead pid is stale)."""
    for name in os.listdir(parent):
        if not name.startswith("run-") or not name[4:].isdigit():
            continue
        try:
            os.kill(int(name[4:]), 0)
        except ProcessLookupError:
            try:
                os.rmdir(os.path.join(parent, name))
            except OSError:
                pass
        except PermissionError:
            pass


def _write_quietly(folder, filename, value):
    try:
        with open(os.path.join(folder, filename), "w") as handle:
            handle.write(str(value))
    except OSError:
        pass


def _read(folder, filename):
    try:
        with open(os.path.join(folder, filename)) as handle:
            return handle.read()
    except OSError:
        return ""


def _read_int(folder, filename):
    text = _read(folder, filename).strip()
    return int(text) if text.isdigit() else 0


def protect_from_oom_killer() -> None:
    """The supervisor must survive its child's out-of-memory kill."""
    try:
        with open("/proc/self/oom_score_adj", "w") as handle:
            handle.write("-1000")
    except OSError:
        pass
