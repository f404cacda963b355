"""The instructor's workflow against bad submissions: `python3 course.py grade` on a temporary course root.

Two well-behaved students are graded first. Then every bad submission of the matrix is collected
next to them and the whole lesson is graded again, in one run: the batch must complete, each bad
submission must get the status and score a fair teacher would give (or, for tampering, be flagged),
and the two well-behaved students must keep exactly their grades. The hostile part of the matrix
(ATTACKS) tries what a student who wants grades they did not earn would try; after the batch the
course's files must be byte-identical, no process of the run may be left, and no feedback page may
show a hidden test, plain or base64-encoded. Grading again changes nothing.
The commands run here are the ones docs/instructors.md gives (plus --root and short limits).
"""
import base64
import binascii
import csv
import hashlib
import html
import json
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from course_tools import (LESSONS, ROOT, SOLUTIONS, ensure_bwrap, fill_in, grade_id, make_course_root,
                          nbgrader, solution_sources)
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
FAST = ["--timeout", "10", "--memory", "1024", "--budget", "120"]
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
        "monkey-patch": (patched, "flagged", FULL - WRONG_MUL, "tampering was detected"),
        "memory-hog": (append_to(fill_in(student, solutions), "ex_add_node",
                                 "hog = [bytearray(10**8) for _ in range(1000)]"), "ok", FULL, "out of memory"),
        "history-peek": (append_to(fill_in(student, solutions), "ex_gradient_step", "print(In)"), "ok", FULL, ""),
        "stubborn-loop": (append_to(fill_in(student, solutions), "ex_mul_node", STUBBORN_LOOP),
                          "timed_out", 0, "did not stop when interrupted"),
    }


# --- the hostile part: one or more submissions for each kind of attack ----------------------------

