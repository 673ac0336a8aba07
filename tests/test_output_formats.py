"""JUnit XML, Gradescope results and the Markdown summary, on made-up results.

Each is checked against its published format (format_checks.py) and shown to carry
hostile text from a student's code without breaking or rendering it.
"""
import json

import pytest

from autograder import results as records
from autograder.report.gradescope import gradescope_results
from autograder.report.junit import junit_xml
from autograder.report.markdown import escape, markdown_summary

from format_checks import check_gradescope, check_junit, junit_scores

ASSIGNMENT = "ps1_forward"


def result(student, passed=(True, False), status="graded", message="", error=""):
    cases = [records.CaseResult("case %d" % i, ok, "" if ok else "expected 1, got 2", public=i == 0)
             for i, ok in enumerate(passed)]
    sigmoid = [records.CaseResult("x = 0", True, public=True)]
    return records.StudentResult(student, ASSIGNMENT, status=status, message=message, tests={
        "test_relu": records.TestResult("test_relu", 2.0, cases=cases, title="relu", error=error),
        "test_sigmoid": records.TestResult("test_sigmoid", 1.0, cases=sigmoid, title="sigmoid")})


HOSTILE = "bad\x00bytes \x1b[31m <script>alert(1)</script> ]]> & | **bold** \ud800"


def test_junit_holds_every_test_of_every_student_and_survives_hostile_text():
    results = {"ann": result("ann", (True, True)), "ben": result("ben", message=HOSTILE),
               "cat": result("cat", status="grader_error", error="the grader failed: " + HOSTILE)}
    root = check_junit(junit_xml(ASSIGNMENT, results))
    scores = junit_scores(root)
    assert set(scores) == {(s, g) for s in results for g in ("test_relu", "test_sigmoid")}
    assert scores[("ben", "test_relu")] == {"score": "1", "max_score": "2", "status": "graded"}
    suite = root.find("testsuite")
    assert suite.get("name") == ASSIGNMENT
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("6", "1", "2")
    ben = next(c for c in root.iter("testcase") if c.get("classname") == "ben" and c.get("name") == "test_relu")
    assert ben.find("failure").get("message") == "relu: 1 of 2 cases passed (1 of 2 points)"
    assert "expected 1, got 2" in ben.find("failure").text and "<script>" in ben.find("failure").text
    assert root.find(".//testcase[@classname='ann']/failure") is None


def test_gradescope_results_follow_the_spec():
    for student_result in (result("ann", (True, True)), result("ben", message=HOSTILE),
                           result("cat", status="timeout", error="took too long")):
        document = json.loads(json.dumps(gradescope_results(student_result)))
        check_gradescope(document)
        assert document["score"] == student_result.score
        assert [t["name"] for t in document["tests"]] == ["relu (test_relu)", "sigmoid (test_sigmoid)"]
        assert [t["max_score"] for t in document["tests"]] == [2.0, 1.0]
    notes = gradescope_results(result("ben", message="cell 'relu' raised"))["output"]
    assert notes == "Grading notes (graded): cell 'relu' raised"
    with pytest.raises(AssertionError):
        check_gradescope({"score": 1, "tests": [{"score": 1, "visibility": "sometimes"}]})


def test_the_markdown_summary_shows_scores_not_student_text():
    summary = markdown_summary(ASSIGNMENT, {"a|b <img src=x>": result("x", message=HOSTILE)},
                               ["test_relu", "test_sigmoid"])
    assert "| a\\|b \\<img src=x\\> | graded | 1 | 1 | 2 / 3 |" in summary
    assert "script" not in summary and "bold" not in summary
    assert escape("[link](http://x) `code`") == "\\[link\\](http://x) \\`code\\`"
