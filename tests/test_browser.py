"""Every lesson in a real browser: JupyterLab in headless Chromium, driven as a person would.

For each solution notebook: Run All, wait for the kernel to be idle, then no error output, no figure
shown as its text form (`<Figure size ...>`) instead of a picture, no widget that failed to display, no
console or page error, and every markdown cell rendered as its source intends (every table row a row,
maths typeset without errors, no `$$` or LaTeX left as text); every explorer answers a slider moved
with the keyboard. A notebook made to break each of these rules shows that the checks catch it. One student notebook is checked with nbgrader's Validate button, unsolved and solved.
Screenshots of every lesson and explorer go to the folder printed at the end of the run.

Chromium comes from Debian's packages (installed here when missing and possible); where it cannot
be installed the tests skip and say why, except under CI (CI set), where they fail.
"""
import os
import shutil

import pytest

from browser_lab import (Lab, click_validate, ensure_chromium, explorers, image_pixels, markdown_problems,
                         move_first_control, output_problems, processes_naming, run_all, screenshot_notebook,
                         wait_busy_then_idle)
from course_tools import LESSON_NAMES, LESSONS, SOLUTIONS, fill_in, grade_id, solution_sources, strip_markers

pytestmark = pytest.mark.browser
NOTEBOOKS = sorted(p.relative_to(SOLUTIONS) for p in SOLUTIONS.glob("*/*.ipynb"))


