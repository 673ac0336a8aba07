"""The CI workflows: well formed, and their grading steps work as written.

Each workflow's `run:` steps (all but installing) are executed on a course copy with
an example class, as the runner would run them (bash -eo pipefail, the workflow's
environment), with `sudo` standing for itself (the tests run as root) and the
artifact download done by a copy. The outputs they publish are checked against
their formats and for anything hidden, and the sharded workflow must reproduce the
grades of one unsharded run byte for byte.
"""
import glob
import json
import os
import re
import shutil
import subprocess

import numpy as np
import pytest
import yaml

from autograder import checks
from autograder.checks import reference
from autograder.batch.jobs import find_submissions
from autograder.batch.run import grade_jobs
from autograder.checks.cases import MISSING
from autograder.checks.compare import fmt
from autograder.batch.warm_workers import WarmWorkers
from autograder.nbgrader_commands import gradebook_scores
from autograder.report.grades import grades_csv, grades_json

from grading_helpers import ASSIGNMENT, REPO, example_class
from format_checks import check_gradescope, check_junit, junit_scores

WORKFLOWS = os.path.join(REPO, ".github", "workflows")
EXPRESSION = re.compile(r"\$\{\{.*?\}\}")
LIST_ASSIGNMENTS = "python -m autograder assignments"
SUDO = "#!/bin/sh\n# sudo, where the tests already run as root: drop its options.\n" \
       "while [ \"${1#-}\" != \"$1\" ]; do shift; done\nexec \"$@\"\n"


def load(name):
    with open(os.path.join(WORKFLOWS, name)) as handle:
        return yaml.safe_load(handle)


def text_of(name):
    with open(os.path.join(WORKFLOWS, name)) as handle:
        return handle.read()


def triggers(workflow):
    return workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true


def steps_using(job, action):
    return [step for step in job["steps"] if step.get("uses", "").startswith(action + "@")]


def assignment_steps(job):
    """The job's steps that work on the assignments (the input, or every one submitted)."""
    return [step for step in job["steps"] if "$ASSIGNMENT" in step.get("run", "")]


def shell_environment(workflow, job_name, tmp_path, values):
    """The environment the job's `run:` steps see; `values` stand for its ${{ }} expressions."""
    job = workflow["jobs"][job_name]
    environment = {**workflow.get("env", {}), **job.get("env", {})}
    for name, value in environment.items():
        if EXPRESSION.search(str(value)):
            environment[name] = values[name]
    shim = tmp_path / "bin"
    shim.mkdir(exist_ok=True)
    (shim / "sudo").write_text(SUDO)
    (shim / "sudo").chmod(0o755)
    return {**os.environ, **{k: str(v) for k, v in environment.items()},
            "PATH": "%s:%s" % (shim, os.environ["PATH"]), "GITHUB_STEP_SUMMARY": str(tmp_path / "step-summary.md")}


def run_step(step, folder, env):
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                          cwd=folder, env=env, capture_output=True, text=True)


def run_job(workflow, job_name, course, tmp_path, values):
    """Run the job's shell steps in `course`; `values` stand for its ${{ }} expressions."""
    env = shell_environment(workflow, job_name, tmp_path, values)
    for step in workflow["jobs"][job_name]["steps"]:
        if "run" in step and "pip install" not in step["run"]:
            done = run_step(step, course.root, env)
            assert done.returncode == 0, "%s failed:\n%s" % (step.get("name"), (done.stdout + done.stderr)[-4000:])
    summary = tmp_path / "step-summary.md"
    return summary.read_text() if summary.exists() else ""


def uploaded(job, course):
    """Every file the job's upload-artifact steps publish."""
    found = set()
    for step in steps_using(job, "actions/upload-artifact"):
        for pattern in step["with"]["path"].split():
            target = os.path.join(course.root, pattern)
            found.update(glob.glob(os.path.join(target, "**", "*"), recursive=True) if pattern.endswith("/")
                         else glob.glob(target))
    return {path for path in found if os.path.isfile(path)}


# --- the files ------------------------------------------------------------------------------

