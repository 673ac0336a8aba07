"""The building blocks of every assignment's tests.

A `Test` is one graded test cell: it names the student function it grades, its points,
and its `cases`. Running it asks a `Student` for answers and judges each case; the
score is the weighted fraction of cases passed. Public cases carry their expected
value as data and run anywhere; the others need the reference solutions and run only
on the grader's side (or in nbgrader's hidden tests).
"""
from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..results import CaseResult, TestResult
from ..sandbox import wire
from ..sandbox.student import Outcome, ProcessLost
from . import fingerprints
from .compare import as_float_array, compare, describe, identical

MISSING = object()


@dataclass
class Case:
    """One input for one function."""
    label: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    public: bool = False
    expected: object = MISSING  # public cases ship their expected value as data
    raises: str | None = None  # the exception the contract requires for this input
    weight: float = 1.0


class Test:
    """One graded test cell. Subclasses say which cases exist and how to judge one."""

    def __init__(self, function: str, points: float, grade_id: str | None = None):
        self.function = function
        self.points = float(points)
        self.grade_id = grade_id or "test_" + function

    def cases(self) -> list[Case]:
        raise NotImplementedError

    def judge(self, student, reference, case: Case) -> str | None:
        """None if the case passes, else what a student should read."""
        raise NotImplementedError

    def run(self, student, reference=None) -> TestResult:
        """Judge every case; without a reference only the public ones."""
        result = TestResult(self.grade_id, self.points, title=self.function)
        cases = [case for case in self.cases() if reference is not None or case.public]
        for index, case in enumerate(cases):
            try:
                failure = self.judge(student, reference, case)
            except ProcessLost as lost:
                result.cases.append(_case_result(case, lost.message))
                for skipped in cases[index + 1:]:
                    result.cases.append(_case_result(skipped, "not run (%s)" % lost.status))
                result.process_failure = lost.status
                break
            result.cases.append(_case_result(case, failure))
        _no_credit_for_refusing_alone(cases, result)
        return result


def _no_credit_for_refusing_alone(cases, result) -> None:
    """Raising the contract's error for bad input earns its cases only when the
    function also works on some valid input: otherwise a function that raises
    ValueError for everything (another function handed in under this name, or a
    stub) would collect those cases' points without doing anything right."""
    judged = list(zip(cases, result.cases))
    if any(not case.raises and outcome.passed for case, outcome in judged) \
            or all(case.raises for case, _ in judged):
        return
    for case, outcome in judged:
        if case.raises and outcome.passed:
            outcome.passed = False
            outcome.message = ("raises %s as it should, but that counts only once the function "
                               "works on valid input" % case.raises)


def _case_result(case: Case, failure: str | None) -> CaseResult:
    label = case.label if case.public else "hidden case: " + case.label
    return CaseResult(label=label, passed=failure is None, message=failure or "",
                      public=case.public, weight=case.weight)


Hint = "callable(case, got, expected, reference) -> str | None"


class FunctionTest(Test):
    """Call the student's function on each case and compare with the expected value.

    The expected value is the public case's literal, or the reference function's
    result. Comparison goes shape, finiteness, values (rtol/atol), then warnings
    (where `no_warnings`) and inputs left unmodified. `hints` recognise common
    mistakes in a wrong answer; `names` name the parts of a returned tuple.
    """

    def __init__(self, function, points, cases, params, hints=(), rtol=1e-6, atol=1e-8,
                 names=None, pick=None, no_warnings=False, warning_hint="", grade_id=None):
        super().__init__(function, points, grade_id)
        self._cases = cases
        self.params = params
        self.hints = list(hints)
        self.rtol, self.atol = rtol, atol
        self.names = names
        self.pick = pick
        self.no_warnings = no_warnings
        self.warning_hint = warning_hint

    def cases(self):
        return self._cases() if callable(self._cases) else list(self._cases)

    def expected(self, reference, case):
        if case.expected is not MISSING:
            return case.expected
        return reference.remember([self.function, case.args, case.kwargs, self.pick],
                                  lambda: self._reference_value(reference, case))

    def _reference_value(self, reference, case):
        args, kwargs = inputs(case)
        value = getattr(reference, self.function)(*args, **kwargs)
        return value[self.pick] if self.pick is not None else value

    def judge(self, student, reference, case):
        expected = None if case.raises else self.expected(reference, case)
        outcome = student.call(self.function, *case.args, pick=self.pick, **case.kwargs)
        return self.verdict(case, outcome, expected, reference)

    def verdict(self, case: Case, outcome: Outcome, expected, reference) -> str | None:
        if case.raises:
            return _verdict_on_error(case, outcome)
        if outcome.error:
            return outcome.error_text()
        problem = self.problem(case, outcome.value, expected, reference)
        if problem:
            return problem
        if self.no_warnings and outcome.warnings:
            return "the values are right, but it emitted a warning (%s)%s" % (
                outcome.warnings[0], ": " + self.warning_hint if self.warning_hint else "")
        return self.modified_input(case, outcome)

    def problem(self, case, got, expected, reference) -> str | None:
        """What is wrong with the value returned (None if it is right)."""
        mismatch = compare(got, expected, self.rtol, self.atol, reveal=case.public, names=self.names)
        if mismatch is None:
            return None
        hint = self.hint(case, got, expected, reference)
        return mismatch.text() + (" - hint: " + hint if hint else "")

    def judge_returned(self, case, student, problem_of):
        """Call the function on `case` and judge what it returned with
        `problem_of(case, value)`, computed here (no expected value), then its inputs."""
        outcome = student.call(self.function, *case.args, **case.kwargs)
        if outcome.error:
            return outcome.error_text()
        return problem_of(case, outcome.value) or self.modified_input(case, outcome)

    def hint(self, case, got, expected, reference):
        for hint in self.hints:
            text = hint(case, got, expected, reference)
            if text:
                return text
        return None

    def modified_input(self, case, outcome):
        """How the call changed an input (None if it left them all as they were).

        An input the student's process did not report back, or could not (it now holds
        something that is not plain data), is not one left as it was: it counts as changed.
        """
        for index, (name, before) in enumerate(zip(self.params, case.args)):
            if _is_tagged(before):
                continue
            after = outcome.args_after[index] if index < len(outcome.args_after) else \
                wire.unreportable("its process did not report it")
            reason = wire.unreportable_reason(after)
            if reason is not None:
                return ("it changed its input %s (it could not be reported back: %s): %s"
                        % (name, reason, LEAVE_INPUTS))
            if not identical(after, before):
                return "it changed its input %s in place: %s" % (name, LEAVE_INPUTS)
        return None


