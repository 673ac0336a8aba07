"""A Markdown summary of a batch, for a CI job's page (GitHub's $GITHUB_STEP_SUMMARY).

Scores and statuses only: messages quote what students' code printed or raised,
which has no place in Markdown that a browser renders. Student ids are escaped.
"""
from __future__ import annotations

import re
from collections import Counter


def markdown_summary(assignment: str, results: dict, grade_ids: list[str]) -> str:
    scores = [result.score for result in results.values()]
    maximum = max((result.max_score for result in results.values()), default=0)
    mean = sum(scores) / len(scores) if scores else 0.0
    counts = Counter(result.status for result in results.values())
    lines = ["### %s: %d submissions, mean %.3g of %g" % (escape(assignment), len(results), mean, maximum),
             "",
             "Statuses: " + (", ".join("%d %s" % (n, s) for s, n in sorted(counts.items())) or "none"),
             "",
             "| student | status | %s | total |" % " | ".join(escape(g) for g in grade_ids),
             "|---|---|%s---:|" % ("---:|" * len(grade_ids))]
    for student, result in results.items():
        cells = ["%g" % result.tests[g].score if g in result.tests else "-" for g in grade_ids]
        lines.append("| %s | %s | %s | %g / %g |" % (escape(student), result.status, " | ".join(cells),
                                                    result.score, result.max_score))
    return "\n".join(lines) + "\n\n"


def escape(text: str) -> str:
    """Text that Markdown shows as it is (no links, emphasis, HTML or table breaks)."""
    return re.sub(r"([\\`*_\[\]<>|~&])", r"\\\1", text.replace("\n", " "))


def append_summary(path: str, text: str) -> None:
    """Append, as GitHub's step summary file expects (other steps may have written to it)."""
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(text)
