"""The grading round trip, with real `nbgrader autograde` on a throw-away course root.

For every lesson: the solution gets full marks, the untouched student notebook gets 0, and a sample of
the known-wrong answers in tests/wrong_answers (answer_check.sample: one caught only by the hidden tests
where the lesson has one, and those of two exercises) loses the points of its exercise. Every other
known-wrong answer is scored without nbgrader by tests/test_wrong_answers.py; here the two ways of scoring
are shown to agree on the sample, so that a difference between them fails the run.
"""
import os
import shutil
from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest
from nbgrader.api import Gradebook

from course_tools import (LESSON_NAMES, SOLUTIONS, ensure_bwrap, fill_in, grade_id, make_course_root, nbgrader,
                          nbgrader_process, solution_sources)
from answer_check import run_check, sample
from wrong_answers import wrong_answers

pytestmark = pytest.mark.grading
WORKERS = max(1, min(4, os.cpu_count() or 1))  # nbgrader grades one notebook at a time: one process per core


def grade_cell_for(exercise):
    return "test_" + exercise.removeprefix("ex_")


def autograde_in_parallel(roots, lesson):
    """`nbgrader autograde` in every course root at once: one process per core, separate gradebooks."""
    procs = [nbgrader_process(root, "autograde", lesson, "--force") for root in roots]
    failures = [f"{root}:\n{(root / 'nbgrader.log').read_text()}" for root, proc in zip(roots, procs)
                if proc.wait(timeout=1800)]
    assert not failures, "nbgrader autograde failed:\n" + "\n".join(failures)


@pytest.fixture(scope="module", params=LESSON_NAMES)
def graded(request, tmp_path_factory):
    """Generate, submit (solution, blank, a sample of the wrong answers), autograde; return the scores and
    the sample's scores without nbgrader (answer_check, run while nbgrader grades).

    The submissions are shared out over one course root per core, graded side by side.
    """
    lesson = request.param
    ensure_bwrap()  # the kernels run in the grading sandbox (without it, in the fallback the guide describes)
    first = make_course_root(tmp_path_factory.mktemp(lesson), [lesson])
    nbgrader(first, "generate_assignment", lesson, "--force")
    roots = [first] + [shutil.copytree(first, first.with_name(f"{first.name}-{i}")) for i in range(1, WORKERS)]
    (source_path,) = (SOLUTIONS / lesson).glob("*.ipynb")
    source = nbformat.read(source_path, as_version=4)
    student = nbformat.read(roots[0] / "lessons" / lesson / source_path.name, as_version=4)
    solutions = solution_sources(source)
    wrong = wrong_answers(lesson)

    submissions = {"solution": fill_in(student, solutions), "blank": student}
    labels = {}
    picked = sample(lesson)
    for i, (exercise, label) in enumerate(picked):
        sid = f"wrong-{exercise}-{i}"
        submissions[sid] = fill_in(student, {**solutions, exercise: wrong[exercise][label]})
        labels[sid] = (exercise, label)
    root_of = {sid: roots[i % WORKERS] for i, sid in enumerate(submissions)}
    for sid, nb in submissions.items():
        folder = root_of[sid] / "submitted" / sid / lesson
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / source_path.name)
    with ThreadPoolExecutor(1) as pool:  # the same answers scored without nbgrader, meanwhile
        in_kernel = pool.submit(run_check, lesson, picked)
        autograde_in_parallel(roots, lesson)
        in_kernel = in_kernel.result()

    scores = {}
    for root in roots:
        with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
            for sid in [s for s, r in root_of.items() if r == root]:
                nb = gb.find_submission_notebook(source_path.stem, lesson, sid)
                scores[sid] = {g.name: (g.auto_score, g.max_score) for g in nb.grades if g.cell_type == "code"}
    return {"lesson": lesson, "source": source, "scores": scores, "labels": labels, "wrong": wrong,
            "in_kernel": in_kernel}


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


def test_nbgrader_and_the_in_kernel_check_agree(graded):
    """tests/test_wrong_answers.py scores every wrong answer without nbgrader: on the sample both must agree."""
    assert graded["labels"], f"{graded['lesson']}: no wrong answer was sampled"
    differ = []
    for sid, (exercise, label) in graded["labels"].items():
        by_nbgrader = graded["scores"][sid][grade_cell_for(exercise)]
        outcome = graded["in_kernel"]["wrong"][exercise][label]
        if (outcome["score"], outcome["points"]) != by_nbgrader:
            differ.append(f"{exercise}: '{label}': nbgrader {by_nbgrader}, in one kernel "
                          f"{outcome['score']}/{outcome['points']} ({outcome.get('error')})")
    assert not differ, "nbgrader and tests/answer_check.py score differently:\n" + "\n".join(differ)
