"""Lesson 6 (vanishing and exploding gradients): every derivative the lesson states checked by finite
differences, the numbers its prose quotes checked against what its cells print, its explorer driven
headless, and unit tests of helpers.vanishing."""
import contextlib
import io
import re

import matplotlib
import nbformat
import numpy as np
import pytest

from course_tools import SOLUTIONS, run_notebook, strip_markers
from helpers import check_gradient, numerical_gradient
from helpers.vanishing import GradientFlowView, spread
from lesson_text import lesson_problems

matplotlib.use("Agg")
NOTEBOOK = SOLUTIONS / "06_vanishing_gradients" / "vanishing_gradients.ipynb"
CELLS = {cell.id: cell for cell in nbformat.read(NOTEBOOK, as_version=4).cells}


@pytest.fixture(scope="module")
def lesson():
    """The solution notebook run in-process: its namespace and its explorer."""
    with contextlib.redirect_stdout(io.StringIO()):
        (explorer,) = run_notebook(NOTEBOOK)
    return explorer._update.__globals__, explorer


def printed(ns, cell_id):
    """What a cell prints when it runs again in the notebook's namespace."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(strip_markers(CELLS[cell_id].source), ns)
    return out.getvalue()


def numbers(text):
    return [float(v) for v in re.findall(r"-?\d+\.?\d*(?:e[+-]\d+)?", text)]


# --- derivatives ---------------------------------------------------------------------------------

def test_sigmoid_derivative_peaks_at_a_quarter_not_point_three(lesson):
    ns, _ = lesson
    z = np.linspace(-8, 8, 41)
    check_gradient(lambda z_: ns["sigmoid_forward"](z_)[0], z.copy(), ns["sigmoid_prime"](z), "sigma'", dout=np.ones_like(z))
    s = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(ns["sigmoid_prime"](z), 0.25 - (s - 0.5) ** 2)   # the identity of section 1
    assert ns["peak"](ns["sigmoid_prime"], -10, 10) == pytest.approx((0.0, 0.25), abs=1e-9)
    assert ns["sigmoid_prime"](np.array(2.0)) == pytest.approx(0.105, abs=5e-4)
    assert ns["sigmoid_prime"](np.array(-5.0)) == pytest.approx(0.0066, abs=5e-5)
    assert 0.25 ** 10 == pytest.approx(1e-6, rel=0.05) and 0.3 ** 10 == pytest.approx(6e-6, rel=0.02)
    # second derivative sigma'' = sigma' (1 - 2 sigma), zero only at z = 0
    check_gradient(ns["sigmoid_prime"], z.copy(), ns["sigmoid_prime"](z) * (1 - 2 * s), "sigma''", dout=np.ones_like(z))


def test_tanh_relu_and_leaky_relu_derivatives(lesson):
    ns, _ = lesson
    rng = np.random.default_rng(0)
    z = rng.normal(scale=2.0, size=(4, 5))
    z[np.abs(z) < 1e-3] = 0.5                                # away from the kink at 0
    dout = rng.normal(size=z.shape)
    for name in ["tanh", "relu", "leaky relu", "sigmoid"]:
        forward, backward = ns["ACTIVATIONS"][name]
        out, cache = forward(z)
        check_gradient(lambda z_: forward(z_)[0], z.copy(), backward(dout, cache), f"{name} backward", dout=dout)
    assert np.allclose(ns["tanh_backward"](np.ones(3), np.tanh(np.array([0.0, 1.0, -2.0]))), 1 - np.tanh([0.0, 1.0, -2.0]) ** 2)
    assert np.allclose(np.tanh(z), 2 / (1 + np.exp(-2 * z)) - 1)   # tanh z = 2 sigma(2z) - 1
    alpha = ns["ALPHA"]
    _, cache = ns["leaky_relu_forward"](np.array([-1.0, 0.0, 2.0]))
    np.testing.assert_array_equal(ns["leaky_relu_backward"](np.ones(3), cache), [alpha, alpha, 1.0])  # left slope at 0
    assert ns["peak"](lambda z_: 1 - np.tanh(z_) ** 2, -5, 5) == pytest.approx((0.0, 1.0), abs=1e-9)


def test_every_layer_gradient_of_the_deep_network(lesson):
    ns, _ = lesson
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    weights = [rng.normal(size=(3, 5)), rng.normal(size=(5, 5)), rng.normal(size=(5, 5)), rng.normal(size=(5, 2))]
    biases = [rng.normal(size=w.shape[1]) for w in weights]
    for activation in ns["ACTIVATIONS"]:
        out, caches, zs, hs = ns["mlp_forward"](x, weights, biases, activation)
        assert min(np.abs(z).min() for z in zs) > 1e-4
        dws, dbs = ns["mlp_backward"](ns["mse_loss"](out, y)[1], caches, activation)
        for l in range(4):
            def loss_w(w_, l=l):
                return ns["mse_loss"](ns["mlp_forward"](x, weights[:l] + [w_] + weights[l + 1:], biases, activation)[0], y)[0]
            check_gradient(loss_w, weights[l].copy(), dws[l], f"dW_{l + 1} ({activation})")
        norms = ns["layer_grad_norms"](x, y, weights, biases, activation)
        np.testing.assert_allclose(norms, [np.linalg.norm(dw) for dw in dws])
        # dL/dW_l = a_{l-1}^T delta_l: for the (linear) output layer delta_L is dL/dout itself
        np.testing.assert_allclose(dws[-1], hs[-1].T @ ns["mse_loss"](out, y)[1])


def test_one_sigmoid_layer_shrinks_a_gradient_by_at_most_a_quarter_of_the_spectral_norm(lesson):
    ns, _ = lesson
    rng = np.random.default_rng(2)
    for _ in range(20):
        w, b = rng.normal(scale=rng.uniform(0.1, 3), size=(4, 4)), rng.normal(size=4)
        x, dout = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
        dx = numerical_gradient(lambda x_: 1 / (1 + np.exp(-(x_ @ w + b))), x.copy(), dout=dout)
        assert ns["chain_ratio"](x, [w], [b], dout) == pytest.approx(np.linalg.norm(dx) / np.linalg.norm(dout), rel=1e-6)
        assert np.linalg.norm(dx) <= 0.25 * np.linalg.norm(w, 2) * np.linalg.norm(dout) * (1 + 1e-9)
    w_chain = np.array([2.0, -3.0, 0.5, 4.0, -1.5])              # the tight case: every z = 0
    ratio = ns["chain_ratio"](np.array([[0.5]]), [np.array([[w]]) for w in w_chain],
                              [np.array([-0.5 * w]) for w in w_chain], np.array([[1.0]]))
    assert ratio == pytest.approx(0.25 ** 5 * np.prod(np.abs(w_chain)))


# --- what the prose says -------------------------------------------------------------------------

def test_bound_table(lesson):
    ns, _ = lesson
    rows = [numbers(line) for line in printed(ns, "bound-demo").splitlines()[1:]]
    k, m1, b1, m01, b01 = np.array(rows).T
    assert list(k) == [1, 2, 4, 6, 8, 10]
    assert np.all(m1 <= b1) and np.all(m01 <= b01), "measured above the bound"
    assert b1[-1] > 10 and m1[-1] < 1e-4, "std 1: the bound above 10 at k = 10, the ratio below 1e-4"
    assert 2.0 < m1[-1] ** (-1 / 10) < 3.2, "std 1: about 2.5 per layer"
    assert 11 < m01[-1] ** (-1 / 10) < 19, "std 0.1: about 15 per layer"
    assert np.all(np.diff(np.log(m01)) < 0), "falls with every k"


def test_deep_network_gradient_profile(lesson):
    ns, _ = lesson
    out = printed(ns, "deep-demo-plot")
    pattern = r"(\w+): \|\|dW\|\| of layer 20 (\S+), layer 19 (\S+), layer 1 (\S+)\s+\(x(\S+) per layer"
    rows = {m[0]: [float(v) for v in m[1:]] for m in re.findall(pattern, out)}
    assert set(rows) == {"sigmoid", "tanh", "relu"}, out
    top, _, first, factor = rows["sigmoid"]
    assert 0.19 < factor < 0.25, "sigmoid: about 4.5 per layer"
    assert 1e-13 < first / top < 1e-11, "sigmoid: the first layer gets about 1e-12 of the top one"
    for name in ["tanh", "relu"]:
        assert 0.9 < rows[name][3] < 1.1, f"{name}: flat"
    assert all(1e-3 < v < 1e-2 for v in rows["relu"][:3]), "relu: all a few times 1e-3"


def test_initialisation_table_and_constant_variance(lesson):
    ns, _ = lesson
    rows = {}
    for line in printed(ns, "init-demo").splitlines()[1:]:
        name, values = line.split("|", 1)
        rows[name.strip()] = numbers(values)
    a1, a10, a19, spread19, g1, g20 = rows["relu + he"]
    assert all(0.7 < a < 1.3 for a in (a1, a10, a19)) and 1 / 4 < g1 / g20 < 4
    assert 0.2 < spread19 / a1 < 0.45, "relu + He: the spread falls to about a third"
    r1, _, r19, _, rg1, rg20 = rows["relu + xavier"]
    assert 0.001 < r19 / r1 < 0.004 and (r19 / r1) ** (1 / 18) == pytest.approx(2 ** -0.5, rel=0.03)
    assert 300 < g1 / rg1 < 10_000, "relu: Xavier's gradients about a thousand times smaller than He's"
    t1, _, t19, _, _, _ = rows["tanh + xavier"]
    assert 0.2 < t19 / t1 < 1, "tanh + Xavier shrinks slowly"
    assert rows["leaky relu + he"][2] == pytest.approx(a19, rel=0.05)
    s1, _, s19, s_spread19, sg1, sg20 = rows["sigmoid + xavier"]
    assert 0.1 < s19 < s1 < 0.3 and sg1 / sg20 < 1e-10 and 1e-13 < s_spread19 < 1e-11, "size kept, spread ~1e-12"
    # He keeps the forward variance of z constant across 19 ReLU layers; Xavier halves it per layer
    for init, per_layer in [(ns["he_init"], 1.0), (ns["xavier_init"], 0.5)]:
        weights, biases = ns["make_network"]([64] * 20 + [10], init, seed=5)
        zs = ns["mlp_forward"](np.random.default_rng(6).standard_normal((400, 64)), weights, biases, "relu")[2]
        variances = np.array([z.var() for z in zs])
        assert (variances[-1] / variances[0]) ** (1 / 18) == pytest.approx(per_layer, rel=0.1)


def test_variance_argument(lesson):
    """Var(z) = fan_in Var(W) E[a^2]; E[relu(z)^2] = Var(z) / 2; uniform on [-r, r] has variance r^2 / 3."""
    ns, _ = lesson
    rng = np.random.default_rng(7)
    a = rng.normal(loc=0.3, size=(20000, 50))
    w = ns["xavier_init"](50, 30, rng)
    z = a @ w
    assert z.var() == pytest.approx(50 * w.var() * np.mean(a ** 2), rel=0.1)
    z = rng.normal(scale=1.7, size=200_000)
    assert np.mean(np.maximum(z, 0) ** 2) == pytest.approx(1.7 ** 2 / 2, rel=0.02)
    assert rng.uniform(-2, 2, size=200_000).var() == pytest.approx(4 / 3, rel=0.02)
    # backward: dx = dout W^T keeps the variance when fan_out Var(W) = 1
    w = rng.normal(scale=1 / np.sqrt(40), size=(60, 40))
    dout = rng.normal(size=(20000, 40))
    assert (dout @ w.T).var() == pytest.approx(1.0, rel=0.1)


def test_exploding_gradients_numbers(lesson):
    ns, _ = lesson
    rows = {line.split(":")[0].strip(): numbers(line.split("=", 1)[1]) for line in printed(ns, "explode-demo").splitlines()}
    quarter, one, two, eight = rows["relu"][0::2]
    assert 1e11 < two / one < 2e12 and two / one == pytest.approx(2 ** 39, rel=0.5)
    assert 1e11 < one / quarter < 1e13
    assert rows["sigmoid"][0] < rows["sigmoid"][2] < rows["sigmoid"][4] < rows["sigmoid"][6]
    assert rows["tanh"][6] / rows["tanh"][2] < eight / one
    # a learning rate that suits g = 1 lowers the loss there; at g = 2 one step sends the weights to inf or nan
    for g, finite in [(1.0, True), (2.0, False)]:
        weights, biases = ns["make_network"](ns["deep_dims"], ns["he_init"], scale=g, seed=3)
        with np.errstate(all="ignore"):
            weights, _, losses = ns["gd_steps"](ns["x_deep"], ns["t_deep"], weights, biases, "relu", lr=1e-3, steps=2)
        assert all(np.isfinite(w).all() for w in weights) == finite and (losses[1] < losses[0]) == finite


def test_dead_relus_get_no_gradient_and_leaky_ones_do(lesson):
    ns, _ = lesson
    lines = printed(ns, "dead-demo-run").splitlines()
    start, relu, leaky = ([numbers(part) for part in re.findall(r"\[([^\]]*)\]", line)] for line in lines)
    assert start[0] == [0.0, 0.19, 0.12] and start[1] == start[0]
    assert relu[0] == [0.12, 0.62, 0.78] and relu[1] == relu[0], "dead units are exactly the zero-gradient ones"
    assert leaky[0][2] == 0.81 and leaky[1] == [0.0, 0.0, 0.0]
    assert all(numbers(line.split("loss")[1])[0] > 1000 for line in lines[1:]), "the loss jumps into the thousands"


def test_dead_units_never_change(lesson):
    """A unit that never fires gets zero gradient in its weights and bias, so a step leaves it dead."""
    ns, _ = lesson
    weights, biases = ns["make_network"]([2, 32, 32, 32, 1], ns["he_init"], seed=0)
    x, y = ns["x_moons"], ns["t_moons"]
    weights, biases, _ = ns["gd_steps"](x, y, weights, biases, "relu", lr=0.5, steps=3)
    out, caches, zs, _ = ns["mlp_forward"](x, weights, biases, "relu")
    dws, dbs = ns["mlp_backward"](ns["mse_loss"](out, y)[1], caches, "relu")
    dead = np.all(zs[2] <= 0, axis=0)
    assert dead.any() and np.all(dws[2][:, dead] == 0) and np.all(dbs[2][dead] == 0)
    after, _, _ = ns["gd_steps"](x, y, weights, biases, "relu", lr=0.01, steps=1)
    np.testing.assert_array_equal(after[2][:, dead], weights[2][:, dead])


def test_depth_against_width(lesson):
    ns, _ = lesson
    rows = [numbers(line.split("|", 1)[1]) for line in printed(ns, "depth-width-run").splitlines()[1:]]
    sigmoid, relu = np.array(rows).T
    assert np.all(relu[1:] < relu[0]) and relu[2] < 0.5 * relu[0], "relu: deeper beats the single wide layer"
    assert sigmoid[3] > 0.99 and sigmoid[2] > sigmoid[0], "sigmoid: depth hurts, 8 layers do not train"
    assert relu[3] > relu[2], "8 layers of 7 train worse than 4 of 10"


# --- the explorer ----------------------------------------------------------------------------------

def shown_norms(view):
    return view.grad_line.get_xdata(), view.grad_line.get_ydata()


@pytest.mark.parametrize("depth, activation, init, scale", [
    (2, "sigmoid", "Xavier", 1.0), (20, "sigmoid", "Xavier", 1.0), (12, "tanh", "small normal (0.01)", 1.0),
    (20, "relu", "He", 1.0), (20, "relu", "He", 4.0), (7, "leaky relu", "large normal (1.0)", 0.25)])
def test_explorer_shows_the_learners_norms_and_activations(lesson, depth, activation, init, scale):
    ns, explorer = lesson
    c = explorer.controls
    c["depth"].value, c["activation"].value, c["init"].value, c["scale"].value = depth, activation, init, scale
    assert explorer.status.value == "", explorer.status.value
    view = ns["flow_view"]
    weights, biases = ns["make_network"]([64] * depth + [10], ns["INITS"][init], scale=scale, seed=4)
    norms = ns["layer_grad_norms"](ns["x_deep"], ns["t_deep"], weights, biases, activation)
    hs = ns["mlp_forward"](ns["x_deep"], weights, biases, activation)[3]
    xs, ys = shown_norms(view)
    np.testing.assert_array_equal(xs, np.arange(1, depth + 1))
    np.testing.assert_allclose(ys, np.clip(norms, 1e-35, 1e35))
    np.testing.assert_allclose(view.std_line.get_ydata(), np.clip([h.std() for h in hs], 1e-35, 1e35))
    np.testing.assert_allclose(view.spread_line.get_ydata(), np.clip([h.std(axis=0).mean() for h in hs], 1e-35, 1e35))
    for layer, line in enumerate(view.hist_lines, start=1):
        if layer < depth:
            share = view.histogram(hs[layer - 1])
            np.testing.assert_allclose(line.get_ydata(), layer + 0.85 * np.sqrt(share / share.max()))
        else:
            assert len(line.get_xdata()) == 0
    assert f"{norms[0] / norms[-1]:.1e}" in view.readout.get_text()


def test_explorer_things_to_try(lesson):
    """What the explorer's list of things to try, and the written answer, say it shows."""
    ns, _ = lesson

    def network(depth, activation, init, scale=1.0):
        weights, biases = ns["make_network"]([64] * depth + [10], ns["INITS"][init], scale=scale, seed=4)
        norms = ns["layer_grad_norms"](ns["x_deep"], ns["t_deep"], weights, biases, activation)
        return norms, ns["mlp_forward"](ns["x_deep"], weights, biases, activation)[3]

    shallow, deep = network(2, "sigmoid", "Xavier")[0], network(20, "sigmoid", "Xavier")
    assert deep[0][0] / deep[0][-1] < 1e-8 < shallow[0] / shallow[-1], "sigmoid: the curve tilts with depth"
    assert all(abs(h.mean() - 0.5) < 0.1 for h in deep[1]), "sigmoid: the activations stay near 0.5"
    assert all(0.05 < h.std() < 0.3 for h in deep[1]), "sigmoid: the blue curve (pooled std) stays near 0.1"
    assert spread(deep[1][-1]) < 1e-9 * spread(deep[1][0]), "sigmoid: the purple curve (spread) falls to nothing"
    norms, hs = network(12, "tanh", "small normal (0.01)")
    assert hs[-1].std() < 1e-9 * hs[0].std() and norms.max() < 1e-9, "tanh, small normal: collapse"
    assert network(20, "relu", "small normal (0.01)")[0].max() < 1e-20, "relu, small normal: every gradient below 1e-20"
    he, he2 = network(20, "relu", "He")[0], network(20, "relu", "He", scale=2.0)[0]
    assert he2.min() > 1e6 * he.max(), "relu, He at scale 2: explodes"
    hs = network(20, "tanh", "large normal (1.0)")[1]
    assert np.mean(np.abs(np.concatenate([h.ravel() for h in hs])) > 0.9) > 0.7, "tanh, large: saturated at -1 and 1"
    leaky = network(20, "leaky relu", "He")[0]
    np.testing.assert_allclose(leaky, he, rtol=0.2)


