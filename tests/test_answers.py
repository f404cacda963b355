"""`course.py answers LESSON`: a self-learner sees the model answer of a written question only after writing theirs."""
import json
import shutil
import subprocess
import sys

import pytest

from course_tools import LESSON_NAMES, ROOT


@pytest.fixture
def course(tmp_path):
    """A copy of course.py, lessons/ and solutions/, and the learner's work/ synced from it."""
    shutil.copy(ROOT / "course.py", tmp_path / "course.py")
    for folder in ("lessons", "solutions"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    run(tmp_path, "sync")
    return tmp_path


def run(course, *args, ok=True):
    proc = subprocess.run([sys.executable, str(course / "course.py"), *args], cwd=course,
                          capture_output=True, text=True)
    assert (proc.returncode == 0) == ok, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


def written(path):
    """{grade_id: cell} of the graded markdown answers of a notebook."""
    cells = json.loads(path.read_text())["cells"]
    return {c["metadata"]["nbgrader"]["grade_id"]: c for c in cells
            if c["cell_type"] == "markdown" and c["metadata"].get("nbgrader", {}).get("grade")}


def text(cell):
    return "".join(cell["source"])


def edit(path, answers):
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell["source"] = answers[grade_id]
    path.write_text(json.dumps(nb))


@pytest.mark.parametrize("lesson", LESSON_NAMES)
def test_no_model_answer_before_the_learner_has_written_one(course, lesson):
    out = run(course, "answers", lesson)
    models = {gid: cell for nb in (course / "solutions" / lesson).glob("*.ipynb") for gid, cell in written(nb).items()}
    assert models, f"{lesson} has no written answer: nothing to compare"
    assert "Model answer" not in out, out
    for grade_id, cell in models.items():
        assert f"{grade_id} ({cell['metadata']['nbgrader']['points']:g} points): not written yet" in out, out
        assert text(cell).strip().splitlines()[0] not in out, f"{grade_id}'s model answer leaked:\n{out}"
    assert "Still to write: " in out


def test_the_model_answer_follows_the_learners_own(course):
    lesson = LESSON_NAMES[0]
    (copy,) = (course / "work" / lesson).glob("*.ipynb")
    (solution,) = (course / "solutions" / lesson).glob("*.ipynb")
    models = written(solution)
    edit(copy, {gid: f"My own answer to {gid}: the add node passes the gradient on." for gid in models})
    out = run(course, "answers", lesson[:2])  # "01" names the lesson too
    for grade_id, cell in models.items():
        mine, model = out.index(f"My own answer to {grade_id}"), out.index(text(cell).strip().splitlines()[0])
        assert mine < model, "the learner's answer comes first, then the model answer"
    assert "Question:" in out and "not written yet" not in out and "Every written answer" in out


def test_only_the_written_ones_are_shown_and_tasks_use_their_mark_scheme(course):
    """A made-up lesson with two written answers and an nbgrader task."""
    def markdown(source, cell_id, **grading):
        meta = {"nbgrader": {"grade_id": cell_id, "locked": False, "schema_version": 3, **grading}} if grading else {}
        return {"cell_type": "markdown", "id": cell_id, "metadata": meta, "source": source}

    def notebook(first, second, task, added=()):
        cells = [markdown("### Written answer\n\nWhy is the sky blue?", "q1"),
                 markdown(first, "sky", solution=True, grade=True, task=False, points=2),
                 markdown("### Written answer\n\nWhy is grass green?", "q2"),
                 markdown(second, "grass", solution=True, grade=True, task=False, points=1),
                 markdown(task, "explain", solution=False, grade=True, task=True, points=3),
                 *[markdown(text, f"added{i}") for i, text in enumerate(added)]]
        return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}

    question = "Explain the update rule in your own words."
    scheme = f"{question}\n=== BEGIN MARK SCHEME ===\nIt steps against the gradient.\n=== END MARK SCHEME ==="
    for folder, nb in [("solutions", notebook("Rayleigh scattering.", "Chlorophyll.", scheme)),
                       ("lessons", notebook("YOUR ANSWER HERE", "YOUR ANSWER HERE", question)),
                       ("work", notebook("Short wavelengths scatter more.", "YOUR ANSWER HERE", question,
                                         added=["Because it is."]))]:
        (course / folder / "99_made_up").mkdir()
        (course / folder / "99_made_up" / "made_up.ipynb").write_text(json.dumps(nb))
    out = run(course, "answers", "99_made_up")
    assert "Short wavelengths scatter more." in out and "Rayleigh scattering." in out
    assert "grass (1 points): not written yet" in out and "Chlorophyll." not in out
    assert "Because it is." in out and "It steps against the gradient." in out and "MARK SCHEME" not in out
    assert "Still to write: grass" in out


def test_bad_lesson_names_and_a_missing_copy_are_explained(course):
    assert "no lesson 'nope'; lessons are: 01_" in run(course, "answers", "nope", ok=False)
    assert "could be" in run(course, "answers", "0", ok=False)
    shutil.rmtree(course / "work" / LESSON_NAMES[0])
    assert "run `python3 course.py start`" in run(course, "answers", LESSON_NAMES[0], ok=False)