LEAVE_INPUTS = ("the contract says inputs are left as they were (work on a copy, "
                "e.g. x = np.array(x, dtype=float))")


def _verdict_on_error(case, outcome):
    if outcome.raised(case.raises):
        return None
    if outcome.error:
        return "should raise %s for this input, but %s" % (case.raises, outcome.error_text())
    return "should raise %s for this input, but returned %s" % (case.raises, describe(outcome.value))


def _is_tagged(value):
    return isinstance(value, dict) and any(str(key).startswith("$") for key in value)


def inputs(case: Case):
    """Fresh copies of a case's (args, kwargs), tags made real (`{"$rng": 3}` -> a Generator).

    Fresh, so that neither the reference nor a hint can change the case for the next user.
    """
    args = [wire.materialise(copy.deepcopy(arg)) for arg in case.args]
    kwargs = {key: wire.materialise(copy.deepcopy(value)) for key, value in case.kwargs.items()}
    return args, kwargs


# --- hints ---------------------------------------------------------------------------

def same_as(candidate, message):
    """A hint: the student's answer equals `candidate(case, reference)`, a known mistake.

    `candidate` may return None when it does not apply (e.g. it needs the reference
    and there is none).
    """
    def hint(case, got, expected, reference):
        return message if _matches(got, _quietly(candidate, case, reference)) else None
    return hint


def expected_as(transform, message):
    """A hint: the answer equals `transform(case, expected)`, a mistake read off the right answer.

    E.g. n times the expected value is a sum where a mean was asked. It needs no
    reference, so it helps on public cases in the student's notebook too.
    """
    def hint(case, got, expected, reference):
        return message if _matches(got, _quietly(transform, case, expected)) else None
    return hint


def _quietly(function, *args):
    """function(*args), or None if it does not apply to this input.

    Silent: a warning printed by the grader would cost the student the test cell
    under nbgrader, which scores any cell that writes to stderr 0.
    """
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return function(*args)
    except Exception:  # noqa: BLE001 (a mistake model that does not fit this input)
        return None


def _matches(got, value):
    return value is not None and compare(got, value, rtol=1e-5, atol=1e-7) is None


def nonfinite(message):
    """A hint: the answer holds inf or NaN (e.g. log(0) where a clip was asked)."""
    def hint(case, got, expected, reference):
        array = as_float_array(got)
        return message if array is not None and not np.isfinite(array).all() else None
    return hint


def transposed(message):
    """A hint: the student's array has the expected shape reversed."""
    def hint(case, got, expected, reference):
        shape = np.shape(expected)
        try:
            got_shape = np.shape(got)
        except ValueError:
            return None
        if len(shape) == 2 and shape[0] != shape[1] and got_shape == shape[::-1]:
            return message
        return None
    return hint


def mistake(name, message, **fixed):
    """A hint: the answer equals what the grader's model `name` of a typical mistake
    returns on the case's inputs (and `fixed`). The models are in the assignment's
    mistakes module (`solutions/mistakes/<assignment>.py`, see `reference`): each holds
    the right computation with one thing changed, so it stays with the answer key.
    Without it (the student's notebook) a public case's answer is compared with the
    model's through their digests (see `fingerprints`)."""
    def hint(case, got, expected, reference):
        if reference is not None and reference.mistakes is not None:
            return message if _matches(got, model_answer(reference.mistakes, name, fixed, case)) else None
        shipped = fingerprints.known(fingerprints.key(name, fixed, case)) if case.public else None
        return message if shipped is not None and shipped == fingerprints.fingerprint(got) else None
    hint.model = (name, fixed)
    return hint


def model_answer(mistakes, name, fixed, case):
    """What model `name` of the mistakes module returns on the case's inputs (and
    `fixed`), or None where the mistake does not fit them."""
    args, kwargs = inputs(case)
    return _quietly(lambda: getattr(mistakes, name)(*args, **kwargs, **fixed))


def with_reference(function, params, **overrides):
    """A candidate: the reference `function` on the case's inputs, some replaced.

    `params` names the case's positional arguments; an override is a value or a
    function of the original value (e.g. `b=np.zeros_like` for "forgot the bias").
    """
    def candidate(case, reference):
        if reference is None:
            return None
        args, kwargs = inputs(case)
        named = dict(zip(params, args), **kwargs)
        for name, override in overrides.items():
            named[name] = override(named[name]) if callable(override) else override
        return getattr(reference, function)(**named)
    return candidate