MARKER = "grading-attack-marker"  # in the command line of every process a submission starts
# A detached process that outlives its kernel: it keeps an exclusive lock on the gradebook, rewrites
# the grades CSV, and stays for ten minutes.
DETACHED = """
import subprocess, sys
_spy = '''
import pathlib, sqlite3, time
for _ in range(1200):
    try:
        sqlite3.connect({db!r}, timeout=0.1, isolation_level=None).execute("BEGIN EXCLUSIVE")
    except Exception:
        pass
    try:
        pathlib.Path({csv!r}).write_text("student,score\\\\nwell-behaved-a,0\\\\n")
    except Exception:
        pass
    time.sleep(0.5)
'''
subprocess.Popen([sys.executable, "-c", _spy, "{marker}"], start_new_session=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
"""
# Write another student's grade, another student's file, the course's helpers and configuration.
HARM_OTHERS = """
import pathlib, sqlite3, helpers
try:
    con = sqlite3.connect({db!r})
    con.execute("UPDATE grade SET auto_score = 0")
    con.commit()
except Exception as err:
    print("gradebook:", type(err).__name__)
for path, text in [({other!r}, "{{}}"), ("../../well-behaved-a/01_chain_rule/chain_rule.ipynb", "{{}}"),
                   (pathlib.Path(helpers.__file__).parent / "checks.py", "def assert_close(*a, **k): pass"),
                   ({config!r}, "c.Execute.timeout = 1"), ("../../../nbgrader_config.py", "c.Execute.timeout = 1")]:
    try:
        with open(path, "a") as f:
            f.write(text)
    except OSError as err:
        print(path, type(err).__name__)
"""
# Read the solutions (and run them) from the course folder.
READ_SOLUTIONS = """
import json, pathlib
for path in [{solutions!r}, "../../../solutions/01_chain_rule/chain_rule.ipynb"]:
    try:
        cells = json.loads(pathlib.Path(path).read_text())["cells"]
    except OSError:
        continue
    for c in cells:
        if "### BEGIN SOLUTION" in "".join(c["source"]):
            exec("".join(c["source"]))
"""
# Read the hidden tests from the gradebook and print them base64-encoded.
LEAK_GRADEBOOK = """
import base64, sqlite3
for path in [{db!r}, "../../../gradebook.db", "data.db"]:
    try:
        rows = sqlite3.connect(f"file:{{path}}?mode=ro", uri=True).execute("SELECT source FROM source_cell").fetchall()
        print(base64.b64encode(repr(rows).encode()).decode())
    except Exception as err:
        print("no gradebook at", path, type(err).__name__)
"""
# IPython runs the test cells as `pass`.
TRANSFORM = """
_shell = get_ipython()
_transform = _shell.transform_cell
_shell.transform_cell = lambda cell: "pass\\n" if "require(globals()" in cell else _transform(cell)
"""
VARS_NP = """
import numpy
vars(numpy).update(isclose=lambda a, b, **kwargs: numpy.ones(numpy.broadcast(numpy.asarray(a), numpy.asarray(b)).shape, bool))
"""
GUARD_OFF = """
import grading.guard
grading.guard.before = grading.guard.after = grading.guard.restore = lambda *args, **kwargs: None
assert_close = check_gradient = lambda *args, **kwargs: None
"""
SYS_MODULES = """
import sys, types, helpers
_fake = types.ModuleType("checks")
_fake.assert_close = _fake.check_gradient = _fake.require = lambda *args, **kwargs: None
for _name in ["helpers.checks", "helpers.gradcheck", "_grading_pristine_helpers.checks", "grading.guard"]:
    sys.modules[_name] = _fake
helpers.assert_close = helpers.check_gradient = assert_close = check_gradient = _fake.assert_close
"""
THREAD = """
import threading, time
def _rebind(namespace=globals()):
    while True:
        namespace["assert_close"] = namespace["check_gradient"] = lambda *args, **kwargs: None
        time.sleep(0.0005)
threading.Thread(target=_rebind, daemon=True).start()
"""
# Right on the visible tests' round numbers, wrong (inputs not switched) on random ones: the hidden
# tests catch it. EASY_RNG then makes every random input of the hidden tests round.
ROUND_ONLY_MUL = """
def mul_forward(x, y):
    return x * y, (x, y)

def mul_backward(dout, cache):
    x, y = cache
    d = np.asarray(dout, dtype=float)
    if np.all(d * 2 == np.round(d * 2)):
        return d * y, d * x
    return d * x, d * y
"""
EASY_RNG = """
class _EasyRng:
    def normal(self, loc=0.0, scale=1.0, size=None):
        return np.ones(size) if size is not None else 1.0
    def uniform(self, low=0.0, high=1.0, size=None):
        return np.full(size, 0.5) if size is not None else 0.5
np.random.default_rng = lambda *args, **kwargs: _EasyRng()
"""
# The result of mul_backward finds the checker's expected value up the stack.
FRAME_WALK = """
import sys

class _Echo:
    def __array__(self, dtype=None, copy=None):
        frame = sys._getframe(1)
        while frame is not None:
            for name in ("want", "expected", "numerical"):
                value = frame.f_locals.get(name)
                if value is not None and not isinstance(value, _Echo):
                    return np.asarray(value, dtype=float)
            frame = frame.f_back
        return np.zeros(1)

def mul_backward(dout, cache):
    return _Echo(), _Echo()
"""
# mul_backward reads the source of the test calling it; a later cell prints it, plain and base64.
LEAK_STACK = """
import linecache, traceback
_seen = {{}}
_honest_mul_backward = mul_backward
def mul_backward(dout, cache):
    for frame in traceback.extract_stack():
        if "ipykernel_" in frame.filename:
            _seen.update(dict.fromkeys(linecache.getlines(frame.filename)))
    return _honest_mul_backward(dout, cache)
"""
PRINT_LEAK = """
import base64
print("".join(_seen))
print(base64.b64encode("".join(_seen).encode()).decode())
"""
STR_RAISES = """
class _Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("no message")
    __repr__ = __str__
"""


