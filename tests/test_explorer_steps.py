"""An explorer whose update works in steps (Lesson 7 trains epoch by epoch) answers a change at once in a kernel.

In a running event loop (as in ipykernel), the first step is drawn when the control changes and the other
steps follow as callbacks of the loop, so a newer change gets in between two steps and cancels the older run;
without an event loop every step runs and the figure is drawn once.
"""
import asyncio

import ipywidgets as widgets
import matplotlib
import pytest
from matplotlib.figure import Figure

from helpers import Explorer, sliders

matplotlib.use("Agg")


def stepwise_explorer(steps=5):
    """An explorer drawing a line one point per step; `log` records every step run and every run closed."""
    fig = Figure(figsize=(3, 2))
    ax = fig.add_subplot()
    ax.set(xlim=(0, steps), ylim=(0, 100))
    line, = ax.plot([], [], marker="o")
    log = []

    def update(a):
        xs, ys = [], []
        try:
            for k in range(steps + 1):
                xs.append(k)
                ys.append(a * k)
                line.set_data(xs, ys)
                log.append((a, k))
                if k < steps:
                    yield
        finally:
            log.append((a, "closed"))

    control = widgets.IntSlider(value=1, min=1, max=10)
    explorer = Explorer(fig, update, {"a": control})
    explorer.frame_seconds = 0  # draw every step
    return explorer, control, line, log


def test_without_an_event_loop_every_step_runs_and_one_picture_is_drawn():
    explorer, control, line, log = stepwise_explorer()
    renders = explorer.renders
    control.value = 3
    assert explorer.renders == renders + 1 and not explorer.running
    assert list(line.get_ydata()) == [0, 3, 6, 9, 12, 15]
    assert log[-2:] == [(3, 5), (3, "closed")]


def test_in_an_event_loop_the_first_step_is_drawn_at_once_and_the_run_goes_on():
    explorer, control, line, log = stepwise_explorer()

    async def scenario():
        renders, before = explorer.renders, bytes(explorer.image.value)
        control.value = 2
        first = (explorer.renders, list(line.get_ydata()), explorer.running, bytes(explorer.image.value) != before)
        assert first == (renders + 1, [0], True, True), first
        while explorer.running:
            await asyncio.sleep(0)
        return renders

    renders = asyncio.run(scenario())
    assert list(line.get_ydata()) == [0, 2, 4, 6, 8, 10]
    assert explorer.renders == renders + 6, "each step should have been drawn (frame_seconds = 0)"
    assert explorer.status.value == ""


def test_a_newer_change_cancels_the_older_run():
    explorer, control, line, log = stepwise_explorer(steps=50)

    async def scenario():
        control.value = 4
        for _ in range(3):  # a few steps of the run for 4
            await asyncio.sleep(0)
        control.value = 7  # comes in between two steps
        assert (4, "closed") in log, "the older run was not closed"
        while explorer.running:
            await asyncio.sleep(0)

    asyncio.run(scenario())
    steps_of_4 = [k for a, k in log if a == 4 and k != "closed"]
    assert 1 <= len(steps_of_4) < 10, f"the run for 4 went on after the change: {steps_of_4}"
    assert list(line.get_ydata()) == [7 * k for k in range(51)]


def test_an_error_in_a_later_step_shows_and_stops_the_run():
    fig = Figure(figsize=(3, 2))
    line, = fig.add_subplot().plot([0, 1], [0, 1])

    def update(a):
        line.set_ydata([0, a])
        yield
        raise ValueError(f"step two failed for a={a}")

    control = widgets.IntSlider(value=1, min=1, max=10)
    explorer = Explorer(fig, update, {"a": control})
    assert "step two failed for a=1" in explorer.status.value  # no event loop: the whole run at once

    async def scenario():
        control.value = 2
        assert explorer.status.value == "" and explorer.running
        while explorer.running:
            await asyncio.sleep(0)

    asyncio.run(scenario())
    assert "step two failed for a=2" in explorer.status.value
    assert list(line.get_ydata()) == [0, 2]


def test_lesson7_trains_epoch_by_epoch_to_the_run_a_script_gets():
    """Lesson 7's explorer: its first picture (epoch 0) comes at once, the run then grows epoch by epoch, and it
    ends where the same settings end without an event loop (one call of train per epoch is the same run)."""
    from course_tools import SOLUTIONS, solution_namespace
    from helpers.digits import training_explorer

    sol = solution_namespace(SOLUTIONS / "07_capstone_digits" / "capstone_digits.ipynb", ("imports", "data", "init"))
    make = [sol[name] for name in ("data", "init_params", "train", "mlp_loss", "mlp_forward")]
    settings = {"width": 32, "depth": 1, "epochs": 4}

    script = training_explorer(*make)
    for name, value in settings.items():
        script.controls[name].value = value
    expected = ([list(line.get_ydata()) for line in script.view.lines.values()], script.view.caption.value)

    explorer = training_explorer(*make)

    async def scenario():
        for name, value in settings.items():
            explorer.controls[name].value = value
            assert explorer.view.caption.value.endswith(f"epoch 0 of {explorer.controls['epochs'].value}")
            assert len(explorer.view.lines["val_acc"].get_xdata()) == 1 and explorer.running
        while explorer.running:
            await asyncio.sleep(0)

    asyncio.run(scenario())
    shown = ([list(line.get_ydata()) for line in explorer.view.lines.values()], explorer.view.caption.value)
    assert shown == expected
    assert "validation accuracy" in shown[1] and len(shown[0][0]) == settings["epochs"] + 1


def test_a_caption_must_be_a_widget_and_sits_above_the_picture():
    caption = widgets.Label("words")
    explorer = Explorer(Figure(), lambda w: None, sliders(w=(0, 1, 0.5)), caption=caption)
    assert explorer.children.index(caption) == explorer.children.index(explorer.image) - 1
    with pytest.raises(ValueError, match="caption must be an ipywidgets widget"):
        Explorer(Figure(), lambda w: None, sliders(w=(0, 1, 0.5)), caption="words")


def test_a_step_that_changes_nothing_in_the_figure_is_not_drawn():
    """A step that only computes (Lesson 7 trains, then measures and draws) makes no picture of its own:
    drawing an unchanged figure would cost a full draw and delay the next change."""
    fig = Figure(figsize=(3, 2))
    ax = fig.add_subplot()
    ax.set(xlim=(0, 5), ylim=(0, 50))
    line, = ax.plot([], [], marker="o")

    def update(a):
        for k in range(6):
            if k:
                yield  # computed, nothing changed yet
            line.set_data(range(k + 1), [a * i for i in range(k + 1)])
            if k < 5:
                yield

    explorer = Explorer(fig, update, {"a": widgets.IntSlider(value=1, min=1, max=10)})
    explorer.frame_seconds = 0

    async def scenario():
        renders = explorer.renders
        explorer.controls["a"].value = 4
        while explorer.running:
            await asyncio.sleep(0)
        return renders

    renders = asyncio.run(scenario())
    assert list(line.get_ydata()) == [0, 4, 8, 12, 16, 20]
    assert explorer.renders == renders + 6, f"{explorer.renders - renders} pictures for 6 changed steps"
