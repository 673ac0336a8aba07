"""Adding an assignment is adding files only.

A new assignment, `ps5_copy` (a copy of ps1_forward under another name), is made of
three new files and nothing else: its source notebook, its reference solution and its
checks module. With them, the package lists it, releases it, writes an example class
for it and grades that class, without one line of the package or the course edited.

The checks module has to go into the `autograder` package, so the test works on a
private copy of the package (other tests run in parallel and fingerprint the real one)
and runs every command in a subprocess that imports that copy.

Why PYTHONPATH is enough to make the copy win over the editable install: setuptools'
editable install is `__editable__.dl_course_autograder-0.1.0.pth` in the venv's
site-packages, which calls `__editable___dl_course_autograder_0_1_0_finder.install()`,
and that *appends* its `_EditableFinder` (MAPPING {'autograder': '/work/main/autograder'})
to `sys.meta_path`, after the standard `PathFinder`. `PathFinder` searches `sys.path`,
where PYTHONPATH entries come before site-packages, so `import autograder` finds the
copy and the editable finder is never consulted. The one thing that would still beat
PYTHONPATH is the working directory, which `python -m` and `python -c` put first on
`sys.path`: every command here runs in the course copy, which has no `autograder/`
(never in the repository root). The test checks which package wins before relying on it.
"""
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from autograder import checks
from course_helpers import course_copy
from grading_helpers import changed_files, file_hashes

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEMPLATE = "ps1_forward"
NEW = "ps5_copy"
NEW_FILES = {"package": {os.path.join("checks", NEW + ".py")},
             "course": {os.path.join("assignments", NEW, NEW + ".ipynb"), os.path.join("solutions", NEW + ".py")}}
COMMAND_TIMEOUT = 900  # seconds: a stuck command fails the test instead of hanging the suite


def without_caches(hashes: dict) -> dict:
    """File hashes without byte-code and notebook checkpoints (never part of a copy)."""
    return {path: digest for path, digest in hashes.items()
            if not {"__pycache__", ".ipynb_checkpoints"} & set(path.split(os.sep))}


def course_hashes(root: str) -> dict:
    """The course files a course copy holds: configuration, source notebooks, solutions."""
    found = {"nbgrader_config.py": file_hashes_of_file(os.path.join(root, "nbgrader_config.py"))}
    for folder in ("assignments", "solutions"):
        found.update({os.path.join(folder, path): digest
                      for path, digest in file_hashes(os.path.join(root, folder)).items()})
    return without_caches(found)


def file_hashes_of_file(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def subprocess_environment(package_parent: str) -> dict:
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [package_parent, environment.get("PYTHONPATH")]))
    # nbgrader runs `alembic` and kernels from PATH (conftest already does this for the tests' own process).
    environment["PATH"] = os.path.dirname(sys.executable) + os.pathsep + environment.get("PATH", "")
    # Set by nbgrader_config.py whenever some test loads it in-process: it would point
    # the hidden tests at another course's solutions/.
    environment.pop("DLCOURSE_ROOT", None)
    return environment


def python(*args, cwd, env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=COMMAND_TIMEOUT)


def output(done: subprocess.CompletedProcess) -> str:
    return "exit %d\n--- stdout\n%s\n--- stderr\n%s" % (done.returncode, done.stdout[-3000:], done.stderr[-3000:])


def add_assignment(package: str, course: str) -> None:
    """The three files of ps5_copy, each a copy of ps1_forward's under the new name."""
    with open(os.path.join(course, "assignments", TEMPLATE, TEMPLATE + ".ipynb"), encoding="utf-8") as handle:
        notebook = json.load(handle)
    old, new = 'Tests("%s", globals())' % TEMPLATE, 'Tests("%s", globals())' % NEW
    setup = [cell for cell in notebook["cells"] if old in "".join(cell["source"])]
    assert len(setup) == 1, "expected exactly one setup cell with %s in %s's notebook" % (old, TEMPLATE)
    setup[0]["source"] = "".join(setup[0]["source"]).replace(old, new)
    os.makedirs(os.path.join(course, "assignments", NEW))
    with open(os.path.join(course, "assignments", NEW, NEW + ".ipynb"), "w", encoding="utf-8") as handle:
        json.dump(notebook, handle, indent=1, ensure_ascii=False)
        handle.write("\n")

    shutil.copyfile(os.path.join(course, "solutions", TEMPLATE + ".py"), os.path.join(course, "solutions", NEW + ".py"))

    with open(os.path.join(package, "checks", TEMPLATE + ".py"), encoding="utf-8") as handle:
        checks_source = handle.read()
    checks_source, replaced = re.subn(r'(ASSIGNMENT\s*=\s*Assignment\(\s*)"%s"' % TEMPLATE, r'\1"%s"' % NEW,
                                      checks_source)
    assert replaced == 1, "checks/%s.py does not end with ASSIGNMENT = Assignment(\"%s\", ...)" % (TEMPLATE, TEMPLATE)
    with open(os.path.join(package, "checks", NEW + ".py"), "w", encoding="utf-8") as handle:
        handle.write(checks_source)


