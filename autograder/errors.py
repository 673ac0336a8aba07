"""The two kinds of failure a command can end with, besides Ctrl-C.

Every command maps them to its exit code in one place (`commands.main`): a
`UsageError` (the command was asked for something it cannot do: a folder that is not
a course, an unknown student, conflicting options) exits 2; a `GraderFault` (the
grader itself could not finish: an output it cannot write, shards that do not make up
the class, a release that failed its verification) exits 1; Ctrl-C exits 130. What a
student's code does is never either: it is that student's result.
"""


class UsageError(Exception):
    """The command line asks for something that cannot be done; the message says what."""


class GraderFault(Exception):
    """The grader could not finish its job; the message says what to do about it."""
