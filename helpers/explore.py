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
    - controls: dict name -> value widget (e.g. from sliders())
    - title: optional str shown above the controls
    - dpi: resolution of the rendered PNG

    Attributes:
    - fig, controls, image (ipywidgets.Image), status (ipywidgets.HTML)
    - renders: int, number of successful renders so far
    """

    def __init__(self, fig, update, controls, title=None, dpi=80):
        if not isinstance(fig, Figure):
            raise ValueError(f"fig must be a matplotlib Figure; got {type(fig).__name__}")
        if not callable(update):
            raise ValueError(f"update must be callable; got {type(update).__name__}")
        if not (isinstance(controls, dict) and controls
                and all(isinstance(w, widgets.ValueWidget) for w in controls.values())):
            raise ValueError("controls must be a non-empty dict name -> value widget")
        if not (isinstance(dpi, numbers.Real) and dpi > 0):
            raise ValueError(f"dpi must be a positive number; got {dpi!r}")
        if not isinstance(fig.canvas, FigureCanvasAgg):
            FigureCanvasAgg(fig)  # attaches itself as fig.canvas; PNG needs Agg
        self.fig, self.controls, self.dpi, self.renders = fig, controls, dpi, 0
        self._update = update
        self.image = widgets.Image(format="png")
        self.status = widgets.HTML("")
        row = widgets.HBox(list(controls.values()), layout=widgets.Layout(flex_flow="row wrap"))
        head = [widgets.HTML(f"<b>{html.escape(title)}</b>")] if title else []
        super().__init__(children=[*head, row, self.image, self.status])
        for w in controls.values():
            w.observe(self._refresh, names="value")
        self._refresh()

    def _refresh(self, change=None):
        """Run update with the current values, then render; report failures."""
        values = {name: w.value for name, w in self.controls.items()}
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
