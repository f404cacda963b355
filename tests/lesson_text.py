"""Checks of a lesson's markdown that JupyterLab would otherwise show wrong (run on every lesson by
tests/test_notation.py), and of the length of Lessons 4 to 6's prose."""
import contextlib
import io
import re

from course_tools import strip_markers

def markdown_problems(nb):
    """Markdown that JupyterLab renders differently from what its source intends.

    - `$` touching a backtick: JupyterLab hides the `$` of "$math$`code`" from its maths parser, so the maths runs
      on into the following lines (a table then shows as raw `|` text from that row on);
    - an odd number of unescaped `$` in a cell: some maths never closes;
    - a table row whose number of cells differs from its header's (an unescaped `|` inside a cell).
    """
    problems = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        text = cell.source
        if re.search(r"\$`|`\$", text):
            problems.append(f"{cell.id}: `$` touching a backtick")
        if len(re.findall(r"(?<!\\)\$", text)) % 2:
            problems.append(f"{cell.id}: an odd number of `$`")
        header = None
        for line in text.splitlines():
            if not line.startswith("|"):
                header = None
                continue
            cells = len(re.findall(r"(?<!\\)\|", re.sub(r"`[^`]*`", "", line))) - 1
            if header is None:
                header = cells
            elif cells != header:
                problems.append(f"{cell.id}: a table row with {cells} cells under a header of {header}: {line[:60]}")
    return problems


def words(text):
    """The number of words of prose in a markdown cell (tables left out, maths counted as one word per formula)."""
    text = "\n".join(line for line in text.splitlines() if not line.startswith("|"))
    text = re.sub(r"\$\$.*?\$\$", " F ", text, flags=re.S)
    text = re.sub(r"\$[^$]*\$", " F ", text)
    return len(re.findall(r"[\w'’-]+", text))


def printed(ns, cell):
    """What a code cell prints when it runs again in the notebook's namespace."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(strip_markers(cell.source), ns)
    return out.getvalue()


def lesson_problems(path, limit=180):
    """Everything wrong with a lesson's text: markdown that renders wrong, prose cells longer than `limit` words
    (graded written answers aside), and any use of a helper that would hold an exercise's answer."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    long = [f"{c.id}: {words(c.source)} words" for c in nb.cells if c.cell_type == "markdown"
            and words(c.source) > limit and not (c.metadata.get("nbgrader") or {}).get("grade")]
    layers = ["uses helpers.layers"] if any("helpers.layers" in c.source for c in nb.cells) else []
    return markdown_problems(nb) + long + layers
