"""python3 course.py grade LESSON [options]: see docs/instructors.md."""
import argparse
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from .feedback import BEGIN, TOKEN_VARIABLE, find_leaks, secret_lines
from .i18n import _, language
from .repair import read_spec
from .report import rows, summary, write_csv
from .sandbox import available_mode, why_not_bwrap
from .run import (Settings, default_workers, ensure_registered, grade_lesson, nbgrader, nbgrader_env, save_record,
                  visible_runs)


def parse(argv):
    p = argparse.ArgumentParser(prog="python3 course.py grade", description=__doc__)
    p.add_argument("lesson", help="e.g. 01_chain_rule (a folder of solutions/)")
    p.add_argument("--student", action="append", metavar="ID", help="grade only this student, or give feedback only to them (repeatable)")
    p.add_argument("--timeout", type=int, default=120, help="seconds per cell (default 120)")
    p.add_argument("--memory", type=int, default=2048, metavar="MB", help="memory limit of a kernel (default 2048)")
    p.add_argument("--budget", type=int, default=300, metavar="SECONDS",
                   help="wall-clock seconds for one submission, start-up included (default 300)")
    p.add_argument("--workers", type=int, default=0, metavar="N",
                   help="submissions graded at once (default: two per core)")
    p.add_argument("--report", action="store_true",
                   help="do not grade: rewrite the CSV from the gradebook (after grading by hand)")
    p.add_argument("--feedback", action="store_true",
                   help="do not grade: write feedback/ for the students, hidden tests removed, then the CSV")
    p.add_argument("--csv", type=Path, help="where to write the grades (default grades/LESSON.csv)")
    p.add_argument("--root", type=Path, default=Path.cwd(), help="the course folder (default: this one)")
    return p.parse_args(argv)


def own_code(settings, student, notebook):
    """The sources of a student's graded notebook outside the test cells (what they wrote or were given)."""
    path = settings.root / "autograded" / student / settings.lesson / f"{notebook}.ipynb"
    if not path.exists():
        return []
    return [c.source for c in nbformat.read(path, as_version=4).cells if BEGIN not in c.source]


def feedback(settings, specs, record, only=None):
    """Run each graded submission once more without the hidden tests, make the pages from that run with
    nbgrader (verdicts from the gradebook), then check every page and delete any that shows a hidden test."""
    token = secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="grading-feedback-") as tmp:
        chosen = [student for student, info in sorted(record.items())
                  if info.get("completed") and (settings.root / "autograded" / student / settings.lesson).is_dir()
                  and (not only or student in only)]
        ran = visible_runs(settings, specs, chosen, lambda student: Path(tmp) / student / settings.lesson, token)
        for student in chosen:
            # nbgrader release_feedback needs these beside each page (the secret names the page in the exchange)
            graded = settings.root / "autograded" / student / settings.lesson
            for name in ("timestamp.txt", "submission_secret.txt"):
                found = [d / name for d in (graded, settings.root / "submitted" / student / settings.lesson)
                         if (d / name).is_file()]
                if found and (Path(tmp) / student / settings.lesson).is_dir():
                    shutil.copy2(found[0], Path(tmp) / student / settings.lesson / name)
        code, text = nbgrader(settings, "generate_feedback", settings.lesson, "--force",
                              f"--CourseDirectory.autograded_directory={tmp}",
                              log=settings.logs / "feedback.log", env={TOKEN_VARIABLE: token})
    tests = [cell.source for nb in specs.values() for cell in nb.cells.values()]
    pages = sorted(p for p in (settings.root / "feedback").glob(f"*/{settings.lesson}/*.html")
                   if p.relative_to(settings.root / "feedback").parts[0] in ran)
    leaking = []
    for page in pages:
        student = page.relative_to(settings.root / "feedback").parts[0]
        secret = secret_lines(tests, known=own_code(settings, student, page.stem))
        if page.stem not in ran.get(student, ()) or find_leaks(page.read_text(encoding="utf-8"), secret):
            page.unlink()  # never hand out a page that shows the hidden tests, or one not made here
            leaking.append(page)
    print(f"feedback: {len(pages) - len(leaking)} pages in feedback/*/{settings.lesson}/, "
          "checked: none shows a hidden test, plain or base64-encoded")
    for page in leaking:
        print(f"  REMOVED {page.relative_to(settings.root)}: it showed hidden tests", file=sys.stderr)
    missing = [s for s, names in ran.items() if len(names) < len(specs)]
    for student in missing:
        print(f"  no page for {student}: the run without hidden tests did not finish", file=sys.stderr)
    if code != 0:
        print(f"  nbgrader generate_feedback reported errors: see {settings.logs / 'feedback.log'}", file=sys.stderr)
    return 1 if leaking else 0


def warn_if_unsandboxed():
    """Say plainly, before anything runs, when student code cannot be sealed off."""
    mode = available_mode()
    if mode == "bwrap":
        print("sandbox: bubblewrap (each kernel sees only its own files, no network, no course folder)")
        return
    print(f"WARNING: {why_not_bwrap()}.", file=sys.stderr)
    if mode == "account":
        print("WARNING: student code runs as an unprivileged account of its own with resource limits, but it can "
              "read every file that account may read. Every row is marked 'account'.", file=sys.stderr)
    else:
        print("WARNING: student code runs UNSANDBOXED, with your rights (resource limits only); it can read and change "
              "your files, the gradebook included. Every row is marked 'unsandboxed'. Install bubblewrap, or grade as "
              "root for an account of its own.", file=sys.stderr)


def main(argv=None):
    args = parse(sys.argv[1:] if argv is None else argv)
    os.environ["PATH"] = nbgrader_env()["PATH"]  # the gradebook calls `alembic`, from the course's venv
    settings = Settings(args.root.resolve(), args.lesson, args.timeout, args.memory, args.budget, args.workers)
    csv_path = args.csv or settings.root / "grades" / f"{args.lesson}.csv"
    status = 0
    started = time.monotonic()
    if args.report or args.feedback:
        ensure_registered(settings)
        specs = read_spec(settings.db_url, args.lesson)
        record_path = settings.root / "grades" / f"{args.lesson}.json"
        if not record_path.exists():
            sys.exit(f"grading: {args.lesson} has not been graded yet: python3 course.py grade {args.lesson}")
        record = json.loads(record_path.read_text())
        if args.feedback:
            status = feedback(settings, specs, record, args.student)
    else:
        workers = args.workers or default_workers()
        print(f"grading {args.lesson} in {settings.root} ({args.timeout} s per cell, {args.budget} s per submission, "
              f"{args.memory} MB per kernel, {workers} at once)")
        warn_if_unsandboxed()
        results = grade_lesson(settings, args.student)
        specs = read_spec(settings.db_url, args.lesson)
        record = save_record(settings, results)
    table = rows(settings, specs, record)
    write_csv(csv_path, table)
    lang = language(settings.root)
    print(_("{lesson}: grades written to {path} in {seconds} s", lang).format(
        lesson=args.lesson, path=csv_path, seconds=f"{time.monotonic() - started:.0f}"))
    for line in summary(table, specs, lang):
        print(line)
    return status


if __name__ == "__main__":
    sys.exit(main())
