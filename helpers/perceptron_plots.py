"""Drawing a perceptron over a 2-D data set: decision line, half-planes, mistakes.

Introduced in Lesson 2 (perceptron). Only drawing lives here: the half-planes and the
circled mistakes show predictions passed in by the caller (the learner's own `predict`).

Weights are folded: w = (b, w1, w2), so the decision line is b + w1*x1 + w2*x2 = 0.
"""
import numpy as np
from matplotlib.colors import ListedColormap

from .fonts import figure_text as T
from .fonts import prepare
from .i18n import _

_CLASS_COLORS = {-1.0: "tab:orange", 1.0: "tab:blue"}
_REGION_CMAP = ListedColormap(["#fde3c8", "#d4e4f4"])  # light orange (-1), light blue (+1)


def _weights(w):
    w = np.asarray(w, dtype=np.float64)
    if w.shape != (3,) or not np.all(np.isfinite(w)):
        raise ValueError(_("w must hold 3 finite numbers (b, w1, w2); got shape {shape}").format(shape=w.shape))
    return w


def decision_line(w, xlim, ylim):
    """Two points of the line b + w1*x1 + w2*x2 = 0 that span a view.

    Inputs:
    - w: shape (3,), folded weights (b, w1, w2)
    - xlim, ylim: (low, high) of the view

    Returns:
    - (xs, ys): two arrays of shape (2,), or None when w1 = w2 = 0 (no line: every point
      gets the same z = b). The line is solved for x2 when |w2| >= |w1| (so it is never
      steeper than 45 degrees in that form), else for x1 (a vertical line when w2 = 0).
    """
    b, w1, w2 = _weights(w)
    if w1 == 0 and w2 == 0:
        return None
    if abs(w2) >= abs(w1):
        xs = np.asarray(xlim, dtype=np.float64)
        return xs, -(w1 * xs + b) / w2
    ys = np.asarray(ylim, dtype=np.float64)
    return -(w2 * ys + b) / w1, ys


def view_limits(x, pad=0.5):
    """(xlim, ylim) around the points x of shape (N, 2), padded, and square."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != 2 or len(x) == 0:
        raise ValueError(f"x must have shape (N, 2) with N >= 1; got {x.shape}")
    low, high = x.min(axis=0) - pad, x.max(axis=0) + pad
    centre, half = (low + high) / 2, (high - low).max() / 2
    return (centre[0] - half, centre[0] + half), (centre[1] - half, centre[1] + half)


class PerceptronView:
    """A 2-D data set, the perceptron's half-planes, its decision line, its normal vector
    and rings around the misclassified points, on one Axes; updated in place.

    Introduced in Lesson 2 (perceptron).

    Inputs:
    - ax: matplotlib Axes to draw on
    - resolution: int, the half-planes are sampled on a resolution x resolution grid
    - limits: optional (xlim, ylim), one view for every data set (e.g. view_limits of all of them),
      so switching data sets moves no axis; by default each set_data fits the view to its data

    Attributes (artists, for tests and for styling):
    - points: PathCollection of the data, coloured by target
    - wrong: PathCollection of rings around the misclassified points
    - line: Line2D, the decision line (empty when w1 = w2 = 0)
    - regions: AxesImage, the predicted label over the view
    - normal: Quiver, the vector (w1, w2), pointing into the +1 half-plane
    - grid: array of shape (resolution**2, 2), the points whose predictions `show` needs
    """

    def __init__(self, ax, resolution=120, limits=None):
        prepare()
        self.ax, self.resolution, self.limits = ax, int(resolution), limits
        self.regions = ax.imshow(np.zeros((2, 2)), origin="lower", cmap=_REGION_CMAP, vmin=-1, vmax=1,
                                 interpolation="nearest", zorder=0)
        self.points = ax.scatter([], [], s=36, edgecolors="k", linewidths=0.5, zorder=3)
        self.wrong = ax.scatter([], [], s=170, facecolors="none", edgecolors="crimson", linewidths=2,
                                zorder=4, label=T("misclassified"))
        self.line, = ax.plot([], [], color="k", lw=2, zorder=2)
        self.normal = ax.quiver([0.0], [0.0], [0.0], [0.0], angles="xy", scale_units="xy", scale=1,
                                color="k", width=0.008, zorder=5)
        ax.set(xlabel="$x_1$", ylabel="$x_2$", aspect="equal")
        ax.locator_params(nbins=5)  # a square panel: fewer ticks keep their labels apart
        self.x = self.t = None

    def set_data(self, x, t):
        """Show a new data set: x of shape (N, 2), targets t of shape (N,) in {-1, +1}."""
        x, t = np.asarray(x, dtype=np.float64), np.asarray(t, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != 2 or t.shape != (len(x),):
            raise ValueError(f"x must have shape (N, 2) and t shape (N,); got {x.shape} and {t.shape}")
        if not np.all(np.isin(t, (-1.0, 1.0))):
            raise ValueError("t must hold -1/+1 labels (use signed=True with the data helpers)")
        self.x, self.t = x, t
        limits = self.limits if self.limits is not None else view_limits(x)
        self.xlim, self.ylim = (tuple(map(float, lim)) for lim in limits)
        self.points.set_offsets(x)
        self.points.set_facecolors([_CLASS_COLORS[v] for v in t])
        if self.ax.get_autoscale_on() or (self.ax.get_xlim(), self.ax.get_ylim()) != (self.xlim, self.ylim):
            self.ax.set(xlim=self.xlim, ylim=self.ylim)  # (and turns autoscaling off, so set_extent keeps them)
        self.regions.set_extent((*self.xlim, *self.ylim))
        g1 = np.linspace(*self.xlim, self.resolution)
        g2 = np.linspace(*self.ylim, self.resolution)
        self.grid = np.stack(np.meshgrid(g1, g2), axis=-1).reshape(-1, 2)

    def show(self, w, predict):
        """Draw the perceptron with weights w = (b, w1, w2), classifying with predict(w, x) -> (N,) of -1/+1.

        Returns:
        - y: the predictions on the data, shape (N,)
        """
        if self.x is None:
            raise ValueError("call set_data(x, t) before show")
        w = _weights(w)
        y = np.asarray(predict(w, self.x), dtype=np.float64)
        y_grid = np.asarray(predict(w, self.grid), dtype=np.float64)
        if y.shape != self.t.shape or y_grid.shape != (len(self.grid),):
            raise ValueError(_("predict(w, x) must return shape (N,): got {shape} for {count} points "
                               "and {grid_shape} for {grid_count} grid points").format(
                                 shape=y.shape, count=len(self.t), grid_shape=y_grid.shape, grid_count=len(self.grid)))
        self.regions.set_data(y_grid.reshape(self.resolution, self.resolution))
        self.wrong.set_offsets(self.x[y != self.t].reshape(-1, 2))
        ends = decision_line(w, self.xlim, self.ylim)
        self.line.set_data(*(ends if ends is not None else ([], [])))
        self._show_normal(w)
        return y

    def _show_normal(self, w):
        """An arrow along (w1, w2) from the point of the line nearest the view's centre."""
        b, w1, w2 = w
        norm = np.hypot(w1, w2)
        if norm == 0:
            self.normal.set_offsets([[np.nan, np.nan]])
            return
        centre = np.array([np.mean(self.xlim), np.mean(self.ylim)])
        direction = np.array([w1, w2]) / norm
        foot = centre - (b + direction @ centre * norm) / norm * direction
        length = 0.15 * (self.xlim[1] - self.xlim[0])
        self.normal.set_offsets([foot])
        self.normal.set_UVC(*(length * direction))
