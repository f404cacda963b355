"""Every known-wrong answer in tests/wrong_answers loses its exercise's points: one Python process per
lesson runs the solution notebook once and scores each wrong answer in a forked copy of it, as nbgrader
scores a test cell (see tests/answer_check.py). tests/test_grading.py grades a sample of the same answers
with real `nbgrader autograde` in the sandbox and checks that both give the same scores.
"""
import pytest

from answer_check import HIDDEN_ONLY, run_check
from course_tools import LESSON_NAMES
from wrong_answers import wrong_answers


@pytest.fixture(scope="module", params=LESSON_NAMES)
def checked(request):
    return request.param, run_check(request.param)


def test_the_solution_passes_every_test_cell(checked):
    lesson, result = checked
    failed = {cell: error for cell, error in result["solution"].items() if error}
    assert result["solution"] and not failed, f"{lesson}: the solution fails {failed}"


def test_every_wrong_answer_loses_its_points(checked):
    lesson, result = checked
    expected = {(e, label) for e, answers in wrong_answers(lesson).items() for label in answers}
    scored = {(e, label) for e, answers in result["wrong"].items() for label in answers}
    assert scored == expected, f"{lesson}: answers not scored: {sorted(expected - scored)}"
    survivors = [f"{e}: '{label}' kept {o['score']}/{o['points']}" for e, answers in result["wrong"].items()
                 for label, o in answers.items() if o["score"] >= o["points"] or o["points"] <= 0]
    assert not survivors, f"{lesson}: known-wrong answers passed:\n" + "\n".join(survivors)


def test_answers_marked_hidden_only_pass_the_visible_checks(checked):
    lesson, result = checked
    caught = [f"{e}: '{label}': {o['visible_error']}" for e, answers in result["wrong"].items()
              for label, o in answers.items() if HIDDEN_ONLY in label and o["visible_error"]]
    assert not caught, f"{lesson}: marked {HIDDEN_ONLY!r} but the visible checks catch them:\n" + "\n".join(caught)
