"""Test-suite wiring shared by every test: notebooks under lessons/ are student versions."""
import atexit
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")  # headless plots, in pytest and in nbval's kernels

ROOT = Path(__file__).resolve().parent
STUDENT_FOLDERS = (ROOT / "lessons", ROOT / "locale" / "ko" / "lessons")
KOREAN = ROOT / "locale" / "ko"
# In a Korean notebook's kernel: the helpers speak Korean, and a figure drawing Hangul with a font that
# lacks it (matplotlib's "Glyph ... missing from font(s)" warning) is an error, so the cell fails.
KOREAN_KERNEL = {"COURSE_LANG": "ko", "PYTHONWARNINGS": "error:Glyph:UserWarning"}


def pytest_configure(config):
    """Kernels this process starts (nbval's, the tests') use IPC sockets in a private folder, not TCP ports
    that another process can take first (tests/kernel_ipc.py)."""
    import sys

    if str(ROOT / "tests") not in sys.path:
        sys.path.insert(0, str(ROOT / "tests"))
    from kernel_ipc import use_private_ipc

    use_private_ipc()


def pytest_addoption(parser):
    parser.addoption("--lesson", metavar="NAME", help="only the tests about one lesson, e.g. 04_activation_backprop: "
                     "its notebooks (every language), tests/test_lessonNN.py, and every test named after it")


def about_lesson(item, lesson):
    """A test is about a lesson if its file is in the lesson's folder or is the lesson's test module, or if
    the lesson's name is in its id (tests parametrized over the lessons)."""
    path = Path(str(item.fspath)).resolve()
    return (lesson in path.parts or path.name == f"test_lesson{lesson[:2]}.py"
            or lesson in item.nodeid.split("::", 1)[-1])


def select_lesson(config, items):
    lesson = config.getoption("--lesson")
    if not lesson:
        return
    kept = [item for item in items if about_lesson(item, lesson)]
    if not kept:
        raise pytest.UsageError(f"--lesson {lesson}: no test is about it (a lesson folder's name is expected)")
    chosen = set(kept)
    config.hook.pytest_deselected(items=[item for item in items if item not in chosen])
    items[:] = kept


def _is_exercise_cell(item):
    grading = getattr(item, "cell", {}).get("metadata", {}).get("nbgrader", {})
    return grading.get("solution") or grading.get("grade")


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config, items):
    """In a student notebook only exercise and test cells may raise (NotImplementedError, failed checks).

    solutions/ must run clean, and so must every other cell of lessons/: a demonstration cell that
    crashes before the learner has solved an exercise is a bug of the course.
    """
    for item in items:
        options = getattr(item, "options", None)
        path = Path(str(item.fspath)).resolve()
        if options is not None and any(folder in path.parents for folder in STUDENT_FOLDERS) \
                and _is_exercise_cell(item):
            options["check_exception"] = True
    select_lesson(config, items)
    group_for_xdist(config, items)


# --- running on every core (pytest-xdist, `--dist loadgroup`; see course.py test) ------------------------

# Work that takes minutes goes out first, so that no core is left with one long group at the end.
# (substring of a group name, rough seconds on a free 2-core machine); every other group counts 1.
HEAVY = [("test_instructor_workflow.py::bubblewrap[]::course[]", 300), ("::shots", 200), ("test_grading.py", 60), ("test_korean.py", 200), ("test_hub.py", 150),
         ("07_capstone_digits", 40), ("08_autograd_engine", 30), ("test_hidden_stability.py", 20),
         ("03_mlp_xor", 20), ("solutions/", 15), ("lessons/", 15)]


def _shared_fixtures(item):
    """The costly fixtures an item shares with others: (scope, name, param) of the course's own
    module-, class- and session-scoped fixtures (pytest's own, such as tmp_path_factory, cost nothing)."""
    info = getattr(item, "_fixtureinfo", None)
    shared = []
    for name in getattr(info, "names_closure", ()):
        defs = info.name2fixturedefs.get(name)
        if not defs or defs[-1].scope == "function":
            continue
        func = getattr(defs[-1], "func", None)
        source = Path(getattr(getattr(func, "__code__", None), "co_filename", "") or "/")
        if ROOT not in source.parents or ".venv" in source.parts:
            continue
        param = getattr(getattr(item, "callspec", None), "params", {}).get(name)
        shared.append((defs[-1].scope, name, "" if param is None else str(param)))
    return shared


