"""The Korean edition end to end: generated exactly as committed, code identical to the English, graded alike.

The pipeline runs on every lesson in a throw-away course folder whose catalogs are complete (entries
not yet translated get a placeholder, see korean_tools.py), so it is checked before the translators finish.
"""
import csv
import shutil
import subprocess
import sys

import nbformat
import pytest

from course_tools import LESSON_NAMES, LESSONS, ROOT, SOLUTIONS, ensure_bwrap, fill_in, nbgrader, solution_sources
from korean_tools import KO, generate_korean, korean_course
from test_translation import compare_with_english
from wrong_answers import wrong_answers


def files(base):
    skip = {".ipynb_checkpoints", "__pycache__"}
    return sorted(p.relative_to(base) for p in base.rglob("*") if p.is_file() and not skip & set(p.parts))


def test_committed_korean_edition_is_what_generation_gives(tmp_path):
    """locale/ko/solutions and locale/ko/lessons are exactly what the real catalogs generate (nothing stale,
    nothing edited by hand); lessons whose catalog is incomplete must have nothing committed."""
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path / "nbgrader_config.py")
    shutil.copytree(SOLUTIONS, tmp_path / "solutions")
    (tmp_path / "locale" / "ko").mkdir(parents=True)
    shutil.copy(KO / "nbgrader_config.py", tmp_path / "locale" / "ko" / "nbgrader_config.py")
    shutil.copytree(KO / "LC_MESSAGES", tmp_path / "locale" / "ko" / "LC_MESSAGES")
    generate_korean(tmp_path)
    for form in ("solutions", "lessons"):
        made, committed = tmp_path / "locale" / "ko" / form, KO / form
        got = files(made) if made.exists() else []
        have = files(committed) if committed.exists() else []
        assert got == have, (f"locale/ko/{form} holds {[str(p) for p in have]} but generation gives "
                             f"{[str(p) for p in got]}: run python3 course.py generate --lang ko")
        for rel in got:
            assert (made / rel).read_bytes() == (committed / rel).read_bytes(), (
                f"locale/ko/{form}/{rel} differs from what generation gives: run python3 course.py generate --lang ko")


@pytest.fixture(scope="module")
def korean(tmp_path_factory):
    """Every lesson generated in Korean (placeholders where the catalogs are still empty)."""
    return korean_course(tmp_path_factory.mktemp("korean"))


def test_every_lesson_is_generated_with_the_english_code(korean):
    ko = korean / "locale" / "ko"
    found = []
    for form, english in (("solutions", SOLUTIONS), ("lessons", LESSONS)):
        made = sorted(p.relative_to(ko / form) for p in (ko / form).glob("*/*.ipynb"))
        expected = sorted(p.relative_to(english) for p in english.glob("*/*.ipynb"))
        assert made == expected, f"locale/ko/{form}: {made} against {expected}"
        for rel in made:
            found += [f"{form}/{rel}: {p}" for p in compare_with_english(ko / form / rel, english / rel)]
    assert not found, "\n".join(found)
    markdown = [c for c in nbformat.read(next((ko / "lessons").glob("01_*/*.ipynb")), as_version=4).cells
                if c.cell_type == "markdown"]
    assert any("한국어" in c.source for c in markdown), "the student notebook's markdown is not the Korean"


def test_an_incomplete_lesson_is_skipped_not_half_built(korean, tmp_path):
    root = korean_course(tmp_path, LESSON_NAMES[:1], generate=False)
    po = root / "locale" / "ko" / "LC_MESSAGES" / f"{LESSON_NAMES[0]}.po"
    import polib

    catalog = polib.pofile(str(po), wrapwidth=0)
    catalog[0].msgstr = ""
    catalog.save(str(po))
    out = generate_korean(root)
    assert f"skipped ko/{LESSON_NAMES[0]}" in out and catalog[0].msgctxt in out, out
    assert not (root / "locale" / "ko" / "solutions" / LESSON_NAMES[0]).exists()
    assert not (root / "locale" / "ko" / "lessons" / LESSON_NAMES[0]).exists()


