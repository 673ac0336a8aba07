"""ps4_keras's hostile, broken and alternative submissions, graded in one `grade` run.

The class is the honest student, every submission of `attacks_ps4.ATTACKS` and of
`attacks_ps4.ALTERNATIVES`. The command must finish with exit code 0 and no
`grader_error`: each attack earns nothing in the tests it attacks (or only the cases
it does not touch) and keeps its other points; each alternative earns full marks.
"""
import json

import pytest

from autograder.authoring import examples
from autograder.batch.warm_workers import WarmWorkers
from autograder.course import Course
from autograder.nbgrader_commands import new_course_copy

from attacks_ps4 import ALTERNATIVES, ASSIGNMENT, ATTACKS, POINTS
from course_helpers import autograder_command
from grading_helpers import REPO

pytestmark = pytest.mark.slow  # a class graded end to end; over 10 s

CLASS = ATTACKS + ALTERNATIVES


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = new_course_copy(Course.at(REPO), str(tmp_path_factory.mktemp("ps4-attacked")), [ASSIGNMENT])
    with open("%s/assignments/%s/%s.ipynb" % (course.root, ASSIGNMENT, ASSIGNMENT)) as handle:
        answers = examples.solution_cells(json.load(handle))
    released = examples.released_notebook(course.root, ASSIGNMENT)
    examples.write_submission(course.root, ASSIGNMENT, "honest", examples.filled(released, answers))
    for submission in CLASS:
        notebook = examples.filled(released, {**answers, **submission.cells})
        examples.write_submission(course.root, ASSIGNMENT, submission.name, notebook)
    done = autograder_command("grade", ASSIGNMENT, "--course", course.root, "--json", "-", cwd=course.root)
    WarmWorkers.of_this_process().close()
    return done, json.loads(done.stdout or "{}")


def test_the_class_is_graded_with_exit_code_0_and_no_grader_error(graded):
    done, document = graded
    assert done.returncode == 0, done.stderr[-5000:]
    assert {result["status"] for result in document["students"].values()} == {"graded"}
    assert document["students"]["honest"]["score"] == sum(POINTS.values())


@pytest.mark.parametrize("submission", CLASS, ids=[submission.name for submission in CLASS])
def test_each_submission_earns_exactly_its_honest_points(graded, submission):
    tests = graded[1]["students"][submission.name]["tests"]
    earned = {grade_id: test["score"] for grade_id, test in tests.items()}
    expected = {grade_id: 0 if grade_id in submission.lost else submission.earns.get(grade_id, points)
                for grade_id, points in POINTS.items()}
    assert earned == pytest.approx(expected, abs=1e-4), {grade_id: tests[grade_id]["message"][:600] for grade_id in tests}
