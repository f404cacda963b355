"""Hidden tests draw random inputs: a correct answer must pass every draw, not just most.

Each solution notebook is run once; every grade cell with hidden tests is then run again
HIDDEN_TEST_RUNS times (default 10), each time with new random inputs. A draw near a kink (ReLU at 0, a
tie in a max) or with a loss large enough for round-off to swamp finite differences fails a correct
answer by chance. Such flakes are rare, so for a real search raise the count, e.g.
`HIDDEN_TEST_RUNS=2000 python3 course.py test tests/test_hidden_stability.py`.
"""
import contextlib
import io
import os

import matplotlib.pyplot as plt
import pytest

from course_tools import SOLUTIONS, grade_id, run_notebook

RUNS = int(os.environ.get("HIDDEN_TEST_RUNS", "10"))
NOTEBOOKS = sorted(SOLUTIONS.glob("*/*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.parent.name for p in NOTEBOOKS])
def test_hidden_tests_pass_the_solution_on_every_draw(path):
    failures, checked = [], []

    def rerun_hidden(cell, run):
        if "### BEGIN HIDDEN TESTS" not in cell.source or not cell.metadata.get("nbgrader", {}).get("grade"):
            return
        checked.append(grade_id(cell))
        for attempt in range(1, RUNS + 1):
            try:
                run()
            except Exception as error:
                failures.append(f"{grade_id(cell)}, run {attempt}: {type(error).__name__}: {error}")
            finally:
                plt.close("all")

    with contextlib.redirect_stdout(io.StringIO()):
        run_notebook(path, after_cell=rerun_hidden)
    plt.close("all")
    assert checked, f"{path.name}: no grade cell with hidden tests"
    assert not failures, f"{path.name}: the solution failed its own hidden tests:\n" + "\n".join(failures)
