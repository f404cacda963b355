"""The instructor's workflow against bad submissions: `python3 course.py grade` on a temporary course root.

Two well-behaved students are graded first. Then every bad submission of the matrix is collected
next to them and the whole lesson is graded again: the batch must complete, each bad submission
must get the status and score a fair teacher would give, and the two well-behaved students must
keep exactly their grades. Feedback must not show hidden tests; grading again changes nothing.
The commands run here are the ones docs/instructors.md gives (plus --root and short limits).
"""
import csv
import html
import json
import re
import shlex
import subprocess
import sys

import nbformat
import pytest
from nbgrader.api import Gradebook

from course_tools import (LESSON_NAMES, LESSONS, ROOT, SOLUTIONS, fill_in, grade_id, make_course_root, nbgrader,
                          solution_sources)
from wrong_answers import wrong_answers

pytestmark = pytest.mark.grading

LESSON = "01_chain_rule"
NOTEBOOK = "chain_rule.ipynb"
GUIDE = ROOT / "docs" / "instructors.md"
# The guide's commands, run as written, on the temporary root with limits that keep the matrix fast.
GRADE = f"python3 course.py grade {LESSON}"
REPORT = f"python3 course.py grade {LESSON} --report"
FEEDBACK = f"python3 course.py grade {LESSON} --feedback"
EXPORT = "nbgrader export --to grades.csv"
FAST = ["--timeout", "10", "--memory", "1024"]
FULL = 16  # the autograded points of Lesson 1 (the written answer is graded by hand)
WRONG_MUL = 4  # a wrong multiply node loses test_mul_node and test_fan_out (Exercise 4 is built from it)
# An endless loop that swallows the interrupt: nbgrader gives up on the notebook.
STUBBORN_LOOP = "import time\nwhile True:\n    try:\n        time.sleep(0.2)\n    except KeyboardInterrupt:\n        pass"


