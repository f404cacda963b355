"""The browser suite's rendering checks, on made-up rendered cells (no browser needed)."""
import pytest

from browser_lab import FIGURE_AS_TEXT, _markdown_cell_problems, table_rows, unrun_code_cells


@pytest.mark.parametrize("source, rows", [
    ("no table | here", 0),
    ("| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |", 3),
    ("intro\n\n| a |\n|:-:|\n| 1 |\n\ntext\n\n| x | y |\n| --- | --- |\n| 1 | 2 |", 4),
    ("```\n| a | b |\n|---|---|\n```", 0),
    ("| a | b |\n|---|---|\n| 1 | 2 |\n\n| lost row |", 2),
])
def test_table_rows_counts_what_the_source_means(source, rows):
    assert table_rows(source) == rows


def view(text="", rows=0, errors=(), undefined=()):
    return {"text": text, "rows": rows, "maths": 0, "errors": list(errors), "undefinedMacros": list(undefined)}


def test_each_kind_of_unrendered_markdown_is_named_with_its_cell():
    table = "| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |"
    assert _markdown_cell_problems(3, table, view(rows=3)) == []
    assert "its tables have 3 rows in the source but 2 render" in _markdown_cell_problems(3, table, view(rows=2))[0]
    said = " ".join(_markdown_cell_problems(5, "text", view(text="before\n| 3 | 4 |\nafter")))
    assert "markdown cell 5 ('text')" in said and "raw text: | 3 | 4 |" in said
    joined = "a = b; dx = dout | | gradient | 기울기 | the derivative | | epoch | 에폭 | one pass"  # rows run together
    assert "raw text: a = b; dx = dout | | gradient" in " ".join(_markdown_cell_problems(5, "t", view(text=joined)))
    assert _markdown_cell_problems(5, "t", view(text="either a | b, a plain bar")) == []
    for text, what in [("cost $$ here", "literal $$"), ("see $x_1$ there", "unrendered inline maths"),
                       ("a \\frac left", "LaTeX command shown as text"), ("open $\\sigma", "did not render")]:
        assert what in " ".join(_markdown_cell_problems(0, "m", view(text=text))), text
    assert _markdown_cell_problems(0, "m", view(text="costs $5, fine")) == []
    assert "MathJax error: Extra close brace" in _markdown_cell_problems(0, "m", view(errors=["Extra close brace"]))[0]
    assert "undefined LaTeX macro \\foo" in _markdown_cell_problems(0, "m", view(undefined=["\\foo"]))[0]
    assert "is not rendered" in _markdown_cell_problems(0, "m", None)[0]


def test_a_figures_text_form_is_recognised():
    assert FIGURE_AS_TEXT.search("<Figure size 1020x230 with 24 Axes>")
    assert FIGURE_AS_TEXT.search("<matplotlib.figure.Figure at 0x7f00>")
    assert not FIGURE_AS_TEXT.search("Figure 3 shows the loss")


def test_a_collapsed_cell_ran_when_the_visible_counts_leave_room_for_it():
    assert unrun_code_cells(["[1]:", None, "[3]:", None, None, "[6]:"]) == []
    assert unrun_code_cells(["[1]:", None, "[2]:"]) == [1]  # no count left for the collapsed cell
    assert unrun_code_cells(["[1]:", "[ ]:", None, "[ ]:"]) == [1, 2, 3]  # Run All stopped after the first
    assert unrun_code_cells([None, None]) == [0, 1]
