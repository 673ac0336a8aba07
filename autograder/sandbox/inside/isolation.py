"""Operating-system isolation for a process that will run student code.

Linux only; each step says whether it worked so the grader can report what protected a
run. The pieces, applied in a child before any student code runs:

- namespaces (`unshare`): a new mount namespace (to hide files), PID namespace (the
  child sees only its own processes, and when it ends they all end), network namespace
  (no interfaces but a down loopback), IPC and UTS. As root they are made directly; as
  an ordinary user, inside a new user namespace whose creator holds capabilities over
  them (enough for the mounts below), which the runner then gives up for good;
- mounts: a new root that holds only the system folders and the Python installation,
  read-only (an allow-list: the course, other courses, home folders and the host's /tmp
  do not exist in there), a fresh /proc, and a small tmpfs as the working directory;
- cgroups (see `cgroups`): a real memory limit, a limit on processes plus threads,
  and a fair share of the CPU for the run as a whole;
- rlimits: CPU seconds, file size, open files, no core dumps (and processes or data
  size where there is no cgroup);
- a fresh unprivileged uid (as root), or no capabilities at all (in a user namespace),
  so nothing can undo the above.

`probe` tries the namespaces and the mounts in a throwaway process, as a run would.
"""
from __future__ import annotations

import ctypes
import errno
import os
import resource
import select
import signal
import site
import sys
import time

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_NOATIME, MS_NODIRATIME, MS_BIND, MS_REC, MS_PRIVATE, MS_RELATIME = 1024, 2048, 4096, 16384, 1 << 18, 1 << 21

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_CAPBSET_READ = 23
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
LINUX_CAPABILITY_VERSION_3 = 0x20080522

# The id that the runs of an ordinary user have inside their user namespace: any
# unprivileged id (not 0), mapped to the grader's own uid and gid outside.
USERNS_ID = 1000

NAMESPACES = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS

# What a sandboxed child sees of the host, read-only: the system folders (programs,
# libraries, configuration, /sys for CPU counts), plus the Python installation.
SYSTEM_PATHS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/sys"]
DEVICES = ["null", "zero", "full", "random", "urandom"]
NEW_ROOT = "/tmp"  # where the new root is built, on its own tmpfs; the host's /tmp is never used

# The `autograder` package, which the runner imports from (three folders up from here).
PACKAGE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result, what):
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, "%s: %s" % (what, os.strerror(code)))


def unshare_namespaces() -> None:
    """New mount, PID, network, IPC and UTS namespaces (the next fork is PID 1); needs root."""
    _check(_libc.unshare(NAMESPACES), "unshare")


def unshare_user_namespaces(inside_id: int = USERNS_ID) -> None:
    """The same namespaces, created inside a new user namespace (no root needed, where
    the host allows unprivileged user namespaces).

    The new namespaces belong to the new user namespace, in which this process has
    every capability: enough to mount over them, nothing outside. The caller's uid and
    gid appear inside as `inside_id`; `setgroups` is denied, as the kernel requires
    before an unprivileged process may map its gid.
    """
    uid, gid = os.geteuid(), os.getegid()
    _check(_libc.unshare(CLONE_NEWUSER | NAMESPACES), "unshare(user)")
    for name, text in [("setgroups", "deny"), ("uid_map", "%d %d 1" % (inside_id, uid)),
                       ("gid_map", "%d %d 1" % (inside_id, gid))]:
        with open("/proc/self/" + name, "w") as handle:
            handle.write(text)


