"""The course's grading engine: checks, a sandboxed runner and the batch grader."""

__version__ = "0.1.0"
