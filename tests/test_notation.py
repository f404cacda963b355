"""One notation and one Korean glossary for the whole course (docs/notation.md), in every lesson.

Every lesson opens with a notation card: a markdown table near the top whose rows are rows of the
notation's symbols table, with the same meaning text. Every lesson ends with a key-terms table in
English and Korean; wherever one of its English terms is in the glossary, the Korean word is the
glossary's (an alternative may follow in parentheses only where the glossary puts one).
"""
import json
import re

import pytest

from course_tools import ROOT, SOLUTIONS

NOTATION = ROOT / "docs" / "notation.md"
NOTEBOOKS = sorted(SOLUTIONS.glob("*/*.ipynb"))
CARD_WITHIN = 6       # the notation card is among a lesson's first cells
KEY_TERMS_WITHIN = 4  # the key-terms table is among its last cells


# --- markdown tables ------------------------------------------------------------------

def split_row(line):
    """The cells of a table row; a | inside `code`, $maths$ or escaped as \\| does not split."""
    cells, current, code, maths, i = [], "", False, False, 0
    line = line.strip()
    while i < len(line):
        ch = line[i]
        if ch == "\\" and i + 1 < len(line) and line[i + 1] == "|":
            current, i = current + "|", i + 2
            continue
        if ch == "`" and not maths:
            code = not code
        elif ch == "$" and not code:
            maths = not maths
        if ch == "|" and not code and not maths:
            cells.append(current)
            current = ""
        else:
            current += ch
        i += 1
    cells.append(current)
    if cells and not cells[0].strip():
        cells = cells[1:]
    if cells and not cells[-1].strip():
        cells = cells[:-1]
    return [" ".join(c.split()) for c in cells]


DELIMITER = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")


def tables(markdown):
    """Every table of a markdown text as (header, rows), each row a list of cells."""
    lines, found = markdown.splitlines(), []
    for i in range(len(lines) - 1):
        if "|" in lines[i] and DELIMITER.match(lines[i + 1]):
            rows = []
            for line in lines[i + 2:]:
                if not line.strip() or "|" not in line:
                    break
                rows.append(split_row(line))
            found.append(([h.lower() for h in split_row(lines[i])], rows))
    return found


def section(markdown, heading):
    return markdown.split(heading, 1)[1].split("\n## ", 1)[0]


# --- docs/notation.md -------------------------------------------------------------------

def symbols():
    """docs/notation.md's symbols: a list of {"maths", "code", "meaning"}."""
    ((header, rows),) = tables(section(NOTATION.read_text(encoding="utf-8"), "## Symbols"))
    assert header == ["maths", "code", "meaning"], f"docs/notation.md's symbols table has columns {header}"
    return [dict(zip(header, row)) for row in rows]


def paren_free(text):
    return " ".join(re.sub(r"\([^)]*\)", " ", text).split())


def english_key(text):
    return paren_free(text).lower()


def term_pairs(english, korean):
    """(English term, Korean word) pairs a row stands for: the whole row, and each part of a / list.

    "upstream / local / downstream gradient" | "상류 / 국소 / 하류 기울기" also gives "upstream gradient" ->
    "상류 기울기": a one-word part takes the head noun of the last part, in each language.
    """
    pairs = [(english, korean)]
    en, ko = [p.strip() for p in english.split(" / ")], [p.strip() for p in korean.split(" / ")]
    if len(en) > 1 and len(en) == len(ko):
        en_head = en[-1].split(" ", 1)[1] if " " in paren_free(en[-1]) else ""
        ko_head = ko[-1].split(" ", 1)[1] if " " in paren_free(ko[-1]) else ""
        for e, k in zip(en, ko):
            pairs.append((e, k))
            if e != en[-1] and en_head and len(paren_free(e).split()) == 1:
                pairs.append((f"{e} {en_head}", f"{k} {ko_head}" if ko_head and len(k.split()) == 1 else k))
    return pairs


def glossary():
    """docs/notation.md's Korean glossary: English term (lower case, without parentheses) -> Korean word."""
    ((header, rows),) = tables(section(NOTATION.read_text(encoding="utf-8"), "## Korean terms"))
    words = {}
    for english, korean in rows:
        for e, k in term_pairs(english, korean):
            assert words.get(english_key(e), k) == k, f"docs/notation.md gives {e!r} two Korean words"
            words[english_key(e)] = k
    return words


