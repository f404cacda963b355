"""Test-suite wiring shared by every test: notebooks under lessons/ are student versions."""
import os
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")  # headless plots, in pytest and in nbval's kernels

ROOT = Path(__file__).resolve().parent
STUDENT_FOLDERS = (ROOT / "lessons", ROOT / "locale" / "ko" / "lessons")
KOREAN = ROOT / "locale" / "ko"
# In a Korean notebook's kernel: the helpers speak Korean, and a figure drawing Hangul with a font that
# lacks it (matplotlib's "Glyph ... missing from font(s)" warning) is an error, so the cell fails.
KOREAN_KERNEL = {"COURSE_LANG": "ko", "PYTHONWARNINGS": "error:Glyph:UserWarning"}


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
        if options is not None and any(folder in path.parents for folder in STUDENT_FOLDERS) \
                and _is_exercise_cell(item):
            options["check_exception"] = True


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """nbval starts a notebook's kernel when its first cell is set up: a Korean notebook's kernel gets
    KOREAN_KERNEL in its environment, every other kernel the environment without it."""
    if getattr(item, "options", None) is None or not str(item.fspath).endswith(".ipynb"):
        return
    korean = KOREAN in Path(str(item.fspath)).resolve().parents
    for name, value in KOREAN_KERNEL.items():
        if korean:
            os.environ[name] = value
        elif os.environ.get(name) == value:
            del os.environ[name]
