"""How strongly this host can confine student code: the sandbox's tiers, best first.

- `root`: the grader runs as root. Each run gets new mount, PID, network, IPC and UTS
  namespaces, the allow-list filesystem, a fresh unprivileged uid and cgroups (memory,
  tasks, CPU share), plus rlimits.
- `userns`: an ordinary user on a host that allows unprivileged user namespaces. The
  same namespaces and allow-list filesystem, made inside a new user namespace; the
  code then runs with no capabilities at all (so it cannot undo the mounts) and
  `no_new_privs`, as the grader's own uid outside. No cgroups (unless the host
  delegated a cgroup v2 group to the grader): memory is bounded by `RLIMIT_DATA`,
  processes by `RLIMIT_NPROC`.
- `landlock`: a host that allows no namespaces at all (Ubuntu 24.04's AppArmor
  restriction, Docker's default seccomp profile, a Kubernetes pod). The runner
  confines itself with Landlock (the same paths readable, only its own work folder
  writable; from Landlock ABI 4 no TCP; from ABI 6 signals and abstract sockets kept
  inside the run) and a seccomp filter (no socket but AF_UNIX, no ptrace, mounts,
  namespaces, keyrings, bpf, io_uring, perf or userfaultfd). No PID namespace: it can
  see the host's processes, though not signal or trace them. Memory is watched by the
  supervisor (the resident memory of every process of the run, every 50 ms), on top of
  `RLIMIT_DATA`; processes are bounded by `RLIMIT_NPROC`; as root, a fresh uid.
- `none`: no namespaces: the code runs as the grader's user, in a temporary folder,
  with rlimits only. It can read whatever that user can (the answer key included) and
  use the network. `grade` and `demo` refuse it unless given `--unsafe`.

The tier is found once per grader process, by trying the namespaces in a throwaway
process exactly as a run would (`inside.isolation.probe`), and sent to every child in
its configuration; the child never chooses. `DLCOURSE_SANDBOX_TIER=root|userns|landlock|none`
forces one (for tests); a forced tier this host cannot give is refused.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass

from ..errors import UsageError
from .inside import cgroups, isolation

TIERS = ("root", "userns", "landlock", "none")
ENVIRONMENT_SWITCH = "DLCOURSE_SANDBOX_TIER"
DEFAULT_UID_BASE = 200000

# What each protection is, and which tiers have it.
PROTECTIONS = [
    ("filesystem allow-list", ("root", "userns", "landlock"),
     "a new root holding only the system folders, Python and this package, read-only: "
     "the course, answer keys, other students and home folders do not exist in there "
     "(in `landlock`: they exist, but Landlock denies every access outside those paths "
     "and the run's own work folder)"),
    ("PID namespace", ("root", "userns"),
     "the code sees only its own processes, and everything it starts ends with the run"),
    ("network namespace", ("root", "userns"), "no network: only a loopback that is down"),
    ("seccomp filter", ("landlock",),
     "no sockets but Unix ones (so no network), no ptrace, mounts, namespaces, keyrings, "
     "bpf, io_uring, perf events or userfaultfd; Landlock also denies TCP (ABI 4) and "
     "signals to processes outside the run (ABI 6)"),
    ("IPC and UTS namespaces", ("root", "userns"), "no shared memory or host name shared with the host"),
    ("fresh uid", ("root",),
     "each run is a uid of its own (in `userns`: the grader's uid, with no capabilities; "
     "in `landlock`: a uid of its own only as root)"),
    ("memory watchdog", ("landlock",),
     "the supervisor sums the resident memory of the run's processes every 50 ms and "
     "stops the run over the memory limit"),
    ("memory and tasks cgroups", ("root",),
     "a real memory limit, a limit on processes plus threads and a fair CPU share per run "
     "(cgroup v1 as root; cgroup v2 as root, or as an ordinary user in any tier where the "
     "host delegated a group to the grader, e.g. `systemd-run --user --scope -p Delegate=yes`; "
     "otherwise RLIMIT_DATA and RLIMIT_NPROC)"),
    ("rlimits", TIERS, "CPU seconds, file size, open files, no core dumps, data size and processes"),
]

NO_SANDBOX_HELP = (
    "without root, the sandbox needs unprivileged user namespaces, which this host refuses "
    "(e.g. Ubuntu 24.04's AppArmor restriction, or Docker's default seccomp profile), "
    "or else Landlock and seccomp, which this kernel does not give (Landlock needs "
    "Linux 5.13 with `landlock` among the enabled LSMs). "
    "To get a sandbox: run the grader as root; or allow unprivileged user namespaces "
    "(`sysctl kernel.apparmor_restrict_unprivileged_userns=0`, or an AppArmor profile "
    "for this Python binary that allows `userns`); in Docker, run with "
    "`--security-opt seccomp=unconfined` or a seccomp profile that allows unshare. "
    "`python -m autograder sandbox` says what this host gives.")


@dataclass(frozen=True)
class Tier:
    """The tier in force, and why the better ones are not (for staff)."""
    name: str
    forced: bool = False
    missing: tuple = ()  # (tier, why not) for each better tier tried

    @property
    def confines_files(self) -> bool:
        return self.name != "none"

    def describe(self) -> str:
        """One line: the tier and, when it is not the best, why."""
        text = "sandbox: %s" % self.name
        if self.forced:
            text += " (forced by %s)" % ENVIRONMENT_SWITCH
        if self.missing:
            text += " (%s)" % "; ".join("no %s: %s" % item for item in self.missing)
        if self.name == "none":
            text += ": student code is NOT confined"
        return text


def select_tier(forced: str | None, is_root: bool, probe) -> Tier:
    """The best tier this host gives, or the one `forced` (refused if unavailable).

    `probe(tier)` says why a run of that tier cannot be set up, or None if it can.
    """
    if forced:
        forced = forced.strip().lower()
        if forced not in TIERS:
            raise UsageError("%s=%s: expected one of %s" % (ENVIRONMENT_SWITCH, forced, ", ".join(TIERS)))
        if forced == "root" and not is_root:
            raise UsageError("%s=root, but the grader is not running as root" % ENVIRONMENT_SWITCH)
        why = probe(forced) if forced != "none" else None
        if why:
            raise UsageError("%s=%s, but this host cannot give it: %s" % (ENVIRONMENT_SWITCH, forced, why))
        return Tier(forced, forced=True)
    missing = []
    for name in ("root", "userns", "landlock"):
        if name == "root" and not is_root:
            missing.append((name, "not running as root"))
            continue
        why = probe(name)
        if why is None:
            return Tier(name, missing=tuple(missing))
        missing.append((name, why))
    return Tier("none", missing=tuple(missing))


_lock = threading.Lock()
_detected: dict = {}


def probe(name: str) -> str | None:
    """Why runs of tier `name` cannot be set up here (None: they can); tried once per process."""
    with _lock:
        if name not in _detected:
            _detected[name] = isolation.probe(name, DEFAULT_UID_BASE)
        return _detected[name]


def tier_in_force() -> Tier:
    """This process's tier: the switch if set (and possible), else the best available."""
    return select_tier(os.environ.get(ENVIRONMENT_SWITCH), os.geteuid() == 0, probe)