def test_explorer_extremes_stay_inside_the_fixed_panels(lesson):
    ns, explorer = lesson
    c = explorer.controls
    limits = explorer.fig.axes[0].get_ylim()
    c["depth"].value, c["activation"].value, c["init"].value, c["scale"].value = 20, "relu", "large normal (1.0)", 4.0
    assert explorer.fig.axes[0].get_ylim() == limits
    ys = ns["flow_view"].grad_line.get_ydata()
    assert ys.max() == pytest.approx(1e35) and np.all(np.isfinite(ys))
    c["init"].value, c["scale"].value = "small normal (0.01)", 0.25
    assert ns["flow_view"].grad_line.get_ydata().min() == pytest.approx(1e-35)
    assert explorer.status.value == ""


def test_explorer_reports_an_unfinished_exercise(lesson):
    ns, explorer = lesson
    learners = ns["layer_grad_norms"]

    def unfinished(*args):
        raise NotImplementedError()

    ns["layer_grad_norms"] = unfinished
    try:
        explorer.controls["depth"].value = 5 if explorer.controls["depth"].value != 5 else 6
        assert "NotImplementedError" in explorer.status.value
    finally:
        ns["layer_grad_norms"] = learners
    explorer.controls["depth"].value = 9
    assert explorer.status.value == ""


