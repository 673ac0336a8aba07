"""A released course with an example class of ps1_forward submissions, for the batch tests.

Releasing costs nbgrader's start-up, so each test process releases once, into a
template, and every test module grades its own copy of it.
"""
import functools
import os
import shutil

from autograder import examples
from autograder.course import Course
from autograder.nbgrader_tools import new_course_copy

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ASSIGNMENT = "ps1_forward"
KINDS = ("full", "partial", "blank", "cheater")


@functools.lru_cache(maxsize=None)
def _template(folder: str) -> str:
    course = new_course_copy(Course.at(REPO), folder, [ASSIGNMENT])
    examples.write_class(course.root, ASSIGNMENT, KINDS, copies=2)
    return course.root


def example_class(tmp_path_factory, name: str) -> Course:
    """A fresh copy of the released course with 8 submissions (two of each kind)."""
    template = _template(str(tmp_path_factory.getbasetemp() / "example-class"))
    folder = tmp_path_factory.mktemp(name)
    shutil.copytree(template, folder, dirs_exist_ok=True)
    return Course.at(folder)
