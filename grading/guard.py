"""Runs inside the grading kernel: keep the tests' tools intact, and report tampering as it happens.

install() runs in grading.kernel before IPython starts, so before any student code: it imports numpy
and fresh copies of the course's check modules (helpers/checks.py, helpers/gradcheck.py) from their
files, keeps a copy of every numpy module's namespace, of `builtins` and of those entries of
sys.modules, and adds an audit hook (which Python code cannot remove). setup() runs next, still
before any student code, and keeps a copy of IPython's and the kernel's machinery (cell
transformers, event hooks, run_cell, the display hook, message sending ...).

Before and after every test cell the grader calls before()/after() with a fresh nonce: every
re-binding since (through `vars(np)`, `sys.modules`, attributes of IPython or of the check modules)
is put back and reported, and so is another thread running the submission's code; the test's names (`assert_close`, `np` ...) are bound to the
copies made at install time. The audit hook reports, when the submission's own code does them: frame
and garbage-collector inspection (the stack of a test, `traceback.extract_stack()`, `gc.get_objects()`),
tracing, processes, ctypes, replacing a function's code, patching a class of numpy,
IPython or the course. Reports go to the kernel's original stderr, which only the grader reads; a
report cannot be taken back, and a missing answer to a nonce is itself reported by the grader.

In-process checks cannot be airtight against code that runs in the same interpreter; they make the
common techniques either harmless (what was re-bound is put back before the test runs) or visible.
"""
import importlib
import importlib.util
import os
import sys
import tempfile
import threading
import types

CHECK_MODULES = ("checks", "gradcheck")
_PACKAGE = "_grading_pristine_helpers"
MARK = "\x1eGRADING"
_MISSING = object()
_fresh = {}
_modules = {}        # name -> (module, copy of its namespace)
_machinery = []      # (object, copy of its namespace, copy of its trait values)
_flagged = set()
_state = {"fd": None, "cell": None, "helpers": None}
_STDLIB = (os.path.dirname(os.path.realpath(os.__file__)) + os.sep, "<frozen ")
_WATCH_PREFIXES = ("numpy", "helpers", "grading", "IPython", "ipykernel", "jupyter_client", "zmq", "traitlets",
                   "_grading_pristine_helpers")
AUDITED = {
    "sys._getframe": "reads the call stack (sys._getframe, inspect.stack, traceback.extract_stack)",
    "sys._current_frames": "reads the call stacks of all threads",
    "sys._current_exceptions": "reads the exceptions of all threads",
    "gc.get_objects": "searches the interpreter's objects (gc.get_objects)",
    "gc.get_referrers": "searches the interpreter's objects (gc.get_referrers)",
    "gc.get_referents": "searches the interpreter's objects (gc.get_referents)",
    "sys.settrace": "installs a trace function", "sys.setprofile": "installs a profile function",
"sys.addaudithook": "adds an audit hook",
    "ctypes.dlopen": "uses ctypes", "ctypes.dlsym": "uses ctypes", "ctypes.cdata": "uses ctypes",
    "subprocess.Popen": "starts a process", "os.system": "starts a process", "os.fork": "starts a process",
    "os.forkpty": "starts a process", "os.posix_spawn": "starts a process", "os.exec": "starts a process",
    "os.kill": "sends a signal", "os.killpg": "sends a signal", "sqlite3.connect": "opens an SQLite database",
    "socket.connect": "opens a network connection",
}
_FRAME_ATTRS = {"tb_frame", "gi_frame", "cr_frame", "ag_frame"}
_CODE_ATTRS = {"__code__", "__defaults__", "__kwdefaults__", "__globals__", "__closure__"}


# --- reporting -------------------------------------------------------------------------------

def _report(kind, text):
    fd = _state["fd"]
    if fd is None:
        return
    line = f"{MARK} {kind} {text}".replace("\n", " ").replace("\r", " ")[:1500] + "\n"
    try:
        os.write(fd, line.encode("utf-8", "replace"))
    except OSError:
        pass


def flag(text):
    if text not in _flagged:
        _flagged.add(text)
        _report("FLAG", text)


# --- install: before IPython and any student code ----------------------------------------------

def _load(name):
    """A private copy of helpers/<name>.py, executed from its source file under a private package."""
    if _PACKAGE not in sys.modules:
        package = types.ModuleType(_PACKAGE)
        package.__path__ = list(importlib.util.find_spec("helpers").submodule_search_locations)
        sys.modules[_PACKAGE] = package  # without helpers/__init__.py: only the check modules load
    return importlib.import_module(f"{_PACKAGE}.{name}")


def pristine():
    """name -> function for every public function of the check modules (loaded once per kernel)."""
    if not _fresh:
        for name in CHECK_MODULES:
            module = _load(name)
            _fresh.update({k: v for k, v in vars(module).items()
                           if callable(v) and not k.startswith("_") and getattr(v, "__module__", "") == module.__name__})
    return _fresh


# builtins that IPython and ipykernel themselves re-bind while a cell runs
_CHANGING = {"exit", "quit", "input", "help", "copyright", "credits", "license", "display", "get_ipython"}


