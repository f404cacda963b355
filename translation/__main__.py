"""python -m translation (through course.py): catalogs' state, and the translated notebooks built.

    python -m translation status [--check] [--lang ko] [LESSON ...]
    python -m translation generate [--lang ko] [--root DIR] [LESSON ...]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import messages
from .catalog import LANGUAGES, ROOT, build, lessons, problems, stats, structure_problems, update


def grouped(found):
    """'lesson, cell X: what' lines, one line per lesson and kind of problem that lists the cells."""
    groups = {}
    for line in found:
        where, _, what = line.partition(": ")
        lesson, _, cell = where.partition(", cell ")
        kind = what if what in ("not translated",) or what.startswith(("fuzzy", "the English changed", "not in the")) \
            else None
        if kind is None:
            groups[line] = []
        else:
            groups.setdefault(f"{lesson}: {kind}", []).append(cell)
    return [f"{head} ({len(cells)}): cells {', '.join(cells)}" if cells else head for head, cells in groups.items()]


def status(args):
    """Update every catalog from the English source, print its counts; with --check, fail on anything missing."""
    names = args.lessons or lessons(args.root)
    print(f"{'lesson':<26} {'entries':>7} {'translated':>10} {'fuzzy':>5} {'untranslated':>12}")
    missing, total = [], {"entries": 0, "translated": 0, "fuzzy": 0, "untranslated": 0}
    for lesson in names:
        added, fuzzy, obsolete = update(args.lang, lesson, args.root)
        counts = stats(args.lang, lesson, args.root)
        for key in total:
            total[key] += counts[key]
        changes = ", ".join(f"{n} {what}" for n, what in [(added, "new"), (fuzzy, "made fuzzy"),
                                                          (obsolete, "made obsolete")] if n)
        print(f"{lesson:<26} {counts['entries']:>7} {counts['translated']:>10} {counts['fuzzy']:>5} "
              f"{counts['untranslated']:>12}" + (f"   (updated: {changes})" if changes else ""))
        missing += problems(args.lang, lesson, args.root) + structure_problems(args.lang, lesson, args.root)
    print(f"{'total':<26} {total['entries']:>7} {total['translated']:>10} {total['fuzzy']:>5} {total['untranslated']:>12}")
    if not args.lessons and args.root is None:  # the helpers' messages (check hints, explorers), one catalog
        added, fuzzy, obsolete = messages.update_helpers_catalog(args.lang)
        message_problems = messages.problems(args.lang)
        print(f"helpers' messages: {added} new, {fuzzy} made fuzzy, {obsolete} made obsolete, "
              f"{len(message_problems)} without a usable translation")
        missing += message_problems
    if args.check and missing:
        print(f"\nThe {LANGUAGES[args.lang]} catalogs are not complete ({len(missing)} problems):", file=sys.stderr)
        for line in grouped(missing):
            print(f"  {line}", file=sys.stderr)
        return 1
    return 0


def nbgrader_generate(course, lesson, db):
    """nbgrader generate_assignment in the language's own course root (its nbgrader_config.py, its release)."""
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    return subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", lesson, "--force",
                           "--log-level=WARN", f"--CourseDirectory.root={course}",
                           f"--CourseDirectory.db_url=sqlite:///{db}"], cwd=course, env=env).returncode


def generate(args):
    """Build locale/<lang>/solutions/<lesson>/ from the English and the catalog, then its student form.

    A lesson whose catalog is incomplete is reported and skipped: its previous build (if any) is left
    as it was, never half-replaced.
    """
    root = Path(args.root or ROOT)
    course = root / "locale" / args.lang
    names = args.lessons or lessons(root)
    skipped = []
    started = time.monotonic()
    built = []
    for lesson in names:
        missing = problems(args.lang, lesson, root)
        if missing:
            skipped.append(lesson)
            print(f"  skipped {args.lang}/{lesson}: its catalog is not complete ({len(missing)} cells):")
            for line in grouped(missing)[:5]:
                print(f"    {line[:300]}")
            continue
        build(args.lang, lesson, course / "solutions", root)
        built.append(lesson)
    # One nbgrader run for every lesson when all are rebuilt (its start-up costs seconds), else one each.
    everything = sorted(p.name for p in (course / "solutions").iterdir() if p.is_dir()) if built else []
    with tempfile.TemporaryDirectory() as tmp:
        for target in (["*"] if built == everything and len(built) > 1 else built):
            if nbgrader_generate(course, target, Path(tmp) / "gradebook.db"):
                print(f"course.py: nbgrader generate_assignment {target} failed in {course}", file=sys.stderr)
                return 1
    for lesson in built:
        print(f"  generated locale/{args.lang}/solutions/{lesson} and locale/{args.lang}/lessons/{lesson}")
    print(f"  {args.lang}: {len(names) - len(skipped)} of {len(names)} lessons generated "
          f"in {time.monotonic() - started:.1f} s" + (f"; skipped (catalog incomplete): {', '.join(skipped)}"
                                                      if skipped else ""))
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m translation")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("status", "generate"):
        p = sub.add_parser(name)
        p.add_argument("--lang", default="ko", choices=sorted(LANGUAGES))
        p.add_argument("--root", type=Path, default=None, help="the course folder (default: this one)")
        p.add_argument("lessons", nargs="*")
        if name == "status":
            p.add_argument("--check", action="store_true", help="exit 1, listing lesson and cell, if anything is missing")
    args = parser.parse_args(argv)
    known = lessons(args.root)
    unknown = sorted(set(args.lessons) - set(known))
    if unknown:
        parser.error(f"no such lesson: {', '.join(unknown)} (have: {', '.join(known)})")
    return status(args) if args.command == "status" else generate(args)


if __name__ == "__main__":
    sys.exit(main())
