"""A released ps1_forward course (with or without an example class), and what a graded
batch left behind, for the batch, attack, fault, CI and Dask tests.

Releasing costs nbgrader's start-up, so each test process releases once, into a
template, and every test copies it.
"""
import csv
import functools
import hashlib
import os
import shutil
import stat
import sys
import warnings

from autograder.authoring import examples
from autograder.course import Course
from autograder.nbgrader_commands import new_course_copy

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ASSIGNMENT = "ps1_forward"
OUTPUTS = ("autograded/", "grades/", ".autograder/", "gradebook.db")
KINDS = ("full", "partial", "blank", "cheater")


@functools.lru_cache(maxsize=None)
def _released(folder: str) -> str:
    return new_course_copy(Course.at(REPO), folder, [ASSIGNMENT]).root


@functools.lru_cache(maxsize=None)
def _with_class(folder: str, released: str) -> str:
    shutil.copytree(released, folder, symlinks=True)
    examples.write_class(folder, ASSIGNMENT, KINDS, copies=2)
    return folder


def _copy(template: str, folder: str) -> Course:
    shutil.copytree(template, folder, dirs_exist_ok=True, symlinks=True)
    return Course.at(folder)


def released_course(tmp_path_factory, name: str, into: str | None = None) -> Course:
    """A fresh copy of a course in which ps1_forward is released and nobody submitted."""
    template = _released(str(tmp_path_factory.getbasetemp() / "released-course"))
    return _copy(template, into or str(tmp_path_factory.mktemp(name)))


def example_class(tmp_path_factory, name: str) -> Course:
    """A fresh copy of the released course with 8 submissions (two of each of KINDS)."""
    base = tmp_path_factory.getbasetemp()
    template = _with_class(str(base / "example-class"), _released(str(base / "released-course")))
    return _copy(template, str(tmp_path_factory.mktemp(name)))


def file_hashes(root: str) -> dict:
    """Every entry under `root`: a file's SHA-256, a link's target, or its kind."""
    found = {}
    for folder, folders, files in os.walk(root):
        for name in files + [f for f in folders if os.path.islink(os.path.join(folder, f))]:
            path = os.path.join(folder, name)
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                found[os.path.relpath(path, root)] = "-> " + os.readlink(path)
            elif stat.S_ISREG(info.st_mode):
                digest = hashlib.sha256()
                with open(path, "rb") as handle:
                    for block in iter(lambda: handle.read(1 << 20), b""):
                        digest.update(block)
                found[os.path.relpath(path, root)] = digest.hexdigest()
            else:
                found[os.path.relpath(path, root)] = "special %o" % stat.S_IFMT(info.st_mode)
    return found


def changed_files(before: dict, after: dict) -> set:
    return {path for path in set(before) | set(after) if before.get(path) != after.get(path)}


def outside_outputs(paths) -> list:
    """The paths a grading run must not have touched."""
    return sorted(path for path in paths if not path.startswith(OUTPUTS))


def csv_students(course: Course) -> list:
    """The student column of grades/<assignment>.csv, in file order (duplicates kept)."""
    with open(course.grades(ASSIGNMENT, "csv"), newline="") as handle:
        return [row["student"] for row in csv.DictReader(handle)]


def gradebook_submissions(course: Course) -> list:
    """The students with a ps1_forward submission in nbgrader's gradebook (duplicates kept)."""
    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning
    with warnings.catch_warnings(), Gradebook(course.db_url) as gb:
        warnings.simplefilter("ignore", SAWarning)
        return [submission.student_id for submission in gb.assignment_submissions(ASSIGNMENT)]


# --- grading as an ordinary user (the suite itself runs as root in CI) -----------------

NOBODY = 65534


def folders_closed_to_others(path: str) -> dict:
    """{folder: [the entries below it on the way to `path`]} for the folders on the way
    to `path` that other users may not enter (e.g. a Python installed under /root)."""
    closed = {}
    parts = os.path.realpath(path).split(os.sep)
    for depth in range(2, len(parts)):
        folder = os.sep.join(parts[:depth])
        if not os.stat(folder).st_mode & stat.S_IXOTH:
            closed.setdefault(folder, []).append(os.sep.join(parts[:depth + 1]))
            break
    return closed


def as_unprivileged(uid: int = NOBODY, reveal: tuple = ()):
    """A `preexec_fn` that makes the child `uid` (its own gid, no supplementary groups).

    The Python installation must be usable by that uid: where it lies in a folder closed
    to others (this package's test machines keep it under /root), the child first gets
    a mount namespace of its own in which that folder is an empty tmpfs holding only the
    installation. Nothing else of the host changes, and nothing it owns is opened to anyone.
    """
    reveal_installation = installation_revealed(reveal)

    def become():
        reveal_installation()
        os.setgid(uid)
        os.setgroups([])
        os.setuid(uid)
    return become


