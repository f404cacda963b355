"""An explorer's incremental rendering shows exactly what a full draw of its figure shows.

The explorer keeps a background and redraws only the artists that changed (and those above and
overlapping them); after every control change its picture must equal, pixel for pixel, a full
draw of the same figure, for every explorer of every solution notebook and for hand-made figures
that exercise the corner cases (overlap, changed limits, artists added and removed).
"""
import contextlib
import io

import ipywidgets as widgets
import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from course_tools import LESSON_NAMES, SOLUTIONS, control_values, run_notebook
from helpers import Explorer, sliders

matplotlib.use("Agg")


def shown(explorer):
    return np.asarray(Image.open(io.BytesIO(explorer.image.value)).convert("RGB"))


def full_draw(fig):
    """The figure drawn from scratch, every artist included."""
    animated = [a for a in fig.findobj() if a.get_animated()]
    for artist in animated:
        artist.set_animated(False)
    fig.canvas.draw()
    pixels = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    for artist in animated:
        artist.set_animated(True)
    fig.canvas.draw()  # as it was: the explorer's background does not change
    return pixels


def assert_same_as_full_draw(explorer, what):
    picture = shown(explorer)
    reference = full_draw(explorer.fig)
    differ = np.argwhere((picture != reference).any(axis=-1))
    assert not len(differ), f"{what}: {len(differ)} pixels differ from a full draw, e.g. at (row, col) {differ[0]}"


def sweep_order(controls):
    """The controls in the order they are swept. Lesson 7's explorer trains a network on every change, outside
    an event loop all its epochs: its `epochs` control is set to its smallest value first and swept last, so
    that the other controls' changes each train one epoch, not ten (the pictures are compared all the same)."""
    epochs = controls.get("epochs")
    if epochs is not None and hasattr(epochs, "min"):
        epochs.value = epochs.min
    return sorted(controls.items(), key=lambda item: item[0] == "epochs")


@pytest.mark.parametrize("lesson", LESSON_NAMES)
def test_explorer_pictures_equal_full_draws(lesson):
    for path in sorted((SOLUTIONS / lesson).glob("*.ipynb")):
        with contextlib.redirect_stdout(io.StringIO()):
            explorers = run_notebook(path)
        for i, explorer in enumerate(explorers):
            for name, control in sweep_order(explorer.controls):
                if isinstance(control.value, bool):
                    continue
                for value in control_values(control):
                    control.value = value
                    assert_same_as_full_draw(explorer, f"{path.name} explorer {i}, {name}={value}")


def test_overlapping_and_changing_artists_render_exactly():
    fig = Figure(figsize=(4, 3))
    ax = fig.add_subplot()
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    moving = ax.text(1, 5, "moving", fontsize=14, zorder=2)
    ax.text(4, 5, "STATIC ABOVE", fontsize=14, zorder=3, bbox=dict(facecolor="yellow"))
    ax.text(1, 9, "far away", zorder=3)
    line, = ax.plot([0, 10], [0, 0], zorder=1)
    below = ax.annotate("", (0.5, 0), xycoords=ax.get_xaxis_transform(), xytext=(0, -14),
                        textcoords="offset points", ha="center", va="top")  # placed by a transform

    def update(x, top, extra):
        below.set_text(f"x = {x:.1f}")
        moving.set_position((x, 5))
        moving.set_text(f"moving {x:.1f}")
        line.set_ydata([0, x])
        if top != ax.get_ylim()[1]:
            ax.set_ylim(0, top)  # changed limits: everything moves
        for artist in ax.collections:
            artist.remove()
        if extra:
            ax.scatter([x], [x], s=80, zorder=4)  # artists added and removed

    controls = {**sliders(x=(0.0, 9.0, 1.0), top=(10.0, 20.0, 10.0)), "extra": widgets.Checkbox(value=False)}
    explorer = Explorer(fig, update, controls)
    for x in [1.0, 2.5, 3.5, 4.5, 6.0, 8.0, 1.0]:  # through the static text and back
        controls["x"].value = x
        assert_same_as_full_draw(explorer, f"x={x}")
    controls["top"].value = 15.0
    assert_same_as_full_draw(explorer, "after new y limits")
    controls["extra"].value = True
    controls["x"].value = 5.0
    assert_same_as_full_draw(explorer, "with an added scatter")
    controls["extra"].value = False
    assert_same_as_full_draw(explorer, "after removing it")


def test_default_slider_step_keeps_the_value_on_the_grid():
    for lo, hi, value in [(-4, 4, 1.0), (-3, 3, 1.0), (0, 1, 0.37), (0.001, 0.1, 0.01), (-5, 5, 0.0)]:
        slider = sliders(v=(lo, hi, value))["v"]
        k = (value - lo) / slider.step
        assert abs(k - round(k)) < 1e-6, f"{(lo, hi, value)}: step {slider.step} puts {value} off the grid"
        assert slider.step <= (hi - lo) / 100 + 1e-12


def test_long_ticks_next_to_a_changing_image_render_exactly():
    fig = Figure(figsize=(3, 2.5))
    ax = fig.add_subplot()
    image = ax.imshow(np.zeros((4, 4)), extent=(0, 1, 0, 1), vmin=0, vmax=1, aspect="auto")
    ax.set(xlim=(0, 1), ylim=(0, 1))
    ax.tick_params(length=12, width=2)  # tick marks reach far past the marker size matplotlib pads by
    ax.plot([0.5], [-0.02], "s", ms=9, clip_on=False)  # a marker under the tick marks
    ax.text(0.5, -0.25, "below", transform=ax.transAxes)

    def update(v):
        image.set_data(np.full((4, 4), v))

    explorer = Explorer(fig, update, sliders(v=(0.0, 1.0, 0.5)))
    for v in [0.2, 0.9, 0.4]:
        explorer.controls["v"].value = v
        assert_same_as_full_draw(explorer, f"v={v}")


def test_text_frames_recoloured_or_given_the_same_colours_render_exactly():
    fig = Figure(figsize=(4, 2))
    ax = fig.add_subplot()
    ax.set_axis_off()
    boxes = [ax.text(i, 0, f"n{i}", bbox=dict(facecolor="white", edgecolor="k")) for i in range(3)]
    ax.set(xlim=(-0.5, 3), ylim=(-1, 1))

    def update(hot):
        for i, box in enumerate(boxes):  # every frame is set again, as a graph's highlight does
            box.get_bbox_patch().set_facecolor("orange" if i == round(hot) else "white")

    explorer = Explorer(fig, update, sliders(hot=(0.0, 2.0, 0.0, 1.0)))
    for hot in [1.0, 2.0, 0.0, 2.0]:
        explorer.controls["hot"].value = hot
        assert_same_as_full_draw(explorer, f"hot={hot}")
