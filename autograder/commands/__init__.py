"""`python -m autograder <command>`: the course's command line.

Each command is a module here with `configure_parser(parser)` (its arguments) and
`run(args) -> int`, which turns the arguments into the library's typed options, calls
the library and returns the exit code. Nothing in the library imports this package.
Failures map to exit codes in one place, `main`: a `UsageError` exits 2, a
`GraderFault` 1, Ctrl-C 130. Only the chosen command's module is imported, so a quick
command never pays for a heavy one's imports.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from ..errors import GraderFault, UsageError

COMMANDS = {
    "release": "generate the student version of assignments and verify it",
    "check": "run your notebook and summarise its tests (for students)",
    "grade": "grade every submission of an assignment, isolated and in parallel",
    "merge": "combine the shard files of `grade --shard K/N` into the class's grades",
    "demo": "release, fill in, grade and give feedback on an example class",
    "bench": "time this grader against nbgrader autograde on the same submissions",
    "assignments": "list the assignments this package grades, one per line",
    "sandbox": "say which sandbox tier this host gives student code, and how to get a better one",
}


def parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command's name; `command` also gets its arguments."""
    main_parser = argparse.ArgumentParser(prog="python -m autograder",
                                          description="The course's tools for staff and students.")
    commands = main_parser.add_subparsers(dest="command", required=True, metavar="command")
    for name, summary in COMMANDS.items():
        sub = commands.add_parser(name, help=summary, description=summary)
        if name == command:
            _module(name).configure_parser(sub)
    return main_parser


def _module(command: str):
    return importlib.import_module("%s.%s" % (__name__, command))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    command = argv[0] if argv and argv[0] in COMMANDS else None
    args = parser(command).parse_args(argv)
    try:
        return _module(args.command).run(args)
    except UsageError as error:
        print("error: %s" % error, file=sys.stderr)
        return 2
    except GraderFault as error:
        print("error: %s" % error, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted: finished results are kept; run the same command to finish the job",
              file=sys.stderr)
        return 130
