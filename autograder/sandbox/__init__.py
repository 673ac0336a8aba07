"""The trust boundary: where student code runs, and the only way the grader talks to it.

Everything in `inside/` runs beside student code; everything else here is the
grader's (trusted) side. A test in tests/test_layout.py holds the two apart: nothing
outside `sandbox/` imports `inside/`, and `inside/` imports nothing of the grader but
the wire (`wire`, the plain-data format, and `framing`, its messages on a socket).

Who runs where, for one submission::

    grader (trusted: the checks, the reference solutions, every score and file)
      |   (beside it, also trusted: the Keras worker of checks/keras_worker.py, which
      |    rebuilds and runs the Keras models students' processes send back as data)
      | SandboxStudent (client.py): a request with a deadline, an answer read as plain data
      v
    zygote (inside/zygote.py): a warm fork server that imported NumPy / TensorFlow once;
      |                        started with a clean environment, it holds nothing secret
      v fork, per submission run
    supervisor (inside/child.py): reports how the run ended; owns the cgroup
      -> init: PID 1 of new namespaces; builds the allow-list filesystem
           -> runner: resource limits, a fresh uid, then the student's cells and the
              request loop (inside/handlers.py answers "call relu on this array")

How strongly depends on the tier this host gives (`tiers.py`, best first, found once
per grader process and named in each child's configuration): `root` (the supervisor
puts the run in a cgroup for memory, tasks and CPU share; init and runner live in new
mount, PID, network, IPC and UTS namespaces, the runner as a fresh unprivileged uid);
`userns` (an ordinary user: the same namespaces inside a new user namespace, the
runner with no capabilities); `landlock` (no namespaces at all: the runner confines
itself with Landlock and a seccomp filter, and the supervisor watches its memory);
`none` (rlimits and a private temporary folder only, which `grade` refuses without
`--unsafe`). Cgroups (`inside/cgroups.py`, v1 or v2) come with `root`, and with any
tier where the host delegated a cgroup v2 group to an ordinary user. Every result records its
`sandbox` tier and the `protections` it had.

What crosses the boundary is plain data (`wire`): never pickle, size-capped, read
through base types. A child that hangs, dies, floods or lies is a `ProcessLost`
(a status for the student), never an exception of the grader. In a student's own
kernel the same handlers answer in-process (`in_process.InProcessStudent`).
"""
from .client import Limits, SandboxStudent, Zygote, ZygoteLost
from .tiers import TIERS, Tier, best_tier, refusal, remove_stale_cgroups, tier_in_force

__all__ = ["Limits", "SandboxStudent", "Zygote", "ZygoteLost", "TIERS", "Tier", "best_tier", "refusal",
           "remove_stale_cgroups", "tier_in_force"]
