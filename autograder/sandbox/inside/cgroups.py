"""Cgroups for sandboxed runs: a memory limit, a task limit and a CPU share per run.

Hosts have one of two hierarchies:

- cgroup v1 (older hosts): a folder per controller, `/sys/fs/cgroup/<controller>/`;
  only root may make groups there. Runs go in `<controller>/dlcourse-autograder/run-<pid>`.
- cgroup v2 (current distributions, GitHub's runners): one tree holding every
  controller. Root makes `/sys/fs/cgroup/dlcourse-autograder`; an ordinary user may use
  the group it runs in when that group was delegated to it (e.g. `systemd-run --user
  --scope -p Delegate=yes`). v2 allows no processes in a group that hands controllers
  to its children, so the grader's own processes move first into a leaf beside the
  runs' parent (`dlcourse-grader`). Runs go in `<base>/run-<pid>`.

`hierarchy()` decides once, in the grader, where the runs' groups go; the grader sends
the answer to every child in its configuration (the child never chooses). A run's
supervisor makes its group (`RunGroup`) and joins it before it starts the run, reads
the group's figures when the run has ended, then leaves and removes it.
"""
from __future__ import annotations

import errno
import os
import time

from . import isolation

ROOT = "/sys/fs/cgroup"
GROUP = "dlcourse-autograder"
GRADER_LEAF = "dlcourse-grader"
CONTROLLERS = ("memory", "pids", "cpu")
# How far below its memory limit a run's peak may stop when the limit is what stopped it
# (at least this, and a fiftieth of the limit: near its limit the kernel reclaims the
# run's page cache too, and a charge may stop short by more than a page).
LIMIT_SLACK = 4 << 20

# Per version: the files a group's figures are read from.
FILES = {
    1: {"limit": "memory.limit_in_bytes", "usage": "memory.usage_in_bytes",
        "peak": "memory.max_usage_in_bytes", "events": "memory.oom_control"},
    2: {"limit": "memory.max", "usage": "memory.current", "peak": "memory.peak", "events": "memory.events"},
}


def hierarchy(is_root: bool, root: str = ROOT) -> dict | None:
    """Where this process may make the runs' groups: `{"version": 1, "root": ...}`,
    `{"version": 2, "base": ...}`, or None (no cgroups for the runs)."""
    if os.path.exists(os.path.join(root, "cgroup.controllers")):
        base = _v2_base(root, is_root)
        return None if base is None else {"version": 2, "base": base, "mount": root}
    if is_root and os.path.isdir(os.path.join(root, "memory")):
        return {"version": 1, "root": root}
    return None


def _v2_base(mount: str, is_root: bool) -> str | None:
    """The v2 group the runs' groups go in, with memory, pids and cpu handed down to
    it where the parent has them; None where this process may not make one."""
    parent = mount if is_root else os.path.join(mount, own_v2_group().lstrip("/"))
    if not is_root and not (_writable(parent) and _leave_for_leaf(parent)):
        return None
    base = os.path.join(parent, GROUP)
    try:
        os.makedirs(base, exist_ok=True)
    except OSError:
        return None
    _hand_down_controllers(parent)
    _hand_down_controllers(base)
    # All runs together weigh as much as one busy process per core, whatever their number.
    _write_quietly(base, "cpu.weight", min(10000, 100 * (os.cpu_count() or 1)))
    return base


def own_v2_group() -> str:
    """This process's group in the v2 tree (the `0::` line of /proc/self/cgroup)."""
    for line in isolation.read_quietly("/proc/self", "cgroup").splitlines():
        if line.startswith("0::"):
            return line[3:]
    return "/"


def _writable(group: str) -> bool:
    return all(os.access(os.path.join(group, name), os.W_OK)
               for name in ("", "cgroup.procs", "cgroup.subtree_control"))


def _leave_for_leaf(group: str) -> bool:
    """Move every process of `group` into its leaf `dlcourse-grader`, so that `group`
    may hand controllers down (v2 allows that only to a group with no processes)."""
    pids = isolation.read_quietly(group, "cgroup.procs").split()
    if not pids:
        return True
    leaf = os.path.join(group, GRADER_LEAF)
    try:
        os.makedirs(leaf, exist_ok=True)
        for pid in pids:
            _write(leaf, "cgroup.procs", pid)
    except OSError:
        return False
    return not isolation.read_quietly(group, "cgroup.procs").split()


def _hand_down_controllers(group: str) -> None:
    available = set(isolation.read_quietly(group, "cgroup.controllers").split())
    for controller in CONTROLLERS:
        if controller in available:
            _write_quietly(group, "cgroup.subtree_control", "+" + controller)