def _keep(name):
    module = sys.modules.get(name)
    if isinstance(module, types.ModuleType):
        _modules[name] = (module, {k: v for k, v in vars(module).items()
                                   if not k.startswith("__") and not (name == "builtins" and k in _CHANGING)})


def install(report_fd):
    """Import and copy what the tests use, then watch: the first thing the grading kernel does."""
    _state["fd"] = report_fd
    import numpy  # noqa: F401
    import numpy.linalg  # noqa: F401
    import numpy.random  # noqa: F401
    pristine()
    for name in list(sys.modules):
        if name.split(".")[0] in ("numpy", _PACKAGE, "builtins", "grading", "math", "numbers", "functools"):
            _keep(name)
    sys.addaudithook(_make_hook(report_fd))


def setup(shell, nonce):
    """Copy IPython's and the kernel's machinery; called by the grader before the first cell runs."""
    import helpers  # the notebook's own import then finds this module

    for name in list(sys.modules):
        if name == "helpers" or name.startswith("helpers."):
            _keep(name)
    _state["cell"] = os.path.join(tempfile.gettempdir(), "ipykernel_")
    kernel = getattr(shell, "kernel", None)
    objects = [shell, getattr(shell, "displayhook", None), getattr(shell, "display_pub", None),
               getattr(shell, "events", None), getattr(shell, "input_transformer_manager", None),
               getattr(shell, "compile", None), kernel, getattr(kernel, "session", None)]
    for obj in [o for o in objects if o is not None]:
        for cls in type(obj).__mro__[:-1]:
            if cls not in (m[0] for m in _machinery):
                _machinery.append((cls, dict(vars(cls)), None))
        traits = getattr(obj, "_trait_values", None)
        _machinery.append((obj, _callables(vars(obj)), _callables(traits) if isinstance(traits, dict) else None))
    _state["hooks"] = _hooks(shell)
    _state["shell"] = shell
    _state["helpers"] = helpers
    _report("ACK", f"{nonce} {len(_modules)} {sum(len(ns) for _, ns in _modules.values())} {len(_machinery)}")


def _threads_running_submission_code():
    """How many other threads have code of a cell on their stack (threading's or _thread's alike)."""
    prefix, count = _state["cell"], 0
    for ident, frame in sys._current_frames().items():
        if ident == threading.get_ident() or prefix is None:
            continue
        while frame is not None:
            name = frame.f_code.co_filename
            if name.startswith(prefix) or name.startswith("<ipython-input-"):
                count += 1
                break
            frame = frame.f_back
    return count


def _callables(namespace):
    """Entries worth watching: functions and methods, and lists/tuples/dicts of them (hooks)."""
    kept = {}
    for key, value in namespace.items():
        if callable(value) and not isinstance(value, type):
            kept[key] = value
        elif isinstance(value, (list, tuple)) and value and all(callable(v) for v in value):
            kept[key] = (type(value), list(value))
    return kept


def _hooks(shell):
    """The lists IPython runs cells through: input transformers, AST transformers, event callbacks."""
    manager = getattr(shell, "input_transformer_manager", None)
    hooks = {
        "input_transformers_cleanup": getattr(shell, "input_transformers_cleanup", None),
        "input_transformers_post": getattr(shell, "input_transformers_post", None),
        "ast_transformers": getattr(shell, "ast_transformers", None),
        "input_transformer_manager.cleanup_transforms": getattr(manager, "cleanup_transforms", None),
        "input_transformer_manager.line_transforms": getattr(manager, "line_transforms", None),
        "input_transformer_manager.token_transformers": getattr(manager, "token_transformers", None),
    }
    events = getattr(getattr(shell, "events", None), "callbacks", {}) or {}
    hooks.update({f"events.{name}": callbacks for name, callbacks in events.items()})
    return {name: (value, list(value)) for name, value in hooks.items() if isinstance(value, list)}


# --- checks before and after each test cell ------------------------------------------------------

def _check_modules():
    for name, (module, namespace) in _modules.items():
        if sys.modules.get(name) is not module:
            flag(f"sys.modules[{name!r}] was replaced (put back)")
            sys.modules[name] = module
        current = vars(module)
        for key, value in namespace.items():
            if current.get(key, _MISSING) is not value:
                flag(f"{name}.{key} was re-bound (put back)")
                current[key] = value


