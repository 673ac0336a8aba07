"""Independent checks of the machine-readable outputs against their published formats.

JUnit: the structure of the Jenkins xunit plugin's junit-10.xsd (elements, their
children, required and allowed attributes), plus <properties> inside a <testcase> as
pytest's xunit1 flavour writes them. Gradescope: the results.json specification at
https://gradescope-autograders.readthedocs.io/en/latest/specs/, as a small schema.
"""
import numbers
import xml.etree.ElementTree as ET

# element: (allowed children, required attributes, optional attributes)
JUNIT = {
    "testsuites": ({"testsuite"}, set(), {"name", "time", "tests", "failures", "errors", "disabled"}),
    "testsuite": ({"testsuite", "properties", "testcase", "system-out", "system-err"},
                  {"name", "tests", "failures", "errors"},
                  {"group", "time", "skipped", "timestamp", "hostname", "id", "package", "file", "log", "url",
                   "disabled"}),
    "properties": ({"property"}, set(), set()),
    "property": (set(), {"name", "value"}, set()),
    "testcase": ({"skipped", "error", "failure", "system-out", "system-err", "properties"}, {"name"},
                 {"time", "classname", "group", "assertions", "status", "file", "line"}),
    "failure": (set(), set(), {"type", "message"}),
    "error": (set(), set(), {"type", "message"}),
    "skipped": (set(), set(), {"type", "message"}),
    "system-out": (set(), set(), set()),
    "system-err": (set(), set(), set()),
}


def check_junit(text: str) -> ET.Element:
    """Parse `text` and check it element by element; returns the root."""
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "testsuites", root.tag
    for element in root.iter():
        assert element.tag in JUNIT, "unknown element <%s>" % element.tag
        children, required, optional = JUNIT[element.tag]
        assert required <= set(element.attrib), "<%s> lacks %s" % (element.tag, required - set(element.attrib))
        assert set(element.attrib) <= required | optional, "<%s> has unknown %s" % (
            element.tag, set(element.attrib) - required - optional)
        for child in element:
            assert child.tag in children, "<%s> inside <%s>" % (child.tag, element.tag)
    for suite in root.iter("testsuite"):
        cases = suite.findall("testcase")
        assert int(suite.get("tests")) == len(cases)
        assert int(suite.get("failures")) == sum(case.find("failure") is not None for case in cases)
        assert int(suite.get("errors")) == sum(case.find("error") is not None for case in cases)
    return root


def junit_scores(root: ET.Element) -> dict:
    """{(classname, name): {property: value}} of every testcase."""
    return {(case.get("classname"), case.get("name")):
            {p.get("name"): p.get("value") for p in case.iter("property")} for case in root.iter("testcase")}


VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
TOP_LEVEL = {"score": numbers.Real, "execution_time": numbers.Real, "output": str, "output_format": str,
             "test_output_format": str, "test_name_format": str, "visibility": str, "stdout_visibility": str,
             "extra_data": dict, "tests": list, "leaderboard": list}
TEST = {"score": numbers.Real, "max_score": numbers.Real, "status": str, "name": str, "name_format": str,
        "number": str, "output": str, "output_format": str, "tags": list, "visibility": str, "extra_data": dict}


def check_gradescope(document: dict) -> None:
    """Gradescope's results.json: known keys of the right types; a score at the top or on every test."""
    _check_fields(document, TOP_LEVEL, "results.json")
    tests = document.get("tests", [])
    assert "score" in document or (tests and all("score" in test for test in tests)), "no score"
    for test in tests:
        _check_fields(test, TEST, "a test")
        assert test.get("status", "passed") in ("passed", "failed"), test["status"]
        if "score" in test and "max_score" in test:
            assert 0 <= test["score"] <= test["max_score"], test
    for place in [document] + tests:
        assert place.get("visibility", "visible") in VISIBILITY, place["visibility"]


def _check_fields(document: dict, fields: dict, what: str) -> None:
    assert isinstance(document, dict), what
    for key, value in document.items():
        assert key in fields, "%s has an unknown key %r" % (what, key)
        assert isinstance(value, fields[key]) and not isinstance(value, bool), "%s: %r is %r" % (what, key, value)
