"""Every explorer in every solution notebook answers its controls, headless (no kernel, no browser).

The notebook's code cells run in-process; each Explorer built on the way is recorded, then each of
its controls is moved and the figure must be re-rendered without an error.
"""
import matplotlib
import nbformat
import numpy as np
import pytest

import helpers.explore
from course_tools import LESSON_NAMES, SOLUTIONS, strip_markers

matplotlib.use("Agg")


def run_notebook(path, monkeypatch):
    """Execute a notebook's code cells (tests included) and return the Explorers it built."""
    built = []
    original = helpers.explore.Explorer.__init__

    def recording_init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        built.append(self)

    monkeypatch.setattr(helpers.explore.Explorer, "__init__", recording_init)
    monkeypatch.chdir(path.parent)
    namespace = {"display": lambda *a, **k: None, "__name__": "__main__"}
    for i, cell in enumerate(nbformat.read(path, as_version=4).cells):
        if cell.cell_type == "code":
            exec(compile(strip_markers(cell.source), f"{path.name} cell {i}", "exec"), namespace)
    return built


def settings(control):
    """Values a person could pick: each option of a dropdown, four stops along a slider, both of a checkbox."""
    if hasattr(control, "options"):
        return list(control.options) if not isinstance(control.options, dict) else list(control.options.values())
    if isinstance(control.value, bool):
        return [not control.value, control.value]
    stops = np.linspace(control.min, control.max, 4)
    return [type(control.value)(round(v) if isinstance(control.value, int) else v) for v in stops]


@pytest.mark.parametrize("lesson", LESSON_NAMES)
def test_explorers_follow_every_control(lesson, monkeypatch):
    for path in sorted((SOLUTIONS / lesson).glob("*.ipynb")):
        explorers = run_notebook(path, monkeypatch)
        assert explorers, f"{path.name} has no explorer"
        for ex in explorers:
            assert ex.status.value == "", ex.status.value
            for name, control in ex.controls.items():
                for target in settings(control):
                    renders, before = ex.renders, bytes(ex.image.value)
                    if control.value == target:
                        continue
                    control.value = target
                    assert ex.status.value == "", f"{name}={target}: {ex.status.value}"
                    assert ex.renders == renders + 1, f"moving {name} did not redraw the figure"
                    assert bytes(ex.image.value) != before, f"moving {name} to {target} left the picture unchanged"
            for label, button in ex.buttons.items():
                renders = ex.renders
                button.click()
                assert ex.status.value == "", f"button {label}: {ex.status.value}"
                assert ex.renders > renders, f"button {label} did not redraw the figure"