def test_the_workflows_are_well_formed():
    for name in ("grade.yml", "grade-sharded.yml"):
        workflow = load(name)
        assignment = triggers(workflow)["workflow_dispatch"]["inputs"]["assignment"]
        # A free input, checked against the package's list by the steps: a new
        # assignment needs no edit of the workflows, so they name none.
        assert assignment["type"] == "string" and assignment["required"] is False and "options" not in assignment
        assert LIST_ASSIGNMENTS in assignment["description"]
        assert not [a for a in checks.names() if a in text_of(name)], "the assignments come from the package"
        for job in workflow["jobs"].values():
            install = [step.get("run") for step in job["steps"]].index("pip install -r requirements.txt")
            [looping] = assignment_steps(job)
            assert LIST_ASSIGNMENTS in looping["run"] and job["steps"].index(looping) > install
            assert all(LIST_ASSIGNMENTS not in step.get("run", "") for step in job["steps"] if step is not looping)
        assert workflow["permissions"] == {"contents": "read"}
        for job in workflow["jobs"].values():
            [setup] = steps_using(job, "actions/setup-python")
            assert setup["with"]["cache"] == "pip" and setup["with"]["cache-dependency-path"] == "requirements.txt"
            assert any(step.get("run") == "pip install -r requirements.txt" for step in job["steps"])
            for step in job["steps"]:
                assert not EXPRESSION.search(step.get("run", "")), "expressions go through env: " + step["run"]
                assert re.fullmatch(r"[\w./-]+@v\d+", step.get("uses", "a@v1")), step["uses"]
            for step in steps_using(job, "actions/upload-artifact"):
                assert step["if"] == "${{ !cancelled() }}", "publish what there is, even after a grader error"
    assert triggers(load("grade.yml"))["push"]["paths"] == ["submitted/**"]
    sharded = load("grade-sharded.yml")
    shards = sharded["jobs"]["shard"]["strategy"]["matrix"]["shard"]
    assert shards == list(range(1, len(shards) + 1)) and len(shards) > 1
    assert sharded["jobs"]["shard"]["env"] == {"SHARD": "${{ matrix.shard }}", "SHARDS": "${{ strategy.job-total }}"}
    merge = sharded["jobs"]["merge"]
    assert merge["needs"] == "shard" and merge["if"] == "${{ !cancelled() }}"
    [download] = steps_using(merge, "actions/download-artifact")
    [upload] = steps_using(sharded["jobs"]["shard"], "actions/upload-artifact")
    assert upload["with"]["name"] == "shard-${{ matrix.shard }}" and download["with"]["pattern"] == "shard-*"
    assert download["with"]["merge-multiple"] is True


def test_the_workflows_refuse_an_assignment_the_package_does_not_have(tmp_path):
    """Each step that works on the assignments fails, saying why, before grading anything:
    for an assignment that is not the package's, and for a push with no submissions."""
    names = " ".join(checks.names())
    (tmp_path / "submitted" / "someone" / "ps0_unknown").mkdir(parents=True)  # not the package's: ignored
    for name in ("grade.yml", "grade-sharded.yml"):
        workflow = load(name)
        for job_name, job in workflow["jobs"].items():
            values = {"ASSIGNMENT": None, "SHARD": 1, "SHARDS": 2}
            for given, message in (("ps0_unknown", "::error::Unknown assignment ps0_unknown: it must be one of "
                                    + names), ("", "::error::No submissions: ")):
                values["ASSIGNMENT"] = given
                env = shell_environment(workflow, job_name, tmp_path, values)
                [step] = assignment_steps(job)
                done = run_step(step, tmp_path, env)
                assert done.returncode == 1 and message in done.stdout, (name, job_name, given, done)
    assert sorted(os.listdir(tmp_path)) == ["bin", "submitted"]  # nothing graded, nothing written


# --- grade.yml -------------------------------------------------------------------------------

@pytest.mark.slow
def test_the_grade_workflow_publishes_valid_outputs_that_reveal_nothing_hidden(tmp_path_factory):
    """grade.yml's job after a push of the example class (so with no assignment input)."""
    course = example_class(tmp_path_factory, "unsharded")
    workflow = load("grade.yml")
    summary = run_job(workflow, "grade", course, tmp_path_factory.mktemp("grade-job"), {"ASSIGNMENT": ""})
    students = json.load(open(course.grades(ASSIGNMENT, "json")))["students"]
    assert sorted(students) == sorted(os.listdir(course.submitted()))
    assert {s: r["score"] for s, r in students.items() if s.endswith("000")} == \
        {"full-000": 10, "partial-000": 8.8, "blank-000": 0, "cheater-000": 8}
    assert "### ps1\\_forward: 8 submissions" in summary
    assert "| full-000 | graded | 1 | 1 | 2 | 2 | 3 | 1 | 10 / 10 |" in summary
    published = uploaded(workflow["jobs"]["grade"], course)
    check_published(course, students, published)
    check_junit_and_gradescope(course, students)
    check_nothing_hidden(course, published)


def check_published(course, students, published):
    """Grades, JUnit, Gradescope results and feedback are all in the artifacts."""
    expected = [course.grades(ASSIGNMENT, "csv"), course.grades(ASSIGNMENT, "json"),
                os.path.join(course.root, "grades", ASSIGNMENT + ".junit.xml")]
    expected += [os.path.join(course.root, "grades", "gradescope", ASSIGNMENT, s, "results.json") for s in students]
    expected += [os.path.join(course.feedback(), s, ASSIGNMENT, ASSIGNMENT + ".html") for s in students]
    assert set(expected) <= published, sorted(set(expected) - published)
    feedback = open(os.path.join(course.feedback(), "partial-000", ASSIGNMENT, ASSIGNMENT + ".html")).read()
    assert "Score: 0.8 / 2.0" in feedback and "init_layers: 6 of 15 cases passed (0.8 of 2 points)" in feedback