def best_tier() -> Tier:
    """The best tier this host gives, whatever the switch says."""
    return select_tier(None, os.geteuid() == 0, probe)


def refusal(tier: Tier) -> str:
    """Why `grade` and `demo` will not run student code in `tier` "none", and what to do."""
    return ("refusing to run student code without a sandbox (%s): %s; to grade unconfined anyway, "
            "at your own risk, pass --unsafe" % (
                "; ".join("no %s: %s" % item for item in tier.missing) if tier.missing
                else "%s=none" % ENVIRONMENT_SWITCH, NO_SANDBOX_HELP))


_hierarchy: list = []


def run_cgroups(tier: str) -> dict | None:
    """Where the runs of `tier` get their cgroups (see `inside.cgroups`), or None.

    As root: runs of `root` and `none` (a weaker tier forced on root stands for an
    ordinary user's, so it gets none). As an ordinary user: runs of every tier, where
    the host delegated a cgroup v2 group to the grader. Found once per process."""
    is_root = os.geteuid() == 0
    if is_root and tier not in ("root", "none"):
        return None
    with _lock:
        if not _hierarchy:
            _hierarchy.append(cgroups.hierarchy(is_root))
        return _hierarchy[0]


def remove_stale_cgroups(tier: str) -> list[str]:
    """Remove the cgroups of runs whose supervisor died without cleaning up."""
    return cgroups.remove_stale(run_cgroups(tier))


def describe_cgroups(tier: str) -> str:
    """One line for staff: which cgroups the runs of `tier` get here."""
    where = run_cgroups(tier)
    if where is None:
        return ("cgroups: none for the runs (%s)" % (
            "a weaker tier forced on root runs as an ordinary user would" if os.geteuid() == 0
            else "not root, and no cgroup v2 group delegated to this user"))
    if where["version"] == 1:
        return "cgroups: v1, under %s/<controller>/%s" % (where["root"], cgroups.GROUP)
    return "cgroups: v2, under %s" % where["base"]
