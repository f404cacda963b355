"""The language of learner-facing messages, and their translations.

The course is written in English; its Korean edition runs the very same code cells. Every message the
helpers print, raise or draw is English in the source and looked up at run time in the gettext catalog
shipped inside this package (`helpers/locale/<lang>/LC_MESSAGES/helpers.po`):

- `_(text)`: a helper's own message. Messages with values are templates with named fields, filled after
  the lookup (`_("{name} is {got}").format(name=..., got=...)`), so a language may order them freely.
- `given(text)`: a string a notebook passed to a helper (the `name` and `hint` of `assert_close`, the
  `where` of `require`, an explorer's title). It is looked up as it is; one that a notebook built with an
  f-string is matched against the catalog's templates of that f-string, and its values are carried over.

A message with no translation (or a fuzzy or empty one) stays English.

The language (`language()`): the running notebook's metadata `{"course": {"lang": ...}}` when the kernel
can find its notebook (Jupyter gives a kernel the notebook's path in JPY_SESSION_NAME), else the
environment variable COURSE_LANG, else English.
"""
import json
import os
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

LOCALE = Path(__file__).resolve().parent / "locale"
DOMAIN = "helpers"
LANGUAGES = ("en", "ko")
TEMPLATE_COMMENT = "f-string"  # the extracted comment of a catalog entry made from a notebook's f-string
_FIELD = re.compile(r"\{([A-Za-z_]\w*)\}")


def _normal(lang):
    """'ko', 'ko_KR.UTF-8', 'KO' -> 'ko'; None for anything not a language of the course."""
    code = str(lang or "").strip().lower().replace("-", "_").split(".")[0].split("_")[0]
    return code if code in LANGUAGES else None


@lru_cache(maxsize=8)
def _notebook_language(path, mtime):
    """metadata.course.lang of the notebook at path (None when it has none or cannot be read)."""
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size <= 4_000_000:
                meta = json.loads(f.read().decode("utf-8")).get("metadata", {})
                return _normal((meta.get("course") or {}).get("lang"))
            # a big notebook (pictures in its outputs): its metadata comes after the cells, at the end
            f.seek(size - 65536)
            tail = f.read().decode("utf-8", "replace")
    except (OSError, ValueError, AttributeError):
        return None
    found = re.findall(r'"course"\s*:\s*\{\s*"lang"\s*:\s*"([^"]*)"', tail)
    return _normal(found[-1]) if found else None


def _session_notebook():
    """The path of the running notebook, from JPY_SESSION_NAME (absolute, or relative to the kernel's folder)."""
    name = os.environ.get("JPY_SESSION_NAME", "")
    if not name.endswith(".ipynb"):
        return None
    for candidate in (Path(name), Path.cwd() / name, Path.cwd() / Path(name).name):
        if candidate.is_file():
            return candidate
    return None


def language():
    """The language of learner-facing messages: 'ko' or 'en' (see the module's docstring)."""
    path = _session_notebook()
    if path is not None:
        try:
            lang = _notebook_language(str(path), path.stat().st_mtime_ns)
        except OSError:
            lang = None
        if lang:
            return lang
    return _normal(os.environ.get("COURSE_LANG")) or "en"


def catalog_path(lang):
    return LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


class _Catalog:
    """The usable entries of one language: exact msgid -> msgstr, and the f-string templates as regexes."""

    def __init__(self, lang):
        self.exact, self.templates = {}, []
        path = catalog_path(lang)
        if not path.exists():
            return
        import polib

        for entry in polib.pofile(str(path), wrapwidth=0):
            if entry.obsolete or "fuzzy" in entry.flags or not entry.msgstr.strip():
                continue
            self.exact[entry.msgid] = entry.msgstr
            if TEMPLATE_COMMENT in (entry.comment or "") and _FIELD.search(entry.msgid):
                self.templates.append((_template_regex(entry.msgid), entry.msgstr))
        # longer templates first: "d {name}/dz" must not win over a more specific one
        self.templates.sort(key=lambda t: -len(_FIELD.sub("", t[0].pattern)))


def _template_regex(msgid):
    parts, last = [], 0
    for m in _FIELD.finditer(msgid):
        parts.append(re.escape(msgid[last:m.start()]))
        name = m.group(1)
        parts.append(f"(?P<{name}>.+?)" if f"(?P<{name}>" not in "".join(parts) else f"(?P={name})")
        last = m.end()
    parts.append(re.escape(msgid[last:]))
    return re.compile("".join(parts), re.S)


@lru_cache(maxsize=4)
def _catalog(lang):
    return _Catalog(lang)


def _(text):
    """The translation of a helper's own message into the current language (English when there is none)."""
    lang = language()
    if lang == "en":
        return text
    return _catalog(lang).exact.get(text, text)


def given(text):
    """The translation of a string a notebook passed to a helper (a check's name or hint, a title).

    Exact strings are looked up as they are; a string an f-string built is matched against the catalog's
    templates of that f-string (e.g. "grads['{name}'] after sgd_step") and the matched values are put
    into the translated template. Anything else (and None) is returned unchanged.
    """
    if not isinstance(text, str) or not text:
        return text
    lang = language()
    if lang == "en":
        return text
    catalog = _catalog(lang)
    if text in catalog.exact:
        return catalog.exact[text]
    for regex, translated in catalog.templates:
        m = regex.fullmatch(text)
        if m:
            values = m.groupdict()
            return _FIELD.sub(lambda f: values.get(f.group(1), f.group(0)), translated)
    return text


def width(text):
    """How many columns text takes in a monospace font: Hangul and other wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text, columns, align="<"):
    """text padded with spaces to `columns` columns ('<' left, '>' right), counting wide characters as two."""
    fill = " " * max(columns - width(text), 0)
    return text + fill if align == "<" else fill + text


def translate(text, lang):
    """The translation of a message into `lang` (not the running notebook's language): for tools such as
    the grader, which speak the language of a course root or a submission."""
    lang = _normal(lang) or "en"
    return text if lang == "en" else _catalog(lang).exact.get(text, text)
