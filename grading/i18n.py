"""The language of what the grade command prints and of the notes it adds to feedback.

English unless the lesson is Korean: a Korean submission carries `{"course": {"lang": "ko"}}` in its
metadata, a Korean course root is `locale/ko` (its own nbgrader course), and the grader sets COURSE_LANG
for the run. The texts are translated with the helpers' catalog (helpers/locale/<lang>/LC_MESSAGES/helpers.po).
The CSV's column names and statuses never change: they are read by programs.
"""
import os
from pathlib import Path

from helpers.i18n import _normal, translate


def notebook_lang(nb):
    """The language a notebook says it is in (metadata course.lang), if it is one of the course's; else None.

    Submissions are untrusted: anything but a known language code is ignored."""
    course = (nb.get("metadata") or {}).get("course")
    return _normal(course.get("lang")) if isinstance(course, dict) and isinstance(course.get("lang"), str) else None


def language(root=None, notebook_lang=None):
    """'ko' or 'en': the notebook's own language, else the course root's (locale/<lang>), else COURSE_LANG."""
    lang = _normal(notebook_lang)
    if lang:
        return lang
    if root is not None:
        path = Path(root).resolve()
        if path.parent.name == "locale" and _normal(path.name):
            return _normal(path.name)
    return _normal(os.environ.get("COURSE_LANG")) or "en"


def _(text, lang):
    """text in lang (English when the catalog has no translation)."""
    return translate(text, lang)
