"""Step through the backward pass of a scalar autograd engine on its drawn graph (Lesson 8).

The graph is read from the engine's value objects: each has `.data`, `.grad`, `.parents` (the values it
was computed from) and `.local_grads` (d(node)/d(parent), one per parent), and may have `.op` and
`.label`. The backward pass shown is the caller's own: `record_backward` runs the given backward
function once and writes down, in order, each node whose local gradients it reads (a visit) and each
change of a `.grad` (the seed, and every contribution a parent receives). Nothing here computes a
gradient: the walk only replays what the engine did, and flags a change of `.grad` that is not
"before + local x upstream" (an overwrite) or that reaches a node already visited (a wrong order).
"""
import numbers
from dataclasses import dataclass, field

import numpy as np

from .fonts import figure_given, monospace, prepare
from .fonts import figure_text as T
from .graph import GraphView
from .i18n import pad

_OPS = {"+": "+", "*": "×", "-": "−", "/": "÷"}
_ACTIVE = []  # the event log while record_backward runs (a stack, so a nested recording is harmless)
_RECORDING = {}  # engine class -> its recording subclass


@dataclass
class Contribution:
    """One change of a node's .grad during a visit: before -> after, and what the chain rule expects."""
    node: object
    before: float
    after: float
    expected: float = None  # before + local * upstream, when the change matches one of the visited node's parents

    @property
    def consistent(self):
        return self.expected is None or bool(np.isclose(self.after, self.expected, rtol=1e-9, atol=1e-12))


@dataclass
class Visit:
    """One step of the backward pass: the seed (node None) or the visit of one node."""
    node: object
    upstream: float
    changes: list = field(default_factory=list)


def _float(v):
    return float(v) if isinstance(v, numbers.Real) else float("nan")


def _recording(cls):
    """A subclass of the engine's class that logs reads of local_grads and writes of grad."""
    if cls not in _RECORDING:
        def __getattribute__(self, name):
            if name == "local_grads" and _ACTIVE:
                _ACTIVE[-1].append(("visit", self, _float(object.__getattribute__(self, "grad"))))
            return super(sub, self).__getattribute__(name)

        def __setattr__(self, name, value):
            if name == "grad" and _ACTIVE:
                old = _float(object.__getattribute__(self, "grad"))
                _ACTIVE[-1].append(("grad", self, old, _float(value)))
            super(sub, self).__setattr__(name, value)

        sub = type(cls.__name__, (cls,), {"__getattribute__": __getattribute__, "__setattr__": __setattr__})
        _RECORDING[cls] = sub
    return _RECORDING[cls]


def graph_nodes(root):
    """Every node root depends on (root included), each once, in the order a walk from the root finds them."""
    found, stack, seen = [], [root], {id(root)}
    while stack:
        node = stack.pop()
        found.append(node)
        for parent in reversed(tuple(node.parents)):
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return found


def record_backward(root, backward):
    """Run backward(root) once and return what it did, as a list of Visits (the first one the seed).

    Introduced in Lesson 8 (autograd engine).

    Inputs:
    - root: the engine's value (the loss); every node it depends on must be an instance of a plain
      Python class with the attributes data, grad, parents and local_grads
    - backward: callable, backward(root), the engine's backward pass (the learner's own)

    Returns:
    - visits: list of Visit; visits[0] has node None and holds the changes made before the first
      node was visited (the seed); each later Visit holds one node's visit and the changes of .grad
      that followed it, each with the value the chain rule expects when it can be matched to a parent
    Exceptions raised by backward propagate (after every node is restored to its own class).
    """
    nodes = graph_nodes(root)
    classes = [type(n) for n in nodes]
    log = []
    for node, cls in zip(nodes, classes):
        node.__class__ = _recording(cls)
    _ACTIVE.append(log)
    try:
        backward(root)
    finally:
        _ACTIVE.pop()
        for node, cls in zip(nodes, classes):
            node.__class__ = cls
    visits = [Visit(None, float("nan"))]
    for event in log:
        if event[0] == "visit":
            if visits[-1].node is not event[1] or visits[-1].changes:
                visits.append(Visit(event[1], event[2]))
        else:
            visits[-1].changes.append(Contribution(*event[1:]))
    for visit in visits[1:]:
        pairs = list(zip(visit.node.parents, visit.node.local_grads))
        for change in visit.changes:
            match = next((k for k, (p, _) in enumerate(pairs) if p is change.node), None)
            if match is not None:
                change.expected = change.before + _float(pairs.pop(match)[1]) * visit.upstream
    return visits


