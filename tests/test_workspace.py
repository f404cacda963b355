"""The learner's work is never lost: start/sync copies only what is missing, reset keeps a backup."""
import shutil
import subprocess
import sys

import pytest

from course_tools import ROOT


@pytest.fixture
def course(tmp_path):
    """A copy of course.py and lessons/ (so the test can play 'a new version was pulled')."""
    shutil.copy(ROOT / "course.py", tmp_path / "course.py")
    shutil.copytree(ROOT / "lessons", tmp_path / "lessons")
    return tmp_path


def run(course, *args):
    proc = subprocess.run([sys.executable, str(course / "course.py"), *args], cwd=course,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_sync_copies_lessons_then_never_overwrites(course):
    run(course, "sync")
    notebooks = sorted((course / "lessons").rglob("*.ipynb"))
    assert notebooks, "no lessons to copy"
    first = course / "work" / notebooks[0].relative_to(course / "lessons")
    assert first.read_bytes() == notebooks[0].read_bytes()

    first.write_text("my own work")                      # the learner edits ...
    notebooks[0].write_text('{"a new": "version"}')      # ... and a new course version arrives
    out = run(course, "sync")
    assert first.read_text() == "my own work"
    assert "newer version" in out and "reset" in out


def test_sync_adds_new_lessons_only(course):
    run(course, "sync")
    extra = course / "lessons" / "99_new" / "new.ipynb"
    extra.parent.mkdir()
    extra.write_text("{}")
    run(course, "sync")
    assert (course / "work" / "99_new" / "new.ipynb").read_text() == "{}"


def test_reset_moves_the_learners_copy_aside(course):
    run(course, "sync")
    lesson = sorted(p.name for p in (course / "lessons").iterdir())[0]
    (nb,) = (course / "work" / lesson).glob("*.ipynb")
    nb.write_text("my own work")
    run(course, "reset", lesson)
    backups = list((course / "work" / lesson).glob("*.backup-*.ipynb"))
    assert [b.read_text() for b in backups] == ["my own work"]
    assert nb.read_bytes() == (course / "lessons" / lesson / nb.name).read_bytes()


def test_reset_of_an_unknown_lesson_fails_clearly(course):
    proc = subprocess.run([sys.executable, str(course / "course.py"), "reset", "no_such_lesson"],
                          capture_output=True, text=True)
    assert proc.returncode != 0 and "no lesson named" in proc.stderr

