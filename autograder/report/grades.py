"""grades/<assignment>.csv (one row per student, one column per test, then the total, the
message and the sandbox tier the student's code ran in) and the JSON document."""
from __future__ import annotations

import csv
import io
import json

from ..files import write_atomically


def grades_document(assignment: str, results: dict) -> dict:
    return {"assignment": assignment,
            "students": {student: result.to_json() for student, result in results.items()}}


def grades_json(assignment: str, results: dict) -> str:
    return json.dumps(grades_document(assignment, results), indent=2, sort_keys=False) + "\n"


def grades_csv(results: dict, grade_ids: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "status", *grade_ids, "total", "max_score", "message", "sandbox"])
    for student, result in results.items():
        scores = ["%g" % result.tests[g].score if g in result.tests else "" for g in grade_ids]
        writer.writerow([student, result.status, *scores, "%g" % result.score, "%g" % result.max_score,
                         result.message, result.sandbox])
    return buffer.getvalue()


def write_grade_files(csv_path: str, json_path: str, assignment: str, results: dict, grade_ids) -> None:
    write_atomically(csv_path, grades_csv(results, grade_ids))
    write_atomically(json_path, grades_json(assignment, results))
