"""Lesson 4: helpers.backprop_walk, and the lesson's step-through explorer driven headless.

The explorer test clicks "step" and reads what the figure shows (the highlighted node, the panel, the
red gradients on the graph), and compares it with the gradients of the neuron computed independently
(finite differences of a plain numpy formula), then checks that the numbers are the learner's own by
swapping in a wrong backward function.
"""
import matplotlib

matplotlib.use("Agg")

import re  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_tools import SOLUTIONS, run_notebook  # noqa: E402
from helpers import GraphView, numerical_gradient  # noqa: E402
from helpers.backprop_walk import BackwardStep, BackwardWalk  # noqa: E402

NODES = {"x": (0, 0), "w": (0, 1), "p": (1.5, 0.5, "$\\times$"), "L": (3, 0.5)}
EDGES = [("x", "p"), ("w", "p"), ("p", "L")]


def highlighted(view):
    return [name for name, box in view.circles.items() if box.get_linewidth() > 2]


def shown_grads(view):
    return {name: text.get_text() for name, text in view.grad_text.items() if text.get_text()}


def product_steps(dp=2.0, x=3.0, w=-1.0, dw=None):
    """L = some f(p), p = w * x, with dL/dp = dp."""
    return [BackwardStep("L", 1.0, {"p": dp}, {"p": dp}),
            BackwardStep("p", dp, {"w": x, "x": w}, {"w": dp * x if dw is None else dw, "x": dp * w},
                         note="multiply")]


def make_walk(**kw):
    walk = BackwardWalk(GraphView(NODES, EDGES), loss="L")
    return walk.load(product_steps(**kw), values={"x": 3.0, "w": -1.0, "p": -3.0, "L": 9.0})


# --- helpers.backprop_walk ----------------------------------------------------------------

def test_walk_starts_with_the_forward_values_only():
    walk = make_walk()
    assert walk.position == 0 and walk.current is None
    assert highlighted(walk.view) == [] and shown_grads(walk.view) == {}
    assert walk.view.value_text["p"].get_text() == "= -3"
    assert "Forward pass done" in walk.panel.get_text() and "∂L/∂L = 1" in walk.panel.get_text()


def test_step_visits_nodes_in_order_fills_in_gradients_and_wraps():
    walk = make_walk()
    walk.step()
    assert highlighted(walk.view) == ["L"]
    assert shown_grads(walk.view) == {"L": "∂ 1", "p": "∂ 2"}
    panel = walk.panel.get_text()
    assert "Step 1 of 2: node L" in panel and "upstream  ∂L/∂L = 1" in panel
    walk.step()
    assert highlighted(walk.view) == ["p"] and walk.current.node == "p"
    assert shown_grads(walk.view) == {"L": "∂ 1", "p": "∂ 2", "w": "∂ 6", "x": "∂ -2"}
    panel = walk.panel.get_text().splitlines()
    assert panel[0] == "Step 2 of 2: node p   (multiply)"
    assert [line.split() for line in panel if line.startswith(("w ", "x "))] == [["w", "3", "6"], ["x", "-1", "-2"]]
    assert "downstream = upstream × local" in walk.panel.get_text()
    walk.step()
    assert walk.position == 0 and highlighted(walk.view) == [] and shown_grads(walk.view) == {}
    walk.step().step().restart()
    assert walk.position == 0 and highlighted(walk.view) == []


def test_panel_flags_a_downstream_that_is_not_upstream_times_local():
    walk = make_walk(dw=5.0).step().step()
    panel = walk.panel.get_text()
    assert "! downstream[w] is not upstream × local = 6" in panel
    assert "downstream[x]" not in panel  # x is right
    walk = make_walk(dw=float("nan")).step().step()
    assert "nan" in walk.panel.get_text() and "! downstream[w]" in walk.panel.get_text()


def test_load_keeps_the_position_updates_artists_and_clamps():
    walk = make_walk().step().step()
    ax = walk.view.ax
    count = len(ax.texts) + len(ax.patches)
    walk.load(product_steps(dp=-0.5))
    assert walk.position == 2 and highlighted(walk.view) == ["p"]
    assert shown_grads(walk.view)["w"] == "∂ -1.5"
    assert len(ax.texts) + len(ax.patches) == count
    walk.load(product_steps()[:1])
    assert walk.position == 1 and highlighted(walk.view) == ["L"]


