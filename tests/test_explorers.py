"""Every explorer in every solution notebook answers its controls, headless (no kernel, no browser).

The notebook's code cells run in-process; each Explorer built on the way is recorded, then each of
its controls is moved and the figure must be re-rendered without an error.
"""
import matplotlib
import pytest

from course_tools import LESSON_NAMES, SOLUTIONS, control_values, run_notebook

matplotlib.use("Agg")


@pytest.mark.parametrize("lesson", LESSON_NAMES)
def test_explorers_follow_every_control(lesson):
    for path in sorted((SOLUTIONS / lesson).glob("*.ipynb")):
        explorers = run_notebook(path)
        assert explorers, f"{path.name} has no explorer"
        for ex in explorers:
            assert ex.status.value == "", ex.status.value
            for name, control in ex.controls.items():
                for target in control_values(control):
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
