"""Widget explorers: sliders that drive the learner's own code and redraw a figure.

The figure is rendered to PNG into an ipywidgets.Image rather than shown with
pyplot, so it works the same in every frontend and can be tested without a kernel.
"""
import html
import numbers
from io import BytesIO

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def sliders(**specs):
    """Make one FloatSlider per keyword.

    Introduced in Lesson 1 (chain rule).

    Inputs:
    - specs: name=(min, max, value) or name=(min, max, value, step);
      step defaults to (max - min) / 100

    Returns:
    - controls: dict name -> ipywidgets.FloatSlider, in keyword order
    """
    controls = {}
    for name, spec in specs.items():
        if not (isinstance(spec, (tuple, list)) and len(spec) in (3, 4)
                and all(isinstance(v, numbers.Real) and np.isfinite(v) for v in spec)):
            raise ValueError(f"{name} must be (min, max, value) or (min, max, value, step) "
                             f"of finite numbers; got {spec!r}")
        lo, hi, value = map(float, spec[:3])
        step = float(spec[3]) if len(spec) == 4 else (hi - lo) / 100
        if not lo < hi:
            raise ValueError(f"{name}: min must be below max; got min {lo:g}, max {hi:g}")
        if not lo <= value <= hi:
            raise ValueError(f"{name}: value must lie in [{lo:g}, {hi:g}]; got {value:g}")
        if step <= 0:
            raise ValueError(f"{name}: step must be positive; got {step:g}")
        controls[name] = widgets.FloatSlider(min=lo, max=hi, value=value, step=step,
                                             description=name, continuous_update=True,
                                             readout_format=".2f")
    return controls


class Explorer(widgets.VBox):
    """Controls, a figure redrawn by the learner's code on every change, and a status line.

    Introduced in Lesson 1 (chain rule).

    If `update` raises (an unfinished exercise, or code that fails for some
    slider value), the last good image stays and the error shows in red.

    Inputs:
    - fig: matplotlib Figure whose artists `update` changes
    - update: callable, update(**values) with one keyword per control
    - controls: dict name -> value widget (e.g. from sliders(), or a Dropdown, IntSlider, ...)
    - title: optional str shown above the controls
    - dpi: resolution of the rendered PNG
    - actions: optional dict label -> callable(**values), one button each (e.g. "step",
      "train"); an action may change control values or its own state, and the figure is
      redrawn once when it returns. A long action can call `explorer.show_progress(done, total)`
      and `explorer.render()` to show how far it got.

    Attributes:
    - fig, controls, image (ipywidgets.Image), status (ipywidgets.HTML)
    - buttons: dict label -> ipywidgets.Button (click one in a test with .click())
    - progress: ipywidgets.FloatProgress, hidden until show_progress is called
    - renders: int, number of successful renders so far
    """

    def __init__(self, fig, update, controls, title=None, dpi=80, actions=None):
        if not isinstance(fig, Figure):
            raise ValueError(f"fig must be a matplotlib Figure; got {type(fig).__name__}")
        if not callable(update):
            raise ValueError(f"update must be callable; got {type(update).__name__}")
        if not (isinstance(controls, dict) and controls
                and all(isinstance(w, widgets.ValueWidget) for w in controls.values())):
            raise ValueError("controls must be a non-empty dict name -> value widget")
        actions = {} if actions is None else actions
        if not (isinstance(actions, dict) and all(callable(a) for a in actions.values())):
            raise ValueError("actions must be a dict label -> callable")
        if not (isinstance(dpi, numbers.Real) and dpi > 0):
            raise ValueError(f"dpi must be a positive number; got {dpi!r}")
        if not isinstance(fig.canvas, FigureCanvasAgg):
            FigureCanvasAgg(fig)  # attaches itself as fig.canvas; PNG needs Agg
        self.fig, self.controls, self.dpi, self.renders = fig, controls, dpi, 0
        self._update, self._holding = update, False
        self.image = widgets.Image(format="png")
        self.status = widgets.HTML("")
        self.progress = widgets.FloatProgress(value=0.0, min=0.0, max=1.0,
                                              layout=widgets.Layout(visibility="hidden"))
        self.buttons = {}
        for label, action in actions.items():
            button = widgets.Button(description=label)
            button.on_click(lambda _, action=action: self._act(action))
            self.buttons[label] = button
        row = widgets.HBox([*controls.values(), *self.buttons.values(), self.progress],
                           layout=widgets.Layout(flex_flow="row wrap"))
        head = [widgets.HTML(f"<b>{html.escape(title)}</b>")] if title else []
        super().__init__(children=[*head, row, self.image, self.status])
        for w in controls.values():
            w.observe(self._refresh, names="value")
        self._refresh()

    def values(self):
        """The controls' current values, name -> value."""
        return {name: w.value for name, w in self.controls.items()}

    def render(self):
        """Run update with the current values and redraw now (e.g. during a long action)."""
        self._draw()

    def show_progress(self, done, total):
        """Show a progress bar at done / total (hidden again once the action returns)."""
        self.progress.layout.visibility = "visible"
        self.progress.value = min(max(done / total, 0.0), 1.0) if total else 1.0

    def _act(self, action):
        """Run a button's action with control changes batched into one redraw."""
        self._holding = True
        try:
            action(**self.values())
        except NotImplementedError as e:
            detail = f" ({e})" if str(e) else ""
            self._error(f"NotImplementedError: the exercise this button uses is not done yet{detail}.")
            return
        except Exception as e:  # learner code: show the error, keep the widget alive
            self._error(f"{type(e).__name__}: {e}")
            return
        finally:
            self._holding = False
            self.progress.layout.visibility = "hidden"
        self._draw()

    def _refresh(self, change=None):
        if not self._holding:  # an action's control changes are drawn once, when it returns
            self._draw()

    def _draw(self):
        """Run update with the current values, then render; report failures."""
        values = self.values()
        try:
            self._update(**values)
            buf = BytesIO()
            self.fig.savefig(buf, format="png", dpi=self.dpi)
        except NotImplementedError as e:
            detail = f" ({e})" if str(e) else ""
            self._error("NotImplementedError: the exercise this explorer uses "
                        f"is not done yet{detail}.")
            return
        except Exception as e:  # learner code: show the error, keep the widget alive
            self._error(f"{type(e).__name__}: {e}")
            return
        self.image.value = buf.getvalue()
        self.status.value = ""
        self.renders += 1

    def _error(self, text):
        self.status.value = f'<span style="color:#c00000">{html.escape(text)}</span>'
