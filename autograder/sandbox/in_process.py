"""The requests answered in the student's own kernel, for a notebook's public tests.

No isolation here, and none is needed: the student runs their own code on their own
machine. It is the same handlers the sandboxed child runs, and the same round trip
through `wire`, so a check sees exactly the data it sees in batch grading.
"""
from __future__ import annotations

from . import wire
from .inside import handlers
from .student import Student


class InProcessStudent(Student):
    """Student code living in this process: a notebook's namespace."""

    def __init__(self, namespace: dict):
        self.namespace = namespace
        self.store: dict = {}

    def request(self, op: str, **params) -> dict:
        request = wire.decode(wire.encode({"op": op, **params}))
        response = handlers.handle(self.namespace, self.store, request)
        return wire.decode(wire.encode(response))
