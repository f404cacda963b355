"""The grading round trip, with real `nbgrader autograde` on a throw-away course root.

For every lesson: the solution gets full marks, the untouched student notebook gets 0, and every
known-wrong answer in tests/wrong_answers loses the points of its exercise.
"""
import nbformat
import pytest
from nbgrader.api import Gradebook

from course_tools import LESSON_NAMES, SOLUTIONS, fill_in, grade_id, make_course_root, nbgrader, solution_sources
from wrong_answers import wrong_answers

pytestmark = pytest.mark.grading


def grade_cell_for(exercise):
    return "test_" + exercise.removeprefix("ex_")


@pytest.fixture(scope="module", params=LESSON_NAMES)
def graded(request, tmp_path_factory):
    """Generate, submit (solution, blank, every wrong answer), autograde; return the scores."""
    lesson = request.param
    root = make_course_root(tmp_path_factory.mktemp(lesson), [lesson])
    nbgrader(root, "generate_assignment", lesson, "--force")
    (source_path,) = (SOLUTIONS / lesson).glob("*.ipynb")
    source = nbformat.read(source_path, as_version=4)
    student = nbformat.read(root / "lessons" / lesson / source_path.name, as_version=4)
    solutions = solution_sources(source)
    wrong = wrong_answers(lesson)

    submissions = {"solution": fill_in(student, solutions), "blank": student}
    labels = {}
    for exercise, answers in wrong.items():
        for i, (label, code) in enumerate(answers.items()):
            sid = f"wrong-{exercise}-{i}"
            submissions[sid] = fill_in(student, {**solutions, exercise: code})
            labels[sid] = (exercise, label)
    for sid, nb in submissions.items():
        folder = root / "submitted" / sid / lesson
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / source_path.name)
    nbgrader(root, "autograde", lesson, "--force")

    scores = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for sid in submissions:
            nb = gb.find_submission_notebook(source_path.stem, lesson, sid)
            scores[sid] = {g.name: (g.auto_score, g.max_score) for g in nb.grades if g.cell_type == "code"}
    return {"lesson": lesson, "source": source, "scores": scores, "labels": labels, "wrong": wrong}


def test_solution_gets_full_marks(graded):
    assert graded["scores"]["solution"], f"{graded['lesson']}: no autograded cells were found"
    for cell, (score, max_score) in graded["scores"]["solution"].items():
        assert score == max_score, f"{graded['lesson']}: the solution scores {score}/{max_score} on {cell}"


def test_blank_notebook_gets_zero(graded):
    total = sum(score or 0 for score, _ in graded["scores"]["blank"].values())
    assert total == 0, f"{graded['lesson']}: the untouched student notebook scores {total}"


def test_every_exercise_has_known_wrong_answers(graded):
    exercises = {grade_id(c) for c in graded["source"].cells
                 if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")}
    assert exercises == set(graded["wrong"]), "tests/wrong_answers must cover exactly the lesson's exercises"
    for exercise, answers in graded["wrong"].items():
        assert len(answers) >= 2, f"{exercise}: at least two known-wrong answers are needed"
        assert grade_cell_for(exercise) in graded["scores"]["solution"], f"{exercise} has no test cell {grade_cell_for(exercise)}"


def test_wrong_answers_lose_points(graded):
    survivors = []
    for sid, (exercise, label) in graded["labels"].items():
        score, max_score = graded["scores"][sid][grade_cell_for(exercise)]
        if score >= max_score:
            survivors.append(f"{exercise}: '{label}' kept {score}/{max_score}")
    assert not survivors, "known-wrong answers passed:\n" + "\n".join(survivors)
