"""Shared by the tests: paths, running nbgrader in a throw-away course root, building submissions."""
import contextlib
import copy
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from grading.run import nbgrader_env

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
LESSONS = ROOT / "lessons"
LESSON_NAMES = sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir())
_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) (SOLUTION|HIDDEN TESTS)[ \t]*\n?", re.MULTILINE)


def _nbgrader_command(course_root, args):
    return dict(args=[sys.executable, "-m", "nbgrader", *args], cwd=course_root, text=True, env=nbgrader_env())


def nbgrader_process(course_root, *args):
    """Start nbgrader in course_root without waiting; its output goes to course_root/nbgrader.log.

    A file, not a pipe: a pipe nobody reads yet would fill up and stall the process.
    """
    with open(Path(course_root) / "nbgrader.log", "w") as log:
        return subprocess.Popen(**_nbgrader_command(course_root, args), stdout=log, stderr=subprocess.STDOUT)


def nbgrader(course_root, *args, timeout=900):
    """Run nbgrader with the interpreter running the tests, in course_root (its config, its gradebook)."""
    proc = subprocess.run(**_nbgrader_command(course_root, args), capture_output=True, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f"nbgrader {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def make_course_root(tmp, lessons):
    """A course root holding copies of nbgrader_config.py and the given lessons' sources."""
    shutil.copy(ROOT / "nbgrader_config.py", tmp / "nbgrader_config.py")
    for name in lessons:
        shutil.copytree(SOLUTIONS / name, tmp / "solutions" / name)
    return tmp


def grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def strip_markers(source):
    """A source cell as it runs once nbgrader's solution and hidden-test markers are removed."""
    return _MARKERS.sub("", source)


def solution_sources(source_nb):
    """grade_id -> the solution code a learner would write (markers removed), for code solution cells."""
    return {grade_id(c): strip_markers(c.source) for c in source_nb.cells
            if c.cell_type == "code" and c.get("metadata", {}).get("nbgrader", {}).get("solution")}


def solution_namespace(path, given=("imports",)):
    """The given cells (by id) and every exercise solution of a notebook, run in one namespace, in order."""
    import nbformat

    namespace = {}
    with contextlib.redirect_stdout(io.StringIO()):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code" and (cell.id in given or (grade_id(cell) or "").startswith("ex_")):
                exec(strip_markers(cell.source), namespace)
    return namespace


def fill_in(student_nb, answers):
    """A copy of the student notebook with the given grade_id -> source answers written in."""
    nb = copy.deepcopy(student_nb)
    for cell in nb.cells:
        if grade_id(cell) in answers:
            cell.source = answers[grade_id(cell)]
    return nb


def run_notebook(path, after_cell=None):
    """Execute a notebook's code cells in-process (tests included), in its folder; return its Explorers.

    Headless: `display` does nothing and every Explorer built on the way is recorded (use MPLBACKEND=Agg).
    after_cell(cell, run), if given, is called after each code cell; run() executes that cell again.
    Shared by the explorer test, the hidden-test stability test and the explorer latency benchmark.
    """
    import helpers.explore
    import nbformat  # costs seconds to import: only when a notebook is run

    built, original, cwd = [], helpers.explore.Explorer.__init__, os.getcwd()

    def recording_init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        built.append(self)

    helpers.explore.Explorer.__init__ = recording_init
    try:
        os.chdir(path.parent)
        namespace = {"display": lambda *a, **k: None, "__name__": "__main__"}
        for i, cell in enumerate(nbformat.read(path, as_version=4).cells):
            if cell.cell_type == "code":
                code = compile(strip_markers(cell.source), f"{path.name} cell {i}", "exec")
                exec(code, namespace)
                if after_cell is not None:
                    after_cell(cell, lambda: exec(code, namespace))
    finally:
        helpers.explore.Explorer.__init__ = original
        os.chdir(cwd)
    return built


def control_values(control, stops=4):
    """Values a person could pick: each option of a dropdown, both of a checkbox, or `stops` evenly
    spaced values along a slider (a FloatLogSlider's min and max are exponents of its base)."""
    if hasattr(control, "options"):
        return list(control.options.values() if isinstance(control.options, dict) else control.options)
    if isinstance(control.value, bool):
        return [not control.value, control.value]
    values = np.linspace(control.min, control.max, stops)
    if hasattr(control, "base"):
        values = control.base ** values
    return [type(control.value)(round(v) if isinstance(control.value, int) else v) for v in values]



def apt_install(package, path):
    """(path, None) once path exists, installing Debian's package with apt-get (as root, or with
    password-less sudo) if it is missing; else (None, why it could not be installed)."""
    path = Path(path)
    if path.exists():
        return path, None
    if not shutil.which("apt-get"):
        return None, f"{path} is missing and there is no apt-get to install it (install {package}, then run again)"
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    if sudo and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode != 0:
        return None, f"{path} is missing and installing it needs root: sudo apt-get install {package}"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for step in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", package]):
        proc = subprocess.run(sudo + step, env=env, capture_output=True, text=True, timeout=900)
        if proc.returncode != 0:
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-5:])
            return None, f"`{' '.join(step)}` failed, so {package} could not be installed:\n{tail}"
    if not path.exists():
        return None, f"apt-get installed {package} but {path} is still missing"
    return path, None


def ensure_bwrap():
    """bubblewrap, with which grading seals each submission off: (path, None), or (None, the reason)."""
    return apt_install("bubblewrap", shutil.which("bwrap") or "/usr/bin/bwrap")
