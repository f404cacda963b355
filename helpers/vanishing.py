"""The two panels of Lesson 6's explorer: gradient norm per layer, and activation histograms per layer.

Introduced in Lesson 6 (vanishing gradients). This module only draws: the gradient norms come from
the learner's own function, the activations from the lesson's forward pass. The axes never change
their limits; every update sets the data of lines made once, so the explorer redraws quickly and a
test can read back exactly what is shown.
"""
import numpy as np
from matplotlib.figure import Figure

from .fonts import figure_text as T
from .fonts import prepare
from .i18n import _


def _per_layer(name, value):
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(_("{name} must be a 1-D array, one number per layer; got shape {shape}").format(
            name=name, shape=arr.shape))
    return arr


def spread(a):
    """How much a layer's units vary across the samples of a batch: the standard deviation of each unit (column) over
    the samples (rows), averaged over the units. A layer that gives every input the same values has spread 0, however
    large the values are.

    Introduced in Lesson 6 (vanishing gradients).

    Inputs:
    - a: (N, H), a hidden layer's activations, one row per sample
    Returns:
    - a Python float
    """
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"a must be (N, H), one row per sample; got shape {a.shape}")
    return float(np.mean(np.std(a, axis=0)))


class GradientFlowView:
    """A figure with two panels, updated in place.

    Introduced in Lesson 6 (vanishing gradients).

    Left: the gradient norm of each layer's weights, the standard deviation of all of each hidden layer's
    activations (pooled), and their spread across the samples (the standard deviation of each unit over the
    batch, averaged over the units: what tells one input from another), on a fixed log scale (values within 5 decades of its limits, or beyond them, are drawn
    5 decades inside, so the changing lines stay clear of the ticks; nan and 0 at the bottom). Right: one
    histogram per hidden layer, stacked bottom (layer 1) to top, over fixed bins; values outside the
    bins are counted in the first or last bin. A bar's height is the square root of its share of the
    layer's values (relative to the layer's tallest bar), so that thin tails stay visible beside a
    spike (ReLU's zeros).

    Inputs:
    - max_depth: int >= 2, the most layers (with weights) a network shown may have
    - value_range: (low, high), the activation values the histogram bins cover
    - bins: int, the number of histogram bins
    - limits: (low, high), the fixed y-limits of the log panel
    - figsize: size of the figure in inches

    Attributes (the artists a test can read back):
    - fig; ax_norms, ax_hist
    - grad_line: Line2D, x = layer 1..L, y = the gradient norms (clipped to the panel)
    - std_line: Line2D, x = hidden layer 1..L-1, y = the activations' pooled standard deviations (clipped)
    - spread_line: Line2D, x = hidden layer 1..L-1, y = the activations' spread across the samples (clipped)
    - hist_lines: list of max_depth - 1 Line2D, the histogram of hidden layer l + 1 drawn at height l + 1
    - readout: Text, the ratio of the first layer's gradient norm to the last one's
    - edges: the bin edges; centers: the bin centres
    """

    def __init__(self, max_depth=20, value_range=(-1.2, 3.0), bins=56, limits=(1e-40, 1e40), figsize=(11, 4.4)):
        if isinstance(max_depth, bool) or not isinstance(max_depth, int) or max_depth < 2:
            raise ValueError(f"max_depth must be an int >= 2; got {max_depth!r}")
        low, high = map(float, value_range)
        if not low < high or isinstance(bins, bool) or not isinstance(bins, int) or bins < 2:
            raise ValueError(f"need value_range low < high and bins an int >= 2; got {value_range!r}, {bins!r}")
        self.max_depth, self.limits = max_depth, (float(limits[0]), float(limits[1]))
        self.edges = np.linspace(low, high, bins + 1)
        self.centers = (self.edges[:-1] + self.edges[1:]) / 2
        prepare()
        self.fig = Figure(figsize=figsize, layout="constrained")
        self.ax_norms, self.ax_hist = self.fig.subplots(1, 2, width_ratios=[1.15, 1])
        self._build_norms()
        self._build_hist()

    def _build_norms(self):
        ax = self.ax_norms
        self.grad_line, = ax.semilogy([], [], "o-", color="crimson", ms=4, label=T("gradient norm ‖dL/dW‖ of layer l"))
        self.std_line, = ax.semilogy([], [], "s--", color="tab:blue", ms=3, label=T("std of layer l's activations"))
        self.spread_line, = ax.semilogy([], [], "^:", color="tab:purple", ms=3, label=T("spread across samples"))
        ax.set(xlim=(0, self.max_depth + 1), ylim=self.limits, xlabel=T("layer l (1 = next to the input)"))
        ax.set_xticks(range(0, self.max_depth + 1, 5))
        ax.set_yticks([10.0 ** k for k in range(int(np.log10(self.limits[0])), int(np.log10(self.limits[1])) + 1, 10)])
        ax.axhline(1.0, color="0.6", lw=0.8, zorder=1)
        # a key in plain texts above the axes: a Legend would be redrawn whenever a line changes
        ax.text(0.0, 1.09, "● " + T("gradient norm ‖dL/dW‖ of layer l"), color="crimson", transform=ax.transAxes)
        ax.text(0.0, 1.02, "■ " + T("std of all of layer l's activations"), color="tab:blue", transform=ax.transAxes)
        ax.text(1.0, 1.02, "▲ " + T("their spread across samples"), color="tab:purple", ha="right", transform=ax.transAxes)
        self.readout = ax.text(0.03, 0.04, "", transform=ax.transAxes, fontsize=9)

    def _build_hist(self):
        ax = self.ax_hist
        self.hist_lines = [ax.plot([], [], color="tab:green", lw=1.1, drawstyle="steps-mid")[0]
                           for _ in range(self.max_depth - 1)]
        pad = 0.06 * (self.edges[-1] - self.edges[0])  # keeps the lines clear of the ticks, which then need no redraw
        ax.set(xlim=(self.edges[0] - pad, self.edges[-1] + pad), ylim=(-0.1, self.max_depth + 1.0),
               xlabel=T("activation value (outside the bins: counted at the edge)"), ylabel=T("hidden layer"),
               title=T("activations of each hidden layer (√ of the histogram)"))
        step = max(1, self.max_depth // 10)
        ax.set_yticks(range(1, self.max_depth, step))

    def histogram(self, a):
        """Fraction of the values of a in each bin, values outside the bins counted at the edge."""
        a = np.asarray(a, dtype=np.float64).ravel()
        a = a[np.isfinite(a)]
        if a.size == 0:
            return np.zeros(self.centers.size)
        width = self.edges[1] - self.edges[0]
        index = np.clip((a - self.edges[0]) / width, 0, self.centers.size - 1).astype(np.int64)
        return np.bincount(index, minlength=self.centers.size) / a.size

    def update(self, grad_norms, activations):
        """Show one network: its per-layer gradient norms and its hidden layers' activations.

        Inputs:
        - grad_norms: (L,) the norm of dL/dW of each layer, first layer first (2 <= L <= max_depth)
        - activations: list of L - 1 arrays, the outputs of the hidden layers, first layer first
        """
        norms = _per_layer("grad_norms", grad_norms)
        depth = norms.size
        if not 2 <= depth <= self.max_depth:
            raise ValueError(_("grad_norms must have between 2 and {most} entries; got {depth}").format(
                most=self.max_depth, depth=depth))
        if len(activations) != depth - 1:
            raise ValueError(_("need one activation array per hidden layer ({hidden} for {depth} layers); "
                               "got {count}").format(hidden=depth - 1, depth=depth, count=len(activations)))
        low, high = self.limits[0] * 1e5, self.limits[1] / 1e5  # inside the panel, clear of its ticks
        shown = np.clip(np.nan_to_num(norms, nan=low, posinf=high), low, high)
        self.grad_line.set_data(np.arange(1, depth + 1), shown)
        stds = np.array([np.std(a) for a in activations])
        self.std_line.set_data(np.arange(1, depth), np.clip(np.nan_to_num(stds, nan=low, posinf=high), low, high))
        spreads = np.array([spread(a) for a in activations])
        self.spread_line.set_data(np.arange(1, depth), np.clip(np.nan_to_num(spreads, nan=low, posinf=high), low, high))
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = norms[0] / norms[-1]
        self.readout.set_text(f"‖dW₁‖ / ‖dW_L‖ = {ratio:.1e}")
        for layer, line in enumerate(self.hist_lines, start=1):
            if layer < depth:
                h = self.histogram(activations[layer - 1])
                line.set_data(self.centers, layer + 0.85 * np.sqrt(h / max(h.max(), 1e-12)))
            else:
                line.set_data([], [])
