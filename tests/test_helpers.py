"""Unit tests of the helpers package: every check here can fail."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import helpers  # noqa: E402
from helpers import (Explorer, GraphView, assert_close, blobs, check_gradient, circles, diagnose,  # noqa: E402
                     draw_graph, gate_data, moons, numerical_gradient, pending, rel_error, require,
                     sliders, xor_data)

rng = np.random.default_rng(0)


@pytest.fixture(autouse=True)
def forget_pending_outcomes():
    """`pending` remembers how blocks ended (to explain later skips): no test may see another's."""
    helpers.checks._outcomes.clear()
    yield
    helpers.checks._outcomes.clear()


# --- numerical gradients ----------------------------------------------------------

@pytest.mark.parametrize("f, grad", [
    (lambda x: np.sum(x ** 3), lambda x: 3 * x ** 2),
    (lambda x: np.sum(np.sin(x) * np.arange(x.size).reshape(x.shape)),
     lambda x: np.cos(x) * np.arange(x.size).reshape(x.shape)),
    (lambda x: np.log(np.sum(np.exp(x))), lambda x: np.exp(x) / np.sum(np.exp(x))),
    (lambda x: np.sum((1 / (1 + np.exp(-x)) - 0.3) ** 2),
     lambda x: 2 * (1 / (1 + np.exp(-x)) - 0.3) / (1 + np.exp(-x)) * (1 - 1 / (1 + np.exp(-x)))),
])
def test_numerical_gradient_matches_known_derivatives(f, grad):
    x = rng.normal(size=(3, 4))
    assert rel_error(numerical_gradient(f, x), grad(x)) < 1e-7


def test_numerical_gradient_with_dout_is_the_vector_jacobian_product():
    x, W, dout = rng.normal(size=(5, 3)), rng.normal(size=(3, 2)), rng.normal(size=(5, 2))
    assert rel_error(numerical_gradient(lambda x_: x_ @ W, x, dout), dout @ W.T) < 1e-7
    assert rel_error(numerical_gradient(lambda W_: x @ W_, W, dout), x.T @ dout) < 1e-7


def test_numerical_gradient_of_a_number_and_restores_x():
    assert abs(numerical_gradient(lambda x: x ** 2, 3.0) - 6.0) < 1e-7
    x = rng.normal(size=(4, 3))
    before = x.copy()
    numerical_gradient(lambda x_: np.sum(np.tanh(x_)), x)
    assert np.array_equal(x, before)


@pytest.mark.parametrize("call, words", [
    (lambda: numerical_gradient(np.sum, np.arange(3)), "int64"),
    (lambda: numerical_gradient(np.sum, np.ones(3, dtype=np.float32)), "float32"),
    (lambda: numerical_gradient(lambda x: x * 2, np.ones(3)), "(3,)"),
    (lambda: numerical_gradient(lambda x: x * 2, np.ones(3), dout=np.ones(4)), "(4,)"),
    (lambda: numerical_gradient(lambda x: np.sum(x) * np.inf, np.array([1.0, 0.0])), "finite"),
])
def test_numerical_gradient_rejects_bad_input(call, words):
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")):
        call()


def test_rel_error():
    assert rel_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert rel_error(1.0, 3.0) == pytest.approx(0.5)
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        rel_error(np.ones(2), np.ones(3))


# --- assert_close and its diagnoses --------------------------------------------------

def failure(got, expected, **kw):
    with pytest.raises(AssertionError) as info:
        assert_close(got, expected, "dW", **kw)
    return str(info.value)


def test_assert_close_passes_silently():
    assert assert_close(np.array([1.0, 2.0]), [1.0, 2.0 + 1e-12], "x") is None


W = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0], [2.0, 1.0, 1.5], [-3.0, 0.25, 2.0]])


@pytest.mark.parametrize("got, phrase", [
    (-W, "sign is flipped"),
    (2 * W, "extra factor 2"),
    (W / 2, "missing factor 2"),
    (4 * W, "4 times too large"),
    (W / 3, "3 times too small"),
    (0 * W, "all zeros"),
    (W + 0.5, "off by a constant"),
])
def test_assert_close_names_the_likely_cause(got, phrase):
    message = failure(got, W)
    assert phrase in message
    assert "dW[0, 0]" in message and "should be 1" in message