def build_attacks(root, student, source):
    """student id -> (submission, status, score (or the scores allowed with a flag), text in flags or reason).

    Each is scored exactly as its honest code would be, or flagged. The paths are the course root's
    real ones: a student who knows where everything is."""
    solutions = solution_sources(source)
    wrong_mul = next(iter(wrong_answers(LESSON)["ex_mul_node"].values()))
    paths = dict(db=str(root / "gradebook.db"), csv=str(root / "grades" / f"{LESSON}.csv"), marker=MARKER,
                 other=str(root / "submitted" / "well-behaved-a" / LESSON / NOTEBOOK),
                 config=str(root / "nbgrader_config.py"), solutions=str(root / "solutions" / LESSON / NOTEBOOK))

    def solved_plus(gid, code, answers=None):
        return append_to(fill_in(student, {**solutions, **(answers or {})}), gid, code.format(**paths))

    def blank_plus(code, stub=None):
        nb = fill_in(student, {})
        for c in nb.cells:
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution") and stub:
                c.source = c.source.replace("raise NotImplementedError()", stub)
        cell(nb, "ex_add_node").source = code.format(**paths) + "\n" + cell(nb, "ex_add_node").source
        return nb

    wrong = {"ex_mul_node": wrong_mul}
    round_only = {"ex_mul_node": ROUND_ONLY_MUL}
    return {
        # the batch aborts (a lock on the gradebook), the CSV is forged after the batch
        "detached-lock": (solved_plus("ex_add_node", DETACHED), "flagged", FULL, "starts a process"),
        # other students are harmed: their grade, their file, the helpers, the configuration
        "harm-others": (solved_plus("ex_add_node", HARM_OTHERS), "flagged", FULL, "opens an SQLite database"),
        # full marks for a blank notebook: partial credit from a display, a rewritten cell, the solutions
        "displayhook-blank": (blank_plus("", "__import__('sys').displayhook(-1); raise NotImplementedError()"),
                              "ok", 0, ""),
        "transform-cell": (blank_plus(TRANSFORM), "flagged", 0, "transform_cell"),
        "read-solutions": (blank_plus(READ_SOLUTIONS), "ok", 0, ""),
        # full marks for wrong answers
        "vars-numpy": (solved_plus("ex_mul_node", VARS_NP, wrong), "flagged", FULL - WRONG_MUL, "numpy.isclose"),
        "guard-off": (solved_plus("ex_mul_node", GUARD_OFF, wrong), "flagged", {FULL - WRONG_MUL, FULL}, "did not answer"),
        "sys-modules": (solved_plus("ex_mul_node", SYS_MODULES, wrong), "flagged", FULL - WRONG_MUL, "sys.modules"),
        "rebind-thread": (solved_plus("ex_mul_node", THREAD, wrong), "flagged", {FULL - WRONG_MUL, FULL}, "a thread runs"),
        "round-only": (fill_in(student, {**solutions, **round_only}), "ok", FULL - WRONG_MUL, ""),
        "easy-rng": (solved_plus("ex_mul_node", EASY_RNG, round_only), "flagged", FULL - WRONG_MUL, "default_rng"),
        "frame-walk": (solved_plus("ex_mul_node", FRAME_WALK), "flagged", {FULL - WRONG_MUL, FULL - 2, FULL},
                       "reads the call stack"),
        # hidden tests leak: from the gradebook (also through a link), from the stack
        "leak-gradebook": (solved_plus("ex_add_node", LEAK_GRADEBOOK), "flagged", FULL, "opens an SQLite database"),
        "symlink": ((NOTEBOOK, solved_plus("ex_add_node", LEAK_GRADEBOOK), ("data.db", root / "gradebook.db")),
                    "flagged", FULL, "symbolic link"),
        "leak-stack": (append_to(solved_plus("ex_mul_node", LEAK_STACK), "ex_gradient_step", PRINT_LEAK),
                       "flagged", FULL, "reads the call stack"),
        # smaller: an exception that cannot be printed, a student id that is a formula
        "str-raises": (blank_plus(STR_RAISES, "raise _Unprintable()"), "ok", 0, ""),
        "=2+5": (fill_in(student, solutions), "ok", FULL, ""),
    }


def submit(root, sid, submission):
    folder = root / "submitted" / sid / LESSON
    folder.mkdir(parents=True)
    name, content, *links = submission if isinstance(submission, tuple) else (NOTEBOOK, submission)
    for link, target in links:
        (folder / link).symlink_to(target)
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

def course_files(root):
    """sha256 of every file of the course that grading must never change: the lesson's sources, every
    submission, the configuration, and the course's own helpers and grading code."""
    files = [*root.glob("solutions/**/*"), *root.glob("submitted/**/*"), root / "nbgrader_config.py",
             *ROOT.glob("helpers/*.py"), *ROOT.glob("grading/*.py"), ROOT / "nbgrader_config.py"]
    return {str(f): hashlib.sha256(f.read_bytes()).hexdigest() if not f.is_symlink() else os.readlink(f)
            for f in files if f.is_file() or f.is_symlink()}


