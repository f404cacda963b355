"""What a translation of a markdown cell must keep from its English: the parts that are not prose.

The same LaTeX formulas, code spans and code blocks, link targets and images, the same number of table
rows, the same headings' levels in order, and nbgrader's markers. Words change; these do not.
"""
import re

FENCE = re.compile(r"^[ \t]*(```|~~~).*?^[ \t]*\1[ \t]*$", re.M | re.S)
CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)
DISPLAY_MATH = re.compile(r"(?<!\\)\$\$(.+?)(?<!\\)\$\$", re.S)
INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\$)((?:\\.|[^$\\])+?)(?<!\\)\$")
LINK_TARGET = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]", re.M)
TABLE_DELIMITER = re.compile(r"^\s{0,3}\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
MARKERS = re.compile(r"^.*(?:BEGIN|END) (?:SOLUTION|HIDDEN TESTS|MARK SCHEME).*$", re.M)


def _squeeze(text):
    return " ".join(text.split())


def table_rows(source):
    """Rows (header included) of the GitHub-style tables of a markdown source."""
    lines, rows, fenced = source.splitlines(), 0, False
    for i, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        if fenced or not (i + 1 < len(lines) and TABLE_DELIMITER.match(lines[i + 1]) and "|" in line):
            continue
        rows += 1
        for body in lines[i + 2:]:
            if not body.strip() or "|" not in body:
                break
            rows += 1
    return rows


def parts(source):
    """The untranslatable parts of a markdown cell: {kind: value}, compared between the two languages."""
    blocks = [_squeeze(m.group(0)) for m in FENCE.finditer(source)]
    text = FENCE.sub(" ", source)
    spans = [_squeeze(m.group(2)) for m in CODE_SPAN.finditer(text)]
    text = CODE_SPAN.sub(" ", text)
    maths = [_squeeze(m.group(1)) for m in DISPLAY_MATH.finditer(text)]
    text = DISPLAY_MATH.sub(" ", text)
    maths += [_squeeze(m.group(1)) for m in INLINE_MATH.finditer(text)]
    return {
        "LaTeX formulas": set(maths),
        "code spans": set(spans),
        "code blocks": set(blocks),
        "link targets": set(LINK_TARGET.findall(FENCE.sub(" ", source))),
        "table rows": table_rows(source),
        "heading levels": [len(h) for h in HEADING.findall(FENCE.sub(" ", source))],
        "nbgrader markers": [m.strip() for m in MARKERS.findall(source)],
    }


def differences(english, translated):
    """What the translation lost or added against its English, one phrase each ([] when they agree)."""
    want, got = parts(english), parts(translated)
    found = []
    for kind, value in want.items():
        other = got[kind]
        if isinstance(value, set):
            lost, added = sorted(value - other), sorted(other - value)
            if lost:
                found.append(f"{kind} missing: {', '.join(map(repr, lost[:4]))}")
            if added:
                found.append(f"{kind} not in the English: {', '.join(map(repr, added[:4]))}")
        elif value != other:
            found.append(f"{kind}: {value} in the English, {other} in the translation")
    return found
