#!/usr/bin/env python3
"""One entry point for learners, instructors and CI.

    python3 course.py start [ARGS]     # set up .venv if needed, open JupyterLab on work/
                                       # (extra args go to JupyterLab, e.g. --port=8899)
    python3 course.py start --lang ko  # the Korean edition (한국어판) in work/ko/, remembered for next time
    python3 course.py test [ARGS]      # set up .venv if needed, run the whole test suite
    python3 course.py generate         # regenerate lessons/ from solutions/ (nbgrader), and the Korean
                                       # edition locale/ko/ from solutions/ and its catalogs
    python3 course.py translations     # update the translation catalogs, count what is translated
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
LANGUAGES = ("en", "ko")  # English is the source; every other language is generated under locale/<lang>/
# JupyterLab's own interface language for each course language (its language pack is a dependency).
LAB_LOCALES = {"ko": "ko_KR"}


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

def course_root(lang):
    """The nbgrader course root of a language: this folder for English, locale/<lang>/ for the others."""
    return ROOT if lang == "en" else ROOT / "locale" / lang


def released(lang="en"):
    """The student notebooks of a language: lessons/, or locale/<lang>/lessons/."""
    return course_root(lang) / "lessons"


def workspace(work, lang="en"):
    """Where a learner's copies of a language live: work/ for English, work/<lang>/ for the others."""
    return work if lang == "en" else work / lang


def lesson_names(lang="en"):
    base = released(lang)
    return sorted(p.name for p in base.iterdir() if p.is_dir()) if base.is_dir() else []


def lesson_files(name, lang="en"):
    skip = {".ipynb_checkpoints", "__pycache__"}
    base = released(lang) / name
    return [p for p in sorted(base.rglob("*"))
            if p.is_file() and not skip & set(p.relative_to(base).parts)]


def choose_language(work, requested):
    """The language asked for (then remembered in work/'s state file), else the one remembered, else English."""
    state = load_state(work)
    if requested:
        if state.get("language") != requested:
            work.mkdir(parents=True, exist_ok=True)
            save_state(work, {**state, "language": requested})
        return requested
    return state.get("language", "en")


def load_state(work):
    path = work / STATE_FILE
    return json.loads(path.read_text()) if path.exists() else {}


def save_state(work, state):
    (work / STATE_FILE).write_text(json.dumps(state, indent=1, sort_keys=True) + "\n")


def relative(src, work, lang):
    """A lesson file's path in work/ (the state file's key): 01_x/x.ipynb, or ko/01_x/x.ipynb."""
    return (workspace(work, lang) / src.relative_to(released(lang))).relative_to(work).as_posix()


def copy_in(src, work, state, lang="en"):
    rel = relative(src, work, lang)
    dest = work / rel
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dest)
    state[rel] = digest(src)


def sync(work, lang="en"):
    """Copy lesson files that are not yet in work/ (work/<lang>/); never overwrite an existing file."""
    work.mkdir(parents=True, exist_ok=True)
    state = load_state(work)
    option = "" if lang == "en" else f" --lang {lang}"
    for name in lesson_names(lang):
        for src in lesson_files(name, lang):
            rel = relative(src, work, lang)
            if not (work / rel).exists():
                copy_in(src, work, state, lang)
                print(f"  new: {rel}")
            elif state.get(rel) not in (None, digest(src)):
                print(f"  {rel}: a newer version exists; your copy is kept. "
                      f"To switch: python3 course.py reset {name}{option}")
    if lang != "en":
        missing = sorted(set(lesson_names()) - set(lesson_names(lang)))
        if missing:
            print(f"  not translated yet: {', '.join(missing)} (the English copies: python3 course.py sync --lang en)")
    save_state(work, state)


def reset(work, name, lang="en"):
    """Move the learner's copy of one lesson aside (timestamped) and copy a fresh one in."""
    if name not in lesson_names(lang):
        fail(f"no lesson named {name!r}; lessons are: {', '.join(lesson_names(lang))}")
    work.mkdir(parents=True, exist_ok=True)
    state = load_state(work)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for src in lesson_files(name, lang):
        dest = work / relative(src, work, lang)
        if dest.exists():
            backup = dest.with_name(f"{dest.stem}.backup-{stamp}{dest.suffix}")
            dest.rename(backup)
            print(f"  your copy was moved to {backup.relative_to(work)}")
        copy_in(src, work, state, lang)
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


def find_lesson(name, lang="en"):
    solutions = course_root(lang) / "solutions"
    sources = sorted(p.name for p in solutions.iterdir() if p.is_dir()) if solutions.is_dir() else []
    matches = [s for s in sources if s == name] or [s for s in sources if s.startswith(name)]
    if len(matches) != 1:
        fail(f"no lesson {name!r}; lessons are: {', '.join(sources)}" if not matches
             else f"{name!r} could be {', '.join(matches)}: give the full name")
    return matches[0]