@pytest.mark.grading
def test_korean_grading_round_trip(korean):
    """`course.py grade` on the Korean course root, every lesson: the Korean solution gets full marks with
    status ok and nothing repaired or flagged, the blank Korean student notebook 0, a known-wrong answer loses
    its exercise's points; each kernel gets COURSE_LANG=ko from the submission's metadata. Three submissions
    per lesson, to keep it short. This is also the test that the grader grades every lesson (not only
    Lesson 1, whose matrix test_instructor_workflow.py runs) cleanly: the code cells are the English ones,
    byte for byte."""
    ensure_bwrap()
    course = korean / "locale" / "ko"
    probe = nbformat.v4.new_code_cell("import os\nprint('COURSE_LANG=' + os.environ.get('COURSE_LANG', ''))")
    points, wrong = {}, {}
    for lesson in LESSON_NAMES:
        (path,) = (course / "lessons" / lesson).glob("*.ipynb")
        student = nbformat.read(path, as_version=4)
        source = nbformat.read(course / "solutions" / lesson / path.name, as_version=4)
        points[lesson] = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"] for c in source.cells
                          if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")}
        answers = solution_sources(source)
        solved = fill_in(student, answers)
        solved.cells.append(probe)
        exercise, known = next(iter(wrong_answers(lesson).items()))
        label, code = next(iter(known.items()))
        wrong[lesson] = ("test_" + exercise.removeprefix("ex_"), label)
        for sid, nb in {"solution": solved, "blank": student, "wrong": fill_in(student, {**answers, exercise: code})}.items():
            folder = course / "submitted" / sid / lesson
            folder.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, folder / path.name)
    # every lesson registered in the Korean gradebook by one nbgrader run (grade would start one per lesson)
    nbgrader(course, "generate_assignment", "*", "--force", f"--CourseDirectory.release_directory={korean / 'release'}")
    # what `course.py grade LESSON --lang ko` runs, for every lesson in one process (one start-up)
    driver = ("import sys\nfrom grading.__main__ import main\n"
              "sys.exit(max(main([lesson, '--root', sys.argv[1]]) for lesson in sys.argv[2:]))")
    proc = subprocess.run([sys.executable, "-c", driver, str(course), *LESSON_NAMES], cwd=course,
                          capture_output=True, text=True, timeout=3600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    problems = []
    for lesson in LESSON_NAMES:
        with open(course / "grades" / f"{lesson}.csv", newline="") as f:
            rows = {row["student"]: row for row in csv.DictReader(f)}

        def auto(sid):
            return {cell: float(rows[sid][cell] or 0) for cell in points[lesson]}

        if auto("solution") != {cell: float(p) for cell, p in points[lesson].items()}:
            problems.append(f"{lesson}: the Korean solution scores {auto('solution')} of {points[lesson]} "
                            f"({rows['solution']['status']}: {rows['solution']['reason']})")
        solution = rows["solution"]
        if (solution["status"], solution["repairs"], solution["flags"]) != ("ok", "", ""):
            problems.append(f"{lesson}: the solution is not graded cleanly: status {solution['status']} "
                            f"({solution['reason']}), repairs {solution['repairs']!r}, flags {solution['flags']!r}")
        if sum(auto("blank").values()):
            problems.append(f"{lesson}: the blank Korean notebook scores {auto('blank')}")
        cell, label = wrong[lesson]
        if auto("wrong")[cell] >= points[lesson][cell]:
            problems.append(f"{lesson}: the known-wrong answer '{label}' kept the points of {cell}")
        (graded,) = (course / "autograded" / "solution" / lesson).glob("*.ipynb")
        said = "".join(o.get("text", "") for o in nbformat.read(graded, as_version=4).cells[-1].get("outputs", []))
        if "COURSE_LANG=ko" not in said:
            problems.append(f"{lesson}: the grading kernel's COURSE_LANG was not ko: {said!r}")
    assert not problems, "\n".join(problems)
