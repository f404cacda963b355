"""nbgrader's configuration for everyone on the hub: copy to /etc/jupyter/nbgrader_config.py.

Students' Jupyter reads it (the Assignments tab fetches and submits through it); the instructor's course
folder has its own nbgrader_config.py (the repository's), which names the same course and exchange.
"""
import os

c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.course_id = "backprop-from-scratch"
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE", "/srv/nbgrader/exchange")