def test_assert_close_spots_a_transpose_and_wrong_shapes():
    square = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert "transposed" in failure(square.T, square)
    assert "transposed" in failure(W.T, W)
    assert "dropped an axis" in failure(W.sum(axis=0), W)
    assert "one number" in failure(W.sum(), W)
    assert "wrong axis" in failure(np.ones((4, 2)), W)


def test_assert_close_rejects_non_numbers_and_tricks():
    class AlwaysEqual:
        def __eq__(self, other):
            return True

    assert "forget to `return`" in failure(None, 1.0)
    assert "str" in failure("1.0", 1.0)
    assert "AlwaysEqual" in failure(AlwaysEqual(), 1.0)
    assert "tuple" in failure((1.0, 2.0), 1.0)
    assert "not a finite number" in failure(np.array([1.0, np.nan]), [1.0, 1.0])


def test_assert_close_appends_the_hint_and_counts_differences():
    message = failure(np.array([1.0, 5.0, 7.0]), [1.0, 2.0, 3.0], hint="dx = dout * y")
    assert "dW[1] is 5 but should be 2 (2 of 3 elements differ)" in message
    assert message.endswith("Hint: dx = dout * y")


def test_diagnose_returns_none_when_nothing_fits():
    assert diagnose([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) is None
    assert diagnose([1.0, 7.0, -3.0], [1.0, 2.0, 3.0]) is None


# --- check_gradient -----------------------------------------------------------------

def test_check_gradient_accepts_a_right_gradient_and_explains_wrong_ones():
    x = rng.normal(size=(3, 2))
    f = lambda x_: np.sum(x_ ** 2)  # noqa: E731
    assert check_gradient(f, x, 2 * x, "dx") < 1e-8
    with pytest.raises(AssertionError, match="sign is flipped"):
        check_gradient(f, x, -2 * x, "dx")
    with pytest.raises(AssertionError, match="missing factor 2"):
        check_gradient(f, x, x, "dx")
    with pytest.raises(AssertionError, match="shape"):
        check_gradient(f, x, np.ones(3), "dx")


# --- require and pending --------------------------------------------------------------

def test_require_names_the_missing_cell():
    require({"f": 1}, "f", where="Exercise 1")
    with pytest.raises(NameError, match="`g` is not defined yet: run the cell of Exercise 2"):
        require({"f": 1}, "f", "g", where="Exercise 2")


def test_pending_skips_only_unfinished_exercises(capsys):
    with pending("Exercise 3"):
        raise NotImplementedError()
    assert "needs Exercise 3, not done yet" in capsys.readouterr().out
    with pytest.raises(ValueError):
        with pending("Exercise 3"):
            raise ValueError("a real bug")


# --- graph drawing ------------------------------------------------------------------

NODES = {"x": (0, 1), "y": (0, -1), "t": (1.5, 0, "$+$")}
EDGES = [("x", "t"), ("y", "t")]


def test_graph_view_updates_texts_without_adding_artists():
    view = draw_graph(NODES, EDGES, values={"x": 1.5}, grads={"t": -0.25})
    assert view.value_text["x"].get_text() == "= 1.5"
    assert "-0.25" in view.grad_text["t"].get_text()
    assert view.value_text["y"].get_text() == ""
    count = len(view.ax.texts) + len(view.ax.patches) + len(view.ax.artists)
    view.update(values={"x": 2.0, "y": 3.0}, grads={"x": 1.0})
    assert view.value_text["x"].get_text() == "= 2"
    assert view.grad_text["t"].get_text() == ""
    assert len(view.ax.texts) + len(view.ax.patches) + len(view.ax.artists) == count


def test_graph_view_rejects_unknown_nodes_and_highlights():
    with pytest.raises(ValueError, match="unknown nodes"):
        GraphView(NODES, [("x", "nowhere")])
    view = GraphView(NODES, EDGES)
    with pytest.raises(ValueError, match="unknown nodes"):
        view.update(values={"q": 1.0})
    before = view.circles["t"].get_linewidth()
    view.highlight("t")
    assert view.circles["t"].get_linewidth() > before
    assert view.circles["x"].get_linewidth() == before
    view.highlight()
    assert view.circles["t"].get_linewidth() == before


FAN_NODES = {"x1": (0, 1), "x2": (0, -1), "p": (1.5, -0.4, "$\\times$"), "y": (3, 0.3, "$+$")}
FAN_EDGES = [("x1", "p"), ("x2", "p"), ("p", "y"), ("x1", "y")]  # y = x1 * x2 + x1: x1 is used twice


def test_graph_view_shows_what_each_branch_sends_back():
    view = draw_graph(FAN_NODES, FAN_EDGES, grads={"x1": -1.0}, edge_grads={("x1", "p"): -2.0, ("x1", "y"): 1.0},
                      loss="y")
    assert view.fan_out == {"x1": ["p", "y"]}
    assert view.edge_text[("x1", "p", 0)].get_text() == "-2" and view.edge_text[("x1", "y", 0)].get_text() == "1"
    assert view.edge_text[("x2", "p", 0)].get_text() == ""
    texts = [t.get_text() for t in view.ax.texts]
    assert "red: gradient ∂y/∂· (backward)" in texts and any("used twice adds" in t for t in texts)
    count = len(view.ax.texts)
    view.update(edge_grads={("x2", "p"): 3.0})
    assert view.edge_text[("x1", "p", 0)].get_text() == "" and view.edge_text[("x2", "p", 0)].get_text() == "3"
    assert len(view.ax.texts) == count
    with pytest.raises(ValueError, match="arrow"):
        view.update(edge_grads={("x2", "y"): 1.0})
    with pytest.raises(ValueError, match="single number"):
        view.update(edge_grads={("x1", "y"): [1.0, 2.0]})


def test_graph_view_draws_repeated_edges_apart_and_keeps_the_plain_legend_without_fan_out():
    view = draw_graph({"x": (0, 0), "p": (1.5, 0, "$\\times$")}, [("x", "p"), ("x", "p")],
                      edge_grads={("x", "p"): 3.0, ("x", "p", 1): 4.0})
    assert view.fan_out == {"x": ["p", "p"]}
    (_, y0), (_, y1) = (view.edge_text[("x", "p", k)].get_position() for k in (0, 1))
    assert y0 * y1 < 0, "two arrows between the same nodes bend to opposite sides"
    assert [view.edge_text[("x", "p", k)].get_text() for k in (0, 1)] == ["3", "4"]
    plain = GraphView(NODES, EDGES)
    assert plain.fan_out == {} and plain.edge_text.keys() == {("x", "t", 0), ("y", "t", 0)}
    assert not any("used twice" in t.get_text() for t in plain.ax.texts)
    assert "red: gradient ∂L/∂· (backward)" in [t.get_text() for t in plain.ax.texts]


def test_explorer_over_a_fan_out_graph_draws_the_branch_labels_as_a_full_draw_does():
    """Arrow labels appear, change and vanish in an explorer's incremental picture exactly as in a full draw."""
    import io

    from PIL import Image

    view = GraphView(FAN_NODES, FAN_EDGES)

    def show(x2, labels):
        branches = {("x1", "p"): x2, ("x1", "y"): 1.0} if labels else {}
        view.update(values={"x2": x2}, grads={"x1": x2 + 1.0}, edge_grads=branches)

    ex = Explorer(view.fig, show, sliders(x2=(-3, 3, -2.0), labels=(0, 1, 1)))
    for x2, labels in [(2.5, 1), (2.5, 0), (-1.0, 1)]:
        ex.controls["x2"].value, ex.controls["labels"].value = x2, labels
        assert ex.status.value == ""
        shown = np.asarray(Image.open(io.BytesIO(ex.image.value)).convert("RGB"))
        animated = [a for a in view.fig.findobj() if a.get_animated()]
        for artist in animated:
            artist.set_animated(False)
        view.fig.canvas.draw()
        full = np.asarray(view.fig.canvas.buffer_rgba())[..., :3].copy()
        for artist in animated:
            artist.set_animated(True)
        view.fig.canvas.draw()  # as it was: the explorer's background stays
        assert (shown == full).all(), f"x2={x2}, labels={labels}: the picture differs from a full draw"
    assert view.edge_text[("x1", "p", 0)].get_text() == "-1"


# --- explorers -------------------------------------------------------------------------

def make_explorer(update=None):
    view = GraphView(NODES, EDGES)
    calls = []

    def show(w, b):
        calls.append((w, b))
        if update:
            update(w, b)
        view.update(values={"x": w, "y": b, "t": w + b})

    return Explorer(view.fig, show, sliders(w=(-2, 2, 1.0), b=(-1, 1, 0.0, 0.5))), calls


def test_explorer_renders_and_follows_its_sliders():
    ex, calls = make_explorer()
    assert ex.renders == 1 and bytes(ex.image.value).startswith(b"\x89PNG")
    first = bytes(ex.image.value)
    ex.controls["w"].value = -1.5
    assert calls[-1] == (-1.5, 0.0)
    assert ex.renders == 2 and bytes(ex.image.value) != first and ex.status.value == ""


def test_explorer_shows_learner_errors_and_keeps_the_last_image():
    def fragile(w, b):
        if w < 0:
            raise ValueError("negative w")
        if w > 1.9:
            raise NotImplementedError()

    ex, _ = make_explorer(fragile)
    image = bytes(ex.image.value)
    ex.controls["w"].value = -1.0
    assert "ValueError: negative w" in ex.status.value and ex.renders == 1 and bytes(ex.image.value) == image
    ex.controls["w"].value = 2.0
    assert "not done yet" in ex.status.value
    ex.controls["w"].value = 0.5
    assert ex.status.value == "" and ex.renders == 2


@pytest.mark.parametrize("spec", [(1, 0, 0.5), (0, 1, 2.0), (0, 1), ("a", 1, 0)])
def test_sliders_reject_bad_specs(spec):
    with pytest.raises(ValueError):
        sliders(w=spec)


# --- data -------------------------------------------------------------------------------

def test_gate_data():
    X, t = gate_data("AND")
    assert X.shape == (4, 2) and X.dtype == np.float64
    assert t.tolist() == [0, 0, 0, 1]
    assert gate_data("xor", signed=True)[1].tolist() == [-1, 1, 1, -1]
    with pytest.raises(ValueError, match="nand"):
        gate_data("maybe")


@pytest.mark.parametrize("make", [blobs, xor_data, circles, moons])
def test_generated_data_is_seeded(make):
    X, t = make(n=51, seed=3)
    assert X.shape == (51, 2) and t.shape == (51,) and X.dtype == np.float64
    assert set(np.unique(t)) == {0.0, 1.0}
    X2, t2 = make(n=51, seed=3)
    assert np.array_equal(X, X2) and np.array_equal(t, t2)
    assert not np.array_equal(X, make(n=51, seed=4)[0])
    assert set(np.unique(make(n=51, seed=3, signed=True)[1])) == {-1.0, 1.0}
    with pytest.raises(ValueError):
        make(n=0)


def test_xor_labels_follow_the_nearest_corner():
    X, t = xor_data(n=400, noise=0.05, seed=1)
    corner = np.round(np.clip(X, 0, 1))
    assert np.array_equal(t, np.logical_xor(corner[:, 0], corner[:, 1]).astype(float))


# --- further cases: closures, noise, messages, layout, data details ----------------------


def test_package_exports_everything_in_all():
    assert all(hasattr(helpers, name) for name in helpers.__all__)


def test_numerical_gradient_perturbs_x_in_place_for_closures():
    x, V = rng.normal(size=(2, 5)), rng.normal(size=(2, 5))
    grad = numerical_gradient(lambda _: np.sum(np.sin(x) * V), x)  # ignores its argument
    assert rel_error(grad, np.cos(x) * V) < 1e-7


def test_numerical_gradient_copies_outputs_that_are_views_of_x():
    x, dout = rng.normal(size=3), rng.normal(size=3)
    assert rel_error(numerical_gradient(lambda x_: x_, x, dout), dout) < 1e-7


@pytest.mark.parametrize("x", [2.0, 3, np.array(2.0)])
def test_numerical_gradient_returns_a_float_for_numbers(x):
    g = numerical_gradient(lambda v: v ** 3, x)
    assert type(g) is float and abs(g - 3 * float(x) ** 2) < 1e-6


def test_numerical_gradient_restores_x_even_when_f_raises():
    x, calls = np.array([1.0, 2.0]), []

    def f(v):
        calls.append(1)
        if len(calls) > 1:
            raise RuntimeError("boom")
        return v.sum()

    with pytest.raises(RuntimeError):
        numerical_gradient(f, x)
    assert np.array_equal(x, [1.0, 2.0])


def test_numerical_gradient_error_details():
    with pytest.raises(ValueError, match=r"x\[1\]"), np.errstate(invalid="ignore"):
        numerical_gradient(lambda v: np.log(v).sum(), np.array([1.0, 1e-6]))
    with pytest.raises(ValueError, match="cannot be stored"):
        numerical_gradient(np.sum, np.arange(3))
    with pytest.raises(ValueError, match="imprecise"):
        numerical_gradient(np.sum, np.ones(3, dtype=np.float16))
    with pytest.raises(ValueError, match="finite"):
        numerical_gradient(np.sum, np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="list"):
        numerical_gradient(np.sum, [1.0, 2.0])


def test_rel_error_is_a_float_and_zero_safe():
    assert type(rel_error(np.ones(2), np.ones(2))) is float
    assert rel_error(0.0, 0.0) == 0.0


def test_check_gradient_with_dout_and_a_report():
    x, V, dout = rng.normal(size=(3, 4)), rng.normal(size=(4, 2)), rng.normal(size=(3, 2))
    assert check_gradient(lambda _: x @ V, x, dout @ V.T, "dx", dout=dout) < 1e-7
    with pytest.raises(AssertionError) as info:
        check_gradient(lambda _: x @ V, x, -(dout @ V.T), "dx", dout=dout)
    assert "dx[" in str(info.value) and "tol" in str(info.value)


def test_check_gradient_ignores_round_off_where_the_gradient_is_zero():
    # softmax sums to 1 whatever v is: the true gradient is 0 and the numerical one is
    # round-off (~1e-10), which the plain CS231n relative error would call 100% wrong
    x = rng.normal(size=5)
    f = lambda v: 10 * np.sum(np.exp(v) / np.exp(v).sum())  # noqa: E731
    assert np.abs(numerical_gradient(f, x)).max() > 0
    assert check_gradient(f, x, np.zeros(5)) == 0.0


def test_assert_close_factor_n_uses_the_total_size_too():
    want = rng.normal(size=(5, 3)) + 3.0
    assert "5 times too large" in failure(5 * want, want)
    assert "5 times too small" in failure(want / 5, want)
    assert "15 times too large" in failure(15 * want, want)


def test_assert_close_more_messages():
    assert "broadcasting" in failure(np.ones((3, 3)), np.ones(3))
    assert "has shape (3,) but should have shape (3, 1)" in failure(np.ones(3), np.ones((3, 1)))
    assert "got dict" in failure({"a": 1}, 1.0)
    assert "dW[0, 1] is nan" in failure(np.array([[1.0, np.nan]]), np.ones((1, 2)))
    assert failure(0.5, 1.0).startswith("dW is 0.5 but should be 1.")


def test_graph_view_leaves_are_lighter_and_highlight_restores():
    view = GraphView(NODES, EDGES, title="t")
    leaf, op = view.circles["x"].get_facecolor(), view.circles["t"].get_facecolor()
    assert sum(leaf[:3]) > sum(op[:3])
    before = view.circles["t"].get_facecolor()
    view.highlight("t")
    assert view.circles["t"].get_facecolor() != before
    view.highlight()
    assert view.circles["t"].get_facecolor() == before
    with pytest.raises(ValueError, match="zz"):
        view.highlight("zz")


def test_sliders_build_float_sliders_in_order():
    s = sliders(a=(0, 1, 0.5), b=(-1, 1, 0, 0.1))
    assert list(s) == ["a", "b"] and s["b"].step == pytest.approx(0.1)
    assert s["a"].description == "a" and s["a"].value == 0.5 and s["a"].continuous_update


def test_blobs_are_balanced_shuffled_and_validated():
    X, t = blobs(n=101, seed=3)
    assert abs(np.sum(t == 0) - np.sum(t == 1)) <= 1
    assert X[t == 0].mean(axis=0) @ [1, 1] < 0 < X[t == 1].mean(axis=0) @ [1, 1]
    assert 0 < t[:50].sum() < 50
    for bad in [dict(n=2.5), dict(spread=0), dict(centers=[1, 2]), dict(seed="a")]:
        with pytest.raises(ValueError):
            blobs(**bad)
    for bad in [dict(n=3), dict(noise=-0.1)]:
        with pytest.raises(ValueError):
            xor_data(**bad)


def test_blobs_with_three_classes():
    X, t = blobs(n=100, seed=1, centers=[(0, 2), (-2, -1), (2, -1)], spread=0.3)
    assert X.shape == (100, 2) and sorted(np.bincount(t.astype(int))) == [33, 33, 34]
    for c, centre in enumerate([(0, 2), (-2, -1), (2, -1)]):
        assert np.allclose(X[t == c].mean(axis=0), centre, atol=0.2)
    with pytest.raises(ValueError, match="2 classes"):
        blobs(centers=[(0, 0), (1, 1), (2, 2)], signed=True)


def test_circles_and_moons_have_their_shapes():
    X, t = circles(n=400, noise=0.0, seed=2, factor=0.3)
    radius = np.hypot(X[:, 0], X[:, 1])
    assert np.allclose(radius[t == 1], 0.3) and np.allclose(radius[t == 0], 1.0)
    X, t = moons(n=400, noise=0.0, seed=2)
    assert np.allclose(np.hypot(*X[t == 0].T), 1.0) and (X[t == 0, 1] >= 0).all()
    assert np.allclose(np.hypot(X[t == 1, 0] - 1, X[t == 1, 1] - 0.5), 1.0) and (X[t == 1, 1] <= 0.5).all()
    for bad in [dict(factor=1.0), dict(noise=-1), dict(n=1)]:
        with pytest.raises(ValueError):
            circles(**bad)


def test_explorer_actions_redraw_once_and_report_errors():
    from matplotlib.figure import Figure
    fig = Figure()
    line, = fig.add_subplot().plot([0, 1], [0, 0])
    controls = sliders(a=(0, 1, 0.5), b=(0, 1, 0.5))

    def update(a, b):
        line.set_ydata([a, b])

    def nudge(a, b):
        controls["a"].value, controls["b"].value = 0.0, 1.0

    def broken(a, b):
        raise ValueError("shapes (2,) and (3,)")

    ex = Explorer(fig, update, controls, actions={"nudge": nudge, "broken": broken})
    assert set(ex.buttons) == {"nudge", "broken"} and ex.renders == 1
    ex.buttons["nudge"].click()
    assert ex.renders == 2, "an action's two control changes must give one redraw"
    assert list(line.get_ydata()) == [0.0, 1.0] and ex.status.value == ""
    ex.buttons["broken"].click()
    assert "ValueError: shapes (2,) and (3,)" in ex.status.value and ex.renders == 2
    controls["a"].value = 0.3  # controls still redraw after a failed action
    assert ex.renders == 3 and ex.status.value == ""
    ex.show_progress(1, 4)
    assert ex.progress.value == 0.25 and ex.progress.layout.visibility == "visible"
    with pytest.raises(ValueError, match="actions"):
        Explorer(fig, update, controls, actions={"x": 1})


def test_reference_layers_match_numerical_gradients():
    import reference_layers as layers  # the tests' known-good layers (tests/reference_layers.py)
    x, w, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 5)), rng.normal(size=5)
    dout = rng.normal(size=(4, 5))
    out, cache = layers.affine_forward(x, w, b)
    assert np.allclose(out, x @ w + b)
    keep = dout.copy()
    dx, dw, db = layers.affine_backward(dout, cache)
    assert np.array_equal(dout, keep)
    for name, arr, got in [("x", x, dx), ("w", w, dw), ("b", b, db)]:
        def f(_):
            return layers.affine_forward(x, w, b)[0]
        assert rel_error(got, numerical_gradient(f, arr, dout)) < 1e-7, name
    z = rng.normal(size=(6, 2)) * 3
    z[0, 0] = 800.0  # the sigmoid must not overflow
    for forward, backward in [(layers.relu_forward, layers.relu_backward),
                              (layers.sigmoid_forward, layers.sigmoid_backward)]:
        d = rng.normal(size=z.shape)
        got = backward(d, forward(z)[1])
        assert rel_error(got, numerical_gradient(lambda v: forward(v)[0], z, d)) < 1e-6, forward.__name__
    with pytest.raises(ValueError, match=r"x \(2, 3\)"):
        layers.affine_forward(np.ones((2, 3)), np.ones((2, 3)), np.ones(3))


def test_graph_view_shows_itself_as_a_picture():
    """A GraphView ending a notebook cell displays as PNG even before pyplot is imported."""
    graph = draw_graph(nodes={"x": (0, 0), "y": (1, 0, "$+$")}, edges=[("x", "y")],
                       values={"x": 1.0, "y": 2.0}, grads={"x": 3.0, "y": 1.0})
    png = graph._repr_png_()
    assert png.startswith(b"\x89PNG") and len(png) > 1000