def become_ordinary_user(uid: int) -> None:
    """Give up root for `uid` (and a gid of the same number, no supplementary groups),
    as an ordinary user would run: used where the user-namespace tier is forced on root.
    Stays dumpable, so that it may still write its own user namespace's maps."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    _check(_libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), "prctl(DUMPABLE)")
    die_with_parent()


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def drop_capabilities() -> None:
    """End with no capabilities and no way to regain any: every capability out of the
    bounding set, none effective, permitted, inheritable or ambient, and
    `no_new_privs`. Then check that it is so."""
    for cap in range(64):
        present = _libc.prctl(PR_CAPBSET_READ, cap, 0, 0, 0)
        if present < 0:
            break  # past the last capability this kernel knows
        if present:
            _check(_libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), "prctl(CAPBSET_DROP %d)" % cap)
    _check(_libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "prctl(CAP_AMBIENT)")
    header, data = _CapHeader(LINUX_CAPABILITY_VERSION_3, 0), (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(header), data), "capset")
    no_new_privileges()
    left = capabilities()
    if any(left.values()):
        raise OSError(errno.EPERM, "capabilities are left: %s" % left)


def capabilities() -> dict:
    """This process's capability sets, as masks (bounding read through prctl)."""
    header, data = _CapHeader(LINUX_CAPABILITY_VERSION_3, 0), (_CapData * 2)()
    _check(_libc.capget(ctypes.byref(header), data), "capget")
    bounding = 0
    for cap in range(64):
        present = _libc.prctl(PR_CAPBSET_READ, cap, 0, 0, 0)
        if present < 0:
            break
        bounding |= present << cap
    mask = lambda name: getattr(data[0], name) | getattr(data[1], name) << 32  # noqa: E731
    return {"effective": mask("effective"), "permitted": mask("permitted"),
            "inheritable": mask("inheritable"), "bounding": bounding}


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
    answer key in a world-readable folder, not the host's /tmp; and nothing but /tmp is
    writable. The new root is built
    on a tmpfs mounted over /tmp (visible only in this mount namespace), and the kept
    paths are opened first, so they may lie under /tmp (a virtualenv in a checkout).
    The runner later drops root (or, in a user namespace, every capability), so the
    chroot cannot be undone.
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
        _mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | _kept_flags(target))
        os.close(source)
    # Folders made in the private /tmp to hold kept paths that lie under the host's /tmp
    # (a checkout there) are read-only too: in a user namespace they belong to the
    # runner's own uid, which could otherwise write beside the kept paths.
    for top in sorted({"/tmp/" + path[len("/tmp/"):].split("/")[0] for path, _, _ in sources
                       if within(path, "/tmp") and path != "/tmp"}):
        _mount(NEW_ROOT + top, NEW_ROOT + top, None, MS_BIND | MS_REC)
        _mount(None, NEW_ROOT + top, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    _add_devices(NEW_ROOT + "/dev")
    os.makedirs(NEW_ROOT + "/proc")
    # The skeleton read-only: in a user namespace the folders made above belong to the
    # runner's own uid, which could otherwise write beside the kept paths (only /tmp is
    # the run's to write).
    _mount(None, NEW_ROOT, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    os.chroot(NEW_ROOT)
    os.chdir("/")
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)


def _kept_flags(path):
    """The flags of the mount at `path` that a remount must keep (nodev, noexec and the
    atime mode): in a user namespace the kernel locks those of the host's mounts, and
    refuses a remount that would clear them."""
    flags = os.statvfs(path).f_flag
    kept = [(os.ST_NODEV, MS_NODEV), (os.ST_NOEXEC, MS_NOEXEC), (os.ST_NOATIME, MS_NOATIME),
            (os.ST_NODIRATIME, MS_NODIRATIME), (os.ST_RELATIME, MS_RELATIME)]
    return sum(mount_flag for stat_flag, mount_flag in kept if flags & stat_flag)


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


def paths_python_needs() -> list[str]:
    """The Python installation and this package: what the interpreter may import from
    later. Only paths inside the installation count (never "/" or a checkout that
    `sys.path` may name), and none that holds an answer key."""
    prefixes = [sys.prefix, sys.base_prefix, sys.exec_prefix]
    inside = [path for path in site.getsitepackages() + sys.path
              if path and any(within(path, prefix) for prefix in prefixes)]
    paths = prefixes + inside + [PACKAGE]
    return [path for path in dict.fromkeys(os.path.abspath(p) for p in paths)
            if path != "/" and os.path.isdir(path) and not os.path.isdir(os.path.join(path, "solutions"))]


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


def read_quietly(folder: str, filename: str) -> str:
    """A small file's text, or "" where it cannot be read (a process that has ended)."""
    try:
        with open(os.path.join(folder, filename)) as handle:
            return handle.read()
    except OSError:
        return ""


def kill_quietly(pid: int) -> None:
    """SIGKILL, for a process that may have ended already."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def protect_from_oom_killer() -> None:
    """The supervisor must survive its child's out-of-memory kill."""
    try:
        with open("/proc/self/oom_score_adj", "w") as handle:
            handle.write("-1000")
    except OSError:
        pass


# --- the landlock tier: no PID namespace, no cgroup -----------------------------------

PR_SET_CHILD_SUBREAPER = 36
WATCH_INTERVAL = 0.05


def become_subreaper() -> None:
    """Orphaned descendants (a daemon that forked twice) are re-parented to this
    process instead of the host's init, so that they can be found and killed."""
    _check(_libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "prctl(CHILD_SUBREAPER)")


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, found through /proc/<pid>/task/*/children."""
    found, queue = [], [pid]
    while queue:
        parent = queue.pop()
        try:
            tasks = os.listdir("/proc/%d/task" % parent)
        except OSError:
            continue
        for task in tasks:
            for child in read_quietly("/proc/%d/task/%s" % (parent, task), "children").split():
                if int(child) not in found:
                    found.append(int(child))
                    queue.append(int(child))
    return found


def resident_bytes(pids) -> int:
    """The memory `pids` hold together: the sum of their proportional set sizes (Pss in
    /proc/<pid>/smaps_rollup), in which a page shared by n of them counts 1/n in each,
    so that 64 forks of one interpreter weigh what they use, not 64 interpreters.
    Where that file cannot be read, the resident size (statm) counts instead."""
    page, total = os.sysconf("SC_PAGE_SIZE"), 0
    for pid in pids:
        rollup = read_quietly("/proc/%d" % pid, "smaps_rollup")
        pss = next((line.split()[1] for line in rollup.splitlines() if line.startswith("Pss:")), None)
        if pss is not None:
            total += int(pss) * 1024
            continue
        fields = read_quietly("/proc/%d" % pid, "statm").split()
        if len(fields) > 1:
            total += int(fields[1]) * page
    return total


def watch_memory(init: int, limit: int, interval: float = WATCH_INTERVAL) -> tuple[int, dict]:
    """Wait for `init` (a child of this process) to end, meanwhile reaping orphans and
    summing the memory of every process below this one every `interval` s;
    over `limit` bytes, kill them all. Returns init's wait status and the memory stats
    (`oom_kills: 1` when the watchdog killed the run, as a memory cgroup would report)."""
    peak, stats = 0, {}
    try:
        ended = os.pidfd_open(init)  # readable when init ends: no wait for the next tick
    except (AttributeError, OSError):
        ended = None
    try:
        return _watch(init, limit, interval, ended)
    finally:
        if ended is not None:
            os.close(ended)


def _watch(init, limit, interval, ended):
    peak, stats = 0, {}
    while True:
        while True:  # reap: init's end, and orphans that died here
            try:
                pid, wait_status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                pid = 0
            if pid == init:
                stats["max_memory_mb"] = peak / 2**20
                return wait_status, stats
            if pid == 0:
                break
        used = resident_bytes(descendants(os.getpid()))
        peak = max(peak, used)
        if used > limit and not stats:
            stats.update(oom_kills=1, memory_limit_reached=True)
            kill_descendants(reap=False)
        if ended is None:
            time.sleep(interval)
        else:
            select.select([ended], [], [], interval)


def kill_descendants(reap: bool = True, rounds: int = 1000) -> None:
    """SIGKILL every process below this one, again until none is left (a fork bomb's
    children come back here as orphans); reap them unless told not to."""
    for _ in range(rounds):
        pids = descendants(os.getpid())
        if not pids:
            return
        for pid in pids:
            kill_quietly(pid)
        if not reap:
            return
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            pass
        time.sleep(0.001)


# --- what this host allows: tried in a throwaway process -----------------------------

def probe(tier: str, uid_base: int = 200000, timeout: float = 20.0) -> str | None:
    """Whether runs of `tier` ("root", "userns" or "landlock") can be set up here: None if they
    can, else why not.

    A forked process makes the namespaces as a run's supervisor does (for "userns" as
    root, after becoming an ordinary uid, as a run does), and its child, PID 1 of the
    new PID namespace, builds the allow-list root as a run's init does (and for
    "userns" then drops every capability, as a runner does). They report on a pipe
    and exit; nothing of them outlives the probe.
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_fd)
            _probe_in_child(tier, uid_base, write_fd)
        finally:
            os._exit(0)
    os.close(write_fd)
    chunks, deadline = [], time.monotonic() + timeout
    try:
        while (left := deadline - time.monotonic()) > 0:
            if select.select([read_fd], [], [], left)[0]:
                chunk = os.read(read_fd, 4096)
                if not chunk:
                    break
                chunks.append(chunk)
        else:
            chunks.append(b"the probe did not finish within %g s\n" % timeout)
    finally:
        os.close(read_fd)
        kill_quietly(pid)
        os.waitpid(pid, 0)
    lines = b"".join(chunks).decode(errors="replace").splitlines()
    if lines == ["ok"]:
        return None
    return next((line for line in lines if line != "ok"), "the probe ended without a report")


def _probe_in_child(tier, uid_base, write_fd):
    def report(text):
        os.write(write_fd, text.encode(errors="replace")[:2000] + b"\n")

    try:
        die_with_parent()
        if tier == "landlock":
            _probe_landlock(report, uid_base)
            return
        if tier == "root":
            if os.geteuid() != 0:
                raise OSError(errno.EPERM, "not running as root")
            unshare_namespaces()
        else:
            if os.geteuid() == 0:
                become_ordinary_user(uid_base + os.getpid())
            unshare_user_namespaces()
        init = os.fork()
        if init == 0:
            try:
                enter_minimal_root(paths_python_needs(), [], 1)
                if tier != "root":
                    drop_capabilities()
                report("ok")
            except BaseException as error:  # noqa: BLE001
                report(_reason(error))
            finally:
                os._exit(0)
        os.waitpid(init, 0)
    except BaseException as error:  # noqa: BLE001
        report(_reason(error))


def _probe_landlock(report, uid_base):
    """Landlock and the seccomp filter applied as a runner applies them (as root,
    after becoming a fresh uid), then checked: the Python installation readable, the
    root folder not, an AF_INET socket refused."""
    import socket

    from . import landlock, seccomp
    if os.geteuid() == 0:
        drop_privileges(uid_base + os.getpid())
    library = os.path.dirname(os.__file__)
    try:
        os.listdir(library)
    except OSError as error:
        report("a fresh uid cannot read the Python installation (%s: %s); install Python where "
               "other users may read it" % (library, error.strerror))
        return
    landlock.restrict(SYSTEM_PATHS + paths_python_needs(), [])
    seccomp.install()
    try:
        os.listdir("/")
        report("Landlock did not confine the filesystem")
        return
    except PermissionError:
        pass
    try:
        socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
        report("the seccomp filter did not refuse an AF_INET socket")
        return
    except PermissionError:
        pass
    report("ok")


def _reason(error):
    if isinstance(error, OSError) and error.filename is None and error.strerror:
        return error.strerror
    return "%s: %s" % (type(error).__name__, error)
