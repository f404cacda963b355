"""Runs inside a grading kernel before each test cell: undo rebinding of the check functions.

A submission may rebind `assert_close = lambda *a, **k: None` or patch `helpers.checks` so
that the tests cannot fail. restore() loads fresh copies of the check modules from their
files (not from sys.modules, which a submission can edit) and rebinds the names the
notebook uses. The integrity scan flags such code for a person to look at; this makes
sure it does not earn points meanwhile.
"""
import importlib
import importlib.util
import sys
import types

CHECK_MODULES = ("checks", "gradcheck")
_PACKAGE = "_grading_pristine_helpers"
_fresh = {}


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


def restore(namespace):
    """Rebind, in namespace, every check function it holds, and np if it is not numpy."""
    for name, func in pristine().items():
        if name in namespace:
            namespace[name] = func
    numpy = sys.modules.get("numpy")
    if "np" in namespace and numpy is not None and namespace["np"] is not numpy:
        namespace["np"] = numpy