def answers(work, name, lang="en"):
    """Print, for each written answer of a lesson, the learner's answer and the model answer, or what is left.

    The model answer of a question is shown only once the learner's copy in work/ holds an answer
    to it (the cell no longer says YOUR ANSWER HERE), so it is read after writing one's own.
    """
    name = find_lesson(name, lang)
    mine = workspace(work, lang)
    copies = sorted(p for p in (mine / name).glob("*.ipynb") if ".backup-" not in p.name)
    if not copies:
        fail(f"no copy of {name} in {mine}: run `python3 course.py start` (or `sync`) first")
    option = "" if lang == "en" else f" --lang {lang}"
    for copy in copies:
        source = course_root(lang) / "solutions" / name / copy.name
        if not source.exists():
            continue
        cells = json.loads(copy.read_text(encoding="utf-8"))["cells"]
        model = json.loads(source.read_text(encoding="utf-8"))["cells"]
        student = released(lang) / name / copy.name
        released_ids = {c.get("id") for c in json.loads(student.read_text(encoding="utf-8"))["cells"]} \
            if student.exists() else set()
        mine, theirs = written_cells(cells), written_cells(model)
        print(f"{name}/{copy.name}: {len(theirs)} written answer{'s' * (len(theirs) != 1)}")
        todo = []
        for grade_id, at in theirs.items():
            points = nbgrader_meta(model[at]).get("points")
            title = f"{grade_id}" + (f" ({points:g} points)" if isinstance(points, (int, float)) else "")
            written = learner_answer(cells, mine[grade_id], released_ids) if grade_id in mine else ""
            if grade_id not in mine:
                print(f"\n== {title}: its cell is missing from your copy; "
                      f"`python3 course.py reset {name}{option}` brings in a fresh one (yours is kept aside)")
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

def lab_language(lang, folder=None):
    """Environment that gives JupyterLab's interface the course's language, or {} for English.

    JupyterLab reads default settings from labconfig/default_setting_overrides.json in every folder of
    the Jupyter config path; JUPYTER_CONFIG_PATH puts one of the course's own in front, so the
    learner's own settings stay where they are and an English start is untouched.
    """
    if lang not in LAB_LOCALES:
        return {}
    folder = Path(folder or VENV / "course-lab-config" / lang)
    overrides = folder / "labconfig" / "default_setting_overrides.json"
    overrides.parent.mkdir(parents=True, exist_ok=True)
    overrides.write_text(json.dumps({"@jupyterlab/translation-extension:plugin": {"locale": LAB_LOCALES[lang]}},
                                    indent=1) + "\n")
    path = os.pathsep.join(p for p in [str(folder), os.environ.get("JUPYTER_CONFIG_PATH", "")] if p)
    return {"JUPYTER_CONFIG_PATH": path}


def cmd_start(args):
    ensure_env()
    work = Path(args.workdir).resolve()
    lang = choose_language(work, args.lang)
    sync(work, lang)
    mine = workspace(work, lang)
    mine.mkdir(parents=True, exist_ok=True)
    lab = [str(PYTHON), "-m", "jupyterlab", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.root_dir={mine}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        lab.append("--allow-root")  # JupyterLab refuses to start as root otherwise
    lab += args.extra  # e.g. --port=8899 or --no-browser
    print(("Opening JupyterLab on your copies in" if lang == "en" else "JupyterLab을 엽니다:"), mine,
          f"(language: {lang}; another: python3 course.py start --lang {'ko' if lang == 'en' else 'en'})", flush=True)
    env = env_vars(COURSE_LANG=lang, **lab_language(lang))
    sys.exit(subprocess.run(lab, cwd=ROOT, env=env).returncode)


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
        extra = ["-n", os.environ.get("COURSE_TEST_WORKERS", "auto"), "--dist", "loadgroup", "--no-loadscope-reorder", *extra]
    return extra


def cmd_test(args):
    ensure_env(("dev", "crosscheck", "hub"))
    sys.exit(run_in_env("-m", "pytest", *test_arguments(args.extra), env=env_vars(MPLBACKEND="Agg")))


def cmd_generate(args):
    """Regenerate the given lessons (default: all) with a throw-away gradebook, so no real gradebook is touched.

    --lang en: lessons/ from solutions/; --lang ko: locale/ko/solutions/ from solutions/ and the Korean
    catalogs, then locale/ko/lessons/ from it (lessons whose catalog is incomplete are skipped); all: both.
    --release (a folder for English student notebooks) means English only unless --lang says otherwise.
    """
    ensure_env()
    release = Path(args.release or LESSONS).resolve()
    lang = args.lang or ("en" if args.release else "all")
    sources = sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir())
    names = args.lessons or sources
    unknown = sorted(set(names) - set(sources))
    if unknown:
        fail(f"no such lesson in solutions/: {', '.join(unknown)} (have: {', '.join(sources)})")
    started = time.monotonic()
    if lang in ("en", "all"):
        generate_english(names, release)
        print(f"  en: {len(names)} lessons generated in {time.monotonic() - started:.1f} s")
    for other in [x for x in LANGUAGES if x != "en" and lang in (x, "all")]:
        if run_in_env("-m", "translation", "generate", "--lang", other, *names):
            fail(f"generating the {other} edition failed")
    if lang == "all":
        print(f"  both languages regenerated in {time.monotonic() - started:.1f} s")