def xdist_group_of(item):
    """Tests sharing a costly fixture (or a notebook's kernel, for nbval) run on one core, in order;
    a test that shares nothing is a group of its own and goes wherever a core is free.

    A session fixture gathers its tests from every file (one JupyterLab for the browser tests); a
    module fixture those of its file, one group per parameter (one grading round trip per lesson).
    """
    path = Path(str(item.fspath)).resolve()
    file = path.relative_to(ROOT).as_posix() if ROOT in path.parents else path.name
    if getattr(item, "_fixtureinfo", None) is None:  # a notebook cell (nbval): one kernel per notebook
        return file
    shared = _shared_fixtures(item)
    if not shared:
        return item.nodeid
    sessions = sorted({f"::{name}[{param}]" for scope, name, param in shared if scope == "session"})
    if sessions:
        return "session" + "".join(sessions)  # merged with every group sharing one of them: _merge_sessions
    return file + "".join(sorted({f"::{name}[{param}]" for _, name, param in shared}))


def _merge_sessions(groups):
    """Groups that share a session fixture become one (its first name): one JupyterLab, not one per group."""
    owner = {}  # session fixture -> the group name every group holding it is merged into

    def find(name):
        while owner.get(name, name) != name:
            name = owner[name]
        return name

    for group in set(groups.values()):
        if group.startswith("session::"):
            names = ["::" + part for part in group.removeprefix("session::").split("::")]
            for name in names[1:]:
                owner[find(name)] = find(names[0])
    return {item: "session" + find("::" + group.removeprefix("session::").split("::")[0])
            if group.startswith("session::") else group for item, group in groups.items()}


def _weight(group):
    return max([seconds for key, seconds in HEAVY if key in group], default=1)


def group_for_xdist(config, items):
    """In an xdist worker: heaviest groups first (a stable sort: a notebook's cells keep their order), and
    each test's group written down for the controller's scheduler (CourseGroups below).

    xdist's own `--dist loadgroup` reads `xdist_group` marks through a node id that pytest 9 no longer
    lets it change, so the groups go through a file instead.
    """
    worker = getattr(config, "workerinput", None)
    folder = os.environ.get("COURSE_XDIST_GROUPS")
    if worker is None or not folder:
        return
    groups = _merge_sessions({item: xdist_group_of(item) for item in items})
    items.sort(key=lambda item: -_weight(groups[item]))
    path = Path(folder) / f"{worker['workerid']}.json"
    path.with_suffix(".tmp").write_text(json.dumps({item.nodeid: group for item, group in groups.items()}))
    path.with_suffix(".tmp").replace(path)


@pytest.hookimpl(optionalhook=True)  # only with xdist
def pytest_xdist_make_scheduler(config, log):
    """`--dist loadgroup` with the course's groups (xdist_group_of): a group goes to one worker, whole."""
    if config.getoption("dist") != "loadgroup" or not os.environ.get("COURSE_XDIST_GROUPS"):
        return None
    from xdist.scheduler import LoadScopeScheduling

    class CourseGroups(LoadScopeScheduling):
        groups = {}

        def _split_scope(self, nodeid):
            if nodeid not in self.groups:
                for path in Path(os.environ["COURSE_XDIST_GROUPS"]).glob("*.json"):
                    self.groups.update(json.loads(path.read_text()))
            return self.groups.get(nodeid) or nodeid.split("::")[0]  # unknown: its file, as --dist loadfile

    return CourseGroups(config, log)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session):
    """In the xdist controller: a private folder where the workers write their tests' groups."""
    config = session.config
    if getattr(config, "workerinput", None) is None and getattr(config.option, "dist", "no") == "loadgroup":
        folder = tempfile.mkdtemp(prefix="xdist-groups-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        os.environ["COURSE_XDIST_GROUPS"] = folder


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """nbval starts a notebook's kernel when its first cell is set up: a Korean notebook's kernel gets
    KOREAN_KERNEL in its environment; every other test (and the kernels it starts) the environment without it."""
    notebook = getattr(item, "options", None) is not None and str(item.fspath).endswith(".ipynb")
    korean = notebook and KOREAN in Path(str(item.fspath)).resolve().parents
    for name, value in KOREAN_KERNEL.items():
        if korean:
            os.environ[name] = value
        elif os.environ.get(name) == value:
            del os.environ[name]
