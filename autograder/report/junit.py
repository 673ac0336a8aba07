"""JUnit XML of a class's grades, for the test reports of CI systems.

One <testsuite> per assignment and one <testcase> per student and test: classname
is the student, name the test's grade_id. A test that did not earn every point has
a <failure> carrying its message; a submission the grader itself failed on has an
<error> instead. Each testcase's <properties> give score, max_score and the
submission's status, as pytest's xunit1 flavour writes testcase properties; the rest
follows Jenkins' junit-10.xsd. Test times are not measured per test, so there is no
`time` (it is optional).
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ..files import write_atomically
from ..results import Status

# Characters XML 1.0 cannot hold (a student's exception message may contain them).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def junit_document(assignment: str, results: dict) -> ET.Element:
    cases = [_testcase(student, result, test)
             for student, result in results.items() for test in result.tests.values()]
    counts = {"tests": str(len(cases)),
              "failures": str(sum(case.find("failure") is not None for case in cases)),
              "errors": str(sum(case.find("error") is not None for case in cases))}
    root = ET.Element("testsuites", name="autograder", **counts)
    suite = ET.SubElement(root, "testsuite", name=assignment, skipped="0", **counts)
    suite.extend(cases)
    return root


def _testcase(student: str, result, test) -> ET.Element:
    case = ET.Element("testcase", classname=xml_text(student), name=test.grade_id)
    properties = ET.SubElement(case, "properties")
    for name, value in (("score", "%g" % test.score), ("max_score", "%g" % test.max_score),
                        ("status", result.status)):
        ET.SubElement(properties, "property", name=name, value=value)
    if result.status == Status.GRADER_ERROR or test.score < test.max_score:
        kind = "error" if result.status == Status.GRADER_ERROR else "failure"
        message = test.message()
        if result.message:
            message += "\n\nGrading notes (%s): %s" % (result.status, result.message)
        problem = ET.SubElement(case, kind, message=xml_text(message.splitlines()[0]))
        problem.text = xml_text(message)
    return case


def junit_xml(assignment: str, results: dict) -> str:
    root = junit_document(assignment, results)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_junit(path: str, assignment: str, results: dict) -> None:
    write_atomically(path, junit_xml(assignment, results))