def _check_machinery():
    for obj, namespace, traits in _machinery:
        current = vars(obj)
        for key, value in namespace.items():
            now = current.get(key, _MISSING)
            if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], type):
                same = isinstance(now, value[0]) and list(now) == value[1]
            else:
                same = now is value
            if not same:
                flag(f"{getattr(obj, '__qualname__', type(obj).__name__)}.{key} was replaced (put back)")
                _put(obj, key, value)
        if not isinstance(obj, type):
            for key, value in list(current.items()):
                if key not in namespace and callable(value) and hasattr(type(obj), key) \
                        and not key.startswith("_trait"):
                    flag(f"{type(obj).__name__}.{key} was overridden on the instance (removed)")
                    del current[key]
        if traits is not None:
            values = getattr(obj, "_trait_values", {})
            for key, value in traits.items():
                if not isinstance(value, tuple) and values.get(key, _MISSING) is not value:
                    flag(f"{type(obj).__name__}.{key} was replaced (put back)")
                    values[key] = value
    for name, (hook_list, items) in _state.get("hooks", {}).items():
        added = [h for h in hook_list if not any(h is k for k in items)]
        library = [h for h in added if _module_of(h).startswith(_LIBRARIES)]
        if len(added) > len(library) or any(not any(k is h for h in hook_list) for k in items):
            flag(f"IPython's {name} were changed (put back)")
        items += library  # matplotlib's inline backend registers a post_execute hook when first used
        hook_list[:] = items


_LIBRARIES = ("matplotlib", "matplotlib_inline", "ipywidgets", "IPython", "ipykernel", "comm")


def _module_of(func):
    return str(getattr(getattr(func, "__func__", func), "__module__", None) or "")


def _put(obj, key, value):
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], type):
        value = value[0](value[1]) if value[0] is not list else value[1]
    try:
        if isinstance(obj, type):
            type.__setattr__(obj, key, value)
        else:
            vars(obj)[key] = value
    except (TypeError, AttributeError):
        pass


def _check_interpreter():
    if sys.gettrace() is not None:
        flag("a trace function was installed (removed)")
        sys.settrace(None)
    if sys.getprofile() is not None:
        flag("a profile function was installed (removed)")
        sys.setprofile(None)
    shell = _state.get("shell")
    if shell is not None:
        if getattr(shell, "custom_exceptions", ()):
            flag("a custom exception handler was installed (set_custom_exc; removed)")
            shell.custom_exceptions = ()
    running = _threads_running_submission_code()
    if running:
        flag(f"a thread runs the submission's code while the tests run ({running} thread(s))")


def restore(namespace):
    """Rebind, in namespace, every check function it holds to its install-time copy, and np to numpy."""
    helpers = _state["helpers"]
    for name, func in pristine().items():
        if name in namespace:
            if namespace[name] is not func and namespace[name] is not getattr(helpers, name, _MISSING):
                flag(f"the notebook's `{name}` was re-bound (the course's check was used)")
            namespace[name] = func
    numpy = _modules["numpy"][0]
    if "np" in namespace and namespace["np"] is not numpy:
        flag("the notebook's `np` is not numpy (numpy was used)")
        namespace["np"] = numpy


def _check(namespace, nonce):
    try:
        _check_modules()
        _check_machinery()
        _check_interpreter()
        restore(namespace)
    except Exception as err:  # noqa: BLE001 (a broken check is itself worth a look)
        flag(f"the grading checks could not run: {type(err).__name__}")
    _report("ACK", f"{nonce} {len(_modules)} {sum(len(ns) for _, ns in _modules.values())} {len(_machinery)}")


def before(namespace, nonce):
    """Called by the grader just before a test cell."""
    _check(namespace, nonce)


def after(namespace, nonce):
    """Called by the grader just after a test cell: what changed while the test ran."""
    _check(namespace, nonce)


# --- the audit hook ------------------------------------------------------------------------------

def _make_hook(fd):
    """The audit hook, with its state in its own closure: nothing reachable from this module turns it off."""
    seen, busy, cell, stdlib = set(), [False], [None], _STDLIB
    getframe, write = sys._getframe, os.write

    def submission_line():
        if cell[0] is None:
            cell[0] = _state["cell"]
            if cell[0] is None:
                return None
        frame = getframe(2)
        while frame is not None:
            name = frame.f_code.co_filename
            if name.startswith(cell[0]) or name.startswith("<ipython-input-"):
                return frame.f_lineno
            if not name.startswith(stdlib) or "-packages" + os.sep in name:
                return None
            frame = frame.f_back
        return None

    def hook(event, args):
        if busy[0]:
            return
        if event in AUDITED:
            what = AUDITED[event]
        elif event == "object.__getattr__" and len(args) == 2 and args[1] in _FRAME_ATTRS:
            what = f"reaches the call stack through .{args[1]}"
        elif event == "object.__setattr__" and len(args) >= 2:
            obj, name = args[0], args[1]
            if name in _CODE_ATTRS:
                what = f"replaces a function's {name}"
            elif isinstance(obj, type) and str(getattr(obj, "__module__", "")).startswith(_WATCH_PREFIXES):
                what = f"patches {obj.__module__}.{obj.__qualname__}.{name}"
            else:
                return
        else:
            return
        busy[0] = True
        try:
            line = submission_line()
            text = f"the submission's code {what} (line {line} of a cell)"
            if line is not None and text not in seen and len(seen) < 100:
                seen.add(text)
                write(fd, f"{MARK} FLAG {text}\n".encode("utf-8", "replace"))
        except Exception:  # noqa: BLE001 (never break the interpreter)
            pass
        finally:
            busy[0] = False

    return hook
