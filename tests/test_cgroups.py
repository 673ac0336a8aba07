"""The runs' cgroups, v1 and v2 (see `autograder/sandbox/inside/cgroups.py`).

This host has cgroup v1 controllers and a v2 hierarchy holding none of memory, pids or
cpu (they are bound to v1). So the v2 tests here are of two kinds: on the real v2
hierarchy, the group a run gets, delegation to an ordinary user, joining, killing and
removal; on a folder laid out as a v2 group, the limits written and the figures read
(the kernel's enforcement of `memory.max` and `pids.max` is not run here).
"""
import os
import signal
import time

import pytest

from autograder.sandbox.inside import cgroups, isolation

from fork_helpers import in_child

NOBODY = 65534


# --- v2 files, on a folder laid out as a v2 group ----------------------------------------

@pytest.fixture
def v2_base(tmp_path):
    """A folder with the files of a v2 group that hands memory, pids and cpu down."""
    (tmp_path / "cgroup.subtree_control").write_text("cpu memory pids\n")
    return {"version": 2, "base": str(tmp_path), "mount": str(tmp_path)}


def test_v2_limits_are_memory_max_pids_max_and_no_swap(v2_base):
    group = cgroups.RunGroup(v2_base, "run-1", memory_mb=256, max_tasks=32)
    folder = os.path.join(v2_base["base"], "run-1")
    assert group.paths == {name: folder for name in ("group", "memory", "pids", "cpu")}
    assert open(os.path.join(folder, "memory.max")).read() == str(256 * 2**20)
    assert open(os.path.join(folder, "memory.swap.max")).read() == "0"
    assert open(os.path.join(folder, "pids.max")).read() == "32"
    assert group.protections() == ["memory cgroup", "pids cgroup", "cpu cgroup", "cgroup v2"]


def test_v2_figures_come_from_memory_peak_and_memory_events(v2_base):
    group = cgroups.RunGroup(v2_base, "run-2", memory_mb=128, max_tasks=32)
    folder = os.path.join(v2_base["base"], "run-2")
    with open(os.path.join(folder, "memory.peak"), "w") as handle:
        handle.write(str(128 * 2**20 - 2**20))
    with open(os.path.join(folder, "memory.events"), "w") as handle:
        handle.write("low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\noom_group_kill 0\n")
    assert group.stats() == {"max_memory_mb": 127.0, "oom_kills": 1, "memory_limit_reached": True}
    with open(os.path.join(folder, "memory.current"), "w") as handle:
        handle.write("4096\n")
    assert cgroups.RunGauge(v2_base, 2).memory() == 4096


def test_v2_stats_of_a_run_far_below_its_limit(v2_base):
    group = cgroups.RunGroup(v2_base, "run-3", memory_mb=128, max_tasks=32)
    folder = os.path.join(v2_base["base"], "run-3")
    with open(os.path.join(folder, "memory.peak"), "w") as handle:
        handle.write(str(10 * 2**20))
    with open(os.path.join(folder, "memory.events"), "w") as handle:
        handle.write("low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n")
    assert group.stats() == {"max_memory_mb": 10.0, "oom_kills": 0, "memory_limit_reached": False}


def test_without_controllers_handed_down_a_v2_run_has_only_its_group(tmp_path):
    (tmp_path / "cgroup.subtree_control").write_text("\n")
    where = {"version": 2, "base": str(tmp_path), "mount": str(tmp_path)}
    group = cgroups.RunGroup(where, "run-4", memory_mb=128, max_tasks=32)
    assert group.protections() == ["cgroup v2"] and not group.limits_memory and group.stats() == {}
    assert cgroups.RunGauge(where, 4).memory() is None


def test_stale_v2_groups_are_removed(v2_base):
    dead = _a_dead_pid()
    for pid in (dead, os.getpid()):
        os.makedirs(os.path.join(v2_base["base"], cgroups.run_name(pid)))
    assert cgroups.remove_stale(v2_base) == [os.path.join(v2_base["base"], cgroups.run_name(dead))]
    assert os.path.isdir(os.path.join(v2_base["base"], cgroups.run_name(os.getpid())))


def _a_dead_pid():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


# --- v2 for real: the host's v2 hierarchy, without controllers ----------------------------