def unavailable(reason):
    """Skip with the reason, or fail under CI, where the browser tests must run."""
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run under CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shots(tmp_path_factory, request):
    folder = tmp_path_factory.getbasetemp() / "browser-screenshots"
    folder.mkdir(exist_ok=True)
    yield folder
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter and capture and any(folder.iterdir()):
        with capture.global_and_fixture_disabled():  # shown even when the tests pass
            reporter.write_line(f"\nbrowser screenshots: {folder}")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab and Chromium for this module's tests; afterwards no process may still name their folder.

    Module-scoped, not session-scoped: Playwright's sync API keeps an asyncio loop marked running in this
    thread while it is started, and every later test in the same process (asyncio.run, another browser)
    would find it."""
    chromium, reason = ensure_chromium()
    if reason:
        unavailable(reason)
    try:
        import playwright.sync_api  # noqa: F401 (installed with the course's dev extra)
    except ImportError as error:
        unavailable(f"Playwright is not installed ({error}); run `python3 course.py test` to install it")
    server = Lab(tmp_path_factory.mktemp("lab"), chromium)
    try:
        server.start()
        server.launch_browser().set_default_timeout(30_000)
        yield server
    finally:
        leftovers = server.stop()
    assert not leftovers, f"processes left behind by the browser tests (killed now): {leftovers}"


def cell_sources(path):
    import nbformat

    return [(cell.cell_type, cell.source) for cell in nbformat.read(path, as_version=4).cells]


def copy_lesson(source_folder, dest):
    shutil.copytree(source_folder, dest, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))


@pytest.fixture(scope="module", params=NOTEBOOKS, ids=[str(p.with_suffix("")) for p in NOTEBOOKS])
def ran(request, lab, shots):
    """A solution notebook opened in JupyterLab (a copy; in the run's one tab) after Run All and an idle kernel."""
    notebook = request.param
    lesson = notebook.parts[0]
    copy_lesson(SOLUTIONS / lesson, lab.root / "solutions" / lesson)
    page, problems = lab.open_notebook(f"solutions/{notebook.as_posix()}")
    try:
        run_all(page)
        problems += output_problems(page)
        problems += markdown_problems(page, cell_sources(SOLUTIONS / notebook))
        screenshot_notebook(page, shots / f"{lesson}-{notebook.stem}.jpg")
        yield {"page": page, "problems": problems, "name": f"{lesson}/{notebook.stem}"}
    finally:
        lab.shutdown_kernels()


def test_solution_runs_clean_in_the_browser(ran):
    assert not ran["problems"], f"{ran['name']} after Run All:\n" + "\n".join(ran["problems"])


def test_explorers_answer_a_slider(ran, shots):
    page = ran["page"]
    found = explorers(page)
    assert found, f"{ran['name']}: no explorer (a widget with an image and a slider) was displayed"
    for i, explorer in enumerate(found, 1):
        before = image_pixels(explorer)
        moved = move_first_control(page, explorer)
        wait_busy_then_idle(page)
        after = image_pixels(explorer)
        explorer.screenshot(path=str(shots / f"{ran['name'].replace('/', '-')}-explorer-{i}.png"))
        status = explorer.locator(".widget-html-content").all_inner_texts()
        assert after != before, f"{ran['name']}, explorer {i}: the picture did not change after {moved}"
        assert not any("Error" in s for s in status), f"{ran['name']}, explorer {i} after {moved}: {status}"
    problems = ran["problems"] + output_problems(page)
    assert not problems, f"{ran['name']} after moving the explorers:\n" + "\n".join(problems)


BROKEN = [  # (a markdown cell's source, what the checks must report about it; None: nothing)
    ("| a | b |\n|---|---|\n| 1 | $x$ |\n| 2 | 3 |", None),
    ("| term | meaning |\n|---|---|\n| one | first |\n\n| two | lost: no delimiter row above |", "raw text"),
    ("Unclosed: $\\frac{1}{2$ and $y$", "LaTeX command shown as text"),
    ("Undefined: $\\undefinedmacro x$", "undefined LaTeX macro"),
    ("A brace too many: $x}$", "MathJax error"),
    ("$$ alone", "a literal $$"),
    ("Fine: $\\sigma(x)$, `$code$` and \\$5", None),
]


def test_the_rendering_checks_catch_each_kind_of_breakage(lab):
    """The checks above can fail: a notebook breaking each rule once is caught, cell by cell."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    cells = [new_markdown_cell(source) for source, _ in BROKEN]
    cells.append(new_code_cell("from matplotlib.figure import Figure\nfig = Figure()\nfig.add_subplot()\n"
                               "print(repr(fig))  # the text of a figure, as IPython shows one it cannot draw"))
    notebook = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                                  "language": "python"}})
    nbformat.write(notebook, lab.root / "broken.ipynb")
    page, _ = lab.open_notebook("broken.ipynb")
    try:
        run_all(page)
        found = markdown_problems(page, [(c.cell_type, c.source) for c in cells], timeout=5)
        figures = [p for p in output_problems(page) if "figure shows as its text form" in p]
    finally:
        lab.shutdown_kernels()
    for i, (_, expected) in enumerate(BROKEN):
        said = [p for p in found if p.startswith(f"markdown cell {i} ")]
        if expected is None:
            assert not said, f"a correct cell was reported: {said}"
        else:
            assert any(expected in p for p in said), f"cell {i}: expected {expected!r}, the checks said {said}"
    assert figures, "a figure's text form in an output was not reported"


@pytest.fixture
def validate_copies(lab):
    """The first lesson's student notebook, untouched and with the solutions (code and written) filled in."""
    import nbformat

    lesson = LESSON_NAMES[0]
    (student_path,) = (LESSONS / lesson).glob("*.ipynb")
    folder = lab.root / "validate" / lesson
    copy_lesson(LESSONS / lesson, folder)
    student = nbformat.read(student_path, as_version=4)
    source = nbformat.read(SOLUTIONS / lesson / student_path.name, as_version=4)
    solved = folder / f"{student_path.stem}_solved.ipynb"
    written = {grade_id(c): strip_markers(c.source) for c in source.cells
               if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("solution")}
    nbformat.write(fill_in(student, {**solution_sources(source), **written}), solved)
    tests = [c.source.splitlines()[0] for c in student.cells
             if c.cell_type == "code" and grade_id(c) and grade_id(c).startswith("test_")]
    yield {"student": f"validate/{lesson}/{student_path.name}", "solved": f"validate/{lesson}/{solved.name}",
           "tests": tests}
    lab.shutdown_kernels()


def test_validate_button_reports_failures_then_success(lab, validate_copies):
    page, problems = lab.open_notebook(validate_copies["student"])
    classes, text = click_validate(page)
    assert "validation-failed" in classes, f"Validate on the unsolved notebook did not report failures:\n{text}"
    missing = [first for first in validate_copies["tests"] if first not in text]
    assert not missing, f"Validate did not list these failing test cells: {missing}\n{text[:2000]}"

    page, more = lab.open_notebook(validate_copies["solved"])
    classes, text = click_validate(page)
    assert "validation-success" in classes and "Success!" in text, f"Validate on the solved copy:\n{text[:3000]}"
    assert not problems + more, "\n".join(problems + more)


def test_nothing_left_running_between_lessons(lab):
    """Each lesson's kernel is shut down after its run (the session's own check covers the server)."""
    lab.shutdown_kernels()
    assert lab.api("GET", "/api/kernels") == []
    kernels = {pid: c for pid, c in processes_naming(str(lab.base)).items() if "ipykernel" in c}
    assert not kernels, f"kernels still running after shutdown: {kernels}"
