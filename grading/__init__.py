"""Instructor tools: grade every collected submission of a lesson (run as `python3 course.py grade`)."""
