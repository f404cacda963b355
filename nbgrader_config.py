"""nbgrader configuration: solutions/ is the source, lessons/ the release; autograding is hardened."""
import os
import secrets

c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.course_id = "backprop-from-scratch"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "lessons"

# What a learner sees in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Hand-out and collection through a shared folder (a JupyterHub or one shared machine).
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE", "/srv/nbgrader/exchange")

# --- Autograding, hardened against broken or hostile submissions (docs/instructors.md) ---
# No cell of this course needs more than a few seconds; an endless loop must not stall grading.
c.Execute.timeout = 120
# Cells carrying this tag are not run. A learner who tags a test cell to skip it must not get its
# points, so the tag is a fresh secret every time nbgrader starts, never written down anywhere.
c.Execute.skip_cells_with_tag = "skip-" + secrets.token_hex(16)
# Test cells deleted from a submission are put back (edited ones are restored anyway, hidden tests included).
c.OverwriteCells.add_missing_cells = True
c.LimitOutput.max_lines = 1000
# nbgrader's autograde steps, with Execute replaced by one that runs the kernel inside memory/CPU
# limits, caps each cell's output in characters and restores the check functions before each test cell.
c.Autograde.autograde_preprocessors = [
    "grading.execute.HardenedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
# Feedback shows each test cell without its hidden tests, and no output that would reveal them.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "grading.feedback.HideHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
