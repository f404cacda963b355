"""Walk the backward pass of a small computational graph one node at a time.

Built on helpers.graph.GraphView: the node being visited is highlighted, the
gradients known so far are written on the graph, and a panel lists the node's
upstream gradient, its local gradients and the downstream gradients it sends
to its inputs. Every number comes from the caller (in the lessons: the
learner's own backward functions); this module only shows them, and flags a
downstream gradient that is not upstream × local.
"""
import numbers
from dataclasses import dataclass, field

import numpy as np

from .fonts import figure_given, monospace, prepare
from .fonts import figure_text as T
from .graph import _unknown
from .i18n import _, pad


def _number(value, what):
    """value as a Python float; it may be nan (a learner's bug is shown, not hidden)."""
    numeric = isinstance(value, (numbers.Real, np.ndarray, np.generic)) and not isinstance(value, (bool, np.bool_))
    arr = np.asarray(value) if numeric else None
    if arr is None or arr.ndim != 0 or arr.dtype.kind not in "iuf":
        raise ValueError(_("{what} must be a single number; got {value}").format(what=what, value=repr(value)))
    return float(arr)


@dataclass(frozen=True)
class BackwardStep:
    """One node's visit in the backward pass.

    Introduced in Lesson 4 (activation backprop).

    Inputs:
    - node: str, the graph node visited (named after the value it outputs)
    - upstream: number, dL/d(node), what arrives from the loss side
    - local: dict input node -> number, d(node)/d(input)
    - downstream: dict input node -> number, dL/d(input), what the node sends on;
      the same keys as local
    - note: optional str shown in the panel, e.g. "local = a(1 - a)"
    """
    node: str
    upstream: float
    local: dict
    downstream: dict
    note: str = field(default="")

    def __post_init__(self):
        if not isinstance(self.node, str):
            raise ValueError(f"node must be a node name (str); got {self.node!r}")
        if not (isinstance(self.local, dict) and isinstance(self.downstream, dict) and self.local):
            raise ValueError(f"step {self.node!r}: local and downstream must be non-empty dicts "
                             "input node -> number")
        if list(self.local) != list(self.downstream):
            raise ValueError(f"step {self.node!r}: local and downstream must name the same inputs "
                             f"in the same order; got {list(self.local)} and {list(self.downstream)}")
        object.__setattr__(self, "upstream", _number(self.upstream, f"step {self.node!r}: upstream"))
        for name in ("local", "downstream"):
            numbers_ = {k: _number(v, f"step {self.node!r}: {name}[{k!r}]") for k, v in getattr(self, name).items()}
            object.__setattr__(self, name, numbers_)

    def consistent(self, inp, rtol=1e-6, atol=1e-9):
        """True when downstream[inp] equals upstream * local[inp] (the chain rule at this node)."""
        return bool(np.isclose(self.downstream[inp], self.upstream * self.local[inp], rtol=rtol, atol=atol))


class BackwardWalk:
    """A GraphView plus a panel that follow a list of BackwardSteps, one per call of step().

    Introduced in Lesson 4 (activation backprop).

    Position 0 shows the forward values only; position k (1..n) has visited the
    first k steps: step k's node is highlighted, the gradients of every node
    reached so far are on the graph, and the panel explains step k.
    step() after the last step starts over at 0.

    Inputs:
    - view: GraphView to draw on
    - panel_ax: optional matplotlib Axes for the panel (default: view.ax, top left)
    - loss: str, the loss's name in the panel (e.g. "C")
    - fmt: format of the numbers, on the graph and in the panel

    Attributes:
    - view, steps (list of BackwardStep), values (forward values), position (int)
    - panel: the matplotlib Text holding the panel
    """

    def __init__(self, view, panel_ax=None, loss="L", fmt="{:.4g}"):
        self.view, self.loss, self.fmt = view, str(loss), fmt
        ax = view.ax if panel_ax is None else panel_ax
        prepare()
        self.panel = ax.text(0.0, 1.0, "", transform=ax.transAxes, ha="left", va="top",
                             family=monospace(), fontsize=10)
        self.steps, self.values, self.position = [], {}, 0

    def load(self, steps, values=None):
        """Replace the steps and forward values (e.g. after a slider moved), keep the position, redraw.

        Inputs:
        - steps: list of BackwardStep, in backward order (loss first)
        - values: optional dict node -> number, the forward values

        Returns:
        - self
        """
        steps = list(steps)
        if not all(isinstance(s, BackwardStep) for s in steps):
            raise ValueError("steps must be a list of BackwardStep")
        _unknown([n for s in steps for n in (s.node, *s.local)], self.view.pos, "the steps")
        self.steps, self.values = steps, dict(values or {})
        self.position = min(self.position, len(steps))
        return self.draw()

    @property
    def current(self):
        """The step shown now, or None before the first step."""
        return self.steps[self.position - 1] if self.position else None

    def step(self):
        """Visit the next node (after the last one, start over). Returns self."""
        self.position = (self.position + 1) % (len(self.steps) + 1)
        return self.draw()

    def restart(self):
        """Back to the forward values only. Returns self."""
        self.position = 0
        return self.draw()

    def known_grads(self):
        """dict node -> dL/d(node) for every node the first `position` steps have reached."""
        grads = {}
        for s in self.steps[:self.position]:
            grads.setdefault(s.node, s.upstream)
            grads.update(s.downstream)
        return grads

    def draw(self):
        """Update the graph's texts, the highlight and the panel (artists only). Returns self."""
        self.view.update(self.values, self.known_grads(), fmt=self.fmt)
        self.view.highlight(*([self.current.node] if self.current else []))
        self.panel.set_text(self.panel_text())
        return self

    def panel_text(self):
        """The panel's text for the current position."""
        n, s, f = len(self.steps), self.current, self.fmt.format
        if s is None:
            return T("Forward pass done ({count} nodes to visit).\n"
                     "Press step to start the backward pass\nat the loss, with ∂{loss}/∂{loss} = 1.").format(
                        count=n, loss=self.loss)
        note = f"   ({figure_given(s.note)})" if s.note else ""
        lines = [T("Step {number} of {count}: node {node}").format(number=self.position, count=n, node=s.node) + note,
                 T("upstream  ∂{loss}/∂{node} = {value}").format(loss=self.loss, node=s.node, value=f(s.upstream)), "",
                 pad(T("to"), 8) + pad(T("local"), 12, ">") + pad(T("downstream"), 14, ">"),
                 f"{'':<8}{'∂' + s.node + '/∂in':>12}{'∂' + self.loss + '/∂in':>14}"]
        for inp in s.local:
            lines.append(f"{inp:<8}{f(s.local[inp]):>12}{f(s.downstream[inp]):>14}")
        lines.append("")
        wrong = [inp for inp in s.local if not s.consistent(inp)]
        if wrong:
            lines += [T("! downstream[{input}] is not upstream × local = {value}").format(
                          input=inp, value=f(s.upstream * s.local[inp])) for inp in wrong]
            lines.append(T("  check the backward function that computed it"))
        else:
            lines.append(T("downstream = upstream × local  (chain rule)"))
        return "\n".join(lines)