def test_steps_and_walks_reject_bad_input():
    with pytest.raises(ValueError, match="same inputs"):
        BackwardStep("p", 1.0, {"w": 1.0}, {"x": 1.0})
    with pytest.raises(ValueError, match="single number"):
        BackwardStep("p", np.ones(2), {"w": 1.0}, {"w": 1.0})
    with pytest.raises(ValueError, match="single number"):
        BackwardStep("p", 1.0, {"w": "1"}, {"w": 1.0})
    with pytest.raises(ValueError, match="non-empty"):
        BackwardStep("p", 1.0, {}, {})
    walk = BackwardWalk(GraphView(NODES, EDGES))
    with pytest.raises(ValueError, match="unknown nodes"):
        walk.load([BackwardStep("q", 1.0, {"x": 1.0}, {"x": 1.0})])
    with pytest.raises(ValueError, match="BackwardStep"):
        walk.load([("L", 1.0)])


def test_consistent_is_the_chain_rule_at_one_node():
    s = BackwardStep("p", 2.0, {"w": 3.0, "x": -1.0}, {"w": 6.0, "x": 2.0})
    assert s.consistent("w") and not s.consistent("x")


# --- the lesson's explorer ------------------------------------------------------------------

ORDER = ["L", "y", "z", "p1", "p2"]
ACT = {"sigmoid": lambda z: 1 / (1 + np.exp(-z)), "relu": lambda z: np.maximum(z, 0.0)}


@pytest.fixture(scope="module")
def explorer():
    built = run_notebook(SOLUTIONS / "04_activation_backprop" / "activation_backprop.ipynb")
    (ex,) = [e for e in built if "step" in e.buttons]
    return ex


def neuron_truth(x1, x2, w1, w2, b, t, activation):
    """Every step's (upstream, local, downstream) of the neuron, by finite differences of plain numpy."""
    act = ACT[activation]
    z = w1 * x1 + w2 * x2 + b
    y = act(z)
    d = lambda f, v: numerical_gradient(f, float(v))  # noqa: E731
    dy = d(lambda y_: (y_ - t) ** 2, y)
    dz = d(lambda z_: (act(z_) - t) ** 2, z)
    L = lambda **kw: (act(kw["w1"] * kw["x1"] + kw["w2"] * kw["x2"] + kw["b"]) - t) ** 2  # noqa: E731
    inputs = dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b)
    grad = {k: d(lambda v, k=k: L(**{**inputs, k: v}), inputs[k]) for k in inputs}
    return {"L": (1.0, {"y": dy}, {"y": dy}),
            "y": (dy, {"z": d(act, z)}, {"z": dz}),
            "z": (dz, {"p1": 1.0, "p2": 1.0, "b": 1.0}, {"p1": dz, "p2": dz, "b": grad["b"]}),
            "p1": (dz, {"w1": x1, "x1": w1}, {"w1": grad["w1"], "x1": grad["x1"]}),
            "p2": (dz, {"w2": x2, "x2": w2}, {"w2": grad["w2"], "x2": grad["x2"]})}


def close(a, b):
    return abs(a - b) <= 1e-6 + 1e-5 * abs(b)


@pytest.mark.parametrize("settings", [
    dict(activation="sigmoid"),
    dict(activation="sigmoid", w1=1.6, x1=2.0, b=1.2),
    dict(activation="relu", b=0.4),
    dict(activation="relu", b=-2.0, x2=1.0),           # z < 0: ReLU blocks everything
    dict(activation="relu", x1=0.0, t=-1.0),
])
def test_step_button_walks_the_backward_pass_in_order(explorer, settings):
    walk = explorer._update.__globals__["walk"]
    for name, value in settings.items():
        explorer.controls[name].value = value
    values = explorer.values()
    truth = neuron_truth(**values)
    explorer.buttons["restart"].click()
    assert highlighted(walk.view) == [] and "Forward pass done" in walk.panel.get_text()
    f = walk.fmt.format
    for k, node in enumerate(ORDER, start=1):
        renders = explorer.renders
        explorer.buttons["step"].click()
        assert explorer.renders == renders + 1 and explorer.status.value == ""
        assert highlighted(walk.view) == [node], f"step {k} should highlight {node}"
        upstream, local, downstream = truth[node]
        step = walk.current
        assert step.node == node and close(step.upstream, upstream)
        assert list(step.local) == list(local)
        assert all(close(step.local[i], local[i]) and close(step.downstream[i], downstream[i]) for i in local), \
            f"step {k} ({node}, {values}): {step} differs from {truth[node]}"
        panel = walk.panel.get_text().splitlines()
        assert panel[0].startswith(f"Step {k} of 5: node {node}")
        assert panel[1] == f"upstream  ∂L/∂{node} = {f(step.upstream)}"
        rows = {line.split()[0]: line.split()[1:] for line in panel[5:] if line and line.split()[0] in local}
        assert rows == {i: [f(step.local[i]), f(step.downstream[i])] for i in local}
        assert not any(line.startswith("!") for line in panel)
        for i in local:
            assert walk.view.grad_text[i].get_text() == "∂ " + f(step.downstream[i])
    explorer.buttons["step"].click()
    assert walk.position == 0 and highlighted(walk.view) == []


