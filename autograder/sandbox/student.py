"""The grader's view of a student's code: something that answers requests.

Checks talk to a `Student` and nothing else, so the same check runs against code in
the student's own kernel (`InProcessStudent`, for the notebook's test cells) and
against code in a sandboxed child process (`SandboxStudent`, for batch grading).
Either way, requests and answers are plain data that went through `wire`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..results import Status


class ProcessLost(Exception):
    """The student's process died or hung while answering: a result, not a grader fault."""

    def __init__(self, status: Status, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Outcome:
    """What came back from calling a student function."""
    value: object = None
    error: dict | None = None
    warnings: list = field(default_factory=list)
    args_after: list = field(default_factory=list)

    @classmethod
    def from_response(cls, response: dict) -> "Outcome":
        return cls(value=response.get("value"), error=response.get("error"),
                   warnings=list(response.get("warnings") or []),
                   args_after=list(response.get("args_after") or []))

    def raised(self, exception_name: str) -> bool:
        return bool(self.error) and exception_name in (self.error.get("types") or [])

    def error_text(self) -> str:
        kind, message = self.error.get("type", "Error"), self.error.get("message", "")
        if kind in ("NameError", "ReturnTypeError"):
            return message
        if kind == "NotImplementedError":
            return "not implemented yet (the function raises NotImplementedError)"
        return "raised %s: %s" % (kind, message) if message else "raised %s" % kind


class Student:
    """Anything that can answer the requests of `inside.handlers` about a student's code."""

    def request(self, op: str, **params) -> dict:
        raise NotImplementedError

    def call(self, function: str, *args, keep=None, pick=None, **kwargs) -> Outcome:
        response = self.request("call", function=function, args=list(args), kwargs=kwargs,
                                keep=keep, pick=pick)
        return Outcome.from_response(response)
