"""Feedback for students that cannot carry a hidden test (nbgrader's feedback HTML shows them otherwise).

A student's function can read the source of the test calling it (from the stack, from linecache)
and print it later, in any form. So no output produced during grading reaches a feedback page for
any cell at or after the first hidden test. `course.py grade --feedback` runs each submission once
more, in the sandbox, with the hidden tests taken out (the visible run), and the page shows that
run's outputs: nothing in it ever saw a hidden test. HideHiddenTests (a GenerateFeedback
preprocessor, see nbgrader_config.py) then cuts each hidden region out of the test cells and adds
each test's verdict from the gradebook. A notebook that is not such a visible run (Formgrader's
Generate Feedback button) keeps no output at or after the first hidden test. find_leaks() checks
the written HTML, base64 blobs decoded, independently of how it was made.
"""
import base64
import binascii
import html
import os
import re

from nbformat.v4 import new_output
from nbgrader.preprocessors import NbGraderPreprocessor

from .i18n import _, language, notebook_lang

BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
MIN_LINE = 12  # letters and digits; shorter lines ("dxdyout") prove nothing
_TAG = re.compile(r"<[^>]+>")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]+")
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")
TOKEN_VARIABLE = "GRADING_VISIBLE_RUN_TOKEN"  # set by `course.py grade --feedback` for its own nbgrader run


HIDDEN_NOTE = "(hidden tests ran here; they are not shown)"


def split_hidden(source, lang="en"):
    """(visible source with each hidden region replaced by a note in `lang`, hidden lines)."""
    visible, hidden, inside = [], [], False
    for line in source.split("\n"):
        if BEGIN in line:
            inside = True
            indent = line[:len(line) - len(line.lstrip())]
            visible.append(f"{indent}# {_(HIDDEN_NOTE, lang)}")
        elif END in line:
            inside = False
        elif inside:
            hidden.append(line)
        else:
            visible.append(line)
    return "\n".join(visible), hidden


def _in_language(source, lang):
    """source with the English note of a visible run (grading.run.released) in `lang`."""
    if _(HIDDEN_NOTE, lang) == HIDDEN_NOTE:
        return source
    return "\n".join(line.replace(f"# {HIDDEN_NOTE}", f"# {_(HIDDEN_NOTE, lang)}") if line.strip() == f"# {HIDDEN_NOTE}"
                     else line for line in source.split("\n"))


def without_hidden(source):
    """The source as nbgrader releases it: hidden regions and their markers removed."""
    return "\n".join(line for line in split_hidden(source)[0].split("\n") if line.strip() != f"# {HIDDEN_NOTE}")


def squash(text):
    """Letters and digits only: a line still matches after repr() escaping, HTML highlighting or re-wrapping."""
    return _NOT_ALNUM.sub("", text)


def secret_lines(sources, known=()):
    """Squashed hidden-test lines worth searching for: long enough, and in no visible code.

    sources: cells that may hold hidden regions; known: more code the reader sees anyway
    (a student's own cells: a line they wrote themselves reveals nothing to them).
    """
    hidden, visible = set(), [squash(text) for text in known]
    for source in sources:
        shown, lines = split_hidden(source)
        hidden.update(squash(line) for line in lines)
        visible.append(squash(shown))
    seen = "\n".join(visible)
    return {line for line in hidden if len(line) >= MIN_LINE and line not in seen}


def quotes(text, lines):
    """True when text contains one of the (squashed) secret lines."""
    flat = squash(text)
    return any(line in flat for line in lines)


def _output_text(output):
    parts = [output.get("text", ""), output.get("evalue", ""), *output.get("traceback", [])]
    parts += [v for v in output.get("data", {}).values() if isinstance(v, str)]
    return _ANSI.sub("", "\n".join(parts))


def verdict(cell, visible_run, lang="en"):
    """The line a feedback page shows under a test cell: its points, and what they mean."""
    meta = cell.metadata.get("nbgrader", {})
    score, points = meta.get("score"), meta.get("points")
    if score is None or points is None:
        return None
    points_ = dict(score=f"{float(score):g}", points=f"{float(points):g}")
    if float(score) >= float(points):
        return _("PASSED: {score} of {points} points.", lang).format(**points_) + "\n"
    text = _("FAILED: {score} of {points} points.", lang).format(**points_)
    if visible_run and not any(o.output_type == "error" for o in cell.outputs):
        text += _(" The visible checks above passed; the hidden tests did not.", lang)
    elif visible_run:
        text += _(" The message above is from the visible checks.", lang)
    return text + "\n"


class HideHiddenTests(NbGraderPreprocessor):
    """Remove hidden tests, and every output that could carry them, from a notebook before feedback."""

    def preprocess(self, nb, resources):
        token = os.environ.get(TOKEN_VARIABLE)
        visible_run = bool(token) and nb.metadata.get("grading", {}).get("visible_run") == token
        lang = language(notebook_lang=notebook_lang(nb))
        nb.metadata.pop("grading", None)
        secrets = secret_lines([cell.source for cell in nb.cells if BEGIN in cell.source],
                               known=[cell.source for cell in nb.cells if BEGIN not in cell.source])
        first = next((i for i, cell in enumerate(nb.cells) if BEGIN in cell.source), len(nb.cells))
        for index, cell in enumerate(nb.cells):
            had_hidden = BEGIN in cell.source
            cell.source = _in_language(split_hidden(cell.source, lang)[0], lang)
            if cell.cell_type != "code":
                continue
            if index >= first and not visible_run:
                cell.outputs = []  # produced once a hidden test had run: it may carry one
            else:
                cell.outputs = [self._clean(o, had_hidden, secrets, lang) for o in cell.outputs]
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") and not meta.get("solution"):
                line = verdict(cell, visible_run, lang)
                if line:
                    cell.outputs.append(new_output("stream", name="stdout", text=line))
        return nb, resources

    @staticmethod
    def _clean(output, had_hidden, secrets, lang="en"):
        if quotes(_output_text(output), secrets):
            return new_output("stream", name="stdout",
                              text=_("[output removed: it showed the hidden tests]", lang) + "\n")
        if output.output_type == "error" and had_hidden:
            output.traceback = [f"{output.ename}: {output.evalue}"]  # no quoted source lines
        return output


def _decoded(text, depth=2):
    """Text of every base64 blob in text (and in those, depth levels down), for the leak check."""
    found = []
    for blob in _BASE64.findall(text):
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                raw = decode(blob + "=" * (-len(blob) % 4))
            except (binascii.Error, ValueError):
                continue
            inner = raw.decode("latin-1")
            found.append(inner)
            if depth > 1:
                found += _decoded(inner, depth - 1)
            break
    return found


def find_leaks(page, lines):
    """The secret lines that a feedback page (HTML) shows, tags and escapes removed, base64 decoded."""
    text = html.unescape(page)
    flat = "\n".join(squash(t) for t in [_TAG.sub("", text), text, *_decoded(text)])
    return sorted(line for line in lines if line in flat)