def _layout(nodes):
    """Positions: each operation one column right of its furthest parent; leaves evenly spaced at the left,
    an operation at the mean height of its parents, then spread so no two nodes of a column touch."""
    depth, pending = {}, list(nodes)
    while pending:
        left = []
        for node in pending:
            parents = tuple(node.parents)
            if all(id(p) in depth for p in parents):
                depth[id(node)] = 1 + max((depth[id(p)] for p in parents), default=-1)
            else:
                left.append(node)
        if len(left) == len(pending):
            raise ValueError("the graph has a cycle: a value cannot be computed from itself")
        pending = left
    leaves = [n for n in reversed(nodes) if not tuple(n.parents)]
    height = {id(n): 1.4 * ((len(leaves) - 1) / 2 - k) for k, n in enumerate(leaves)}
    for node in sorted(nodes, key=lambda n: depth[id(n)]):
        if tuple(node.parents):
            height[id(node)] = float(np.mean([height[id(p)] for p in node.parents]))
    columns = {}
    for node in nodes:
        columns.setdefault(depth[id(node)], []).append(node)
    pos = {}
    for d, column in columns.items():
        column.sort(key=lambda n: -height[id(n)])
        ys = [height[id(n)] for n in column]
        for k in range(1, len(ys)):  # at least 1.2 apart, pushing down
            ys[k] = min(ys[k], ys[k - 1] - 1.2)
        shift = (ys[0] - height[id(column[0])] + ys[-1] - height[id(column[-1])]) / 2
        for node, y in zip(column, ys):
            pos[id(node)] = (1.7 * d, y - shift)
    return pos


def _bend_long_edges(view, edges, pos):
    """Curve every arrow that skips a column, so it does not run through the nodes in between."""
    arrows = [a for a in view.ax.texts if getattr(a, "arrow_patch", None) is not None]
    for (src, dst), arrow in zip(edges, arrows):
        (x0, y0), (x1, y1) = pos[src], pos[dst]
        if x1 - x0 > 1.8:
            arrow.arrow_patch.set_connectionstyle(f"arc3,rad={-0.25 if y1 >= y0 else 0.25}")


def _label(node):
    op, label = str(getattr(node, "op", "") or ""), str(getattr(node, "label", "") or "")
    if label:
        return label.replace("$", "")
    if op:
        return _OPS.get(op, op.replace("$", ""))
    return f"{node.data:.3g}"


def _labels(nodes):
    """id -> the node's name: its label, else its operation (numbered with subscripts where one occurs twice)."""
    base = {id(n): _label(n) for n in nodes}
    count, seen, names = {}, {}, {}
    for name in base.values():
        count[name] = count.get(name, 0) + 1
    for node in reversed(nodes):  # numbered from the inputs towards the output
        name = base[id(node)]
        if count[name] > 1 and (tuple(node.parents) or not getattr(node, "label", "")):
            seen[name] = seen.get(name, 0) + 1
            name += "".join("₀₁₂₃₄₅₆₇₈₉"[int(d)] for d in str(seen[name]))
        names[id(node)] = name
    return names


