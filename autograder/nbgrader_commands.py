"""Running nbgrader's own commands on a course, and reading its gradebook back."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import warnings

from .course import Course
from .errors import GraderFault

# nbgrader's own autograde pipeline, as nbgrader 0.9 declares it by default. A comparison
# with "stock nbgrader" sets it explicitly (`pin_stock_autograde`), so that no course
# configuration can make the baseline something else.
_NB = "nbgrader.preprocessors."
STOCK_SANITIZE = [_NB + "ClearOutput", _NB + "DeduplicateIds", _NB + "OverwriteKernelspec",
                  _NB + "OverwriteCells", _NB + "CheckCellMetadata"]
STOCK_AUTOGRADE = [_NB + "Execute", _NB + "IgnorePattern", "nbconvert.preprocessors.ClearMetadataPreprocessor",
                   _NB + "LimitOutput", _NB + "SaveAutoGrades", _NB + "AssignLatePenalties",
                   _NB + "CheckCellMetadata"]


def nbgrader_environment() -> dict:
    """nbgrader runs `alembic` and Jupyter kernels from PATH: make them this Python's.
    TensorFlow stays quiet on stderr (nbgrader scores any stderr in a test cell as 0)."""
    environment = dict(os.environ)
    environment["PATH"] = os.path.dirname(sys.executable) + os.pathsep + environment.get("PATH", "")
    environment.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    environment.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    return environment


def nbgrader(course: Course, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """`nbgrader <args>` in the course directory, output captured."""
    command = [sys.executable, "-m", "nbgrader", *args]
    done = subprocess.run(command, cwd=course.root, env=nbgrader_environment(),
                          capture_output=True, text=True)
    if check and done.returncode != 0:
        raise GraderFault("nbgrader %s failed (exit %d):\n%s" % (
            " ".join(args), done.returncode, (done.stdout + done.stderr)[-3000:]))
    return done


def gradebook_scores(course: Course, assignment: str) -> dict:
    """{student: {grade_id: auto_score}} for `assignment`'s autograded cells, as nbgrader
    recorded them (written answers graded by hand have no auto_score: left out)."""
    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning
    scores = {}
    with warnings.catch_warnings(), Gradebook(course.db_url) as gb:
        warnings.simplefilter("ignore", SAWarning)
        for submission in gb.assignment_submissions(assignment):
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    if grade.cell.cell_type == "markdown":
                        continue
                    scores.setdefault(submission.student_id, {})[grade.name] = grade.auto_score
    return scores


def copy_course(source: Course, folder: str) -> Course:
    """A fresh course in `folder`: the configuration, sources and answer key of `source`."""
    os.makedirs(folder, exist_ok=True)
    shutil.copy(os.path.join(source.root, "nbgrader_config.py"), folder)
    for name in (source.source_directory, "solutions"):
        shutil.copytree(os.path.join(source.root, name), os.path.join(folder, name), dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    return Course.at(folder)


def new_course_copy(source: Course, folder: str, assignments) -> Course:
    """`copy_course`, with `assignments` released by nbgrader."""
    course = copy_course(source, folder)
    for assignment in assignments:
        nbgrader(course, "generate_assignment", assignment, "--force")
    return course


def pin_stock_autograde(course: Course) -> None:
    """Make the course's `nbgrader autograde` run nbgrader's default preprocessors,
    named explicitly in its nbgrader_config.py."""
    with open(os.path.join(course.root, "nbgrader_config.py"), "a", encoding="utf-8") as handle:
        handle.write("\n# The baseline of a comparison: nbgrader's default autograde pipeline.\n"
                     "c.Autograde.sanitize_preprocessors = %r\n"
                     "c.Autograde.autograde_preprocessors = %r\n"
                     % (STOCK_SANITIZE, STOCK_AUTOGRADE))
