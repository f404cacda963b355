"""nbgrader configuration of the Korean edition: this folder is a course root of its own.

It reuses the main configuration (../../nbgrader_config.py: the hardened autograding, the stubs, the
exchange) and only changes the course id, so each lesson is one assignment per language:
solutions/ here is the Korean instructor form, lessons/ the Korean student form, both generated.
"""
import os

c = get_config()  # noqa: F821 (provided by nbgrader)
load_subconfig(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "nbgrader_config.py"))  # noqa: F821

c.CourseDirectory.course_id = "backprop-from-scratch-ko"