def check_junit_and_gradescope(course, students):
    """Both validate, and say what the grades say."""
    with open(os.path.join(course.root, "grades", ASSIGNMENT + ".junit.xml")) as handle:
        scores = junit_scores(check_junit(handle.read()))
    assert set(scores) == {(s, g) for s, r in students.items() for g in r["tests"]}
    for student, graded in students.items():
        with open(os.path.join(course.root, "grades", "gradescope", ASSIGNMENT, student, "results.json")) as handle:
            gradescope = json.load(handle)
        check_gradescope(gradescope)
        assert gradescope["score"] == graded["score"]
        for (grade_id, test), entry in zip(graded["tests"].items(), gradescope["tests"]):
            assert grade_id in entry["name"] and entry["score"] == test["score"] and entry["output"] == test["message"]
            assert float(scores[(student, grade_id)]["score"]) == test["score"]


def hidden_values(course) -> set:
    """The expected values of ps1's hidden cases, as messages would print them, where
    they are specific enough to recognise (and not shown to students anyway)."""
    answers = reference.load(ASSIGNMENT, course.root)
    with open(os.path.join(course.root, "release", ASSIGNMENT, ASSIGNMENT + ".ipynb")) as handle:
        released = handle.read()
    shown = set()
    values = set()
    for test in checks.tests_for(ASSIGNMENT):
        for case in (case for case in test.cases() if not case.raises):
            numbers = all_numbers(test.expected(answers, case))
            for number in numbers[np.isfinite(numbers)]:
                forms = {fmt(number), ("%.6f" % number).rstrip("0")}
                (shown if case.public or case.expected is not MISSING else values).update(
                    form for form in forms if len(re.sub(r"^[-0.]+|\.", "", form)) >= 5)
    return {value for value in values - shown if value not in released}


def all_numbers(value) -> np.ndarray:
    """Every number of an expected value, flattened: an array, or a list of (W, b) pairs."""
    if isinstance(value, (list, tuple)) and any(isinstance(item, (list, tuple, np.ndarray)) for item in value):
        parts = [all_numbers(item) for item in value]
        return np.concatenate(parts) if parts else np.zeros(0)
    return np.asarray(value, dtype=float).ravel()


def check_nothing_hidden(course, published):
    """No published file holds hidden test code or a hidden case's expected value."""
    secrets = hidden_values(course)
    assert len(secrets) > 50
    for path in published:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        assert "include_hidden" not in text and "HIDDEN TESTS" not in text, path
        leaked = [secret for secret in secrets if secret in text]
        assert not leaked, (path, leaked[:5])
    assert "hidden case:" in open(course.grades(ASSIGNMENT, "json")).read()  # the messages were there to check


# --- grade-sharded.yml --------------------------------------------------------------------------

@pytest.mark.slow
def test_the_sharded_workflow_gives_the_grades_of_one_unsharded_run(tmp_path_factory):
    course = example_class(tmp_path_factory, "sharded")
    unsharded = grade_jobs(course, ASSIGNMENT, find_submissions(course, ASSIGNMENT), workers=2, force=True)
    WarmWorkers.of_this_process().close()
    shutil.rmtree(os.path.join(course.state, "cache"))
    workflow = load("grade-sharded.yml")
    count = len(workflow["jobs"]["shard"]["strategy"]["matrix"]["shard"])
    for shard in range(1, count + 1):
        run_job(workflow, "shard", course, tmp_path_factory.mktemp("shard"),
                {"ASSIGNMENT": ASSIGNMENT, "SHARD": shard, "SHARDS": count})
    download = steps_using(workflow["jobs"]["merge"], "actions/download-artifact")[0]["with"]["path"]
    os.makedirs(os.path.join(course.root, download))
    for path in uploaded(workflow["jobs"]["shard"], course):
        shutil.move(path, os.path.join(course.root, download))
    assert len(os.listdir(os.path.join(course.root, download))) == count
    summary = run_job(workflow, "merge", course, tmp_path_factory.mktemp("merge"), {"ASSIGNMENT": ASSIGNMENT})

    grade_ids = [test.grade_id for test in checks.tests_for(ASSIGNMENT)]
    assert open(course.grades(ASSIGNMENT, "csv")).read() == grades_csv(unsharded, grade_ids)
    assert open(course.grades(ASSIGNMENT, "json")).read() == grades_json(ASSIGNMENT, unsharded)
    assert gradebook_scores(course, ASSIGNMENT) == {
        student: {g: test.score for g, test in result.tests.items()} for student, result in unsharded.items()}
    published = uploaded(workflow["jobs"]["merge"], course)
    assert {os.path.join(course.feedback(), s, ASSIGNMENT, ASSIGNMENT + ".html") for s in unsharded} <= published
    check_junit(open(os.path.join(course.root, "grades", ASSIGNMENT + ".junit.xml")).read())
    assert "8 submissions" in summary
