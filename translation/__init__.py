"""The course in other languages: gettext PO catalogs beside the English source, translated notebooks generated.

One catalog per lesson and language (locale/<lang>/LC_MESSAGES/<lesson>.po): one entry per markdown cell,
keyed by the cell's id (msgctxt), with the cell's English source as msgid. When an English cell changes,
`update` marks its entry fuzzy (keeping the old translation and the old English as a guide for the
translator), and a fuzzy or empty entry is never used to build a notebook.
"""
from .catalog import (LANGUAGES, build, catalog_path, lessons, load, problems, stats,  # noqa: F401
                      structure_problems, translate_notebook, update)