def test_explorer_shows_the_learners_own_gradients(explorer):
    """A wrong backward (dout forgotten) shows up in the walk, flagged by the panel."""
    ns = explorer._update.__globals__
    walk, original = ns["walk"], ns["sigmoid_backward"]
    try:
        ns["sigmoid_backward"] = lambda dout, cache: cache * (1 - cache)
        explorer.controls["activation"].value = "sigmoid"
        explorer.controls["t"].value = 0.0 if explorer.controls["t"].value != 0.0 else 0.5
        explorer.buttons["restart"].click()
        explorer.buttons["step"].click()
        explorer.buttons["step"].click()
        y = float(walk.values["y"])
        assert walk.current.node == "y" and close(walk.current.downstream["z"], y * (1 - y))
        assert "! downstream[z] is not upstream × local" in walk.panel.get_text()
    finally:
        ns["sigmoid_backward"] = original


def test_explorer_reports_an_unfinished_exercise(explorer):
    ns = explorer._update.__globals__
    original = ns["affine_backward"]

    def unfinished(dout, cache):
        raise NotImplementedError()

    try:
        ns["affine_backward"] = unfinished
        explorer.controls["b"].value = 1.0 if explorer.controls["b"].value != 1.0 else 0.6
        assert "not done yet" in explorer.status.value
        explorer.buttons["step"].click()
        assert "not done yet" in explorer.status.value
    finally:
        ns["affine_backward"] = original
    explorer.controls["b"].value = 0.2
    assert explorer.status.value == ""


# --- every derivative Lesson 4 states, against finite differences (independent of any solution) ---

rng = np.random.default_rng(4)
sigma = ACT["sigmoid"]


def test_sigmoid_derivative_is_y_times_one_minus_y_and_peaks_at_a_quarter():
    x = np.linspace(-8, 8, 41)
    y = sigma(x)
    assert np.allclose(numerical_gradient(sigma, x, dout=np.ones_like(x)), y * (1 - y), atol=1e-9)
    assert np.isclose((y * (1 - y)).max(), 0.25) and x[np.argmax(y * (1 - y))] == 0.0


def test_sigmoid_node_by_node_local_gradients():
    x = 0.8
    u, v, s = -x, np.exp(-x), 1 + np.exp(-x)
    assert np.isclose(numerical_gradient(lambda s_: 1 / s_, s), -1 / s ** 2)      # 1/s node: -1/s² = -y²
    assert np.isclose(-1 / s ** 2, -sigma(x) ** 2)
    assert np.isclose(numerical_gradient(np.exp, u), v)                           # exp node: e^u
    assert np.isclose(numerical_gradient(lambda x_: sigma(x_), x), (1 / s) ** 2 * np.exp(-x))  # y² e^-x = y(1 - y)


def test_relu_derivative_is_the_mask_and_zero_at_zero_by_convention():
    x = rng.normal(size=20)
    x[np.abs(x) < 1e-3] = 0.3
    assert np.allclose(numerical_gradient(ACT["relu"], x, dout=np.ones_like(x)), (x > 0).astype(float), atol=1e-9)
    # at exactly 0 the one-sided slopes are 0 and 1: no derivative, so the value 0 is a convention
    h = 1e-6
    assert ACT["relu"](-h) == 0.0 and np.isclose(ACT["relu"](h) / h, 1.0)


def test_max_node_routes_the_gradient_to_the_argmax():
    x, dout = rng.normal(size=(4, 5)), rng.normal(size=4)
    routed = np.zeros_like(x)
    routed[np.arange(4), np.argmax(x, axis=1)] = dout
    assert np.allclose(numerical_gradient(lambda x_: x_.max(axis=1), x, dout=dout), routed, atol=1e-9)


def test_affine_gradients_are_dout_wT_xT_dout_and_the_batch_sum():
    x, w, b, dout = rng.normal(size=(5, 3)), rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(5, 4))
    assert np.allclose(numerical_gradient(lambda x_: x_ @ w + b, x, dout=dout), dout @ w.T, atol=1e-8)
    assert np.allclose(numerical_gradient(lambda w_: x @ w_ + b, w, dout=dout), x.T @ dout, atol=1e-8)
    assert np.allclose(numerical_gradient(lambda b_: x @ w + b_, b, dout=dout), dout.sum(axis=0), atol=1e-8)


