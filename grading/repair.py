"""Put a submission's graded cells back as the gradebook knows them, and say what was changed.

nbgrader restores the source of edited test cells itself, but a deleted test cell, a test cell
whose nbgrader metadata was flipped (no longer a grade cell, unlocked, other points) or one
tagged to be skipped would cost the learner all points or earn them points they did not earn.
Here every cell with a known grade id gets its metadata back, deleted test cells are put back
where they were, tags are taken off test cells, and each change is reported.
"""
import copy
from dataclasses import dataclass, field

import nbformat

from .feedback import without_hidden
from .gradebook import opened

FLAGS = ("grade", "solution", "locked", "task")


@dataclass
class CellSpec:
    grade_id: str
    cell_type: str
    source: str
    grade: bool
    solution: bool
    locked: bool
    task: bool
    points: float = 0.0

    @property
    def is_test(self):
        return self.grade and not self.solution and self.cell_type == "code"

    def metadata(self):
        meta = {f: getattr(self, f) for f in FLAGS}
        meta.update(grade_id=self.grade_id, schema_version=3)
        if self.grade or self.task:
            meta["points"] = self.points
        return meta


@dataclass
class NotebookSpec:
    name: str
    cells: dict = field(default_factory=dict)  # grade_id -> CellSpec, in notebook order

    @property
    def test_ids(self):
        return {gid for gid, spec in self.cells.items() if spec.is_test}


def read_spec(db_url, lesson):
    """name -> NotebookSpec for every notebook of a lesson registered in the gradebook."""
    specs = {}
    with opened(db_url) as gb:
        for notebook in gb.find_assignment(lesson).notebooks:
            points = {c.name: float(c.max_score) for c in [*notebook.grade_cells, *notebook.task_cells]}
            grades = {c.name for c in notebook.grade_cells}
            solutions = {c.name for c in notebook.solution_cells}
            tasks = {c.name for c in notebook.task_cells}
            spec = NotebookSpec(notebook.name)
            for cell in notebook.source_cells:
                spec.cells[cell.name] = CellSpec(
                    cell.name, cell.cell_type, cell.source, cell.name in grades, cell.name in solutions,
                    bool(cell.locked), cell.name in tasks, points.get(cell.name, 0.0))
            specs[notebook.name] = spec
    return specs


def _normalized(source):
    """Source lines without blank lines or trailing spaces (what removing a hidden region leaves varies)."""
    return [line.rstrip() for line in source.split("\n") if line.strip()]


def _restore_metadata(cell, spec):
    """Set the nbgrader metadata of a known cell back; return what differed."""
    meta = cell.metadata.setdefault("nbgrader", {})
    changed = []
    for name, want in spec.metadata().items():
        got = meta.get(name)
        same = got == want if name != "points" else _as_float(got) == want
        if not same and name != "schema_version":
            changed.append(f"{name}: {got!r}, should be {want!r}")
    cell.metadata["nbgrader"] = spec.metadata()
    if spec.locked:
        cell.metadata.update(deletable=False, editable=False)
    return changed


def _as_float(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _new_cell(spec, taken):
    make = nbformat.v4.new_code_cell if spec.cell_type == "code" else nbformat.v4.new_markdown_cell
    cell = make(spec.source)
    cell.metadata = {"nbgrader": spec.metadata(), "deletable": False, "editable": False}
    cell.id = f"restored-{spec.grade_id}".replace("_", "-")[:64]
    while cell.id in taken:
        cell.id = cell.id[:60] + "-x"
    return cell


def repair(nb, spec):
    """Restore the graded cells of nb (in place) from spec; return a list of what was changed."""
    notes, seen = [], set()
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta is None:
            continue
        gid = meta.get("grade_id") if isinstance(meta, dict) else None
        if gid not in spec.cells or gid in seen:
            del cell.metadata["nbgrader"]  # not a cell of this lesson, or a second copy of one
            notes.append(f"removed nbgrader metadata from a cell that is not in the lesson ({gid or 'no id'})"
                         if gid not in seen else f"ignored a second copy of cell {gid}")
            continue
        seen.add(gid)
        want = spec.cells[gid]
        changed = _restore_metadata(cell, want)
        if changed:
            notes.append(f"metadata of {gid} changed ({'; '.join(changed)}): restored")
        if cell.cell_type != want.cell_type:
            notes.append(f"cell {gid} became {cell.cell_type}: nbgrader restores it as {want.cell_type}")
        if want.is_test:
            tags = cell.metadata.pop("tags", [])
            if tags:
                notes.append(f"test cell {gid} was tagged {', '.join(map(repr, tags))}: tags removed")
            if _normalized(cell.source) != _normalized(without_hidden(want.source)):
                notes.append(f"test cell {gid} was edited: graded with the original")
    notes += _put_back_missing(nb, spec, seen)
    return notes


def _put_back_missing(nb, spec, present):
    """Insert the gradebook's copy of each missing graded or locked cell after its predecessor."""
    notes, order = [], list(spec.cells)
    taken = {cell.get("id") for cell in nb.cells}
    for gid in order:
        want = spec.cells[gid]
        if gid in present:
            continue
        if not (want.grade or want.locked):
            notes.append(f"exercise cell {gid} is missing")
            continue
        before = [g for g in order[:order.index(gid)] if g in present]
        at = 0
        if before:
            at = 1 + next(i for i, c in enumerate(nb.cells)
                          if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == before[-1])
        cell = _new_cell(copy.deepcopy(want), taken)
        taken.add(cell.id)
        nb.cells.insert(at, cell)
        present.add(gid)
        notes.append(f"{'test cell' if want.is_test else 'cell'} {gid} was deleted: put back")
    return notes
