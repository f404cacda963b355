"""Feedback for students without the hidden tests (nbgrader's feedback HTML shows them otherwise).

HideHiddenTests is a GenerateFeedback preprocessor (see nbgrader_config.py): it cuts each hidden
region out of the test cells, shortens tracebacks of cells that had hidden tests to their last
line (a traceback quotes the failing source line), and removes any output that quotes a hidden
line (a submission can print the input history once the tests have run). find_leaks() checks
the written HTML, independently of how it was made.
"""
import html
import re

from nbformat.v4 import new_output
from nbgrader.preprocessors import NbGraderPreprocessor

BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
MIN_LINE = 12  # letters and digits; shorter lines ("dxdyout") prove nothing
_TAG = re.compile(r"<[^>]+>")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]+")


def split_hidden(source):
    """(visible source with each hidden region replaced by a note, hidden lines)."""
    visible, hidden, inside = [], [], False
    for line in source.split("\n"):
        if BEGIN in line:
            inside = True
            indent = line[:len(line) - len(line.lstrip())]
            visible.append(f"{indent}# (hidden tests ran here; they are not shown)")
        elif END in line:
            inside = False
        elif inside:
            hidden.append(line)
        else:
            visible.append(line)
    return "\n".join(visible), hidden


def without_hidden(source):
    """The source as nbgrader releases it: hidden regions and their markers removed."""
    return "\n".join(line for line in split_hidden(source)[0].split("\n") if not line.strip().startswith("# (hidden tests ran"))


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


class HideHiddenTests(NbGraderPreprocessor):
    """Remove hidden tests, and every trace of them in outputs, from a notebook before feedback."""

    def preprocess(self, nb, resources):
        secrets = secret_lines([cell.source for cell in nb.cells if BEGIN in cell.source],
                               known=[cell.source for cell in nb.cells if BEGIN not in cell.source])
        for cell in nb.cells:
            had_hidden = BEGIN in cell.source
            cell.source = split_hidden(cell.source)[0]
            if cell.cell_type == "code":
                cell.outputs = [self._clean(o, had_hidden, secrets) for o in cell.outputs]
        return nb, resources

    @staticmethod
    def _clean(output, had_hidden, secrets):
        if quotes(_output_text(output), secrets):
            return new_output("stream", name="stdout",
                              text="[output removed: it showed the hidden tests]\n")
        if output.output_type == "error" and had_hidden:
            output.traceback = [f"{output.ename}: {output.evalue}"]  # no quoted source lines
        return output


def find_leaks(page, lines):
    """The secret lines that a feedback page (HTML) shows, tags and escapes removed."""
    flat = squash(html.unescape(_TAG.sub("", page)))
    return sorted(line for line in lines if line in flat)
