"""The Korean catalogs: complete, in step with the English, and faithful to its formulas, code, links and tables.

Fast checks (no kernel, no nbgrader). The Korean notebooks themselves are checked in test_korean.py.
"""
import subprocess
import sys
import warnings

import nbformat
import polib
import pytest

from course_tools import LESSON_NAMES, LESSONS, ROOT, SOLUTIONS
from korean_tools import KO, korean_course

import translation
from translation.structure import differences


@pytest.mark.parametrize("lesson", LESSON_NAMES)
def test_every_catalog_is_complete(lesson):
    """No untranslated and no fuzzy entry: the failure names the lesson and each cell to (re)translate."""
    missing = translation.problems("ko", lesson)
    assert not missing, (f"the Korean catalog of {lesson} is not complete ({len(missing)} cells; "
                         f"python3 course.py translations --check):\n" + "\n".join(missing))


@pytest.mark.parametrize("lesson", LESSON_NAMES)
def test_translated_entries_keep_the_english_structure(lesson):
    """Same LaTeX formulas, code spans and blocks, link targets, table rows, heading levels and markers."""
    found = translation.structure_problems("ko", lesson)
    assert not found, f"translations of {lesson} that differ from their English:\n" + "\n".join(found)


ENGLISH = "## Softmax\n\nThe gradient is $y - t$, see `softmax(z)` and [Lesson 4](../04/x.ipynb).\n\n| a | b |\n|---|---|\n| 1 | 2 |"
GOOD = "## 소프트맥스\n\n그래디언트는 $y - t$ 입니다. `softmax(z)`와 [4강](../04/x.ipynb)을 보세요.\n\n| 가 | 나 |\n|---|---|\n| 1 | 2 |"


@pytest.mark.parametrize("broken, reported", [
    (GOOD.replace("$y - t$", "$y + t$"), "LaTeX formulas missing: 'y - t'"),
    (GOOD.replace("`softmax(z)`", "softmax(z)"), "code spans missing: 'softmax(z)'"),
    (GOOD.replace("../04/x.ipynb", "../05/x.ipynb"), "link targets missing: '../04/x.ipynb'"),
    (GOOD.replace("| 1 | 2 |", "| 1 | 2 |\n| 3 | 4 |"), "table rows: 2 in the English, 3 in the translation"),
    (GOOD.replace("## 소프트맥스", "# 소프트맥스"), "heading levels: [2] in the English, [1] in the translation"),
])
def test_the_structure_check_catches_each_kind_of_change(broken, reported):
    assert differences(ENGLISH, GOOD) == []
    assert reported in differences(ENGLISH, broken)


def test_a_changed_english_cell_makes_its_entry_fuzzy_and_the_check_fail(tmp_path):
    """Edit one English markdown cell in a copy: `translations --check` fails naming lesson and cell, the
    entry is fuzzy with the old English kept for the translator, and no Korean notebook is built from it."""
    lesson = LESSON_NAMES[0]
    root = korean_course(tmp_path, [lesson], generate=False)
    status = [sys.executable, "-m", "translation", "status", "--check", "--root", str(root), lesson]
    assert subprocess.run(status, cwd=ROOT, capture_output=True).returncode == 0, "a complete catalog must pass"

    (path,) = (root / "solutions" / lesson).glob("*.ipynb")
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "markdown" and c.source.strip())
    old = cell.source
    cell.source += "\n\nA sentence added to the English."
    nbformat.write(nb, path)

    proc = subprocess.run(status, cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"{lesson}: fuzzy" in proc.stderr and cell.id in proc.stderr, proc.stderr
    assert "1 made fuzzy" in proc.stdout, proc.stdout
    po = polib.pofile(str(translation.catalog_path("ko", lesson, root)))
    entry = next(e for e in po if e.msgctxt == cell.id)
    assert "fuzzy" in entry.flags and entry.previous_msgid == old and entry.msgid == cell.source
    with pytest.raises(ValueError, match=cell.id):
        translation.translate_notebook(nb, "ko", lesson, root)


def code_cells(nb):
    return [(c.id, c.source, c.metadata.get("nbgrader")) for c in nb.cells if c.cell_type == "code"]


def compare_with_english(korean_path, english_path):
    """Problems of a Korean notebook against its English: code cells, ids, grading metadata, language tag."""
    ko, en = nbformat.read(korean_path, as_version=4), nbformat.read(english_path, as_version=4)
    found = []
    if [(c.id, c.cell_type) for c in ko.cells] != [(c.id, c.cell_type) for c in en.cells]:
        found.append("the cells (ids, kinds, order) differ from the English")
    for (cid, source, meta), (_, english, english_meta) in zip(code_cells(ko), code_cells(en)):
        if source != english or meta != english_meta:
            found.append(f"code cell {cid} differs from the English")
    for k, e in zip(ko.cells, en.cells):
        if k.cell_type == "markdown" and k.metadata.get("nbgrader") != e.metadata.get("nbgrader"):
            found.append(f"markdown cell {k.id}: its nbgrader metadata differs")
    if ko.metadata.get("course", {}).get("lang") != "ko":
        found.append("the notebook's metadata lacks course.lang = ko")
    return found


def korean_notebooks(base):
    return sorted(p.relative_to(base) for p in base.glob("*/*/*.ipynb") if ".ipynb_checkpoints" not in p.parts)


@pytest.mark.parametrize("form, english", [("solutions", SOLUTIONS), ("lessons", LESSONS)])
def test_committed_korean_code_cells_are_the_english_ones(form, english):
    """Every committed Korean notebook: code cells (source and grading metadata) byte-identical to the English."""
    found = []
    for path in sorted((KO / form).glob("*/*.ipynb")):
        rel = path.relative_to(KO / form)
        found += [f"locale/ko/{form}/{rel}: {p}" for p in compare_with_english(path, english / rel)]
    assert not found, "\n".join(found)


def test_figure_words_stay_english_without_a_korean_font(monkeypatch):
    """No font with Hangul installed: a Korean notebook's figures keep their English words (never boxes)."""
    from helpers import fonts

    monkeypatch.setenv("COURSE_LANG", "ko")
    monkeypatch.setattr(fonts, "korean_font", lambda mono=False: None)
    assert not fonts.korean()
    assert fonts.figure_text("weight") == "weight"
    monkeypatch.undo()
    monkeypatch.setenv("COURSE_LANG", "ko")
    if fonts.korean_font() is None:
        pytest.skip("no font with Hangul installed (fonts-noto-cjk)")
    assert fonts.korean()


@pytest.mark.parametrize("argv, expected", [
    (["grade", "01_chain_rule", "--lang", "ko"], ["01_chain_rule", "--root", str(KO)]),
    (["grade", "--lang=ko", "01_chain_rule", "--feedback"], ["01_chain_rule", "--feedback", "--root", str(KO)]),
    (["grade", "01_chain_rule", "--lang", "en"], ["01_chain_rule"]),
    (["grade", "01_chain_rule"], ["01_chain_rule"]),
])
def test_grade_lang_picks_the_course_root(monkeypatch, argv, expected):
    """`course.py grade LESSON --lang ko` grades the Korean course root, locale/ko/."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("course_cli", ROOT / "course.py")
    course = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(course)
    calls = []
    monkeypatch.setattr(course, "ensure_env", lambda *a, **k: None)
    monkeypatch.setattr(course, "run_in_env", lambda *args, **kw: calls.append(list(args)) or 0)
    monkeypatch.setattr(sys, "argv", ["course.py", *argv])
    with pytest.raises(SystemExit) as stop:
        course.main()
    assert stop.value.code == 0 and calls == [["-m", "grading", *expected]]
