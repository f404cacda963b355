"""lessons/ is generated from solutions/ and never drifts from it."""
import subprocess
import sys

import nbformat
import pytest

from course_tools import LESSON_NAMES, LESSONS, ROOT, SOLUTIONS


def test_every_lesson_is_generated(tmp_path):
    """`course.py generate` reproduces lessons/ exactly, file for file."""
    release = tmp_path / "lessons"
    subprocess.run([sys.executable, str(ROOT / "course.py"), "generate", "--release", str(release)],
                   check=True, capture_output=True, text=True)
    generated = sorted(p.relative_to(release) for p in release.rglob("*") if p.is_file())
    committed = sorted(p.relative_to(LESSONS) for p in LESSONS.rglob("*")
                       if p.is_file() and ".ipynb_checkpoints" not in p.parts)
    assert generated == committed, "lessons/ and solutions/ hold different files: run python3 course.py generate"
    for rel in generated:
        assert (release / rel).read_bytes() == (LESSONS / rel).read_bytes(), (
            f"lessons/{rel} differs from what solutions/ generates: run python3 course.py generate "
            "(lessons/ is never edited by hand)")


@pytest.mark.parametrize("lesson", LESSON_NAMES)
def test_student_notebook_hides_solutions(lesson):
    for path in (LESSONS / lesson).glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            assert "BEGIN SOLUTION" not in cell.source and "BEGIN HIDDEN TESTS" not in cell.source, path
            assert not cell.get("outputs"), f"{path} ships with outputs"


@pytest.mark.parametrize("lesson", LESSON_NAMES)
def test_source_cells_are_well_formed(lesson):
    """Every solution cell uses the markers (else nbgrader drops its signature) and ids are unique."""
    for path in (SOLUTIONS / lesson).glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        ids = []
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader")
            if not meta:
                assert "### BEGIN SOLUTION" not in cell.source, f"{path}: solution markers in a non-solution cell"
                continue
            ids.append(meta["grade_id"])
            if meta.get("solution") and cell.cell_type == "code":
                assert "### BEGIN SOLUTION" in cell.source, f"{path}: {meta['grade_id']} lacks the markers"
            if meta.get("grade") and not meta.get("solution"):
                assert meta.get("locked"), f"{path}: test cell {meta['grade_id']} must be locked"
                assert cell.source.lstrip().startswith('"""'), f"{path}: {meta['grade_id']} should open with a docstring"
        assert len(ids) == len(set(ids)), f"{path}: duplicate grade_ids"
