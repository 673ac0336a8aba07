"""What grading produces: per case, per test (one nbgrader test cell), per student."""
from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field


class Status(enum.StrEnum):
    """What happened to a submission, in the order a summary lists them.

    A `StrEnum`, so that it is written to JSON, CSV and the cache as its plain value.
    Every status but `GRADER_ERROR` is a result for the student; `GRADER_ERROR` is a
    fault of the grader, never cached, so the next run grades that submission again.
    """
    GRADED = "graded"
    TIMEOUT = "timeout"
    CRASHED = "crashed"
    MEMORY_LIMIT = "memory_limit"
    INVALID_NOTEBOOK = "invalid_notebook"
    MISSING_NOTEBOOK = "missing_notebook"
    GRADER_ERROR = "grader_error"


@dataclass
class CaseResult:
    """One input tried on one function: passed or not, and what a student should know."""
    label: str
    passed: bool
    message: str = ""
    public: bool = False
    weight: float = 1.0


@dataclass
class TestResult:
    """The score of one graded test cell, with the messages that explain it."""
    grade_id: str
    max_score: float
    cases: list[CaseResult] = field(default_factory=list)
    error: str = ""  # a problem that stopped the whole test (missing function, crash)
    process_failure: str = ""  # the Status, if the student's process died during the test
    title: str = ""  # what students read it as (the function's name); grade_id if empty

    @property
    def score(self) -> float:
        """Partial credit: the weighted fraction of cases passed, times the points."""
        total = sum(case.weight for case in self.cases)
        if self.error or total == 0:
            return 0.0
        earned = sum(case.weight for case in self.cases if case.passed)
        return round(self.max_score * earned / total, 4)

    @property
    def passed(self) -> bool:
        return not self.error and bool(self.cases) and all(c.passed for c in self.cases)

    def message(self, max_failures: int = 5, points: bool = True) -> str:
        """A short report: the count of cases passed, then the first few failures."""
        name = self.title or self.grade_id
        if self.error:
            return "%s: %s" % (name, self.error)
        failed = [case for case in self.cases if not case.passed]
        summary = "%s: %d of %d cases passed" % (name, len(self.cases) - len(failed), len(self.cases))
        if points:
            summary += " (%.4g of %.4g points)" % (self.score, self.max_score)
        lines = [summary]
        for case in failed[:max_failures]:
            lines.append("  \u2717 %s: %s" % (case.label, case.message))
        if len(failed) > max_failures:
            lines.append("  ... and %d more failing cases" % (len(failed) - max_failures))
        return "\n".join(lines)

    def to_json(self) -> dict:
        return {"score": self.score, "max_score": self.max_score, "message": self.message()}


@dataclass
class StudentResult:
    """Everything the grader determined about one student's submission."""
    student: str
    assignment: str
    status: Status = Status.GRADED
    message: str = ""
    tests: dict[str, TestResult] = field(default_factory=dict)
    protections: list[str] = field(default_factory=list)  # how the sandbox isolated the run
    sandbox: str = ""  # the sandbox's tier (root, userns, none); "" in records older than tiers
    peak_memory_mb: float = 0.0

    @property
    def score(self) -> float:
        return round(sum(test.score for test in self.tests.values()), 4)

    @property
    def max_score(self) -> float:
        return round(sum(test.max_score for test in self.tests.values()), 4)

    def to_json(self) -> dict:
        return {
            "score": self.score,
            "max_score": self.max_score,
            "status": self.status,
            "message": self.message,
            "sandbox": self.sandbox,
            "tests": {grade_id: test.to_json() for grade_id, test in self.tests.items()},
        }

    def to_record(self) -> dict:
        """Lossless form for the result cache (cases included)."""
        return asdict(self)

    @classmethod
    def from_record(cls, record: dict) -> "StudentResult":
        tests = {
            grade_id: TestResult(
                grade_id=test["grade_id"], max_score=test["max_score"], error=test["error"],
                process_failure=test.get("process_failure", ""), title=test.get("title", ""),
                cases=[CaseResult(**case) for case in test["cases"]])
            for grade_id, test in record["tests"].items()
        }
        return cls(student=record["student"], assignment=record["assignment"],
                   status=Status(record["status"]), message=record["message"], tests=tests,
                   protections=record.get("protections", []), sandbox=record.get("sandbox", ""),
                   peak_memory_mb=record.get("peak_memory_mb", 0.0))
