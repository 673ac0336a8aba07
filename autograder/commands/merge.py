"""`python -m autograder merge <assignment> SHARD_FILE...`: one class from its shards.

Reads the shard files that `grade --shard K/N` wrote on several machines, checks that
they are the whole class of this course, each student graded exactly once and under
the same submission and grader as here, and writes every output `grade` writes (the
gradebook, CSV, JSON, autograded notebooks and the optional ones) as one unsharded
run would, byte for byte. Exit code: 0 when every submission has a result, 1 when a
shard is missing or does not fit (or the grader failed on a submission), 2 on bad usage.
"""
from __future__ import annotations

from ..batch.merge import merge_shards
from ..batch.shards import read_shard_file
from ..course import Course
from ..report import outputs as reports
from . import options


def configure_parser(parser) -> None:
    options.add_assignment(parser)
    parser.add_argument("shard_files", nargs="+", metavar="SHARD_FILE",
                        help="the grades/<assignment>.shard-K-of-N.json files of every shard")
    parser.add_argument("--course", default=".", help="the course directory (default: here)")
    options.add_outputs(parser)


def run(args) -> int:
    course = Course.at(args.course)
    shards = [read_shard_file(path) for path in args.shard_files]
    outputs = options.outputs_of(args)
    jobs, results = merge_shards(course, args.assignment, shards)
    note = reports.prepare(course, args.assignment)
    if note:
        print(note, file=outputs.log)
    written = reports.publish(course, args.assignment, jobs, results, outputs)
    reports.report(outputs, args.assignment, results, written)
    return options.exit_code(results)