# --- helpers.vanishing ---------------------------------------------------------------------------

def test_histogram_counts_values_outside_at_the_edges():
    view = GradientFlowView(max_depth=4, value_range=(0.0, 1.0), bins=4)
    share = view.histogram(np.array([-5.0, 0.1, 0.3, 0.6, 0.9, 0.95, 7.0, np.nan]))
    np.testing.assert_allclose(share, np.array([2, 1, 1, 3]) / 7)
    np.testing.assert_allclose(view.centers, [0.125, 0.375, 0.625, 0.875])
    assert view.histogram(np.array([np.inf])).sum() == 0


def test_update_shows_norms_and_hides_unused_layers():
    view = GradientFlowView(max_depth=5)
    view.update([1e-3, 1e-2, 1.0], [np.zeros((4, 3)), np.ones((4, 3))])
    np.testing.assert_array_equal(view.grad_line.get_ydata(), [1e-3, 1e-2, 1.0])
    np.testing.assert_allclose(view.std_line.get_ydata(), [1e-35, 1e-35])  # std 0 is drawn at the panel's floor
    assert [len(line.get_xdata()) for line in view.hist_lines] == [view.centers.size] * 2 + [0, 0]
    assert "1.0e-03" in view.readout.get_text()


@pytest.mark.parametrize("norms, activations, message", [
    ([1.0], [], "between 2 and 5"),
    ([1.0] * 6, [np.ones(2)] * 5, "between 2 and 5"),
    ([[1.0, 2.0]], [np.ones(2)], "1-D"),
    ([1.0, 2.0, 3.0], [np.ones(2)], "one activation array per hidden layer"),
])
def test_update_rejects_bad_input(norms, activations, message):
    with pytest.raises(ValueError, match=message):
        GradientFlowView(max_depth=5).update(norms, activations)


