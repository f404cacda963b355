"""Read, update and apply the lesson catalogs."""
import copy
from pathlib import Path

import nbformat
import polib

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale"
SOLUTIONS = ROOT / "solutions"
LANGUAGES = {"ko": "Korean (한국어)"}


def catalog_path(lang, lesson):
    return LOCALE / lang / "LC_MESSAGES" / f"{lesson}.po"


def source_notebook(lesson):
    (path,) = sorted((SOLUTIONS / lesson).glob("*.ipynb"))
    return path


def translatable(nb):
    """(cell id, English source) of every markdown cell with text: what a translator translates."""
    return [(cell.id, cell.source) for cell in nb.cells if cell.cell_type == "markdown" and cell.source.strip()]


def load(lang, lesson):
    path = catalog_path(lang, lesson)
    if not path.exists():
        raise FileNotFoundError(f"no {LANGUAGES.get(lang, lang)} catalog for {lesson}: {path.relative_to(ROOT)}")
    return polib.pofile(str(path), wrapwidth=0)


def update(lang, lesson):
    """Bring the catalog in line with the English source; returns (added, made fuzzy, made obsolete) counts."""
    path = catalog_path(lang, lesson)
    nb = nbformat.read(source_notebook(lesson), as_version=4)
    if path.exists():
        po = polib.pofile(str(path), wrapwidth=0)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        po = polib.POFile(wrapwidth=0)
        po.metadata = {"Project-Id-Version": f"backprop-course {lesson}", "Language": lang,
                       "MIME-Version": "1.0", "Content-Type": "text/plain; charset=UTF-8",
                       "Content-Transfer-Encoding": "8bit"}
    by_id = {entry.msgctxt: entry for entry in po}
    added = fuzzy = obsolete = 0
    wanted = translatable(nb)
    for cell_id, text in wanted:
        entry = by_id.get(cell_id)
        if entry is None:
            po.append(polib.POEntry(msgctxt=cell_id, msgid=text, msgstr="",
                                    occurrences=[(f"{source_notebook(lesson).relative_to(ROOT)}", cell_id)]))
            added += 1
        elif entry.msgid != text:
            entry.previous_msgid = entry.msgid
            entry.msgid = text
            if "fuzzy" not in entry.flags:
                entry.flags.append("fuzzy")
            fuzzy += 1
        if entry is not None and entry.obsolete:
            entry.obsolete = False
    keep = {cell_id for cell_id, _ in wanted}
    for entry in po:
        if entry.msgctxt not in keep and not entry.obsolete:
            entry.obsolete = True
            obsolete += 1
    order = {cell_id: i for i, (cell_id, _) in enumerate(wanted)}
    po.sort(key=lambda e: order.get(e.msgctxt, len(order)))
    po.save(str(path))
    return added, fuzzy, obsolete


def problems(lang, lesson):
    """Entries that keep the translated notebook from being built: one line each, naming the cell."""
    po = load(lang, lesson)
    nb = nbformat.read(source_notebook(lesson), as_version=4)
    by_id = {entry.msgctxt: entry for entry in po if not entry.obsolete}
    found = []
    for cell_id, text in translatable(nb):
        entry = by_id.get(cell_id)
        if entry is None:
            found.append(f"{lesson}, cell {cell_id}: not in the catalog (run `python3 course.py translations`)")
        elif entry.msgid != text:
            found.append(f"{lesson}, cell {cell_id}: the English changed since the catalog was updated")
        elif "fuzzy" in entry.flags:
            found.append(f"{lesson}, cell {cell_id}: fuzzy (the English changed; check and update the translation)")
        elif not entry.msgstr.strip():
            found.append(f"{lesson}, cell {cell_id}: not translated")
    return found


def translate_notebook(nb, lang, lesson):
    """A copy of nb with every markdown cell in `lang`; raises ValueError listing what is missing."""
    missing = problems(lang, lesson)
    if missing:
        raise ValueError(f"the {LANGUAGES.get(lang, lang)} catalog of {lesson} is not complete:\n  "
                         + "\n  ".join(missing))
    by_id = {entry.msgctxt: entry.msgstr for entry in load(lang, lesson) if not entry.obsolete}
    out = copy.deepcopy(nb)
    for cell in out.cells:
        if cell.cell_type == "markdown" and cell.id in by_id:
            cell.source = by_id[cell.id]
    out.metadata["course"] = {"lang": lang}
    return out