def _v2_mount():
    with open("/proc/mounts") as handle:
        mounts = [line.split() for line in handle]
    return next((fields[1] for fields in mounts if fields[2] == "cgroup2"), None)


@pytest.fixture
def delegated(request):
    """A v2 group made as root and delegated to uid 65534, as systemd does for
    `Delegate=yes`: the folder and its cgroup.procs, cgroup.subtree_control and
    cgroup.threads belong to that user. Removed afterwards."""
    mount = _v2_mount()
    if os.geteuid() != 0 or mount is None:
        pytest.skip("needs root and a cgroup v2 hierarchy (found: %s)" % mount)
    group = os.path.join(mount, "dlcourse-test-%d" % os.getpid())
    os.mkdir(group)
    for name in ("", "cgroup.procs", "cgroup.subtree_control", "cgroup.threads"):
        os.chown(os.path.join(group, name), NOBODY, NOBODY)
    yield mount, group
    for dirpath, dirnames, _ in sorted(os.walk(group), key=lambda entry: -len(entry[0])):
        for pid in isolation.read_quietly(dirpath, "cgroup.procs").split():
            isolation.kill_quietly(int(pid))
        _rmdir_when_empty(dirpath)


def _rmdir_when_empty(path):
    for _ in range(500):
        try:
            os.rmdir(path)
            return
        except OSError:
            time.sleep(0.01)


def test_an_ordinary_user_in_a_delegated_v2_group_gets_groups_for_its_runs(delegated):
    """The grader moves itself into a leaf, makes the runs' parent, and a run's
    supervisor joins its group, starts a process, and at the end leaves the group,
    kills what is left in it (cgroup.kill) and removes it."""
    mount, group = delegated

    def as_an_ordinary_user():
        cgroups._write(group, "cgroup.procs", os.getpid())
        os.setgroups([])
        os.setresgid(NOBODY, NOBODY, NOBODY)
        os.setresuid(NOBODY, NOBODY, NOBODY)
        where = cgroups.hierarchy(is_root=False, root=mount)
        seen = {"where": where, "grader in": cgroups.own_v2_group()}
        run = cgroups.RunGroup(where, cgroups.run_name(os.getpid()), memory_mb=64, max_tasks=16)
        run.join()
        seen["supervisor in"] = cgroups.own_v2_group()
        left_running = os.fork()
        if left_running == 0:
            signal.pause()
            os._exit(0)
        seen["in the run's group"] = sorted(isolation.read_quietly(run.paths["group"], "cgroup.procs").split())
        run.remove()
        _, status = os.waitpid(left_running, 0)
        seen.update(killed=os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL,
                    removed=not os.path.exists(run.paths["group"]), back_in=cgroups.own_v2_group(),
                    child=left_running, protections=run.protections())
        return seen

    seen = in_child(as_an_ordinary_user)
    assert "error" not in seen, seen
    relative = group[len(mount):]
    assert seen["where"] == {"version": 2, "base": os.path.join(group, cgroups.GROUP), "mount": mount}
    assert seen["grader in"] == relative + "/" + cgroups.GRADER_LEAF
    assert seen["supervisor in"].startswith(relative + "/" + cgroups.GROUP + "/run-")
    assert str(seen["child"]) in seen["in the run's group"] and len(seen["in the run's group"]) == 2
    assert seen["killed"] and seen["removed"] and seen["back_in"] == seen["grader in"]
    assert seen["protections"] == ["cgroup v2"]  # memory, pids and cpu are bound to v1 on this host


def test_a_v2_group_that_is_not_delegated_gives_no_cgroups(delegated):
    mount, group = delegated

    def as_another_user():
        cgroups._write(group, "cgroup.procs", os.getpid())
        os.setresgid(NOBODY + 1, NOBODY + 1, NOBODY + 1)
        os.setresuid(NOBODY + 1, NOBODY + 1, NOBODY + 1)
        return {"where": cgroups.hierarchy(is_root=False, root=mount)}

    assert in_child(as_another_user) == {"where": None}


def test_this_v1_host_gives_root_v1_and_an_ordinary_user_nothing():
    if not os.path.isdir(os.path.join(cgroups.ROOT, "memory")):
        pytest.skip("not a cgroup v1 host")
    assert cgroups.hierarchy(is_root=True) == {"version": 1, "root": cgroups.ROOT}
    assert cgroups.hierarchy(is_root=False) is None
