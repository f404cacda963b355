"""Instructor tools: grade every collected submission of a lesson, safely.

    python3 course.py grade LESSON              # autograde, write grades/LESSON.csv, print a summary
    python3 course.py grade LESSON --feedback   # feedback for students, without the hidden tests

The pieces: `run` grades one submission per nbgrader process, `repair` restores what a
submission changed in the test cells, `scan` flags code that tampers with grading,
`execute` runs each kernel in the sandbox of `sandbox` (bubblewrap) and keeps only the
verdicts of test cells, `kernel` starts it with `guard` installed first (the tests' tools
kept intact, tampering reported), `feedback` keeps hidden tests out of feedback,
`report` writes the CSV and the summary. See docs/instructors.md.
"""
