"""Grading a class: jobs, the result cache, warm workers, where jobs run (a local pool
or a Dask cluster), shards and their merge, and progress.

`grade.grade(GradeOptions)` is what `python -m autograder grade` does; `run.grade_jobs`
is the core every caller shares: cached results reused, the rest graded in parallel,
each submission by `submission.grade_submission` in its own sandboxed child.
"""