def generate_english(names, release):
    """nbgrader generate_assignment: one run for every lesson when all are asked for (its start-up costs
    seconds), else one run each."""
    everything = sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir())
    with tempfile.TemporaryDirectory() as tmp:
        for name in (["*"] if sorted(names) == everything else names):
            code = run_in_env(
                "-m", "nbgrader", "generate_assignment", name, "--force", "--log-level=WARN",
                f"--CourseDirectory.root={ROOT}",
                f"--CourseDirectory.release_directory={release}",
                f"--CourseDirectory.db_url=sqlite:///{tmp}/gradebook.db")
            if code:
                fail(f"nbgrader generate_assignment {name} failed")
            print(f"  generated {release.name}/{name}" if name != "*" else f"  generated {release.name}/ (every lesson)")


def cmd_grade(args):
    """Grade every collected submission of a lesson (see docs/instructors.md); --lang ko grades the Korean
    edition, whose course root (gradebook, submitted/, grades/ ...) is locale/ko/."""
    ensure_env()
    extra = list(args.extra)
    if "--lang" in extra or any(a.startswith("--lang=") for a in extra):
        at = next(i for i, a in enumerate(extra) if a == "--lang" or a.startswith("--lang="))
        lang = extra.pop(at).partition("=")[2] or (extra.pop(at) if at < len(extra) else "")
        if lang not in LANGUAGES:
            fail(f"--lang must be one of {', '.join(LANGUAGES)}, not {lang!r}")
        if lang != "en":
            extra += ["--root", str(course_root(lang))]
    sys.exit(run_in_env("-m", "grading", *extra))


def cmd_translations(args):
    """Update every catalog from the English source and count its entries; --check fails on anything missing."""
    ensure_env()
    sys.exit(run_in_env("-m", "translation", "status", "--lang", args.lang, *(["--check"] if args.check else []),
                        *args.lessons))


def cmd_bench(args):
    """Print the course's speed figures (see the README's benchmark section)."""
    ensure_env()
    sys.exit(run_in_env(str(ROOT / "benchmarks" / "run.py"), *args.extra, env=env_vars(MPLBACKEND="Agg")))


def cmd_sync(args):
    work = Path(args.workdir).resolve()
    sync(work, choose_language(work, args.lang))


def cmd_reset(args):
    work = Path(args.workdir).resolve()
    reset(work, args.lesson, choose_language(work, args.lang))


def cmd_answers(args):
    work = Path(args.workdir).resolve()
    answers(work, args.lesson, choose_language(work, args.lang))


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, func in [("start", cmd_start), ("sync", cmd_sync), ("reset", cmd_reset), ("answers", cmd_answers)]:
        p = sub.add_parser(name)
        p.add_argument("--workdir", default=str(ROOT / "work"), help="where your copies live")
        p.add_argument("--lang", choices=LANGUAGES, help="en or ko (한국어); remembered: later commands "
                       "without --lang use the last one given (default en)")
        if name in ("reset", "answers"):
            p.add_argument("lesson", help="e.g. 01_chain_rule")
        p.set_defaults(func=func)
    p = sub.add_parser("test", help="run the whole test suite (extra args go to pytest)")
    p.set_defaults(func=cmd_test)
    p = sub.add_parser("generate", help="regenerate the student notebooks from solutions/ (and the Korean edition)")
    p.add_argument("--release", default=None, help="folder to write the English student notebooks to "
                   "(default lessons/; when given, only English is generated unless --lang says otherwise)")
    p.add_argument("--lang", choices=(*LANGUAGES, "all"), help="which edition (default all)")
    p.add_argument("lessons", nargs="*", help="lessons to regenerate, e.g. 02_perceptron (default: all)")
    p.set_defaults(func=cmd_generate)
    p = sub.add_parser("translations", help="update the translation catalogs from solutions/, count their entries")
    p.add_argument("--lang", choices=[x for x in LANGUAGES if x != "en"], default="ko")
    p.add_argument("--check", action="store_true", help="fail, naming lesson and cell, if anything is untranslated")
    p.add_argument("lessons", nargs="*", help="lessons (default: all)")
    p.set_defaults(func=cmd_translations)
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