@pytest.mark.parametrize("kwargs", [dict(max_depth=1), dict(max_depth=True), dict(value_range=(1, 0)), dict(bins=1)])
def test_view_rejects_bad_settings(kwargs):
    with pytest.raises(ValueError):
        GradientFlowView(**kwargs)


# --- the text, the spread of the forward signal, typical inputs, dead units deeper down -------------

def test_notation_card_and_markdown_that_renders_as_written():
    assert lesson_problems(NOTEBOOK) == []


def test_the_forward_signal_vanishes_too(lesson):
    """Section 3's spread table: the sigmoid keeps its pooled std (~0.12) while each unit's spread collapses."""
    ns, _ = lesson
    lines = printed(ns, "spread-demo").splitlines()[1:]
    rows = {}
    for name, pooled, spread_ in zip(lines[0::2], lines[0::2], lines[1::2]):
        rows[name.split()[0]] = numbers(pooled.split("std", 1)[1]), numbers(spread_.split("spread", 1)[1])
    pooled, spreads = rows["sigmoid"]
    assert all(0.1 < v < 0.25 for v in pooled), "sigmoid: the pooled std stays near 0.12"
    assert 0.15 < spreads[0] < 0.25 and 1e-13 < spreads[2] < 1e-11, "sigmoid: spread 0.2 -> about 1e-12"
    for name in ["tanh", "relu"]:
        pooled, spreads = rows[name]
        assert spreads[2] < spreads[0] and pooled[2] < pooled[0] and spreads[2] / pooled[2] > 0.3, f"{name}: together"
    # the spread shrinks by the sigmoid's slope, about the backward factor, in every layer
    hs = ns["mlp_forward"](ns["x_deep"], *ns["make_network"](ns["deep_dims"], ns["fan_in_normal"]), "sigmoid")[3]
    per_layer = (spread(hs[18]) / spread(hs[0])) ** (1 / 18)
    assert 0.15 < per_layer < 0.3


