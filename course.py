#!/usr/bin/env python3
"""One entry point for learners, instructors and CI.

    python3 course.py start [ARGS]     # set up .venv if needed, open JupyterLab on work/
                                       # (extra args go to JupyterLab, e.g. --port=8899)
    python3 course.py test [ARGS]      # set up .venv if needed, run the whole test suite
    python3 course.py generate         # regenerate lessons/ from solutions/ (nbgrader)
    python3 course.py reset LESSON     # move your copy of a lesson aside, bring in a fresh one
    python3 course.py sync             # copy new lessons into work/ without starting JupyterLab
    python3 course.py answers LESSON   # compare your written answers in work/ with the model answers

Learners work in work/ (git-ignored). A notebook is copied there only when it is
not there yet, so starting the course, pulling a new version or regenerating
lessons/ never touches what a learner wrote.
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".course-installed"
LESSONS = ROOT / "lessons"
SOLUTIONS = ROOT / "solutions"
STATE_FILE = ".course-state.json"


def fail(message):
    print(f"course.py: {message}", file=sys.stderr)
    sys.exit(1)


def digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


# --- environment ----------------------------------------------------------------

def pip(*args):
    """Run pip in .venv, streaming its output minus warnings about unreachable local index folders."""
    quiet = dict(os.environ, PYTHONWARNINGS="ignore")  # the build backend's advice is not for learners
    proc = subprocess.Popen([str(PYTHON), "-m", "pip", *args], cwd=ROOT, text=True, env=quiet,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    for line in proc.stdout:
        if "is ignored: it is neither a file nor a directory" not in line:
            print(line, end="", flush=True)
    if proc.wait() != 0:
        fail(f"pip {' '.join(args)} failed (exit {proc.returncode}); fix the error above and run again")


def ensure_env(extras=("dev",)):
    """Create .venv and install the course (editable) with the given extras when missing or out of date.

    The tests add the `crosscheck` extra (a real autodiff framework to check Lesson 8's engine against);
    what `start` gives learners stays without it.
    """
    if sys.version_info < (3, 10):
        fail(f"Python 3.10 or newer is needed; this is {sys.version.split()[0]}")
    if not PYTHON.exists():
        print("Creating the virtual environment in .venv ...", flush=True)
        if subprocess.run([sys.executable, "-m", "venv", str(VENV)]).returncode != 0:
            shutil.rmtree(VENV, ignore_errors=True)  # a half-made .venv would fool the next run
            fail("could not create .venv. On Debian/Ubuntu install the venv module first: "
                 "sudo apt install python3-venv")
    # Reinstall whenever pyproject.toml changes, e.g. after pulling a new version.
    wanted = digest(ROOT / "pyproject.toml")
    stamp = STAMP.read_text().split() if STAMP.exists() else []
    installed = set(stamp[1].split(",")) if len(stamp) > 1 else {"dev"}
    if stamp[:1] == [wanted] and installed >= set(extras):
        return
    extras = sorted(set(extras) | (installed if stamp[:1] == [wanted] else set()))
    print("Installing the course and its dependencies into .venv (about a minute) ...", flush=True)
    pip("install", "-q", "--upgrade", "pip")
    pip("install", "-q", "-e", f".[{','.join(extras)}]")
    STAMP.write_text(f"{wanted} {','.join(extras)}")


def env_vars(**extra):
    """The environment of an activated .venv (nbgrader, for one, calls `alembic` through PATH)."""
    path = os.pathsep.join([str(BIN), os.environ.get("PATH", "")])
    return dict(os.environ, PATH=path, VIRTUAL_ENV=str(VENV), **extra)


def run_in_env(*args, env=None):
    return subprocess.run([str(PYTHON), *args], cwd=ROOT, env=env or env_vars()).returncode


# --- the learner's workspace -----------------------------------------------------

def lesson_names():
    return sorted(p.name for p in LESSONS.iterdir() if p.is_dir()) if LESSONS.is_dir() else []


def lesson_files(name):
    skip = {".ipynb_checkpoints", "__pycache__"}
    base = LESSONS / name
    return [p for p in sorted(base.rglob("*"))
            if p.is_file() and not skip & set(p.relative_to(base).parts)]


def load_state(work):
    path = work / STATE_FILE
    return json.loads(path.read_text()) if path.exists() else {}


def save_state(work, state):
    (work / STATE_FILE).write_text(json.dumps(state, indent=1, sort_keys=True) + "\n")


def copy_in(src, work, state):
    rel = src.relative_to(LESSONS).as_posix()
    dest = work / rel
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dest)
    state[rel] = digest(src)


def sync(work):
    """Copy lesson files that are not yet in work/; never overwrite an existing file."""
    work.mkdir(parents=True, exist_ok=True)
    state = load_state(work)
    for name in lesson_names():
        for src in lesson_files(name):
            rel = src.relative_to(LESSONS).as_posix()
            if not (work / rel).exists():
                copy_in(src, work, state)
                print(f"  new: {rel}")
            elif state.get(rel) not in (None, digest(src)):
                print(f"  {rel}: a newer version exists; your copy is kept. "
                      f"To switch: python3 course.py reset {name}")
    save_state(work, state)


def reset(work, name):
    """Move the learner's copy of one lesson aside (timestamped) and copy a fresh one in."""
    if name not in lesson_names():
        fail(f"no lesson named {name!r}; lessons are: {', '.join(lesson_names())}")
    work.mkdir(parents=True, exist_ok=True)
    state = load_state(work)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for src in lesson_files(name):
        dest = work / src.relative_to(LESSONS)
        if dest.exists():
            backup = dest.with_name(f"{dest.stem}.backup-{stamp}{dest.suffix}")
            dest.rename(backup)
            print(f"  your copy was moved to {backup.relative_to(work)}")
        copy_in(src, work, state)
        print(f"  fresh copy: {dest.relative_to(work)}")
    save_state(work, state)


# --- written answers for self-learners ----------------------------------------------

STUB = "YOUR ANSWER HERE"
MARK_SCHEME = ("=== BEGIN MARK SCHEME ===", "=== END MARK SCHEME ===")


def cell_text(cell):
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def nbgrader_meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def written_cells(cells):
    """{grade_id: index} of the cells answered in words: graded markdown answers and nbgrader tasks."""
    found = {}
    for i, cell in enumerate(cells):
        meta = nbgrader_meta(cell)
        if cell.get("cell_type") == "markdown" and meta.get("grade_id") and (
                meta.get("task") or (meta.get("solution") and meta.get("grade"))):
            found[meta["grade_id"]] = i
    return found


def model_answer(cell):
    """What the instructor's notebook holds for a written answer: the answer, or a task's mark scheme."""
    text = cell_text(cell)
    if nbgrader_meta(cell).get("task"):
        start, end = MARK_SCHEME
        text = text.split(start, 1)[1].split(end, 1)[0] if start in text else ""
    lines = [line for line in text.splitlines() if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")]
    return "\n".join(lines).strip()


def learner_answer(cells, index, released_ids):
    """The learner's answer: the cell's text, or for a task the cells the learner added right after it."""
    cell = cells[index]
    if not nbgrader_meta(cell).get("task"):
        text = cell_text(cell).strip()
        return "" if text in ("", STUB) else text
    added = []
    for later in cells[index + 1:]:
        if later.get("id") in released_ids or nbgrader_meta(later):
            break
        added.append(cell_text(later).strip())
    return "\n\n".join(t for t in added if t)


def question(cells, index):
    """The question a written answer answers: the markdown cell above it, without its headings."""
    above = cells[index - 1] if index and cells[index - 1].get("cell_type") == "markdown" else None
    if nbgrader_meta(cells[index]).get("task"):
        above = {"source": cell_text(cells[index]).split(MARK_SCHEME[0], 1)[0]}
    lines = [line for line in cell_text(above or {}).splitlines() if not line.startswith("#")]
    return "\n".join(lines).strip()


def indent(text):
    return "\n".join("    " + line if line.strip() else "" for line in text.splitlines())


def find_lesson(name):
    sources = sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir()) if SOLUTIONS.is_dir() else []
    matches = [s for s in sources if s == name] or [s for s in sources if s.startswith(name)]
    if len(matches) != 1:
        fail(f"no lesson {name!r}; lessons are: {', '.join(sources)}" if not matches
             else f"{name!r} could be {', '.join(matches)}: give the full name")
    return matches[0]


def answers(work, name):
    """Print, for each written answer of a lesson, the learner's answer and the model answer, or what is left.

    The model answer of a question is shown only once the learner's copy in work/ holds an answer
    to it (the cell no longer says YOUR ANSWER HERE), so it is read after writing one's own.
    """
    name = find_lesson(name)
    copies = sorted(p for p in (work / name).glob("*.ipynb") if ".backup-" not in p.name)
    if not copies:
        fail(f"no copy of {name} in {work}: run `python3 course.py start` (or `sync`) first")
    for copy in copies:
        source = SOLUTIONS / name / copy.name
        if not source.exists():
            continue
        cells = json.loads(copy.read_text(encoding="utf-8"))["cells"]
        model = json.loads(source.read_text(encoding="utf-8"))["cells"]
        released = LESSONS / name / copy.name
        released_ids = {c.get("id") for c in json.loads(released.read_text(encoding="utf-8"))["cells"]} \
            if released.exists() else set()
        mine, theirs = written_cells(cells), written_cells(model)
        print(f"{name}/{copy.name}: {len(theirs)} written answer{'s' * (len(theirs) != 1)}")
        todo = []
        for grade_id, at in theirs.items():
            points = nbgrader_meta(model[at]).get("points")
            title = f"{grade_id}" + (f" ({points:g} points)" if isinstance(points, (int, float)) else "")
            written = learner_answer(cells, mine[grade_id], released_ids) if grade_id in mine else ""
            if grade_id not in mine:
                print(f"\n== {title}: its cell is missing from your copy; "
                      f"`python3 course.py reset {name}` brings in a fresh one (yours is kept aside)")
                continue
            if not written:
                todo.append(grade_id)
                print(f"\n== {title}: not written yet. Write your answer in its cell (it still says "
                      f"{STUB}), then run this again to see the model answer.")
                continue
            print(f"\n== {title}\nQuestion:\n{indent(question(cells, mine[grade_id]))}\n"
                  f"\nYour answer:\n{indent(written)}\n\nModel answer:\n{indent(model_answer(model[at]))}")
        print(f"\nStill to write: {', '.join(todo)}" if todo else "\nEvery written answer of this lesson is written.")


# --- commands ---------------------------------------------------------------------

def cmd_start(args):
    ensure_env()
    work = Path(args.workdir).resolve()
    sync(work)
    lab = [str(PYTHON), "-m", "jupyterlab", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.root_dir={work}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        lab.append("--allow-root")  # JupyterLab refuses to start as root otherwise
    lab += args.extra  # e.g. --port=8899 or --no-browser
    print("Opening JupyterLab on your copies in", work, flush=True)
    sys.exit(subprocess.run(lab, cwd=ROOT, env=env_vars()).returncode)


def test_arguments(extra):
    """pytest's arguments for `course.py test EXTRA`.

    A first argument naming a lesson (`04`, `04_activation_backprop`) selects everything about that
    lesson (conftest.py's --lesson) but its browser tests (add `-m browser` for those alone). The tests run on every core (pytest-xdist): tests sharing a costly
    fixture or a notebook's kernel stay together (conftest.py's groups), the longest groups first.
    `-n 0` (or `-p no:xdist`) runs them in this process, one after the other.
    """
    extra = list(extra)
    if extra and re.fullmatch(r"\d\d?(_\w+)?", extra[0]):
        extra[:1] = ["--lesson", find_lesson(extra[0].zfill(2) if extra[0].isdigit() else extra[0])]
        if "-m" not in extra:
            extra += ["-m", "not browser"]
    chosen = any(a in ("-n", "--numprocesses", "no:xdist") or a.startswith(("-n", "--numprocesses=", "--dist"))
                 for a in extra)
    if not chosen:
        extra = ["-n", "auto", "--dist", "loadgroup", "--no-loadscope-reorder", *extra]
    return extra


def cmd_test(args):
    ensure_env(("dev", "crosscheck"))
    sys.exit(run_in_env("-m", "pytest", *test_arguments(args.extra), env=env_vars(MPLBACKEND="Agg")))


def cmd_generate(args):
    """Regenerate the given lessons (default: all) with a throw-away gradebook, so no real gradebook is touched."""
    ensure_env()
    release = Path(args.release).resolve()
    sources = sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir())
    names = args.lessons or sources
    unknown = sorted(set(names) - set(sources))
    if unknown:
        fail(f"no such lesson in solutions/: {', '.join(unknown)} (have: {', '.join(sources)})")
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            code = run_in_env(
                "-m", "nbgrader", "generate_assignment", name, "--force", "--log-level=WARN",
                f"--CourseDirectory.root={ROOT}",
                f"--CourseDirectory.release_directory={release}",
                f"--CourseDirectory.db_url=sqlite:///{tmp}/gradebook.db")
            if code:
                fail(f"nbgrader generate_assignment {name} failed")
            print(f"  generated {release.name}/{name}")


def cmd_grade(args):
    """Grade every collected submission of a lesson (see docs/instructors.md)."""
    ensure_env()
    sys.exit(run_in_env("-m", "grading", *args.extra))


def cmd_bench(args):
    """Print the course's speed figures (see the README's benchmark section)."""
    ensure_env()
    sys.exit(run_in_env(str(ROOT / "benchmarks" / "run.py"), *args.extra, env=env_vars(MPLBACKEND="Agg")))


def cmd_sync(args):
    sync(Path(args.workdir).resolve())


def cmd_reset(args):
    reset(Path(args.workdir).resolve(), args.lesson)


def cmd_answers(args):
    answers(Path(args.workdir).resolve(), args.lesson)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, func in [("start", cmd_start), ("sync", cmd_sync), ("reset", cmd_reset), ("answers", cmd_answers)]:
        p = sub.add_parser(name)
        p.add_argument("--workdir", default=str(ROOT / "work"), help="where your copies live")
        if name in ("reset", "answers"):
            p.add_argument("lesson", help="e.g. 01_chain_rule")
        p.set_defaults(func=func)
    p = sub.add_parser("test", help="run the whole test suite (extra args go to pytest)")
    p.set_defaults(func=cmd_test)
    p = sub.add_parser("generate", help="regenerate the student notebooks from solutions/")
    p.add_argument("--release", default=str(LESSONS), help="folder to write (default lessons/)")
    p.add_argument("lessons", nargs="*", help="lessons to regenerate, e.g. 02_perceptron (default: all)")
    p.set_defaults(func=cmd_generate)
    p = sub.add_parser("grade", add_help=False, help="grade every collected submission of a lesson (args go to the grader)")
    p.set_defaults(func=cmd_grade)
    p = sub.add_parser("bench", add_help=False, help="print the course's speed figures (args go to the benchmark script)")
    p.set_defaults(func=cmd_bench)
    args, extra = parser.parse_known_args()
    if extra and args.command not in ("test", "start", "grade", "bench"):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra
    args.func(args)


if __name__ == "__main__":
    main()
