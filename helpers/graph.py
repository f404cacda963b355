"""Drawings of small computational graphs, with forward values and backward gradients.

Built on matplotlib.figure.Figure directly (no pyplot state), so a figure
shows once, when it is a cell's last expression or rendered by an Explorer.
"""
from io import BytesIO

import numpy as np
from matplotlib.figure import Figure
from matplotlib.transforms import offset_copy

from .fonts import figure_given, prepare, title_font
from .fonts import figure_text as T
from .i18n import _

_LEAF, _OP, _HOT = "#e6f0fa", "#a8c8e8", "#ffd98a"  # leaves lighter than operations
_EDGE, _HOT_EDGE = "#333333", "darkorange"
_GRAD = "crimson"
_GAP = 13  # points between a node's centre and its value/gradient text
_BEND = 0.3  # curvature of the outermost of several arrows between the same two nodes


def _parse_nodes(nodes):
    """{name: (x, y) or (x, y, label)} -> positions and labels."""
    if not isinstance(nodes, dict) or not nodes:
        raise ValueError("nodes must be a non-empty dict name -> (x, y) or (x, y, label); "
                         f"got {type(nodes).__name__}")
    pos, labels = {}, {}
    for name, spec in nodes.items():
        try:
            x, y = float(spec[0]), float(spec[1])
            assert len(spec) in (2, 3) and np.isfinite([x, y]).all()
        except Exception:
            raise ValueError(f"nodes[{name!r}] must be (x, y) or (x, y, label) with finite "
                             f"x, y; got {spec!r}") from None
        pos[name], labels[name] = (x, y), str(spec[2]) if len(spec) == 3 else str(name)
    return pos, labels


def _unknown(names, known, what):
    """Raise ValueError if any of `names` is not a node."""
    bad = [n for n in dict.fromkeys(names) if n not in known]
    if bad:
        raise ValueError(f"{what} names unknown nodes {bad}; the nodes are {list(known)}")


