"""Where things live in an nbgrader course directory (this repository is one)."""
from __future__ import annotations

import os
from dataclasses import dataclass

from .errors import UsageError


@dataclass(frozen=True)
class Course:
    root: str
    source_directory: str = "assignments"

    @classmethod
    def at(cls, root: str | os.PathLike) -> "Course":
        root = os.path.abspath(root)
        if not os.path.isfile(os.path.join(root, "nbgrader_config.py")):
            raise UsageError("%s is not a course directory (it has no nbgrader_config.py)" % root)
        return cls(root)

    def source_notebook(self, assignment: str) -> str:
        return os.path.join(self.root, self.source_directory, assignment, assignment + ".ipynb")

    def submitted(self, student: str = "", assignment: str = "") -> str:
        return os.path.join(self.root, "submitted", student, assignment)

    def autograded(self, student: str, assignment: str) -> str:
        return os.path.join(self.root, "autograded", student, assignment)

    def feedback(self) -> str:
        return os.path.join(self.root, "feedback")

    @property
    def gradebook(self) -> str:
        return os.path.join(self.root, "gradebook.db")

    @property
    def db_url(self) -> str:
        return "sqlite:///" + self.gradebook

    @property
    def state(self) -> str:
        """The grader's own folder: the result cache lives here."""
        return os.path.join(self.root, ".autograder")

    def grades(self, assignment: str, extension: str) -> str:
        """Where the grades of `assignment` go: grades/<assignment>.csv and .json."""
        return os.path.join(self.root, "grades", "%s.%s" % (assignment, extension))

    def hidden_paths(self) -> list[str]:
        """What a sandboxed child must not see: the whole course, and the answer key
        wherever this package was installed from."""
        import autograder
        package_parent = os.path.dirname(os.path.dirname(os.path.abspath(autograder.__file__)))
        paths = [self.root]
        if os.path.isdir(os.path.join(package_parent, "solutions")):
            paths.append(package_parent)
        return paths
