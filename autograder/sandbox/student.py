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
    def from_response(cls, response) -> "Outcome":
        """The outcome a response reports. The response is data the student's process
        chose, so each field is taken only in the form the handlers give it: an error
        as a dict of strings, warnings as strings, the inputs afterwards as a list."""
        if not isinstance(response, dict):
            return cls(error=malformed("it answered with %s instead of a response" % _kind(response)))
        return cls(value=response.get("value"), error=_error(response.get("error")),
                   warnings=_warnings(response.get("warnings")),
                   args_after=_items(response.get("args_after")))

    def raised(self, exception_name: str) -> bool:
        types = self.error.get("types") if isinstance(self.error, dict) else None
        return isinstance(types, list) and exception_name in types

    def error_text(self) -> str:
        error = self.error if isinstance(self.error, dict) else {}
        kind, message = str(error.get("type", "Error")), str(error.get("message", ""))
        if kind in ("NameError", "ReturnTypeError", MALFORMED):
            return message
        if kind == "NotImplementedError":
            return "not implemented yet (the function raises NotImplementedError)"
        return "raised %s: %s" % (kind, message) if message else "raised %s" % kind


MALFORMED = "MalformedAnswer"
MAX_MESSAGE = 2000
MAX_TRACEBACK = 4000
MAX_WARNINGS = 20


def malformed(problem: str) -> dict:
    """The error of an answer the grader could not read as the handlers write it."""
    return {"type": MALFORMED, "types": [MALFORMED], "traceback": "",
            "message": "its answer could not be read (%s): the code must leave the grader's "
                       "requests and answers alone" % problem}


def _error(error):
    if error is None:
        return None
    if not isinstance(error, dict):
        return malformed("it reported an error as %s" % _kind(error))
    kind, types = error.get("type"), error.get("types")
    return {"type": kind[:200] if isinstance(kind, str) and kind else "Error",
            "types": [name for name in _items(types) if isinstance(name, str)],
            "message": _string(error.get("message"))[:MAX_MESSAGE],
            "traceback": _string(error.get("traceback"))[-MAX_TRACEBACK:]}


def _warnings(warnings) -> list:
    return [text[:MAX_MESSAGE] for text in _items(warnings) if isinstance(text, str)][:MAX_WARNINGS]


def _items(value) -> list:
    return list(value) if isinstance(value, (list, tuple)) else []


def _string(value) -> str:
    return value if isinstance(value, str) else ""


def _kind(value) -> str:
    return "None" if value is None else "a value of type %s" % type(value).__name__


class Student:
    """Anything that can answer the requests of `inside.handlers` about a student's code."""

    def request(self, op: str, **params) -> dict:
        raise NotImplementedError

    def call(self, function: str, *args, keep=None, pick=None, **kwargs) -> Outcome:
        response = self.request("call", function=function, args=list(args), kwargs=kwargs,
                                keep=keep, pick=pick)
        return Outcome.from_response(response)