def run_name(supervisor_pid: int) -> str:
    """The name of the groups of the run that `supervisor_pid` supervises."""
    return "run-%d" % supervisor_pid


def _parents(where: dict) -> dict:
    """controller -> the folder the runs' groups of that controller go in. In v2 a
    run has its group even with no controller handed down ("group"): that alone lets
    the supervisor find and kill (`cgroup.kill`) everything the run started."""
    if where["version"] == 1:
        return {controller: os.path.join(where["root"], controller, GROUP) for controller in CONTROLLERS}
    handed_down = set(isolation.read_quietly(where["base"], "cgroup.subtree_control").split())
    return {"group": where["base"], **{controller: where["base"] for controller in CONTROLLERS
                                        if controller in handed_down}}


class RunGroup:
    """The group(s) of one sandboxed run, made by its supervisor.

    The cpu controller sets no limit: being a group is the point. The scheduler
    shares the CPU between groups, so a fork bomb's 64 spinning processes get one
    run's share, not 64 times that, and the students graded beside it are not
    starved into timeouts.
    """

    def __init__(self, where: dict, name: str, memory_mb: int, max_tasks: int):
        self.where, self.version = where, where["version"]
        self.origin = "/"
        self.paths = {}
        for controller, parent in _parents(where).items():
            try:
                os.makedirs(os.path.join(parent, name), exist_ok=True)
            except OSError:
                continue
            self.paths[controller] = os.path.join(parent, name)
            _remove_stale_groups(parent)
        memory = memory_mb * 2**20
        if self.version == 1:
            self._limit("memory", "memory.limit_in_bytes", memory)
            self._limit("memory", "memory.memsw.limit_in_bytes", memory, required=False)
            if "cpu" in self.paths:
                # (v2 weighs the parent once, in `hierarchy`)
                _write_quietly(os.path.dirname(self.paths["cpu"]), "cpu.shares", 1024 * (os.cpu_count() or 1))
        else:
            self._limit("memory", "memory.max", memory)
            self._limit("memory", "memory.swap.max", 0, required=False)
        self._limit("pids", "pids.max", max_tasks)

    @property
    def limits_memory(self) -> bool:
        return "memory" in self.paths

    @property
    def limits_tasks(self) -> bool:
        return "pids" in self.paths

    @property
    def shares_cpu(self) -> bool:
        return "cpu" in self.paths

    def protections(self) -> list[str]:
        return (["memory cgroup"] * self.limits_memory + ["pids cgroup"] * self.limits_tasks
                + ["cpu cgroup"] * self.shares_cpu + ["cgroup v2"] * ("group" in self.paths))

    def _limit(self, controller, filename, value, required=True):
        if controller not in self.paths:
            return
        try:
            _write(self.paths[controller], filename, value)
        except OSError:
            if required:
                self.paths.pop(controller)

    def join(self) -> None:
        """Put the calling process (the supervisor, before it starts the run) in the
        run's groups; what it starts is then counted too. A group it cannot join is a
        fault of the grader's setup, raised here, not a failure of the student's run."""
        self.origin = own_v2_group()
        for path in set(self.paths.values()):
            _write(path, "cgroup.procs", os.getpid())

    def _leave(self, path):
        """Back out of a group, so that it can be removed: in v1 to its parent, in v2 to
        the group the supervisor came from (v2 allows no process in the parent)."""
        back = os.path.dirname(path) if self.version == 1 else \
            os.path.join(self.where["mount"], self.origin.lstrip("/"))
        _write_quietly(back, "cgroup.procs", os.getpid())

    def stats(self) -> dict:
        """Peak memory, whether the OOM killer struck, and whether the run reached its
        memory limit, read after the run ended.

        The kernel counts an OOM kill before it sends the SIGKILL, so once the run has
        ended the count is final. A run that the grader stopped while the kernel was
        still reclaiming at the limit, or choosing what to kill, shows no kill but a
        peak at the limit. The peak is the evidence, the failure counters (v1's
        `memory.failcnt`, v2's `max` event) only where they count: with a memory+swap
        limit v1 meets that one first, and counts it in neither file. A charge may fail
        short of the limit by up to a huge page, and more where a per-CPU batch is
        charged at once (LIMIT_SLACK).
        """
        if "memory" not in self.paths:
            return {}
        path, files = self.paths["memory"], FILES[self.version]
        peak, limit = _read_int(path, files["peak"]), _read_int(path, files["limit"])
        events = dict(line.split()[:2] for line in isolation.read_quietly(path, files["events"]).splitlines()
                      if len(line.split()) >= 2)
        reached_limit = int(events.get("max", 0)) if self.version == 2 else _read_int(path, "memory.failcnt")
        return {"max_memory_mb": peak / 2**20, "oom_kills": int(events.get("oom_kill", 0)),
                "memory_limit_reached": bool(limit and peak >= limit - max(LIMIT_SLACK, limit // 50)
                                             or reached_limit)}

    def remove(self) -> None:
        """Leave the groups, kill what is left in them, delete them."""
        for path in set(self.paths.values()):
            self._leave(path)
            _write_quietly(path, "cgroup.kill", 1)  # v2, Linux 5.14: every process at once
            for _ in range(100):
                for pid in isolation.read_quietly(path, "cgroup.procs").split():
                    if int(pid) != os.getpid():
                        isolation.kill_quietly(int(pid))
                try:
                    os.rmdir(path)
                    break
                except OSError as error:
                    if error.errno != errno.EBUSY:
                        break
                    time.sleep(0.01)


class RunGauge:
    """A run read from outside, by the grader: the memory it holds and the CPU time its
    live processes have had. From the run's memory group where it has one; otherwise
    from the processes below its supervisor in /proc (their resident sizes, which is
    enough to see whether the run is still taking memory). None once nothing is left."""

    def __init__(self, where: dict | None, supervisor_pid: int):
        parent = _parents(where).get("memory") if where else None
        self.path = os.path.join(parent, run_name(supervisor_pid)) if parent else None
        self.usage = FILES[where["version"]]["usage"] if where else None
        self.supervisor = supervisor_pid

    def _pids(self) -> list[str]:
        if self.path is not None:
            return isolation.read_quietly(self.path, "cgroup.procs").split()
        return [str(pid) for pid in isolation.descendants(self.supervisor)]

    def memory(self) -> int | None:
        if self.path is not None:
            text = isolation.read_quietly(self.path, self.usage).strip()
            return int(text) if text.isdigit() else None
        pids = self._pids()
        return sum(_resident(pid) for pid in pids) if pids else None

    def cpu_seconds(self) -> float | None:
        pids = self._pids()
        if not pids:
            return None
        ticks = 0
        for pid in pids:
            # utime and stime, the 14th and 15th fields (the 2nd, the name, may hold spaces)
            fields = isolation.read_quietly("/proc/" + pid, "stat").rpartition(")")[2].split()
            if len(fields) > 12:
                ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def runnable(self) -> bool:
        """Whether a thread of the run is running or waiting to run (R), or is in the
        kernel on its behalf (D: e.g. faulting in memory); not when all sleep."""
        for pid in self._pids():
            for task in _tasks(pid):
                # the state is the 3rd field, after the name (which may hold spaces)
                stat = isolation.read_quietly("/proc/%s/task/%s" % (pid, task), "stat")
                state = stat.rpartition(")")[2].split()[:1]
                if state and state[0] in "RD":
                    return True
        return False


def _tasks(pid: str) -> list[str]:
    try:
        return os.listdir("/proc/%s/task" % pid)
    except OSError:
        return []


def _resident(pid: str) -> int:
    fields = isolation.read_quietly("/proc/" + pid, "statm").split()
    return int(fields[1]) * os.sysconf("SC_PAGE_SIZE") if len(fields) > 1 else 0


def remove_stale(where: dict | None) -> list[str]:
    """Remove the groups that crashed runs left behind; returns their paths."""
    removed = []
    for parent in set(_parents(where).values()) if where else ():
        if os.path.isdir(parent):
            removed += _remove_stale_groups(parent)
    return removed


def _remove_stale_groups(parent):
    """Groups left by supervisors that were killed before they could clean up
    (named run-<pid> after their supervisor; an empty group of a dead pid is stale;
    one that still holds a process is kept, as the kernel refuses to remove it)."""
    removed = []
    try:
        names = os.listdir(parent)
    except OSError:
        return removed
    for name in names:
        if not name.startswith("run-") or not name[4:].isdigit():
            continue
        try:
            os.kill(int(name[4:]), 0)
        except ProcessLookupError:
            try:
                os.rmdir(os.path.join(parent, name))
                removed.append(os.path.join(parent, name))
            except OSError:
                pass
        except PermissionError:
            pass
    return removed


def _write(folder, filename, value):
    with open(os.path.join(folder, filename), "w") as handle:
        handle.write(str(value))


def _write_quietly(folder, filename, value):
    try:
        _write(folder, filename, value)
    except OSError:
        pass


def _read_int(folder, filename):
    text = isolation.read_quietly(folder, filename).strip()
    return int(text) if text.isdigit() else 0
