"""nbgrader configuration: solutions/ is the source, lessons/ the release."""
c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.course_id = "backprop-from-scratch"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "lessons"

# What a learner sees in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# No cell of this course needs more than a few seconds; an endless loop must not stall grading.
c.Execute.timeout = 120