@pytest.mark.slow
def test_adding_an_assignment_is_adding_files_only(tmp_path):
    assert NEW not in checks.names(), "the repository already has an assignment %r" % NEW
    others = checks.names()

    # 1. A private copy of the package, and proof that subprocesses import it: PYTHONPATH
    # beats the editable install's finder, which setuptools appends after PathFinder (see
    # the module docstring); only the working directory could shadow it, and it is the course copy.
    package_parent = str(tmp_path / "pkg")
    package = os.path.join(package_parent, "autograder")
    original_package = without_caches(file_hashes(os.path.join(REPO, "autograder")))
    shutil.copytree(os.path.join(REPO, "autograder"), package,
                    ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    env = subprocess_environment(package_parent)

    # 2. A course copy; then the new assignment, as new files only.
    course = str(tmp_path / "course")
    original_course = course_hashes(REPO)
    course_copy(course)
    assert not os.path.exists(os.path.join(course, "autograder")), "the course copy would shadow the package copy"

    done = python("-c", "import autograder, autograder.checks; print(autograder.__file__)", cwd=course, env=env)
    assert done.returncode == 0, output(done)
    assert done.stdout.strip() == os.path.join(package, "__init__.py"), (
        "with PYTHONPATH=%s the subprocess imported %s, not the package copy" % (package_parent, done.stdout.strip()))

    add_assignment(package, course)
    package_changes = changed_files(original_package, without_caches(file_hashes(package)))
    course_changes = changed_files(original_course, course_hashes(course))
    assert package_changes == NEW_FILES["package"], (
        "the package copy differs from autograder/ in other files than the new one: %s" % sorted(package_changes))
    assert course_changes == NEW_FILES["course"], (
        "the course copy differs from the course in other files than the new ones: %s" % sorted(course_changes))

    # 3. The package lists it, releases it, writes its example class and grades it.
    done = python("-m", "autograder", "assignments", cwd=course, env=env)
    assert done.returncode == 0, output(done)
    assert done.stdout.split() == sorted({*others, NEW}), (
        "`python -m autograder assignments` does not list %s among %s:\n%s" % (NEW, others, output(done)))

    done = python("-m", "autograder", "release", NEW, "--course", course, cwd=course, env=env)
    assert done.returncode == 0, "release %s failed:\n%s" % (NEW, output(done))
    assert os.path.isfile(os.path.join(course, "release", NEW, NEW + ".ipynb"))

    done = python("-c", "import sys\nfrom autograder.authoring import examples\n"
                        "print(examples.__file__)\nprint(' '.join(examples.write_class(sys.argv[1], sys.argv[2])))",
                  course, NEW, cwd=course, env=env)
    assert done.returncode == 0, "writing the example class of %s failed:\n%s" % (NEW, output(done))
    examples_file, students = done.stdout.splitlines()
    assert examples_file.startswith(package + os.sep), examples_file
    assert students.split() == ["full", "partial", "blank", "cheater", "hanger"]

    done = python("-m", "autograder", "grade", NEW, "--course", course, "--timeout", "3", cwd=course, env=env)
    assert done.returncode == 0, "grade %s failed:\n%s" % (NEW, output(done))
    with open(os.path.join(course, "grades", NEW + ".json"), encoding="utf-8") as handle:
        document = json.load(handle)
    assert document["assignment"] == NEW
    students = document["students"]
    assert set(students) == {"full", "partial", "blank", "cheater", "hanger"}
    summary = {name: (result["status"], result["score"], result["message"]) for name, result in students.items()}
    assert students["full"]["score"] == students["full"]["max_score"] == 10, summary
    assert students["full"]["status"] == "graded", summary
    assert students["blank"]["score"] == 0, summary
    assert 0 < students["partial"]["score"] < 10, summary
    assert students["hanger"]["status"] in ("timeout", "graded"), summary
    assert students["cheater"]["score"] < 10, summary