def test_the_notation_itself_parses():
    rows = symbols()
    assert {"$y$", "$t$", "$L$"} <= {r["maths"] for r in rows}
    words = glossary()
    assert words["gradient"] == "기울기 (그래디언트)"
    assert words["upstream gradient"] == "상류 기울기" and words["exploding gradient"] == "기울기 폭주"
    assert words["he initialisation"] == "He 초깃값" and words["minibatch"] == "미니배치"
    assert split_row("| $|x|$ | `a|b` | c \\| d |") == ["$|x|$", "`a|b`", "c | d"]


# --- the lessons -------------------------------------------------------------------------

def markdown_cells(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [(i, "".join(c["source"]) if isinstance(c["source"], list) else c["source"])
            for i, c in enumerate(cells) if c["cell_type"] == "markdown"], len(cells)


def lesson(path):
    return path.parent.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lesson)
def test_every_lesson_opens_with_the_courses_notation_card(path):
    cells, _ = markdown_cells(path)
    cards = [(i, header, rows) for i, source in cells if i < CARD_WITHIN for header, rows in tables(source)
             if "meaning" in header and {"maths", "code", "symbol"} & set(header)]
    assert cards, (f"{lesson(path)}: no notation card in its first {CARD_WITHIN} cells (a markdown table "
                   "| maths | code | meaning | holding the rows of docs/notation.md the lesson uses)")
    at, header, rows = cards[0]
    known = symbols()
    problems = []
    for row in rows:
        card = dict(zip(header, row))
        symbol = card.get("maths") or card.get("symbol") or ""
        code = card.get("code", "")
        matches = [s for s in known if (symbol and symbol in (s["maths"], s["code"]))
                   or (not symbol and code and code == s["code"])]
        name = symbol or code
        if not matches:
            problems.append(f"{lesson(path)}, notation card (cell {at}): the symbol {name!r} is not defined "
                            "in docs/notation.md")
            continue
        expected = matches[0]
        for column in ("code", "meaning"):
            if column in card and card[column] != expected[column]:
                problems.append(f"{lesson(path)}, notation card (cell {at}), symbol {name!r}: {column} found "
                                f"{card[column]!r}, expected {expected[column]!r} (docs/notation.md)")
    assert rows and not problems, "\n".join(problems) or f"{lesson(path)}: the notation card has no rows"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lesson)
def test_every_lesson_ends_with_key_terms_in_the_glossarys_korean(path):
    cells, count = markdown_cells(path)
    key_terms = [(i, header, rows) for i, source in cells if i >= count - KEY_TERMS_WITHIN
                 for header, rows in tables(source) if "english" in header and "한국어" in header]
    assert key_terms, (f"{lesson(path)}: no key-terms table (columns | English | 한국어 | ...) in its last "
                       f"{KEY_TERMS_WITHIN} cells")
    at, header, rows = key_terms[-1]
    en, ko = header.index("english"), header.index("한국어")
    words = glossary()
    problems = []
    for row in rows:
        for english, korean in term_pairs(row[en], row[ko]):
            expected = words.get(english_key(english))
            if expected is not None and paren_free(korean) != paren_free(expected):
                problems.append(f"{lesson(path)}, key terms (cell {at}), term {english!r}: found {korean!r}, "
                                f"expected {expected!r} (docs/notation.md)")
            elif expected is not None and "(" in korean and korean != expected and "(" in expected:
                problems.append(f"{lesson(path)}, key terms (cell {at}), term {english!r}: found {korean!r}, "
                                f"expected {expected!r} (docs/notation.md; the alternative as the glossary gives it)")
    assert not problems, "\n".join(dict.fromkeys(problems))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lesson)
def test_every_lesson_renders_its_markdown_as_written(path):
    """No `$` touching a backtick, no unclosed maths, no table row wider or narrower than its header."""
    import nbformat

    from lesson_text import markdown_problems

    problems = markdown_problems(nbformat.read(path, as_version=4))
    assert not problems, f"{lesson(path)}: markdown that JupyterLab would show wrong:\n" + "\n".join(problems)


def test_the_markdown_check_catches_each_kind_of_breakage():
    import nbformat

    from lesson_text import markdown_problems

    def problems(source):
        return markdown_problems(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(source, id="c")]))

    assert problems("| a | b |\n|---|---|\n| $x$ | `y` |") == []
    assert "touching a backtick" in problems("$J^\\top$`dout`")[0]
    assert "odd number" in problems("the price is $5")[0]
    assert "a table row with 3 cells" in problems("| a | b |\n|---|---|\n| 1 | 2 | 3 |")[0]
