"""Known-wrong answers scored in one Python process per lesson, as nbgrader scores them, without nbgrader.

    python answer_check.py LESSON [EXERCISE=LABEL-INDEX ...]   (prints one JSON object)

The solution notebook's code cells run in order in one namespace (markers removed, as in
course_tools.run_notebook). Just before the cell of an exercise that has known-wrong answers, the process
forks once per wrong answer: the child holds an exact copy of everything the cells above built (no state
is shared back), runs the wrong answer in place of the exercise's cell, then the exercise's test cell,
and reports the test cell's score as nbgrader gives it: its points if it raises nothing, else 0 (an error
in the answer's own cell does not stop the test cell, as in nbgrader). For an answer marked as passing the
visible checks, a second child runs the test cell without its hidden tests, which must not raise.
Then the parent runs the solution's cell and its test cell and goes on. One notebook run per lesson,
one fork per answer: seconds, where a real `nbgrader autograde` needs a kernel and a notebook run per
submission. tests/test_grading.py grades a sample with real nbgrader and checks that both agree.
"""
import contextlib
import io
import json
import os
import re
import select
import signal
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from course_tools import SOLUTIONS, grade_id, strip_markers  # noqa: E402
from wrong_answers import wrong_answers  # noqa: E402

HIDDEN_ONLY = "the visible checks pass"  # in a label: only the hidden tests catch the answer
HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[ \t]*\n?", re.M | re.S)
TIMEOUT = 120  # seconds for one answer and its test cell (nbgrader's grading times out too: 0 points)


def visible_part(source):
    """A test cell as the learner sees it: its hidden tests removed."""
    return HIDDEN.sub("", source)


def sample(lesson):
    """The wrong answers a real nbgrader round trip also grades: the first one caught only by the hidden
    tests (if the lesson has one), the first of the first exercise and the first of the last exercise."""
    wrong = wrong_answers(lesson)
    exercises = list(wrong)
    chosen = [(e, next(iter(wrong[e]))) for e in (exercises[0], exercises[-1])]
    hidden = [(e, label) for e, answers in wrong.items() for label in answers if HIDDEN_ONLY in label]
    return list(dict.fromkeys(hidden[:1] + chosen))


def _run(code, namespace, name):
    """Execute a cell; None if it ran, else the error's last line."""
    try:
        exec(compile(code, name, "exec"), namespace)
        return None
    except BaseException as error:  # noqa: BLE001 (a cell's SystemExit or KeyboardInterrupt is an error too)
        return f"{type(error).__name__}: {error}".splitlines()[0][:300] if str(error) else type(error).__name__


def in_child(work, timeout=TIMEOUT):
    """work() in a forked copy of this process: its JSON-able result, or an error if it died or overran."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run, report, leave without running any cleanup of the parent's
        os.close(read)
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                result = work()
            data = json.dumps(result).encode()
        except BaseException:  # noqa: BLE001
            data = json.dumps({"error": "the check itself failed: " + traceback.format_exc()[-500:]}).encode()
        with os.fdopen(write, "wb") as pipe:
            pipe.write(data)
        os._exit(0)
    os.close(write)
    chunks, deadline = [], time.monotonic() + timeout
    with os.fdopen(read, "rb") as pipe:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([pipe], [], [], left)[0]:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return {"error": f"timed out after {timeout} s"}
            chunk = os.read(pipe.fileno(), 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    os.waitpid(pid, 0)
    return json.loads(b"".join(chunks) or b'{"error": "the child died without a word"}')


def check_lesson(lesson, only=None):
    """{exercise: {label: {score, points, error, visible_error?}}} and the solution's own test results."""
    import matplotlib

    matplotlib.use("Agg")
    import nbformat

    (path,) = (SOLUTIONS / lesson).glob("*.ipynb")
    wrong = wrong_answers(lesson)
    cells = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    tests = {grade_id(c): c for c in cells if c.metadata.get("nbgrader", {}).get("grade")}
    last = max(i for i, c in enumerate(cells) if grade_id(c) in {f"test_{e.removeprefix('ex_')}" for e in wrong})
    os.chdir(path.parent)
    namespace = {"display": lambda *a, **k: None, "__name__": "__main__"}
    results, solution = {}, {}
    for i, cell in enumerate(cells[: last + 1]):
        name, gid = f"{path.name} cell {i}", grade_id(cell)
        if gid in wrong:
            test = tests[f"test_{gid.removeprefix('ex_')}"]
            points = test.metadata["nbgrader"].get("points", 0)
            for label, code in wrong[gid].items():
                if only is not None and (gid, label) not in only:
                    continue

                def graded(code=code, test=test):
                    answer_error = _run(code, namespace, f"{gid} (wrong answer)")
                    test_error = _run(strip_markers(test.source), namespace, grade_id(test))
                    return {"answer_error": answer_error, "error": test_error}

                outcome = in_child(graded)
                outcome.update(score=0 if outcome.get("error") else points, points=points)
                if HIDDEN_ONLY in label:
                    def visible_only(code=code, test=test):
                        _run(code, namespace, f"{gid} (wrong answer)")
                        return {"error": _run(strip_markers(visible_part(test.source)), namespace,
                                              grade_id(test) + " (visible part)")}

                    outcome["visible_error"] = in_child(visible_only).get("error")
                results.setdefault(gid, {})[label] = outcome
        with contextlib.redirect_stdout(io.StringIO()):
            error = _run(strip_markers(cell.source), namespace, name)
        if gid in tests:
            solution[gid] = error
    return {"wrong": results, "solution": solution}


def main():
    lesson, *picked = sys.argv[1:]
    only = None
    if picked:
        wrong = wrong_answers(lesson)
        only = set()
        for item in picked:
            exercise, index = item.rsplit("=", 1)
            only.add((exercise, list(wrong[exercise])[int(index)]))
    print(json.dumps(check_lesson(lesson, only)))


def run_check(lesson, only=None, timeout=900):
    """check_lesson(lesson, only) in a fresh interpreter (the one running the tests): its result."""
    import subprocess

    args = []
    if only is not None:
        wrong = wrong_answers(lesson)
        args = [f"{e}={list(wrong[e]).index(label)}" for e, label in only]
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), lesson, *args], capture_output=True,
                          text=True, timeout=timeout, env=env, cwd=HERE)
    if proc.returncode != 0:
        raise AssertionError(f"answer_check {lesson} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
