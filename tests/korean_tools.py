"""Shared by the Korean edition's tests: a throw-away course folder whose Korean catalogs are complete.

Translated entries of the real catalogs are used as they are; every entry still empty or fuzzy gets a
placeholder that keeps the English's structure (formulas, code, links, tables, headings) and adds a
Korean sentence, so the whole pipeline (catalog -> Korean instructor notebook -> nbgrader student
notebook -> grading) runs on every lesson before the translators have finished.
"""
import shutil
import subprocess
import sys
from pathlib import Path

from course_tools import LESSON_NAMES, ROOT

KO = ROOT / "locale" / "ko"
PLACEHOLDER = "\n\n(한국어 번역 자리: 이 문단은 시험용 한국어 문장입니다.)"


def fill_placeholders(root):
    """Give every empty or fuzzy entry of root's Korean catalogs a placeholder translation; return the count."""
    import polib

    filled = 0
    for path in sorted((root / "locale" / "ko" / "LC_MESSAGES").glob("*.po")):
        po = polib.pofile(str(path), wrapwidth=0)
        for entry in po:
            if entry.obsolete:
                continue
            if "fuzzy" in entry.flags or not entry.msgstr.strip():
                entry.msgstr = entry.msgid.rstrip("\n") + PLACEHOLDER
                if "fuzzy" in entry.flags:
                    entry.flags.remove("fuzzy")
                entry.previous_msgid = None
                filled += 1
        po.save(str(path))
    return filled


def korean_course(folder, lessons=LESSON_NAMES, generate=True):
    """folder/ as a course: nbgrader_config.py, solutions/ (English) and locale/ko/ with complete catalogs.

    With generate, runs the Korean generation there (locale/ko/solutions and locale/ko/lessons).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", folder / "nbgrader_config.py")
    (folder / "locale" / "ko" / "LC_MESSAGES").mkdir(parents=True, exist_ok=True)
    shutil.copy(KO / "nbgrader_config.py", folder / "locale" / "ko" / "nbgrader_config.py")
    for lesson in lessons:
        shutil.copytree(ROOT / "solutions" / lesson, folder / "solutions" / lesson,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        shutil.copy(KO / "LC_MESSAGES" / f"{lesson}.po", folder / "locale" / "ko" / "LC_MESSAGES" / f"{lesson}.po")
    fill_placeholders(folder)
    if generate:
        generate_korean(folder, lessons)
    return folder


def generate_korean(folder, lessons=()):
    """`python -m translation generate` (what course.py generate --lang ko runs) in folder."""
    proc = subprocess.run([sys.executable, "-m", "translation", "generate", "--lang", "ko", "--root", str(folder),
                           *lessons], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, f"Korean generation failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout
