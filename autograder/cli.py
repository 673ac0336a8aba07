"""`python -m autograder <command>`: the course's command line.

Each command lives in its own module, which provides `configure_parser(parser)` (its
arguments) and `run(args) -> int` (the exit code). Adding a command is one entry in
COMMANDS: its name, its module and a one-line summary. Only the chosen command's module
is imported, so a quick command never pays for a heavy one's imports.
"""
from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = {
    "release": ("autograder.release", "generate the student version of assignments and verify it"),
    "check": ("autograder.selfcheck", "run your notebook and summarise its tests (for students)"),
    "grade": ("autograder.grading", "grade every submission of an assignment, isolated and in parallel"),
    "merge": ("autograder.merge", "combine the shard files of `grade --shard K/N` into the class's grades"),
    "demo": ("autograder.demo", "release, fill in, grade and give feedback on an example class"),
    "bench": ("autograder.bench", "time this grader against nbgrader autograde on the same submissions"),
}


def parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command's name; `command` also gets its arguments."""
    main_parser = argparse.ArgumentParser(prog="python -m autograder",
                                          description="The course's tools for staff and students.")
    commands = main_parser.add_subparsers(dest="command", required=True, metavar="command")
    for name, (module, summary) in COMMANDS.items():
        sub = commands.add_parser(name, help=summary, description=summary)
        if name == command:
            importlib.import_module(module).configure_parser(sub)
    return main_parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    command = argv[0] if argv and argv[0] in COMMANDS else None
    args = parser(command).parse_args(argv)
    return importlib.import_module(COMMANDS[args.command][0]).run(args)
