"""The three panels of Lesson 3's playground: decision regions, hidden space, loss curve.

Introduced in Lesson 3 (the multi-layer perceptron and XOR). This module only draws: the
network's outputs, hidden activations and losses come from the learner's own functions.
Every update sets the data of artists made once (image, scatter offsets, line data), so an
explorer redraws quickly and a test can read back exactly what is shown. Axis limits change only
when they must (new limits mean new ticks: a slow redraw of the whole figure): the hidden panel's
frame grows in coarse steps when points leave it and never shrinks.
"""
import numpy as np
from matplotlib.figure import Figure

from .fonts import figure_given, prepare
from .fonts import figure_text as T
from .i18n import _

_CMAP = "coolwarm"  # class 0 blue, class 1 red; an output of 0.5 is white


def _as_2d(name, value, columns=None):
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim != 2 or (columns is not None and arr.shape[1] != columns):
        want = f"(N, {columns})" if columns is not None else "(N, M)"
        raise ValueError(_("{name} must have shape {want}; got {shape}").format(name=name, want=want, shape=arr.shape))
    return arr


def _limits(values, pad=0.1):
    """(low, high) around the finite values, padded; (0, 1) when there are none."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return 0.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    margin = pad * max(high - low, 1e-3)
    return low - margin, high + margin


_FRAME_STEPS = (1.1, 5.5)  # the hidden panel's frame edges, times a power of 10: few steps, few redraws


def _frame_edge(value, floor):
    """floor, or if value is beyond it the smallest of 1.1 and 5.5 x 10^k (k >= 0) that is not below value."""
    if not value > floor:
        return floor
    k = max(0, int(np.floor(np.log10(value / _FRAME_STEPS[0]))))
    return min(step * 10.0 ** e for e in (k, k + 1) for step in _FRAME_STEPS if step * 10.0 ** e >= value)


def _set_limits(ax, xlim=None, ylim=None):
    """Set the limits that differ (setting equal ones would still mark the axis as changed)."""
    if xlim is not None and (ax.get_autoscalex_on() or ax.get_xlim() != tuple(xlim)):
        ax.set_xlim(xlim)
    if ylim is not None and (ax.get_autoscaley_on() or ax.get_ylim() != tuple(ylim)):
        ax.set_ylim(ylim)


class PlaygroundView:
    """A figure with three panels, updated in place.

    Introduced in Lesson 3 (the multi-layer perceptron and XOR).

    Inputs:
    - resolution: int >= 2, grid points per side of the decision-region image
    - figsize: size of the figure in inches

    Attributes (the artists a test can read back):
    - fig; ax_regions, ax_hidden, ax_loss
    - regions: AxesImage, the network's output on the grid (values in [0, 1])
    - points: PathCollection, the data in input space, coloured by class
    - hidden: PathCollection, the data in hidden space (hidden units 1 and 2)
    - boundary: Line2D, the output unit's decision line in hidden space (two hidden units only)
    - loss: Line2D, the loss per epoch (x = 1, 2, ...)
    - grid_points: (resolution**2, 2) array, the last grid returned by grid()
    - hidden_frame: (low, high), the hidden panel's limits on both axes; they start at (-1.1, 1.1)
      (the range of sigmoid and tanh, with a margin) and only grow, to edges of 1.1 or 5.5 x 10^k
    """

    def __init__(self, resolution=70, figsize=(12, 3.9)):
        if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
            raise ValueError(f"resolution must be an int >= 2; got {resolution!r}")
        self.resolution = resolution
        prepare()
        self.fig = Figure(figsize=figsize, layout="constrained")
        self.ax_regions, self.ax_hidden, self.ax_loss = self.fig.subplots(1, 3)
        blank = np.full((resolution, resolution), 0.5)
        self.regions = self.ax_regions.imshow(blank, origin="lower", extent=(0, 1, 0, 1), cmap=_CMAP,
                                              vmin=0, vmax=1, alpha=0.55, aspect="auto")
        style = dict(cmap=_CMAP, vmin=0, vmax=1, s=18, edgecolors="k", linewidths=0.4)
        empty = np.zeros(0)
        self.points = self.ax_regions.scatter(empty, empty, c=empty, **style)
        self.hidden = self.ax_hidden.scatter(empty, empty, c=empty, **style)
        self.boundary, = self.ax_hidden.plot([], [], color="k", lw=1.2, ls="--")
        self.loss, = self.ax_loss.plot([], [], color="crimson")
        self.ax_regions.set(title=T("decision regions: output y"), xlabel="$x_1$", ylabel="$x_2$")
        self.ax_hidden.set(title=T("the points in hidden space"), xlabel="$a_1$", ylabel="$a_2$")
        self.ax_loss.set(title=T("loss per epoch"), xlabel=T("epoch"), ylabel=T("loss L"), yscale="log")
        self.grid_points = np.zeros((0, 2))
        self.hidden_frame = (-1.1, 1.1)

    def grid(self, x, margin=0.3):
        """Grid points covering the data x (N, 2) with a margin, in row-major image order. Pass every data set
        the view will show (stacked) to keep one frame for all of them.

        Returns:
        - grid_points: (resolution**2, 2); grid_points[i * resolution + j] is pixel (row i, column j),
          row 0 at the bottom. The image's extent is set to match.
        """
        x = _as_2d("x", x, columns=2)
        (x0, x1), (y0, y1) = (_limits(x[:, k], pad=0) for k in range(2))
        x0, x1, y0, y1 = x0 - margin, x1 + margin, y0 - margin, y1 + margin
        gx, gy = np.meshgrid(np.linspace(x0, x1, self.resolution), np.linspace(y0, y1, self.resolution))
        self.grid_points = np.column_stack([gx.ravel(), gy.ravel()])
        _set_limits(self.ax_regions, (x0, x1), (y0, y1))  # first: it turns autoscaling off for set_extent
        self.regions.set_extent((x0, x1, y0, y1))
        return self.grid_points

    def update(self, x, t, y_grid, a, losses, boundary=None, title=None):
        """Show the data, the network's output on the last grid, the hidden points and the losses.

        Inputs:
        - x: (N, 2) data; t: (N,) or (N, 1) targets 0/1
        - y_grid: the network's output on grid_points, (resolution**2,) or (resolution**2, 1)
        - a: (N, H) hidden activations a1 of the N points; units 1 and 2 are drawn (unit 2 as 0 if H = 1)
        - losses: sequence of the losses so far, one per epoch
        - boundary: optional (w, b) with w of shape (2,) or (2, 1): the line w_1 a_1 + w_2 a_2 + b = 0
        - title: optional str shown above the figure
        """
        x = _as_2d("x", x, columns=2)
        t = np.asarray(t, dtype=np.float64).reshape(-1)
        a = _as_2d("a", a)
        y_grid = np.asarray(y_grid, dtype=np.float64)
        if t.shape != (x.shape[0],) or a.shape[0] != x.shape[0]:
            raise ValueError(_("x, t and a must have one row per point; got x {x}, t {t}, a {a}").format(
                x=x.shape, t=t.shape, a=a.shape))
        if y_grid.size != self.grid_points.shape[0] or self.grid_points.shape[0] == 0:
            raise ValueError(_("y_grid must hold one output per grid point ({count}; call grid(x) first); "
                               "got shape {shape}").format(count=self.grid_points.shape[0], shape=y_grid.shape))
        self.regions.set_data(y_grid.reshape(self.resolution, self.resolution))
        self.points.set_offsets(x)
        self.points.set_array(t)
        plane = a[:, :2] if a.shape[1] >= 2 else np.column_stack([a[:, 0], np.zeros(len(a))])
        self.hidden.set_offsets(plane)
        self.hidden.set_array(t)
        self._grow_hidden_frame(plane)
        panel_title = T("the points in hidden space") if a.shape[1] >= 2 else T("one hidden unit: $a_2$ = 0")
        if self.ax_hidden.get_title() != panel_title:
            self.ax_hidden.set_title(panel_title)
        self._draw_boundary(boundary)
        self._draw_losses(np.asarray(losses, dtype=np.float64).reshape(-1))
        self.fig.suptitle(figure_given(title) or "")

    def _grow_hidden_frame(self, plane):
        """Widen the hidden panel's frame where points fall outside it (never narrow it)."""
        finite = plane[np.isfinite(plane)]
        if finite.size:
            low, high = self.hidden_frame
            self.hidden_frame = (-_frame_edge(-finite.min(), -low), _frame_edge(finite.max(), high))
        _set_limits(self.ax_hidden, self.hidden_frame, self.hidden_frame)

    def _draw_boundary(self, boundary):
        """The line w_1 a_1 + w_2 a_2 + b = 0 across the hidden panel, or nothing."""
        if boundary is None:
            self.boundary.set_data([], [])
            return
        w, b = np.asarray(boundary[0], dtype=np.float64).reshape(-1), float(np.ravel(boundary[1])[0])
        if w.shape != (2,):
            raise ValueError(_("boundary weights must be 2 numbers (two hidden units); got shape {shape}").format(
                shape=w.shape))
        (x0, x1), (y0, y1) = self.ax_hidden.get_xlim(), self.ax_hidden.get_ylim()
        if not w.any():             # w = 0: the output ignores the hidden units, no line
            xs = ys = np.array([])
        elif abs(w[1]) >= abs(w[0]):  # solve for a2 across the panel's width
            xs = np.array([x0, x1])
            ys = -(w[0] * xs + b) / w[1]
        else:                       # nearly vertical: solve for a1 along the panel's height
            ys = np.array([y0, y1])
            xs = -(w[1] * ys + b) / w[0]
        self.boundary.set_data(xs, ys)

    def _draw_losses(self, losses):
        self.loss.set_data(np.arange(1, losses.size + 1), losses)
        positive = losses[np.isfinite(losses) & (losses > 0)]
        ylim = (positive.min() / 1.5, positive.max() * 1.5) if positive.size else None
        _set_limits(self.ax_loss, (0, max(losses.size, 10) * 1.02), ylim)