class AutogradWalk:
    """The graph of an expression and a panel that replay its backward pass one visit per step().

    Introduced in Lesson 8 (autograd engine).

    Position 0 shows the forward values and the seed; position k (1..n) has replayed the first k visits:
    the visited node is highlighted, every .grad as the engine left it at that moment is on the graph
    (red), and the panel lists what the visit sent to each parent: grad before, the contribution
    local x upstream, grad after. A fork shows as a node that receives more than one contribution.
    step() after the last visit starts over at 0.

    Inputs:
    - ax: matplotlib Axes for the graph (cleared when the graph's shape changes)
    - panel_ax: matplotlib Axes for the panel
    - loss: str, the output's name in the panel
    - fmt: format of the numbers

    Attributes:
    - view (GraphView), visits (list of Visit), position (int), names (node id -> node name in the view)
    - panel: the matplotlib Text holding the panel
    """

    def __init__(self, ax, panel_ax, loss="L", fmt="{:.3g}"):
        self.ax, self.loss, self.fmt = ax, str(loss), fmt
        panel_ax.set_axis_off()
        prepare()
        self.panel = panel_ax.text(0.0, 1.0, "", transform=panel_ax.transAxes, ha="left", va="top",
                                   family=monospace(), fontsize=9)
        self.view, self.shape, self.visits, self.position = None, None, [], 0
        self.nodes, self.names, self.labels, self.title, self.reference = [], {}, {}, "", {}

    def load(self, root, backward, title="", reference=None):
        """Record backward(root), redraw the graph if its shape changed, keep the position. Returns self.

        Inputs:
        - root: the expression's output value
        - backward: the backward function to replay (it runs once, here)
        - title: str naming that function in the panel
        - reference: optional dict node label -> number, e.g. finite-difference gradients of the leaves,
          listed beside the engine's result after the last visit
        """
        self.nodes = graph_nodes(root)
        self.names = {id(n): f"n{k}" for k, n in enumerate(self.nodes)}
        self.labels = _labels(self.nodes)
        shape = tuple((self.labels[id(n)], tuple(self.nodes.index(p) for p in n.parents)) for n in self.nodes)
        if shape != self.shape:
            pos = _layout(self.nodes)
            spec = {self.names[id(n)]: (*pos[id(n)], self.labels[id(n)]) for n in self.nodes}
            edges = [(self.names[id(p)], self.names[id(n)]) for n in self.nodes for p in n.parents]
            self.ax.clear()
            edges = list(dict.fromkeys(edges))
            self.view, self.shape = GraphView(spec, edges, ax=self.ax), shape
            _bend_long_edges(self.view, edges, {name: spec[name][:2] for name in spec})
        self.root, self.title, self.reference = root, str(title), dict(reference or {})
        self.visits = record_backward(root, backward)
        self.position = min(self.position, len(self.visits) - 1)
        return self.draw()

    def step(self):
        """Replay the next visit (after the last one, start over). Returns self."""
        self.position = (self.position + 1) % max(len(self.visits), 1)
        return self.draw()

    def restart(self):
        """Back to the forward values and the seed. Returns self."""
        self.position = 0
        return self.draw()

    def grads_at(self, position):
        """dict node name -> .grad after the first `position` visits (the seed included), for nodes whose .grad changed."""
        grads = {}
        for visit in self.visits[:position + 1]:
            for change in visit.changes:
                grads[self.names.get(id(change.node))] = change.after
        grads.pop(None, None)
        return grads

    def draw(self):
        """Update the graph's texts, the highlight and the panel. Returns self."""
        values = {self.names[id(n)]: n.data for n in self.nodes}
        self.view.update(values, self.grads_at(self.position), fmt=self.fmt)
        visit = self.visits[self.position] if self.visits else None
        self.view.highlight(*([self.names[id(visit.node)]] if visit is not None and visit.node is not None else []))
        self.panel.set_text(self.panel_text())
        return self

    def panel_text(self):
        """The panel's text for the current position."""
        f, n = self.fmt.format, len(self.visits) - 1
        if not self.visits:
            return ""
        visit = self.visits[self.position]
        head = T("{count} visits recorded").format(count=n)
        head = f"{figure_given(self.title)}: {head}" if self.title else head
        if visit.node is None:
            lines = [head, "", T("Forward values in black."), T("Seed (before the first visit):")]
            lines += [f"  {self.labels[id(c.node)]}.grad: {f(c.before)} -> {f(c.after)}" for c in visit.changes] or [T("  nothing set")]
            lines += ["", T("Press step to replay the first visit.")]
            return "\n".join(lines)
        visited_before = {id(v.node) for v in self.visits[1:self.position]}
        consumers = {}
        for node in self.nodes:
            for p in node.parents:
                consumers[id(p)] = consumers.get(id(p), 0) + 1
        received = {}
        for v in self.visits[1:self.position]:
            for c in v.changes:
                received[id(c.node)] = received.get(id(c.node), 0) + 1
        lines = [head, T("Visit {number} of {count}: node {node}").format(number=self.position, count=n,
                                                                           node=self.labels[id(visit.node)]),
                 T("upstream ∂{loss}/∂node = {value}").format(loss=self.loss, value=f(visit.upstream)), "",
                 pad(T("to"), 6) + pad(T("before"), 9, ">") + pad(T("+ local×up"), 12, ">") + pad(T("= after"), 10, ">")]
        warnings = []
        for c in visit.changes:
            name = self.labels[id(c.node)]
            received[id(c.node)] = received.get(id(c.node), 0) + 1
            added = c.after - c.before if c.expected is None else c.expected - c.before
            tag = ""
            if consumers.get(id(c.node), 0) > 1:
                tag = T("  fork: {number} of {count}").format(number=received[id(c.node)], count=consumers[id(c.node)])
            lines.append(f"{name:<6}{f(c.before):>9}{f(added):>12}{f(c.after):>10}{tag}")
            if not c.consistent:
                warnings.append(T("! {name}.grad became {after}, not {before} + {added} = {expected}:"
                                  "\n  the earlier contribution was overwritten (= instead of +=?)").format(
                                    name=name, after=f(c.after), before=f(c.before), added=f(added), expected=f(c.expected)))
            if id(c.node) in visited_before and tuple(c.node.parents):
                warnings.append(T("! {name} was visited already: this arrives too late\n  to reach {name}'s own parents (wrong order)").format(name=name))
        if not visit.changes:
            lines.append(T("(a leaf, or nothing changed)"))
        lines += [""] + (warnings or [T("after = before + local × upstream  (+=)")])
        if self.position == n:
            lines += ["", T("Done. Leaves:")]
            for node in self.nodes:
                if not tuple(node.parents):
                    name = self.labels[id(node)]
                    ref = self.reference.get(name)
                    extra = T("   finite differences {value}").format(value=f(ref)) if ref is not None else ""
                    lines.append(f"  ∂{self.loss}/∂{name} = {f(node.grad)}{extra}")
        return "\n".join(lines)