def test_spread_is_the_mean_per_unit_std_across_samples():
    a = np.array([[1.0, 5.0], [3.0, 5.0]])
    assert spread(a) == pytest.approx(0.5)   # unit 0 varies by +-1, unit 1 not at all
    with pytest.raises(ValueError, match="one row per sample"):
        spread(np.ones(3))


def test_no_weight_scale_passes_the_gradient_for_typical_inputs(lesson):
    ns, _ = lesson
    rng = np.random.default_rng(8)
    x, dout = rng.standard_normal((16, 8)), rng.standard_normal((16, 8))
    for std in np.logspace(-1.5, 1.5, 13):
        weights = [std * rng.standard_normal((8, 8)) for _ in range(10)]
        biases = [rng.normal(size=8) for _ in range(10)]
        assert ns["chain_ratio"](x, weights, biases, dout) < 0.1, f"std {std:.2g}: far from intact"
    w = np.array([[4.0]])                               # the tuned exception: |w| = 4 and every z = 0
    assert ns["chain_ratio"](np.array([[0.5]]), [w] * 6, [np.array([-2.0])] * 6, np.array([[1.0]])) == pytest.approx(1.0)


def test_a_dead_unit_deeper_down_can_come_back_and_a_first_layer_one_cannot(lesson):
    """A dead unit's own weights get no gradient, but a deeper one's input changes when the layers below train."""
    ns, _ = lesson
    x, t = ns["x_moons"], ns["t_moons"]
    weights, biases, _ = ns["gd_steps"](x, t, *ns["make_network"]([2, 32, 32, 32, 1], ns["he_init"], seed=0),
                                        "relu", lr=0.5, steps=3)
    zs = ns["mlp_forward"](x, weights, biases, "relu")[2]
    dead1, dead3 = np.all(zs[0] <= 0, axis=0), np.all(zs[2] <= 0, axis=0)
    assert dead1.any() and dead3.any()
    after, b_after, _ = ns["gd_steps"](x, t, weights, biases, "relu", lr=1e-6, steps=1)
    zs_after = ns["mlp_forward"](x, after, b_after, "relu")[2]
    np.testing.assert_array_equal(zs_after[0][:, dead1], zs[0][:, dead1])      # layer 1: same z, dead for good
    np.testing.assert_array_equal(after[2][:, dead3], weights[2][:, dead3])    # layer 3: own weights unchanged ...
    assert not np.array_equal(zs_after[2][:, dead3], zs[2][:, dead3])          # ... but its z moves with the layers below