def processes_of_the_run(root):
    """Processes still running that a graded submission started (or that name the course root)."""
    left = []
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            uid = entry.stat().st_uid
        except OSError:
            continue
        if entry.name.isdigit() and (MARKER in cmdline or "grading-sandbox-" in cmdline or str(root) in cmdline
                                     or 200_000 <= uid < 260_000) and not another_run(int(entry.name), root):
            left.append(f"{entry.name} (uid {uid}): {cmdline[:200]}")
    return left


def another_run(pid, root):
    """Whether a process descends from a grading run still going that is not this one (another test
    grading at the same time, with the tests on every core): nbgrader or the grader working elsewhere.
    A process this run left behind has lost its parents (it hangs from init) and is not excused."""
    for _ in range(64):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            pid = int(stat.rsplit(")", 1)[1].split()[1])
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError, IndexError):
            return False
        if pid <= 1:
            return False
        if ("nbgrader autograde" in cmdline or " -m grading " in cmdline) and str(root) not in cmdline:
            return True
    return False


@pytest.fixture(scope="module")
def bubblewrap():
    """Grading seals each submission off with bubblewrap: install it if need be; under CI it must be there."""
    path, reason = ensure_bwrap()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"the grading sandbox cannot be tested under CI: {reason}")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="module")
def course(tmp_path_factory, bubblewrap):
    """A course root graded twice: two well-behaved students alone, then with the whole matrix (attacks
    included) in one run."""
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
    attacks = build_attacks(root, student, source)
    for sid, (submission, *_) in [*matrix.items(), *attacks.items()]:
        submit(root, sid, submission)
    files = course_files(root)
    began = time.monotonic()
    output = run_guide_command(GRADE, root, *FAST)
    seconds = time.monotonic() - began
    time.sleep(2)  # what a submission left running would act now
    return {"root": root, "matrix": matrix, "attacks": attacks, "before": before, "output": output,
            "source": source, "files": files, "seconds": seconds, "left": processes_of_the_run(root),
            "files_after": course_files(root)}


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
    students = set(course["matrix"]) | set(course["attacks"]) | {"well-behaved-a", "well-behaved-b"}
    assert set(rows) == {"'" + sid if sid.startswith("=") else sid for sid in students}
    out = course["output"]
    assert f"{len(students)} students:" in out and "kernel_died 1" in out and "invalid_notebook 1" in out
    failed = next(line for line in out.splitlines() if line.startswith("most often failed: "))
    assert "mean score" in out and "test_mul_node" in failed, failed
    header = next(csv.reader(open(course["root"] / "grades" / f"{LESSON}.csv")))
    for column in ["student", "status", "score", "max_score", "test_add_node", "test_mul_node",
                   "written_chain_rule", "needs_manual_grading", "reason", "repairs", "flags", "sandbox"]:
        assert column in header


@pytest.mark.parametrize("sid", ["detached-lock", "harm-others", "displayhook-blank", "transform-cell", "read-solutions",
                                 "vars-numpy", "guard-off", "sys-modules", "rebind-thread", "round-only", "easy-rng",
                                 "frame-walk", "leak-gradebook", "symlink", "leak-stack", "str-raises", "=2+5"])
def test_attack_scores_its_honest_grade_or_is_flagged(course, sid):
    """Each attack is scored exactly as its honest code would be, or flagged for review."""
    _, status, score, text = course["attacks"][sid]
    row = read_csv(course["root"])["'" + sid if sid.startswith("=") else sid]
    said = f"{sid}: status {row['status']}, score {row['score']}, reason {row['reason']!r}, flags {row['flags']!r}"
    assert row["status"] == status, said
    assert float(row["score"]) in (score if isinstance(score, set) else {score}), said
    assert text in row["flags"] + row["reason"] + row["repairs"], f"{said}: should mention {text!r}"
    assert row["sandbox"] == "bwrap", said
    if status == "ok":
        assert "tampering" not in row["reason"] and "while grading" not in row["flags"], said