class GraphView:
    """A small computational graph: boxed nodes, arrows, and a value and gradient per node.

    Introduced in Lesson 1 (chain rule).

    Inputs:
    - nodes: dict name -> (x, y) or (x, y, label); label may be mathtext
      such as "$\\times$" and defaults to the name
    - edges: list of (src, dst) node names; nodes without incoming edges
      (inputs, parameters) are drawn lighter than operation nodes
    - ax: optional matplotlib Axes to draw into; default a new Figure
    - figsize: (width, height) in inches of the new Figure
    - title: optional str
    - loss: str, the name of what the gradients are of, for the legend ("L" reads ∂L/∂·)

    A value used by several nodes (fan-out, e.g. x1 in y = x1 * x2 + x1) has several
    outgoing arrows; several edges between the same two nodes (x * x) are drawn as arcs.
    update(edge_grads=...) writes on each arrow the gradient that branch sends back, so
    the picture shows the branches whose sum is the node's gradient.

    Attributes:
    - fig, ax: the matplotlib Figure and Axes
    - nodes: dict name -> Text of the node (its box is the node's shape)
    - circles: dict name -> the node's box patch (for highlighting)
    - value_text, grad_text: dict name -> Text, below (black) and above (red)
    - edge_text: dict (src, dst, k) -> Text on the k-th arrow from src to dst (k = 0 for the
      first; k > 0 only for repeated edges), blank until update(edge_grads=...)
    - fan_out: dict name -> list of the nodes it feeds, for every node used more than once
    """

    def __init__(self, nodes, edges, ax=None, figsize=(8, 3), title=None, loss="L"):
        self.pos, self.labels = _parse_nodes(nodes)
        edges = [tuple(e) for e in edges]
        if any(len(e) != 2 for e in edges):
            raise ValueError(f"edges must be (src, dst) pairs; got {edges}")
        _unknown([n for e in edges for n in e], self.pos, "edges")
        uses = {src: [dst for s, dst in edges if s == src] for src, _ in edges}
        self.fan_out = {name: dsts for name, dsts in uses.items() if len(dsts) > 1}
        prepare()
        if ax is None:
            ax = Figure(figsize=figsize).add_subplot()
        self.fig, self.ax, self.edges = ax.figure, ax, edges
        ax.set_axis_off()
        xs, ys = np.array(list(self.pos.values())).T
        ax.set_xlim(xs.min() - 0.6, xs.max() + 0.6)
        ax.set_ylim(ys.min() - (1.05 if self.fan_out else 0.8), ys.max() + 0.6)  # room below for the legend
        if title:
            ax.set_title(figure_given(title), **title_font())

        # Nodes are text boxes sized to their label, so long labels never overflow.
        operations = {dst for _, dst in edges}
        self._face = {n: _OP if n in operations else _LEAF for n in self.pos}
        self.nodes, self.circles, self.value_text, self.grad_text = {}, {}, {}, {}
        for name, (x, y) in self.pos.items():
            short = len(self.labels[name].strip("$").lstrip("\\")) <= 5
            style = "circle,pad=0.3" if short else "round,pad=0.4"
            node = ax.text(x, y, self.labels[name], ha="center", va="center", fontsize=12,
                           zorder=3, bbox=dict(boxstyle=style, facecolor=self._face[name],
                                               edgecolor=_EDGE, linewidth=1.2))
            self.nodes[name] = node
            self.circles[name] = node.get_bbox_patch()
            # plain texts shifted by a transform: they change on every update, and draw faster than annotations
            below = offset_copy(ax.transData, fig=ax.figure, y=-_GAP - 4, units="points")
            above = offset_copy(ax.transData, fig=ax.figure, y=_GAP + 4, units="points")
            self.value_text[name] = ax.text(x, y, "", transform=below, ha="center", va="top", fontsize=10)
            self.grad_text[name] = ax.text(x, y, "", transform=above, ha="center", va="bottom", fontsize=10,
                                           color=_GRAD)
        self.edge_text = {}
        for src, dst in dict.fromkeys(edges):
            parallel = edges.count((src, dst))
            bends = np.linspace(-_BEND, _BEND, parallel) if parallel > 1 else [0.0]
            for k, bend in enumerate(bends):
                self.edge_text[(src, dst, k)] = self._arrow(src, dst, bend)
        legend = dict(transform=ax.transAxes, y=0.07 if self.fan_out else 0.0, va="bottom", fontsize=9)
        ax.text(s=T("black: value (forward)"), x=0.49, ha="right", **legend)
        ax.text(s=T("red: gradient ∂{loss}/∂· (backward)").format(loss=loss), x=0.51, ha="left", color=_GRAD, **legend)
        if self.fan_out:
            ax.text(s=T("boxed on an arrow: what that branch sends back; a value used twice adds them"),
                    x=0.5, ha="center", color=_GRAD, **{**legend, "y": 0.0, "fontsize": 8})

    def _repr_png_(self):
        """The figure as PNG, so a GraphView that ends a cell shows as a picture.

        A bare Figure made without pyplot shows only as text until pyplot has set up inline
        figures, which matplotlib now defers to the first pyplot figure.
        """
        buf = BytesIO()
        self.fig.savefig(buf, format="png", bbox_inches="tight")
        return buf.getvalue()

    def _arrow(self, src, dst, bend=0.0):
        """Arrow from the edge of src's box to the edge of dst's box; returns its (blank) gradient label.

        bend: curvature of the arc (0 is straight), for repeated edges between the same nodes.
        """
        if self.pos[src] == self.pos[dst]:
            raise ValueError(f"nodes {src!r} and {dst!r} are at the same place")
        a, b = self.nodes[src], self.nodes[dst]
        self.ax.annotate("", xy=self.pos[dst], xytext=self.pos[src], zorder=1,
                         arrowprops=dict(arrowstyle="-|>", color="#555555", lw=1.2,
                                         patchA=a.get_bbox_patch(), patchB=b.get_bbox_patch(),
                                         shrinkA=2, shrinkB=2, connectionstyle=f"arc3,rad={bend}"))
        (x0, y0), (x1, y1) = self.pos[src], self.pos[dst]
        # the middle of the arc (a quadratic Bezier curve: half the control point's offset)
        x, y = (x0 + x1) / 2 + bend * (y1 - y0) / 2, (y0 + y1) / 2 - bend * (x1 - x0) / 2
        return self.ax.text(x, y, "", ha="center", va="center", fontsize=9, color=_GRAD, zorder=2,
                            bbox=dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor=_GRAD,
                                      linewidth=0.6))

    def update(self, values=None, grads=None, fmt="{:.3g}", edge_grads=None):
        """Show forward values and/or gradients; nodes and arrows not given show nothing.

        Introduced in Lesson 1 (chain rule).

        Only the existing Text artists change (no redraw from scratch), so
        this is fast enough to call on every slider move.

        Inputs:
        - values: optional dict name -> number (or None for a blank)
        - grads: optional dict name -> number, dL/d(node)
        - fmt: format string for the numbers
        - edge_grads: optional dict (src, dst) -> number: the gradient the arrow src -> dst carries
          back to src (what that branch adds to dL/d(src)); (src, dst, k) names the k-th of
          repeated arrows

        Returns:
        - self
        """
        values, grads = dict(values or {}), dict(grads or {})
        _unknown([*values, *grads], self.pos, "update()")
        edge_grads = {self._edge_key(e): v for e, v in dict(edge_grads or {}).items()}
        for name in self.pos:
            self.value_text[name].set_text(_show("= ", values.get(name), fmt, name))
            self.grad_text[name].set_text(_show("∂ ", grads.get(name), fmt, name))
        for key, text in self.edge_text.items():
            text.set_text(_show("", edge_grads.get(key), fmt, f"{key[0]} -> {key[1]}"))  # "" draws no box
        return self

    def _edge_key(self, edge):
        """(src, dst) or (src, dst, k) -> the key of an existing arrow in edge_text."""
        key = tuple(edge) + (0,) if len(tuple(edge)) == 2 else tuple(edge)
        if key not in self.edge_text:
            raise ValueError(f"edge_grads names the arrow {edge!r}, which is not in the graph; "
                             f"the arrows are {[e[:2] if e[2] == 0 else e for e in self.edge_text]}")
        return key

    def highlight(self, *names):
        """Emphasise the given nodes and return all others to normal; no names clears.

        Introduced in Lesson 1 (chain rule).

        Inputs:
        - names: node names, e.g. the node the backward pass is visiting

        Returns:
        - self
        """
        _unknown(names, self.pos, "highlight()")
        for name, circle in self.circles.items():
            hot = name in names
            circle.set_facecolor(_HOT if hot else self._face[name])
            circle.set_edgecolor(_HOT_EDGE if hot else _EDGE)
            circle.set_linewidth(3.0 if hot else 1.2)
        return self


def _show(prefix, v, fmt, name):
    """Text for one number, '' for a missing one."""
    if v is None:
        return ""
    if np.ndim(v) != 0:
        raise ValueError(_("the value for node {node} must be a single number; got shape {shape}").format(
            node=repr(name), shape=np.shape(v)))
    return prefix + fmt.format(float(v))


def draw_graph(nodes, edges, values=None, grads=None, edge_grads=None, **kw):
    """Draw a computational graph and fill in values and gradients in one call.

    Introduced in Lesson 1 (chain rule).

    Inputs:
    - nodes, edges: as in GraphView
    - values, grads, edge_grads: as in GraphView.update
    - kw: ax, figsize, title, loss, passed to GraphView

    Returns:
    - view: GraphView (display view.fig to see it)
    """
    return GraphView(nodes, edges, **kw).update(values, grads, edge_grads=edge_grads)
