"""Instructor-only reference implementations, one module per assignment.

Imported by the grader's trusted side only; never released to students.
"""