def test_the_batch_leaves_no_process_and_no_changed_file(course):
    assert not course["left"], "processes of the grading run are still running:\n" + "\n".join(course["left"])
    changed = sorted(f for f in course["files"] if course["files_after"].get(f) != course["files"][f])
    assert not changed, f"grading changed course files: {changed}"
    assert course["files_after"].keys() == course["files"].keys()
    rows = read_csv(course["root"])
    assert (rows["well-behaved-a"]["status"], rows["well-behaved-a"]["score"]) == ("ok", str(FULL))


def test_the_csv_is_escaped_against_formulas(course):
    with open(course["root"] / "grades" / f"{LESSON}.csv", newline="") as f:
        cells = [value for row in csv.reader(f) for value in row]
    assert "'=2+5" in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], "a cell starts like a formula"


def test_an_unprintable_exception_does_not_stall_the_cells(course):
    line = next(ln for ln in course["output"].splitlines() if ln.strip().startswith("str-raises "))
    seconds = float(line.split()[2])
    assert seconds < 60, f"the submission whose exceptions cannot be printed took {seconds} s: {line}"


def test_the_matrix_runs_in_minutes(course):
    count = len(course["matrix"]) + len(course["attacks"])
    print(f"\n{count} submissions graded in {course['seconds']:.0f} s")
    assert course["seconds"] < 60 * count, "grading the matrix took over a minute per submission"


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


FEEDBACK_FOR = ["correct", "blank", "well-behaved-b", "history-peek", "leak-stack", "leak-gradebook", "symlink",
                "displayhook-blank", "transform-cell", "frame-walk", "read-solutions", "str-raises"]


def test_feedback_never_shows_hidden_tests(course):
    """Feedback for the students of FEEDBACK_FOR: those who try to read or print the hidden tests, and a few
    well-behaved ones."""
    root = course["root"]
    run_guide_command(FEEDBACK, root, *[arg for sid in FEEDBACK_FOR for arg in ("--student", sid)])
    pages = list((root / "feedback").glob(f"*/{LESSON}/*.html"))
    assert sorted(p.parts[-3] for p in pages) == sorted(FEEDBACK_FOR)
    hidden = hidden_lines(course["source"])
    assert len(hidden) > 20, "Lesson 1 has hidden tests to look for"
    for page in pages:
        shown = [line for line in hidden if line in letters_and_digits(page_text(page))]
        assert not shown, f"{page} shows hidden test lines: {shown[:3]}"
    assert "hidden tests ran here" in page_text(root / "feedback" / "correct" / LESSON / "chain_rule.html")
    for page in pages:
        encoded = [line for line in hidden if line in letters_and_digits("\n".join(base64_texts(page.read_text())))]
        assert not encoded, f"{page} carries hidden test lines base64-encoded: {encoded[:3]}"
    # the leak-stack submission did print the hidden tests while it was graded (base64 too) ...
    graded = (root / "autograded" / "leak-stack" / LESSON / NOTEBOOK).read_text()
    assert any(line in letters_and_digits("\n".join(base64_texts(graded))) for line in hidden)
    # ... and its page shows its code, each test's verdict and the visible checks' messages, nothing of that
    leak = page_text(root / "feedback" / "leak-stack" / LESSON / "chain_rule.html")
    assert "PASSED: 2 of 2 points" in leak and "Multiply node: the visible checks passed." in leak
    blank = page_text(root / "feedback" / "blank" / LESSON / "chain_rule.html")
    assert "FAILED: 0 of 2 points" in blank and "NotImplementedError" in blank
    wrong = page_text(root / "feedback" / "well-behaved-b" / LESSON / "chain_rule.html")
    assert "dx1 from mul_backward(1.5, cache) with x1=3, x2=-2 is 4.5 but should be -3" in wrong


def base64_texts(text, depth=2):
    """Every run of base64 characters in text, decoded (depth levels deep), as text."""
    found = []
    for blob in re.findall(r"[A-Za-z0-9+/]{16,}={0,2}", text):
        try:
            inner = base64.b64decode(blob + "=" * (-len(blob) % 4)).decode("latin-1")
        except (binascii.Error, ValueError):
            continue
        found += [inner, *(base64_texts(inner, depth - 1) if depth > 1 else [])]
    return found


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

