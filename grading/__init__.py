"""Instructor tools: grade every collected submission of a lesson, safely.

    python3 course.py grade LESSON              # autograde, write grades/LESSON.csv, print a summary
    python3 course.py grade LESSON --feedback   # feedback for students, without the hidden tests

The pieces: `run` grades one submission per nbgrader process, `repair` restores what a
submission changed in the test cells, `scan` flags code that tampers with grading,
`execute` and `sandbox` bound what a submission's kernel may do, `guard` restores the
check functions before every test cell, `feedback` keeps hidden tests out of feedback,
`report` writes the CSV and the summary. See docs/instructors.md.
"""
