"""The summary printed at the end of a batch."""
from __future__ import annotations

from collections import Counter


def summary_table(results: dict, grade_ids: list[str]) -> str:
    """One row per student: status, each test's score, total; then the status counts and
    the sandbox tiers the code ran in."""
    short = [g[5:] if g.startswith("test_") else g for g in grade_ids]
    header = ["student", "status"] + short + ["total"]
    rows = []
    for student, result in results.items():
        scores = ["%g" % result.tests[g].score if g in result.tests else "-" for g in grade_ids]
        rows.append([student, result.status] + scores + ["%g/%g" % (result.score, result.max_score)])
    widths = [max(len(str(row[i])) for row in [header] + rows) for i in range(len(header))]
    line = lambda row: "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths))  # noqa: E731
    counts = Counter(result.status for result in results.values())
    footer = "%d students: %s" % (len(results), ", ".join("%d %s" % (n, s) for s, n in sorted(counts.items())))
    tiers = Counter(result.sandbox or "unrecorded" for result in results.values())
    if tiers:
        footer += "; sandbox: " + ", ".join("%s (%d)" % (tier, n) if len(tiers) > 1 else tier
                                            for tier, n in sorted(tiers.items()))
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows] + [footer])