def run_guide_command(command, root, *extra):
    """Run a command of the guide as an instructor would, on the course root `root`."""
    as_in_guide = re.sub(r"\b\d\d_[a-z_]+", LESSON, command)  # the guide's example lesson is Lesson 1
    assert as_in_guide in guide_commands(), f"docs/instructors.md does not give the command: {as_in_guide}"
    words = shlex.split(command)
    if words[0] == "python3":
        args = [sys.executable, str(ROOT / words[1]), *words[2:], "--root", str(root), *extra]
        proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=1200)
    else:
        proc = nbgrader(root, *words[1:])
    assert proc.returncode == 0, f"{command} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def guide_commands():
    """Every line of the guide's code blocks, comments removed."""
    blocks = re.findall(r"```[a-z]*\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)
    return {line.split("  #")[0].strip() for block in blocks for line in block.splitlines()}


# --- building submissions ---------------------------------------------------------------

def cell(nb, gid):
    return next(c for c in nb.cells if grade_id(c) == gid)


def append_to(nb, gid, code):
    cell(nb, gid).source += "\n" + code
    return nb


def build_matrix(student, solved, source):
    """student id -> a notebook (or raw text, or None for a folder without the notebook), and what to expect."""
    wrong_mul = next(iter(wrong_answers(LESSON)["ex_mul_node"].values()))
    solutions = solution_sources(source)
    with_wrong_mul = lambda: fill_in(student, {**solutions, "ex_mul_node": wrong_mul})  # noqa: E731

    deleted = fill_in(student, solutions)
    deleted.cells.remove(cell(deleted, "test_mul_node"))
    edited = with_wrong_mul()
    cell(edited, "test_mul_node").source = '"""Check the multiply node."""\nprint("all good")'
    tagged = with_wrong_mul()
    cell(tagged, "test_mul_node").metadata["tags"] = ["skip-execution"]
    flipped = with_wrong_mul()
    cell(flipped, "test_mul_node").metadata["nbgrader"].update(grade=False, locked=False, points=0)
    patched = append_to(with_wrong_mul(), "ex_mul_node",
                        "import helpers.checks\nassert_close = check_gradient = lambda *args, **kwargs: None\n"
                        "helpers.checks.assert_close = assert_close")  # without the guard: full marks
    importing = fill_in(student, solutions)
    importing.cells[1].source = "import torch\n" + importing.cells[1].source
    endless = fill_in(student, {**solutions, "ex_mul_node": solutions["ex_mul_node"].replace(
        "def mul_backward(dout, cache):", "def mul_backward(dout, cache):\n    while True:\n        pass")})
    text = nbformat.writes(solved)
    # student: (submission, expected status, expected autograded score, text the reason must hold)
    return {
        "correct": (solved, "ok", FULL, ""),
        "blank": (student, "ok", 0, ""),
        "endless-loop": (endless, "timed_out", FULL - WRONG_MUL, "test_mul_node ran over"),
        "sys-exit": (append_to(fill_in(student, solutions), "ex_add_node", "import sys\nsys.exit('bye')"),
                     "ok", FULL, ""),
        "os-exit": (append_to(fill_in(student, solutions), "ex_mul_node", "import os\nos._exit(3)"),
                    "kernel_died", 0, "ex_mul_node"),
        "many-lines": (append_to(fill_in(student, solutions), "ex_add_node",
                                 "for i in range(200_000):\n    print(i)"), "ok", FULL, ""),
        "huge-line": (append_to(fill_in(student, solutions), "ex_add_node", "print('x' * 50_000_000)"),
                      "ok", FULL, ""),
        "deleted-test": (deleted, "ok", FULL, ""),
        "edited-test": (edited, "ok", FULL - WRONG_MUL, ""),
        "skip-tag": (tagged, "ok", FULL - WRONG_MUL, ""),
        "flipped-metadata": (flipped, "tampered_metadata", FULL - WRONG_MUL, "restored"),
        "invalid-json": (text[: len(text) // 2], "invalid_notebook", 0, "not valid JSON"),
        "missing-notebook": (None, "missing_notebook", 0, f"no {NOTEBOOK}"),
        "renamed": (("chain_rule-Copy1.ipynb", solved), "ok", FULL, ""),
        "import-error": (importing, "ok", 0, "No module named 'torch'"),
        "monkey-patch": (patched, "ok", FULL - WRONG_MUL, ""),
        "memory-hog": (append_to(fill_in(student, solutions), "ex_add_node",
                                 "hog = [bytearray(10**8) for _ in range(1000)]"), "ok", FULL, "out of memory"),
        "history-peek": (append_to(fill_in(student, solutions), "ex_gradient_step", "print(In)"), "ok", FULL, ""),
        "stubborn-loop": (append_to(fill_in(student, solutions), "ex_mul_node", STUBBORN_LOOP),
                          "timed_out", 0, "did not stop when interrupted"),
    }


def submit(root, sid, submission):
    folder = root / "submitted" / sid / LESSON
    folder.mkdir(parents=True)
    name, content = submission if isinstance(submission, tuple) else (NOTEBOOK, submission)
    if content is None:
        (folder / "notes.txt").write_text("I forgot to save the notebook.\n")
    elif isinstance(content, str):
        (folder / name).write_text(content)
    else:
        nbformat.write(content, folder / name)


def read_csv(root):
    with open(root / "grades" / f"{LESSON}.csv", newline="") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def gradebook_grades(root):
    """student -> {cell: (auto_score, manual_score)} straight from the gradebook."""
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        return {sub.student.id: {g.name: (g.auto_score, g.manual_score) for nb in sub.notebooks for g in nb.grades}
                for sub in gb.find_assignment(LESSON).submissions}


# --- the matrix ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course root graded twice: two well-behaved students alone, then with the whole matrix."""
    root = make_course_root(tmp_path_factory.mktemp("course"), [LESSON])
    source = nbformat.read(SOLUTIONS / LESSON / NOTEBOOK, as_version=4)
    student = nbformat.read(LESSONS / LESSON / NOTEBOOK, as_version=4)
    solved = fill_in(student, solution_sources(source))
    wrong_mul = next(iter(wrong_answers(LESSON)["ex_mul_node"].values()))
    submit(root, "well-behaved-a", solved)
    submit(root, "well-behaved-b", fill_in(student, {**solution_sources(source), "ex_mul_node": wrong_mul}))
    run_guide_command(GRADE, root, *FAST)
    before = gradebook_grades(root)

    matrix = build_matrix(student, solved, source)
    for sid, (submission, *_) in matrix.items():
        submit(root, sid, submission)
    output = run_guide_command(GRADE, root, *FAST)
    return {"root": root, "matrix": matrix, "before": before, "output": output, "source": source}


def test_well_behaved_students_keep_their_grades(course):
    after = gradebook_grades(course["root"])
    for sid, grades in course["before"].items():
        assert after[sid] == grades, f"grading the bad submissions changed {sid}'s grades"
    rows = read_csv(course["root"])
    assert (rows["well-behaved-a"]["status"], rows["well-behaved-a"]["score"]) == ("ok", str(FULL))
    assert (rows["well-behaved-b"]["status"], rows["well-behaved-b"]["score"]) == ("ok", str(FULL - WRONG_MUL))


@pytest.mark.parametrize("sid", [
    "correct", "blank", "endless-loop", "sys-exit", "os-exit", "many-lines", "huge-line", "deleted-test",
    "edited-test", "skip-tag", "flipped-metadata", "invalid-json", "missing-notebook", "renamed",
    "import-error", "monkey-patch", "memory-hog", "history-peek", "stubborn-loop"])
def test_bad_submission_gets_a_fair_grade(course, sid):
    _, status, score, reason = course["matrix"][sid]
    row = read_csv(course["root"])[sid]
    assert row["status"] == status, f"{sid}: status {row['status']} ({row['reason']}), expected {status}"
    assert float(row["score"]) == score, f"{sid}: score {row['score']}, expected {score} ({row['reason']})"
    assert reason in row["reason"], f"{sid}: the reason {row['reason']!r} should mention {reason!r}"
    assert sid in gradebook_grades(course["root"]), f"{sid} has no submission in the gradebook"


def test_every_student_is_in_the_csv_and_the_summary(course):
    rows = read_csv(course["root"])
    assert set(rows) == set(course["matrix"]) | {"well-behaved-a", "well-behaved-b"}
    out = course["output"]
    assert "21 students:" in out and "kernel_died 1" in out and "invalid_notebook 1" in out
    assert "mean score" in out and "most often failed: test_mul_node" in out
    header = next(csv.reader(open(course["root"] / "grades" / f"{LESSON}.csv")))
    for column in ["student", "status", "score", "max_score", "test_add_node", "test_mul_node",
                   "written_chain_rule", "needs_manual_grading", "reason", "repairs", "flags"]:
        assert column in header


def test_repairs_and_flags_are_reported(course):
    rows = read_csv(course["root"])
    assert "test_mul_node was deleted: put back" in rows["deleted-test"]["repairs"]
    assert "test_mul_node was edited" in rows["edited-test"]["repairs"]
    assert "tagged 'skip-execution'" in rows["skip-tag"]["repairs"]
    assert "metadata of test_mul_node changed" in rows["flipped-metadata"]["repairs"]
    assert "renamed" in rows["renamed"]["repairs"]
    assert "rebinds the check function `assert_close`" in rows["monkey-patch"]["flags"]
    assert "rebinds the check function `check_gradient`" in rows["monkey-patch"]["flags"]
    assert "helpers.checks.assert_close" in rows["monkey-patch"]["flags"]
    assert "os._exit" in rows["os-exit"]["flags"]
    assert "input/output history `In`" in rows["history-peek"]["flags"]
    assert "catches KeyboardInterrupt" in rows["stubborn-loop"]["flags"]
    for sid in ["correct", "blank", "many-lines", "well-behaved-a"]:
        assert not rows[sid]["flags"] and not rows[sid]["repairs"], f"{sid} should have nothing to review"


def test_output_is_bounded_in_lines_and_characters(course):
    for sid in ["many-lines", "huge-line"]:
        path = course["root"] / "autograded" / sid / LESSON / NOTEBOOK
        assert path.stat().st_size < 2_000_000, f"{sid}: the graded notebook holds {path.stat().st_size} bytes"
        assert "truncated" in path.read_text()


def test_submitted_files_are_left_alone(course):
    folder = course["root"] / "submitted"
    assert sorted(p.name for p in (folder / "renamed" / LESSON).iterdir()) == ["chain_rule-Copy1.ipynb"]
    assert "skip-execution" in (folder / "skip-tag" / LESSON / NOTEBOOK).read_text()


def test_grading_again_changes_nothing(course):
    root = course["root"]
    rows, grades = read_csv(root), gradebook_grades(root)
    run_guide_command(GRADE, root, *FAST, "--student", "correct", "--student", "os-exit", "--student", "skip-tag")
    assert read_csv(root) == rows
    assert gradebook_grades(root) == grades
    run_guide_command(REPORT, root)
    assert read_csv(root) == rows


def test_feedback_never_shows_hidden_tests(course):
    """Feedback for every graded student, one of whom prints the input history after the tests ran."""
    root = course["root"]
    run_guide_command(FEEDBACK, root)
    pages = list((root / "feedback").glob(f"*/{LESSON}/*.html"))
    assert len(pages) >= 10
    hidden = hidden_lines(course["source"])
    assert len(hidden) > 20, "Lesson 1 has hidden tests to look for"
    for page in pages:
        shown = [line for line in hidden if line in letters_and_digits(page_text(page))]
        assert not shown, f"{page} shows hidden test lines: {shown[:3]}"
    assert "hidden tests ran here" in page_text(root / "feedback" / "correct" / LESSON / "chain_rule.html")
    assert "[output removed" in page_text(root / "feedback" / "history-peek" / LESSON / "chain_rule.html")


def page_text(page):
    """What a browser shows of an HTML page (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))


def letters_and_digits(text):
    """Text reduced to letters and digits, so quoting, escaping and highlighting cannot hide a match."""
    return re.sub(r"[^0-9A-Za-z]", "", text)


def hidden_lines(source):
    """Lines of the hidden tests that appear nowhere else in the lesson (solutions included)."""
    hidden, elsewhere = [], []
    for c in source.cells:
        inside = False
        for line in c.source.split("\n"):
            if "### BEGIN HIDDEN TESTS" in line:
                inside = True
            elif "### END HIDDEN TESTS" in line:
                inside = False
            (hidden if inside else elsewhere).append(letters_and_digits(line))
    seen = "\n".join(elsewhere)
    return [line for line in hidden if len(line) > 15 and line not in seen]


def test_nbgrader_export_still_works(course):
    run_guide_command(EXPORT, course["root"])
    with open(course["root"] / "grades.csv", newline="") as f:
        exported = {row["student_id"]: row for row in csv.DictReader(f)}
    assert float(exported["correct"]["raw_score"]) == FULL and float(exported["os-exit"]["raw_score"]) == 0


def test_skip_tag_is_a_fresh_secret():
    """nbgrader_config.py never holds the skip tag in clear: each load makes a new one."""
    from traitlets.config.loader import PyFileConfigLoader

    def load():
        return PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()

    first, second = load(), load()
    tag = first.Execute.skip_cells_with_tag
    assert tag != second.Execute.skip_cells_with_tag and tag != "skip-execution" and len(tag) >= 20
    assert tag not in (ROOT / "nbgrader_config.py").read_text()


def test_record_holds_every_status(course):
    record = json.loads((course["root"] / "grades" / f"{LESSON}.json").read_text())
    assert record["os-exit"]["status"] == "kernel_died" and record["correct"]["status"] == "ok"


@pytest.mark.parametrize("lesson", [name for name in LESSON_NAMES if name != LESSON])
def test_every_other_lesson_grades_cleanly(lesson, tmp_path):
    """A correct submission of each lesson: status ok, every autograded point, nothing repaired or flagged."""
    root = make_course_root(tmp_path, [lesson])
    (source_path,) = (SOLUTIONS / lesson).glob("*.ipynb")
    source = nbformat.read(source_path, as_version=4)
    student = nbformat.read(LESSONS / lesson / source_path.name, as_version=4)
    folder = root / "submitted" / "correct" / lesson
    folder.mkdir(parents=True)
    nbformat.write(fill_in(student, solution_sources(source)), folder / source_path.name)
    run_guide_command(GRADE.replace(LESSON, lesson), root, "--timeout", "60")
    with open(root / "grades" / f"{lesson}.csv", newline="") as f:
        (row,) = csv.DictReader(f)
    tests = [grade_id(c) for c in source.cells
             if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"].get("solution")]
    assert row["status"] == "ok", row["reason"]
    assert not row["repairs"] and not row["flags"], f"{lesson}: {row['repairs']} {row['flags']}"
    for cell_id in tests:
        points = next(c.metadata["nbgrader"]["points"] for c in source.cells if grade_id(c) == cell_id)
        assert float(row[cell_id]) == points, f"{lesson}: {cell_id} scored {row[cell_id]} of {points}"
