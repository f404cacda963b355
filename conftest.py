"""Test-suite wiring shared by every test: notebooks under lessons/ are student versions."""
import os
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")  # headless plots, in pytest and in nbval's kernels

ROOT = Path(__file__).resolve().parent


def _is_exercise_cell(item):
    grading = getattr(item, "cell", {}).get("metadata", {}).get("nbgrader", {})
    return grading.get("solution") or grading.get("grade")


def pytest_collection_modifyitems(config, items):
    """In a student notebook only exercise and test cells may raise (NotImplementedError, failed checks).

    solutions/ must run clean, and so must every other cell of lessons/: a demonstration cell that
    crashes before the learner has solved an exercise is a bug of the course.
    """
    for item in items:
        options = getattr(item, "options", None)
        path = Path(str(item.fspath)).resolve()
        if options is not None and (ROOT / "lessons") in path.parents and _is_exercise_cell(item):
            options["check_exception"] = True
