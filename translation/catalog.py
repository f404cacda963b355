"""Read, update and apply the lesson catalogs."""
import copy
from pathlib import Path

import nbformat
import polib

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = {"ko": "Korean (한국어)"}


def catalog_path(lang, lesson, root=None):
    """root: a course folder holding solutions/ and locale/ (default this course; tests pass a copy)."""
    return Path(root or ROOT) / "locale" / lang / "LC_MESSAGES" / f"{lesson}.po"


def source_notebook(lesson, root=None):
    (path,) = sorted((Path(root or ROOT) / "solutions" / lesson).glob("*.ipynb"))
    return path


def lessons(root=None):
    return sorted(p.name for p in (Path(root or ROOT) / "solutions").iterdir() if p.is_dir())


def translatable(nb):
    """(cell id, English source) of every markdown cell with text: what a translator translates."""
    return [(cell.id, cell.source) for cell in nb.cells if cell.cell_type == "markdown" and cell.source.strip()]


def load(lang, lesson, root=None):
    path = catalog_path(lang, lesson, root)
    if not path.exists():
        raise FileNotFoundError(f"no {LANGUAGES.get(lang, lang)} catalog for {lesson}: "
                                f"{path.relative_to(Path(root or ROOT))}")
    return polib.pofile(str(path), wrapwidth=0)


def update(lang, lesson, root=None):
    """Bring the catalog in line with the English source; returns (added, made fuzzy, made obsolete) counts."""
    path = catalog_path(lang, lesson, root)
    source = source_notebook(lesson, root)
    nb = nbformat.read(source, as_version=4)
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
                                    occurrences=[(f"solutions/{lesson}/{source.name}", cell_id)]))
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


def problems(lang, lesson, root=None):
    """Entries that keep the translated notebook from being built: one line each, naming the cell."""
    po = load(lang, lesson, root)
    nb = nbformat.read(source_notebook(lesson, root), as_version=4)
    by_id = {entry.msgctxt: entry for entry in po if not entry.obsolete}
    found = []
    for cell_id, text in translatable(nb):
        entry = by_id.get(cell_id)
        if entry is not None and entry.msgid != text:
            found.append(f"{lesson}, cell {cell_id}: the English changed since the catalog was updated")
        elif entry_problem(entry):
            found.append(f"{lesson}, cell {cell_id}: {entry_problem(entry)}")
    return found


def entry_problem(entry):
    """Why a catalog entry (or None: no entry) cannot be used, or None when it can."""
    if entry is None:
        return "not in the catalog (run `python3 course.py translations`)"
    if "fuzzy" in entry.flags:
        return "fuzzy (the English changed; check and update the translation)"
    if not entry.msgstr.strip():
        return "not translated"
    return None


def translate_notebook(nb, lang, lesson, root=None):
    """A copy of nb with every markdown cell in `lang`; raises ValueError listing what is missing."""
    missing = problems(lang, lesson, root)
    if missing:
        raise ValueError(f"the {LANGUAGES.get(lang, lang)} catalog of {lesson} is not complete:\n  "
                         + "\n  ".join(missing))
    by_id = {entry.msgctxt: entry.msgstr for entry in load(lang, lesson, root) if not entry.obsolete}
    out = copy.deepcopy(nb)
    for cell in out.cells:
        if cell.cell_type == "markdown" and cell.id in by_id:
            cell.source = by_id[cell.id]
    out.metadata["course"] = {"lang": lang}
    return out


def stats(lang, lesson, root=None):
    """Counts of the catalog's live entries: entries, translated (usable), fuzzy, untranslated."""
    live = [entry for entry in load(lang, lesson, root) if not entry.obsolete]
    fuzzy = sum("fuzzy" in entry.flags for entry in live)
    empty = sum(not entry.msgstr.strip() and "fuzzy" not in entry.flags for entry in live)
    return {"entries": len(live), "translated": len(live) - fuzzy - empty, "fuzzy": fuzzy, "untranslated": empty}


def structure_problems(lang, lesson, root=None):
    """Translated entries whose formulas, code, links, tables, headings or markers differ from the English."""
    from .structure import differences

    found = []
    for entry in load(lang, lesson, root):
        if entry.obsolete or "fuzzy" in entry.flags or not entry.msgstr.strip():
            continue
        found += [f"{lesson}, cell {entry.msgctxt}: {what}" for what in differences(entry.msgid, entry.msgstr)]
    return found


def build(lang, lesson, out, root=None):
    """Write the translated instructor notebook(s) of a lesson to out/<lesson>/, same file names.

    Raises ValueError (naming lesson and cells) when the catalog is not complete; nothing is written then.
    Other files of the lesson's folder are copied as they are.
    """
    root = Path(root or ROOT)
    folder = root / "solutions" / lesson
    source = source_notebook(lesson, root)
    translated = translate_notebook(nbformat.read(source, as_version=4), lang, lesson, root)
    dest = Path(out) / lesson
    if dest.exists():
        import shutil

        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for path in sorted(folder.rglob("*")):
        skip = {".ipynb_checkpoints", "__pycache__"} & set(path.relative_to(folder).parts)
        if path.is_file() and not skip and path != source:
            (dest / path.relative_to(folder)).parent.mkdir(parents=True, exist_ok=True)
            (dest / path.relative_to(folder)).write_bytes(path.read_bytes())
    nbformat.write(translated, dest / source.name)
    return dest / source.name
