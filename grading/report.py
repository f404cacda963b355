"""The grades CSV (one row per student) and the summary printed after a grading run."""
import csv
from collections import Counter

from nbgrader.api import MissingEntry

from .gradebook import opened
from .i18n import _
from .run import STATUSES

COMPLETED = ("ok", "tampered_metadata", "timed_out")  # runs whose score counts the cells that ran


def _num(value):
    return "" if value is None else f"{float(value):g}"


def rows(settings, specs, record):
    """One dict per student in record: status, scores from the gradebook, repairs, flags, reasons."""
    cells = [(gid, spec) for nb in specs.values() for gid, spec in nb.cells.items() if spec.grade]
    out = []
    with opened(settings.db_url) as gb:
        for student, info in sorted(record.items()):
            row = {"student": student, "status": info["status"]}
            try:
                submission = gb.find_submission(settings.lesson, student)
                grades = {g.name: g for nb in submission.notebooks for g in nb.grades}
                row.update(score=_num(submission.score), max_score=_num(submission.max_score))
            except Exception as err:  # noqa: BLE001 (missing, or the gradebook failed for this student)
                grades = {}
                row.update(score="0", max_score=_num(sum(spec.points for _, spec in cells)))
                if not isinstance(err, MissingEntry):
                    row["status"] = "failed"
                    info = {**info, "reasons": [*info["reasons"], f"gradebook: {type(err).__name__}: {err}"[:300]]}
            for gid, _ in cells:
                grade = grades.get(gid)
                row[gid] = _num(grade.score) if grade is not None and not grade.needs_manual_grade else ""
            row["needs_manual_grading"] = "yes" if any(g.needs_manual_grade for g in grades.values()) else ""
            row["reason"] = "; ".join(info["reasons"])
            row["repairs"] = "; ".join(info["repairs"])
            row["flags"] = "; ".join(info["flags"])
            row["sandbox"] = info.get("sandbox") or "unknown"
            row["completed"] = info.get("completed", info["status"] in COMPLETED)  # for the summary only
            out.append(row)
    return out


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape(value):
    """A cell a spreadsheet shows as text: one starting like a formula gets a leading apostrophe."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_csv(path, table):
    """The CSV, every cell escaped against formula injection (student ids and messages come from students)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        fields = [k for k in table[0] if k != "completed"] if table else ["student", "status"]
        writer = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows({k: escape(v) for k, v in row.items() if k in fields} for row in table)


def summary(table, specs, lang="en"):
    """Lines to print: counts by status, mean score, the exercises most often failed, what to look at.

    In `lang` (the lesson's language); statuses, grade ids and student ids stay as the CSV has them."""
    if not table:
        return [_("no submissions found", lang)]
    tests = [gid for nb in specs.values() for gid, spec in nb.cells.items() if spec.is_test]
    counts = Counter(row["status"] for row in table)
    completed = [row for row in table if row["completed"]]
    top = table[0]["max_score"]
    lines = [_("{count} students: ", lang).format(count=len(table))
             + ", ".join(f"{s} {counts[s]}" for s in STATUSES if counts[s])]
    mean_all = sum(float(r["score"] or 0) for r in table) / len(table)
    line = _("mean score {mean} / {top} (all students)", lang).format(mean=f"{mean_all:.2f}", top=top)
    if completed and len(completed) < len(table):
        mean = sum(float(r["score"] or 0) for r in completed) / len(completed)
        line += _(", {mean} (completed runs only)", lang).format(mean=f"{mean:.2f}")
    lines.append(line)
    missed = Counter(gid for row in completed for gid in tests
                     if row[gid] != "" and float(row[gid]) < _max_points(specs, gid))
    if missed:
        of = _("{grade_id} ({count} of {total})", lang)
        lines.append(_("most often failed: ", lang) + ", ".join(of.format(grade_id=gid, count=n, total=len(completed))
                                                               for gid, n in missed.most_common(3)))
    for row in table:
        if row["status"] != "ok":
            lines.append("  " + _("{student}: {status} (score {score}): {reason}", lang).format(
                student=row["student"], status=row["status"], score=row["score"], reason=row["reason"]))
    flagged = [row for row in table if row["flags"]]
    if flagged:
        lines.append(_("flagged for review ({count}), see the flags column: ", lang).format(count=len(flagged))
                     + ", ".join(row["student"] for row in flagged))
    repaired = [row for row in table if row["repairs"]]
    if repaired:
        lines.append(_("repaired before grading ({count}), see the repairs column: ", lang).format(count=len(repaired))
                     + ", ".join(row["student"] for row in repaired))
    manual = sum(1 for row in table if row["needs_manual_grading"])
    if manual:
        lines.append(_("{count} submissions have written answers to grade by hand (Formgrader)", lang).format(
            count=manual))
    return lines


def _max_points(specs, gid):
    return next(nb.cells[gid].points for nb in specs.values() if gid in nb.cells)
