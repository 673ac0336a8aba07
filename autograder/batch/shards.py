"""Split a class into N shards that separate machines grade, and carry their results.

A student's shard is decided by a hash of the student's id alone, so it is the same
on every machine and in every run, and adding or removing a student never moves
anyone else. A shard file holds each result losslessly (every case and message) with
the cache key it was graded under (the submission's bytes and everything that
decides its grade), so `merge` can tell whether the shards graded what it sees.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from ..course import Course
from ..errors import UsageError
from ..files import write_atomically
from ..results import StudentResult
from .cache import cache_key, grading_fingerprint

FORMAT = "dlcourse-shard/1"


@dataclass(frozen=True)
class Shard:
    """Shard `index` of `count`, counted from 1 (as `--shard 2/4` says)."""
    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> "Shard":
        """'K/N' with 1 <= K <= N; an argparse `type`."""
        try:
            index, count = (int(part) for part in text.split("/"))
        except ValueError:
            raise ValueError("a shard is K/N, e.g. 2/4 (got %r)" % text) from None
        if not 1 <= index <= count:
            raise ValueError("a shard K/N needs 1 <= K <= N (got %r)" % text)
        return cls(index, count)

    def __str__(self) -> str:
        return "%d/%d" % (self.index, self.count)

    def contains(self, student: str) -> bool:
        return shard_number(student, self.count) == self.index

    def path(self, course: Course, assignment: str) -> str:
        """grades/<assignment>.shard-K-of-N.json"""
        return course.grades(assignment, "shard-%d-of-%d.json" % (self.index, self.count))


def shard_number(student: str, count: int) -> int:
    """The shard (1..count) of `student`: a stable hash, not the student's place in a list."""
    digest = hashlib.sha256(student.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


@dataclass
class ShardFile:
    """What one shard graded: {student: (cache key, result)}."""
    assignment: str
    shard: Shard
    graded: dict


def write_shard_file(path: str, course: Course, assignment: str, shard: Shard, jobs, results) -> None:
    fingerprint = grading_fingerprint(course, assignment)
    document = {
        "format": FORMAT,
        "assignment": assignment,
        "shard": str(shard),
        "students": {job.student: {"key": cache_key(job, fingerprint),
                                   "result": results[job.student].to_record()} for job in jobs},
    }
    write_atomically(path, json.dumps(document, indent=1) + "\n")


def read_shard_file(path: str) -> ShardFile:
    """A shard file, or a UsageError saying what is wrong with it."""
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
        if document.get("format") != FORMAT:
            raise ValueError("not a shard file (format %r)" % document.get("format"))
        graded = {student: (entry["key"], StudentResult.from_record(entry["result"]))
                  for student, entry in document["students"].items()}
        return ShardFile(document["assignment"], Shard.parse(document["shard"]), graded)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise UsageError("cannot read the shard file %s: %s" % (path, error)) from None
