"""Shards and merging, on made-up results (the end-to-end runs are in test_ci_grading.py).

A student's shard depends on the id alone, and merge names every student it cannot
account for: missing, graded twice, graded elsewhere, or graded from another
submission than the one it sees.
"""
import json
import os

import pytest

from autograder import results as records
from autograder.batch.jobs import find_submissions
from autograder.batch.merge import MergeError, merge_shards
from autograder.batch.shards import Shard, read_shard_file, shard_number, write_shard_file
from autograder.course import Course
from autograder.errors import UsageError

from course_helpers import course_copy

ASSIGNMENT = "ps1_forward"


def result(student):
    """A made-up result with one failing case, as lossless records carry it."""
    cases = [records.CaseResult("x = 0", True, public=True),
             records.CaseResult("hidden case: %s's" % student, False, "2 of 4 values differ")]
    return records.StudentResult(student, ASSIGNMENT, tests={
        "test_relu": records.TestResult("test_relu", 2.0, cases=cases, title="relu")})


def test_a_shard_is_k_of_n():
    assert Shard.parse("2/4") == Shard(2, 4) and str(Shard(2, 4)) == "2/4"
    for bad in ("0/4", "5/4", "2", "a/b", "1/0"):
        with pytest.raises(ValueError):
            Shard.parse(bad)


def test_a_students_shard_depends_on_the_id_alone():
    # Pinned: changing the hash would move students between shards of a running course.
    assert [shard_number(student, 4) for student in ("alice", "bob", "carol", "dave")] == [4, 3, 3, 4]
    class_of_2 = ["student%03d" % i for i in range(200)]
    before = {student: shard_number(student, 8) for student in class_of_2}
    after = {student: shard_number(student, 8) for student in class_of_2 + ["late1", "late2"] + class_of_2[::-1]}
    assert all(after[student] == shard for student, shard in before.items())
    sizes = [sum(shard == k for shard in before.values()) for k in range(1, 9)]
    assert min(sizes) >= 12 and max(sizes) <= 40, sizes  # 25 each on average
    assert all(sum(Shard(k, 8).contains(s) for k in range(1, 9)) == 1 for s in class_of_2)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course with five submitted folders (merge reads no notebook, only their bytes)."""
    course = Course.at(course_copy(tmp_path_factory.mktemp("merge")))
    for student in ("ann", "ben", "cat", "dan", "eve"):
        folder = course.submitted(student, ASSIGNMENT)
        os.makedirs(folder)
        with open(os.path.join(folder, ASSIGNMENT + ".ipynb"), "w") as handle:
            json.dump({"cells": [], "student": student}, handle)
    return course


def shard_files(course, tmp_path, count, students=None):
    """Shard files as `grade --shard K/N` writes them, of made-up results."""
    jobs = find_submissions(course, ASSIGNMENT, students)
    paths = []
    for index in range(1, count + 1):
        shard = Shard(index, count)
        mine = [job for job in jobs if shard.contains(job.student)]
        paths.append(str(tmp_path / ("%d-of-%d.json" % (index, count))))
        write_shard_file(paths[-1], course, ASSIGNMENT, shard, mine,
                         {job.student: result(job.student) for job in mine})
    return paths


def merged(course, paths):
    return merge_shards(course, ASSIGNMENT, [read_shard_file(path) for path in paths])


def test_merge_gives_the_class_in_order_losslessly(course, tmp_path):
    jobs, results = merged(course, shard_files(course, tmp_path, 3))
    assert list(results) == [job.student for job in jobs] == ["ann", "ben", "cat", "dan", "eve"]
    assert results["cat"].to_record() == result("cat").to_record()


def test_merge_names_missing_and_duplicated_students(course, tmp_path):
    paths = shard_files(course, tmp_path, 2)
    with pytest.raises(MergeError) as missing:
        merged(course, paths[:1])
    lost = sorted(s for s in ("ann", "ben", "cat", "dan", "eve") if shard_number(s, 2) == 2)
    assert "shards missing: 2/2" in str(missing.value)
    assert "submitted but graded by no shard: %s" % ", ".join(lost) in str(missing.value)
    with pytest.raises(MergeError) as twice:
        merged(course, paths + paths[1:])
    assert "shards given more than once: 2/2" in str(twice.value)
    assert "graded by more than one shard: %s (2/2, 2/2)" % lost[0] in str(twice.value)


def test_merge_refuses_shards_that_do_not_fit(course, tmp_path):
    with pytest.raises(MergeError, match="split the class differently"):
        merged(course, shard_files(course, tmp_path / "a", 2) + shard_files(course, tmp_path / "b", 3))
    paths = shard_files(course, tmp_path, 1)
    os.makedirs(course.submitted("fay", ASSIGNMENT))
    try:
        with open(os.path.join(course.submitted("fay", ASSIGNMENT), ASSIGNMENT + ".ipynb"), "w") as handle:
            handle.write("{}")
        with open(os.path.join(course.submitted("ben", ASSIGNMENT), ASSIGNMENT + ".ipynb"), "a") as handle:
            handle.write(" ")  # ben resubmitted after his shard was graded
        with pytest.raises(MergeError) as changed:
            merged(course, paths)
        assert "graded by no shard: fay" in str(changed.value)
        assert "another submission or grader than this course's (regrade their shards): ben" in str(changed.value)
    finally:
        with open(os.path.join(course.submitted("ben", ASSIGNMENT), ASSIGNMENT + ".ipynb"), "w") as handle:
            json.dump({"cells": [], "student": "ben"}, handle)
        os.remove(os.path.join(course.submitted("fay", ASSIGNMENT), ASSIGNMENT + ".ipynb"))
        os.removedirs(course.submitted("fay", ASSIGNMENT))


def test_merge_names_students_graded_elsewhere(course, tmp_path):
    paths = shard_files(course, tmp_path, 1)
    document = json.load(open(paths[0]))
    document["students"]["zed"] = document["students"]["ann"]
    json.dump(document, open(paths[0], "w"))
    with pytest.raises(MergeError, match="graded but not submitted in .*: zed"):
        merged(course, paths)


def test_an_unreadable_shard_file_is_named(tmp_path):
    path = tmp_path / "shard.json"
    path.write_text('{"format": "something else"}')
    with pytest.raises(UsageError, match="cannot read the shard file .*shard.json: not a shard file"):
        read_shard_file(str(path))