@pytest.mark.parametrize("half, factor", [(False, 2.0), (True, 1.0)])
def test_mse_gradient_in_both_conventions_with_the_batch_mean(half, factor):
    a, y = rng.normal(size=(6, 2)), rng.normal(size=(6, 2))
    c = 0.5 if half else 1.0
    loss = lambda a_: c * np.sum((a_ - y) ** 2) / len(a_)  # noqa: E731
    assert np.allclose(numerical_gradient(loss, a), factor * (a - y) / len(a), atol=1e-9)


def test_the_batch_mean_gradient_is_the_mean_of_per_sample_gradients():
    x, y, w = rng.normal(size=(7, 3)), rng.normal(size=(7, 1)), rng.normal(size=(3, 1))
    batch = numerical_gradient(lambda w_: np.sum((x @ w_ - y) ** 2) / 7, w)
    per_sample = [numerical_gradient(lambda w_, n=n: np.sum((x[n:n + 1] @ w_ - y[n:n + 1]) ** 2), w) for n in range(7)]
    assert np.allclose(batch, np.mean(per_sample, axis=0), atol=1e-8)


# --- the lesson's text and the numbers its cells print -----------------------------------------

import nbformat  # noqa: E402

from lesson_text import lesson_problems, printed  # noqa: E402

NOTEBOOK = SOLUTIONS / "04_activation_backprop" / "activation_backprop.ipynb"


def test_notation_card_and_markdown_that_renders_as_written():
    assert lesson_problems(NOTEBOOK) == []


@pytest.fixture(scope="module")
def lesson_ns(explorer):
    return explorer._update.__globals__


def test_backprop_is_far_cheaper_than_finite_differences(lesson_ns):
    cells = {c.id: c for c in nbformat.read(NOTEBOOK, as_version=4).cells}
    out = printed(lesson_ns, cells["why-backprop-code"])
    n, forwards, ratio = (float(v) for v in re.search(r"(\d+) parameters: .*\((\d+) forward passes\): (\d+) times", out).groups())
    assert n == 64 * 50 + 50 + 50 * 10 + 10 and forwards == 2 * n
    assert ratio > 200, f"the prose says that even half the time would be far slower than backprop; measured {ratio}"


def test_the_notes_update_climbs_and_the_fix_descends(lesson_ns):
    ns = lesson_ns
    cells = {c.id: c for c in nbformat.read(NOTEBOOK, as_version=4).cells}
    out = printed(ns, cells["descent-bug"])
    before, after = (float(v) for v in re.findall(r"loss before: (\S+)\s+after 20 updates: (\S+)", out)[0])
    assert after > before and "Verdict: not yet" in out
    original = ns["notes_step"]
    try:   # the learner's fix: add the change (or subtract lr * gradient); the verdict says so and the loss falls
        ns["notes_step"] = lambda params, grads, lr: {k: params[k] + -lr * grads[k] for k in params}
        fixed_out = printed(ns, cells["descent-bug"])
    finally:
        ns["notes_step"] = original
    before, after = (float(v) for v in re.findall(r"loss before: (\S+)\s+after 20 updates: (\S+)", fixed_out)[0])
    assert after < before and "Verdict: bug found" in fixed_out
    params, grads = ns["init_params"](2, 8, 1), None
    loss, grads = ns["two_layer_loss"](ns["x_xor"], ns["t_xor"], params)
    stepped = ns["notes_step"](params, grads, 0.02)
    for k in params:   # the note's update is w + lr * gradient: the sign the verdict asks the learner to find
        np.testing.assert_allclose(stepped[k], params[k] + 0.02 * grads[k])
    fixed = {k: v - 0.02 * grads[k] for k, v in params.items()}
    assert ns["two_layer_loss"](ns["x_xor"], ns["t_xor"], fixed)[0] < loss
    scale = ns["init_params"](2, 8, 1, scale=0.5)["w1"] / np.random.default_rng(0).standard_normal((2, 8))
    np.testing.assert_allclose(scale, 0.5)   # init_params's docstring: N(0, 0.5**2)


def test_online_minibatch_and_batch_per_epoch(lesson_ns):
    """'Per epoch, online learning gets further': the printed final losses are in that order."""
    cells = {c.id: c for c in nbformat.read(NOTEBOOK, as_version=4).cells}
    out = printed(lesson_ns, cells["online-plot"])
    finals = [float(v) for v in re.findall(r"loss after 150 epochs (\S+)", out)]
    assert len(finals) == 3 and finals[0] < finals[1] < finals[2], out
