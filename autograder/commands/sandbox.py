"""`python -m autograder sandbox`: which sandbox tier this host gives, and what it means.

For staff deciding where to grade. It tries each tier as a run would (in a throwaway
process), then says which is in force, what each protection is and whether this tier
has it, and how to get a better tier. Exit code: 0 when the tier confines the
filesystem (`root`, `userns` or `landlock`), 1 when it does not (`none`).
"""
from __future__ import annotations

import os

from .. import sandbox
from ..sandbox import tiers


def configure_parser(parser) -> None:
    pass


def run(args) -> int:
    best = sandbox.best_tier()
    forced = os.environ.get(tiers.ENVIRONMENT_SWITCH)
    print("This host gives the sandbox tier: %s" % best.name)
    for name, why in best.missing:
        print("  no %s tier: %s" % (name, why))
    tier = best
    if forced:
        tier = sandbox.tier_in_force()  # a UsageError (exit 2) if the host cannot give it
        print("%s=%s: grading here would use the %s tier" % (tiers.ENVIRONMENT_SWITCH, forced, tier.name))
    print(tiers.describe_cgroups(tier.name))
    print("\nProtections (x: the %s tier has it):" % tier.name)
    for protection, where, what in tiers.PROTECTIONS:
        print("  [%s] %-25s %s" % ("x" if tier.name in where else " ", protection, what))
    missing = [protection for protection, where, _ in tiers.PROTECTIONS if tier.name not in where]
    if missing:
        print("\nMissing in this tier: %s." % ", ".join(missing))
    print()
    if tier.name == "root":
        print("This is the strongest tier.")
    elif tier.name == "userns":
        print("A better tier: run the grader as root, for a fresh uid per run and memory and tasks "
              "cgroups (here memory is bounded only by RLIMIT_DATA and processes by RLIMIT_NPROC).")
    elif tier.name == "landlock":
        print("A better tier: allow unprivileged user namespaces (see below), or run the grader as root, "
              "for namespaces: a PID namespace (here the code can see the host's processes) and a "
              "filesystem of its own; as root also memory and tasks cgroups (here memory is watched by "
              "the supervisor every 50 ms and bounded by RLIMIT_DATA, processes by RLIMIT_NPROC).")
        print(tiers.NO_SANDBOX_HELP.split("To get a sandbox: ", 1)[-1])
    else:
        print("Student code would run unconfined: it could read the answer key and the gradebook and "
              "use the network; `grade` and `demo` refuse to run it without --unsafe.")
        print(tiers.NO_SANDBOX_HELP)
    return 0 if tier.confines_files else 1
