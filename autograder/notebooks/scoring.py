"""What each test cell of an executed notebook scored, and what it said.

The score follows nbgrader's rule (`nbgrader.utils.determine_grade`), so that what
we predict is what `nbgrader autograde` records: an error or any output on stderr
scores 0; a first `execute_result` that reads as a number is partial credit; anything
else earns the cell's points. It is restated here because students check their work
without nbgrader installed; the tests hold the two to the same answers.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from . import cells

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass
class CellScore:
    grade_id: str
    max_score: float
    score: float  # 0 for a cell that never ran
    ran: bool
    error: str = ""  # "CheckFailed: ..." (the error's name and message), if it raised
    stderr: str = ""
    stdout: str = ""

    @property
    def passed(self) -> bool:
        return self.ran and self.score >= self.max_score

    def explanation(self) -> str:
        """Why the cell did not pass, in the cell's own words."""
        if not self.ran:
            return "did not run"
        if self.error:
            return self.error
        if self.stderr:
            return "wrote to stderr (nbgrader scores that 0): " + self.stderr
        return self.stdout or "scored %g of %g" % (self.score, self.max_score)


def test_cell_scores(notebook) -> list[CellScore]:
    """One outcome per test cell, in notebook order."""
    scores = []
    for cell in cells.cells(notebook):
        if cell.kind == cells.TEST:
            raw = notebook.cells[cell.index]
            scores.append(_outcome(cell, raw))
    return scores


def _outcome(cell: cells.Cell, raw) -> CellScore:
    outputs = raw.get("outputs", [])
    outcome = CellScore(cell.name, cell.points, nbgrader_score(outputs, cell.points),
                      ran=raw.get("execution_count") is not None)
    if not outcome.ran:
        outcome.score = 0.0
    for output in outputs:
        if output.get("output_type") == "error":
            outcome.error = "%s: %s" % (output.get("ename", "Error"), _plain(output.get("evalue", "")))
        elif output.get("output_type") == "stream":
            text = _plain("".join(output.get("text", "")))
            if output.get("name") == "stderr":
                outcome.stderr += text
            else:
                outcome.stdout += text
    outcome.stdout, outcome.stderr = outcome.stdout.strip(), outcome.stderr.strip()
    return outcome


def nbgrader_score(outputs, max_score: float) -> float:
    """The score nbgrader gives a test cell with these outputs."""
    for output in outputs:
        kind = output.get("output_type")
        if kind == "error" or (kind == "stream" and output.get("name") == "stderr"):
            return 0.0
        if kind == "execute_result":
            return _partial_credit(output, max_score)
    return max_score


def _partial_credit(output, max_score):
    text = output.get("data", {}).get("text/plain", "")
    if isinstance(text, list):
        if len(text) != 1:
            return max_score
        text = text[0]
    try:
        grade = float(text)
    except ValueError:
        return max_score
    if grade > max_score:
        raise ValueError("partial credit %g is more than the cell's %g points" % (grade, max_score))
    return grade if grade >= 0 else max_score


def _plain(text: str) -> str:
    return _ANSI.sub("", text)