def installation_revealed(reveal: tuple = ()):
    """A function that, as root, gives the calling process a mount namespace of its own
    in which the folders closed to others on the way to the Python installation (and
    to `reveal`) are empty tmpfs holding only what lies on that way (see `as_unprivileged`)."""
    from autograder.sandbox.inside import isolation
    closed = {}
    for path in (sys.executable, sys.base_prefix, sys.prefix) + tuple(reveal):
        for folder, entries in folders_closed_to_others(path).items():
            closed.setdefault(folder, set()).update(entries)

    def reveal_installation():
        if closed:
            isolation._check(isolation._libc.unshare(isolation.CLONE_NEWNS), "unshare")
            isolation._mount(None, "/", None, isolation.MS_REC | isolation.MS_PRIVATE)
            for folder, entries in closed.items():
                fds = {entry: os.open(entry, os.O_PATH) for entry in sorted(entries)}
                isolation._mount("tmpfs", folder, "tmpfs", isolation.MS_NOSUID | isolation.MS_NODEV, "mode=755")
                for entry, fd in fds.items():
                    os.makedirs(entry)
                    isolation._mount("/proc/self/fd/%d" % fd, entry, None, isolation.MS_BIND | isolation.MS_REC)
                    os.close(fd)
    return reveal_installation


def unprivileged_environment(home: str) -> dict:
    """A plain user's environment: this Python's bin on PATH, the checkout on PYTHONPATH,
    the suite's own Python settings (as the grader run as root gets them) and no sandbox
    switch (the grader must find its tier itself)."""
    keep = {key: value for key, value in os.environ.items()
            if key in ("LANG", "LC_ALL", "TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS", "KERAS_BACKEND",
                       "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED")}
    return {**keep, "HOME": home, "PYTHONPATH": REPO,
            "PATH": os.path.dirname(sys.executable) + os.pathsep + "/usr/local/bin:/usr/bin:/bin"}


def give_to(folder: str, uid: int = NOBODY) -> None:
    """chown -R `folder` to `uid` (and the gid of the same number)."""
    for root, folders, files in os.walk(folder):
        for name in [root] + [os.path.join(root, entry) for entry in folders + files]:
            os.lchown(name, uid, uid)


def run_unprivileged(command, uid: int = NOBODY, **kwargs):
    """`command` run as `uid` (see `as_unprivileged`), its output captured."""
    import subprocess
    return subprocess.run(command, preexec_fn=as_unprivileged(uid), capture_output=True, text=True,
                          timeout=1800, **kwargs)


def unprivileged_folder(prefix: str) -> tuple[str, str]:
    """A new folder under /tmp owned by uid 65534 (the suite's own temporary folders are
    closed to others), with a home folder in it: (folder, home)."""
    import tempfile
    folder = tempfile.mkdtemp(prefix=prefix)
    home = os.path.join(folder, "home")
    os.makedirs(home)
    give_to(folder)
    os.chmod(folder, 0o755)
    return folder, home


def why_no_userns_for_nobody(home: str) -> str | None:
    """None if uid 65534 runs this Python and gets the `userns` tier here; else why not."""
    environment = unprivileged_environment(home)
    done = run_unprivileged([sys.executable, "-c", "import autograder, numpy; print(autograder.__file__)"],
                            cwd=home, env=environment)
    if done.returncode != 0 or done.stdout.strip() != os.path.join(REPO, "autograder", "__init__.py"):
        return "uid %d cannot run this Python and package: %s" % (NOBODY, (done.stdout + done.stderr)[-2000:])
    done = run_unprivileged([sys.executable, "-m", "autograder", "sandbox"], cwd=home, env=environment)
    if "sandbox tier: userns" not in done.stdout:
        return "uid %d gets no user-namespace sandbox here:\n%s" % (NOBODY, done.stdout + done.stderr)
    return None


def require_userns_for_nobody(home: str) -> None:
    """Skip where an ordinary user gets no sandbox, but fail in CI (CI=true), which must test it."""
    import pytest
    why = why_no_userns_for_nobody(home)
    if why and os.environ.get("CI", "").lower() == "true":
        pytest.fail(why)
    if why:
        pytest.skip(why)


def require_landlock_for_nobody(home: str) -> dict:
    """The environment in which uid 65534 grades in the forced `landlock` tier; skip
    where it cannot (fail in CI)."""
    import pytest
    environment = {**unprivileged_environment(home), "DLCOURSE_SANDBOX_TIER": "landlock"}
    done = run_unprivileged([sys.executable, "-m", "autograder", "sandbox"], cwd=home, env=environment)
    if "grading here would use the landlock tier" not in done.stdout:
        why = "uid %d gets no landlock sandbox here:\n%s" % (NOBODY, (done.stdout + done.stderr)[-3000:])
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(why)
        pytest.skip(why)
    return environment
