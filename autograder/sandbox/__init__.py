"""Run student code in isolated child processes forked from a warm worker.

`client` is the grader's side, `zygote` the warm fork server, `child` the processes of
one run, `isolation` the operating-system mechanisms, `framing` the socket messages.
"""
from .client import Limits, SandboxStudent, Zygote, ZygoteLost

__all__ = ["Limits", "SandboxStudent", "Zygote", "ZygoteLost"]
