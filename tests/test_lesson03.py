"""Lesson 3: the playground explorer driven headless, and unit tests of helpers.playground.

The solution notebook runs in-process; its playground is then moved through its controls and
buttons, and every panel must show what the mathematics says: the image is the network's output
on the grid, the hidden panel the hidden activations, the loss curve the losses of the steps taken.
The lesson's measured claims are measured again (stuck runs are plateaus, small starts get stuck, tent layers
gather 2^k stretches), and the notebook is checked as a reader sees it (notation card, Korean words, wiring).
"""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_tools import SOLUTIONS, run_notebook  # noqa: E402
from test_lesson02 import check_korean_words, check_wiring_collapsed  # noqa: E402
from helpers.playground import PlaygroundView  # noqa: E402

NOTEBOOK = SOLUTIONS / "03_mlp_xor" / "mlp_xor.ipynb"
ACT = {"sigmoid": lambda z: 1 / (1 + np.exp(-z)), "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0)}
DACT = {"sigmoid": lambda a: a * (1 - a), "tanh": lambda a: 1 - a ** 2, "relu": lambda a: (a > 0) * 1.0}


def hidden_of(x, p, activation):
    return ACT[activation](x @ p["w1"] + p["b1"])


def output_of(x, p, activation):
    return ACT["sigmoid"](hidden_of(x, p, activation) @ p["w2"] + p["b2"])


def loss_and_grads(x, t, p, activation):
    """Mean squared error over the batch and its gradients, written out independently of the notebook."""
    h = hidden_of(x, p, activation)
    y = ACT["sigmoid"](h @ p["w2"] + p["b2"])
    dz2 = 2 * (y - t) / len(x) * y * (1 - y)
    dz1 = dz2 @ p["w2"].T * DACT[activation](h)
    return np.mean(np.sum((y - t) ** 2, axis=1)), {"w1": x.T @ dz1, "b1": dz1.sum(0), "w2": h.T @ dz2, "b2": dz2.sum(0)}


DEFAULTS = {"dataset": "xor", "hidden": 2, "activation": "sigmoid", "lr": 4.0, "seed": 0}


@pytest.fixture(scope="module")
def notebook():
    """The notebook's namespace and its playground (the only Explorer it builds), as first shown."""
    (playground,) = run_notebook(NOTEBOOK)
    ns = playground._update.__globals__
    first = {"values": playground.values(), "losses": list(ns["net"]["losses"]), "w1": ns["net"]["params"]["w1"].copy()}
    return ns, playground, first


@pytest.fixture
def lab(notebook):
    """The playground back at its default settings and starting weights (tests may run in any order)."""
    ns, playground, _ = notebook
    for name, value in DEFAULTS.items():
        playground.controls[name].value = value
    playground.buttons["reset"].click()
    return ns, playground


def current(ns, playground):
    values = playground.values()
    x, t = ns["DATASETS"][values["dataset"]]
    return values, x, t[:, None], ns["net"]["params"], ns["net"]["losses"]


def assert_panels_show_the_network(ns, playground):
    values, x, t, p, losses = current(ns, playground)
    view = ns["view"]
    assert playground.status.value == "", playground.status.value
    y_grid = output_of(view.grid_points, p, values["activation"])
    np.testing.assert_allclose(view.regions.get_array(), y_grid.reshape(view.resolution, view.resolution), atol=1e-12)
    np.testing.assert_allclose(view.points.get_offsets(), x)
    h = hidden_of(x, p, values["activation"])
    np.testing.assert_allclose(view.hidden.get_offsets(), h[:, :2] if h.shape[1] > 1 else np.c_[h, 0 * h], atol=1e-12)
    xs, ys = view.loss.get_data()
    np.testing.assert_allclose(ys, losses)
    np.testing.assert_array_equal(xs, np.arange(1, len(losses) + 1))
    lo, hi = view.grid_points.min(axis=0), view.grid_points.max(axis=0)
    assert np.all(lo < x.min(axis=0)) and np.all(hi > x.max(axis=0)), "the grid must cover the data"


def assert_at_start(ns, playground):
    """No epochs yet, and the weights are init_params for the current settings."""
    values, _, _, p, losses = current(ns, playground)
    assert losses == []
    start = ns["init_params"](2, values["hidden"], 1, values["seed"])
    for k in start:
        np.testing.assert_array_equal(p[k], start[k])
    assert_panels_show_the_network(ns, playground)


def test_playground_starts_untrained_on_xor(notebook, lab):
    first = notebook[2]
    assert first["values"] == DEFAULTS, "the notebook's text describes these defaults"
    assert first["losses"] == []
    np.testing.assert_array_equal(first["w1"], notebook[0]["init_params"](2, 2, 1, 0)["w1"])
    assert_at_start(*lab)


def test_step_takes_one_gradient_step(lab):
    ns, playground = lab
    playground.buttons["reset"].click()
    values, x, t, before, losses = current(ns, playground)
    loss, grads = loss_and_grads(x, t, before, values["activation"])
    playground.buttons["step"].click()
    _, _, _, after, losses = current(ns, playground)
    assert len(losses) == 1 and losses[0] == pytest.approx(loss, rel=1e-12)
    for k in before:
        np.testing.assert_allclose(after[k], before[k] - values["lr"] * grads[k], rtol=1e-10, atol=1e-14)
    assert_panels_show_the_network(ns, playground)


def test_start_trains_xor_and_the_loss_falls(lab):
    ns, playground = lab
    playground.buttons["reset"].click()
    playground.buttons["start"].click()
    values, x, t, p, losses = current(ns, playground)
    assert len(losses) == 1000
    assert losses[-1] < 0.25 * losses[0], f"loss went from {losses[0]:.4f} to {losses[-1]:.4f}"
    assert np.mean((output_of(x, p, values["activation"]) > 0.5) == (t == 1)) >= 0.9
    assert playground.progress.value == 1.0 and playground.progress.layout.visibility == "hidden"
    assert "accuracy" in ns["view"].fig._suptitle.get_text()
    assert_panels_show_the_network(ns, playground)


def test_boundary_in_hidden_space_is_the_output_units_line(lab):
    ns, playground = lab
    for _ in range(3):
        playground.buttons["step"].click()
    p = ns["net"]["params"]
    assert playground.values()["hidden"] == 2
    hs = np.column_stack(ns["view"].boundary.get_data())
    assert len(hs) == 2
    np.testing.assert_allclose(hs @ p["w2"][:, 0] + p["b2"][0], 0.0, atol=1e-9)


def test_reset_returns_to_the_starting_weights(lab):
    ns, playground = lab
    playground.buttons["reset"].click()
    assert_at_start(ns, playground)


def test_learning_rate_changes_keep_the_run(lab):
    ns, playground = lab
    playground.buttons["step"].click()
    playground.controls["lr"].value = 0.5
    assert len(ns["net"]["losses"]) == 1, "changing the learning rate must not restart the network"
    assert "lr 0.5" in ns["view"].fig._suptitle.get_text()
    values, x, t, before, _ = current(ns, playground)
    _, grads = loss_and_grads(x, t, before, values["activation"])
    playground.buttons["step"].click()
    np.testing.assert_allclose(ns["net"]["params"]["w1"], before["w1"] - 0.5 * grads["w1"], rtol=1e-10)


@pytest.mark.parametrize("setting", [{"hidden": 5}, {"activation": "tanh"}, {"dataset": "circles"},
                                     {"seed": 7}, {"hidden": 1, "activation": "relu", "dataset": "moons"}])
def test_other_settings_start_a_new_network(lab, setting):
    ns, playground = lab
    playground.buttons["step"].click()
    for name, value in setting.items():
        playground.controls[name].value = value
    assert_at_start(ns, playground)
    values = playground.values()
    assert ns["net"]["params"]["w1"].shape == (2, values["hidden"])
    if values["hidden"] != 2:
        assert len(ns["view"].boundary.get_data()[0]) == 0, "the hidden-space line is drawn for 2 hidden units only"
    playground.buttons["step"].click()
    assert_panels_show_the_network(ns, playground)


@pytest.mark.parametrize("seed", [6, 13, 18])
def test_the_seeds_the_notebook_calls_stuck_are_stuck(lab, seed):
    """The notebook tells the learner that these seeds get a 2-2-1 network stuck on the playground's XOR."""
    ns, playground = lab
    settings = {"dataset": "xor", "activation": "sigmoid", "lr": 4.0, "seed": seed}
    for hidden, stuck in [(2, True), (4, False)]:
        for name, value in {**settings, "hidden": hidden}.items():
            playground.controls[name].value = value
        playground.buttons["reset"].click()
        playground.buttons["start"].click()
        _, x, t, p, _ = current(ns, playground)
        accuracy = np.mean((output_of(x, p, "sigmoid") > 0.5) == (t == 1))
        assert (accuracy < 0.9) == stuck, f"seed {seed}, {hidden} hidden units: accuracy {accuracy:.0%} after 1000 epochs"


def test_a_diverging_run_does_not_break_the_picture(lab):
    ns, playground = lab
    for name, value in {"dataset": "moons", "hidden": 8, "activation": "relu", "lr": 10.0}.items():
        playground.controls[name].value = value
    playground.buttons["start"].click()
    assert playground.status.value == ""
    assert len(ns["net"]["losses"]) == 1000


# --- helpers.playground -------------------------------------------------------------

def test_grid_covers_the_data_in_image_order():
    view = PlaygroundView(resolution=5)
    x = np.array([[0.0, -1.0], [2.0, 3.0]])
    g = view.grid(x, margin=0.5)
    assert g.shape == (25, 2)
    np.testing.assert_allclose(g[0], [-0.5, -1.5])
    np.testing.assert_allclose(g[-1], [2.5, 3.5])
    np.testing.assert_allclose(g[1] - g[0], [0.75, 0.0])        # along a row, x1 grows
    np.testing.assert_allclose(g[5] - g[0], [0.0, 1.25])        # the next row is higher (origin="lower")
    assert view.regions.get_extent() == [-0.5, 2.5, -1.5, 3.5]


def test_update_sets_every_artist():
    view = PlaygroundView(resolution=4)
    x = np.array([[0.0, 0.0], [1.0, 1.0], [0.5, 0.2]])
    g = view.grid(x)
    y_grid = g[:, :1] / 10
    h = np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9]])
    view.update(x, [0, 1, 1], y_grid, h, [0.3, 0.2, 0.1], boundary=([1.0, 2.0], -1.0), title="hello")
    np.testing.assert_allclose(view.regions.get_array(), y_grid.reshape(4, 4))
    np.testing.assert_allclose(view.points.get_offsets(), x)
    np.testing.assert_allclose(view.points.get_array(), [0, 1, 1])
    np.testing.assert_allclose(view.hidden.get_offsets(), h[:, :2])
    np.testing.assert_allclose(view.loss.get_data()[1], [0.3, 0.2, 0.1])
    bx, by = view.boundary.get_data()
    np.testing.assert_allclose(np.asarray(bx) + 2 * np.asarray(by) - 1, 0, atol=1e-12)
    assert view.fig._suptitle.get_text() == "hello"


def test_update_handles_one_hidden_unit_vertical_lines_and_nan_losses():
    view = PlaygroundView(resolution=3)
    x = np.array([[0.0, 0.0], [1.0, 1.0]])
    view.grid(x)
    view.update(x, [0, 1], np.full(9, 0.5), np.array([[0.2], [0.9]]), [0.5, np.nan, np.inf])
    np.testing.assert_allclose(view.hidden.get_offsets(), [[0.2, 0.0], [0.9, 0.0]])
    assert len(view.boundary.get_data()[0]) == 0
    h = np.array([[0.2, 0.3], [0.9, 0.8]])
    view.update(x, [0, 1], np.full(9, 0.5), h, [], boundary=(np.array([[2.0], [0.0]]), np.array([-1.0])))
    bx, _ = view.boundary.get_data()
    np.testing.assert_allclose(bx, [0.5, 0.5])                  # 2 a1 - 1 = 0: the vertical line a1 = 0.5
    view.update(x, [0, 1], np.full(9, 0.5), h, [], boundary=([0.0, 0.0], 1.0))
    assert len(view.boundary.get_data()[0]) == 0                # no line for zero weights


@pytest.mark.parametrize("call, words", [
    (lambda v: v.update(np.zeros((2, 3)), [0, 1], np.zeros(9), np.zeros((2, 2)), []), "(2, 3)"),
    (lambda v: v.update(np.zeros((2, 2)), [0, 1, 1], np.zeros(9), np.zeros((2, 2)), []), "t (3,)"),
    (lambda v: v.update(np.zeros((2, 2)), [0, 1], np.zeros(8), np.zeros((2, 2)), []), "(8,)"),
    (lambda v: v.update(np.zeros((2, 2)), [0, 1], np.zeros(9), np.zeros((3, 2)), []), "a (3, 2)"),
    (lambda v: v.update(np.zeros((2, 2)), [0, 1], np.zeros(9), np.zeros((2, 3)), [], boundary=(np.ones(3), 0)), "(3,)"),
    (lambda v: v.grid(np.zeros(4)), "(4,)"),
])
def test_bad_shapes_are_named(call, words):
    view = PlaygroundView(resolution=3)
    view.grid(np.array([[0.0, 0.0], [1.0, 1.0]]))
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")):
        call(view)


def test_update_before_grid_says_so():
    with pytest.raises(ValueError, match="grid"):
        PlaygroundView(resolution=3).update(np.zeros((2, 2)), [0, 1], np.zeros(9), np.zeros((2, 2)), [])


def test_resolution_must_be_an_int():
    for bad in [1, 2.5, True, "10"]:
        with pytest.raises(ValueError, match="resolution"):
            PlaygroundView(resolution=bad)


# --- what the lesson's text claims, measured again ----------------------------------

def test_stuck_runs_are_plateaus_not_minima(notebook):
    """Section 9: a stuck 2-2-1 run keeps lowering its loss while its largest weight grows (no local minimum)."""
    ns = notebook[0]
    stuck = [params for epochs, params in ns["runs"][2] if epochs is None]
    assert stuck, "the text speaks of stuck 2-2-1 runs: there must be some"
    x, t = ns["x_xor"], ns["t_xor"][:, None]
    params = stuck[0]
    losses, largest = [], []
    for _ in range(3):
        for _ in range(500):
            params, loss = ns["gd_step"](params, x, t, 4.0)
        losses.append(loss)
        largest.append(max(np.abs(v).max() for v in params.values()))
    assert losses[0] > losses[1] > losses[2], f"the loss should still fall: {losses}"
    assert largest[0] < largest[1] < largest[2], f"the largest weight should keep growing: {largest}"


def test_small_initial_weights_usually_get_stuck(notebook):
    """Section 8 says a 2-2-1 network started from N(0, 0.1^2) is usually still wrong after 1000 epochs."""
    ns = notebook[0]
    stuck = sum(ns["epochs_to_solve"](2, seed, scale=0.1)[0] is None for seed in range(10))
    assert stuck >= 7, f"only {stuck} of 10 starts from N(0, 0.1^2) were stuck"


@pytest.mark.parametrize("k", [1, 3, 5])
def test_tent_layers_gather_2_to_the_k_stretches(notebook, k):
    """Section 10: after k tent layers the inputs landing in (0.4, 0.6) form 2^k separate stretches of [0, 1]."""
    ns = notebook[0]
    x = np.linspace(0, 1, 20001)[:, None]
    y = x[:, 0]
    for _ in range(k):
        y = 2 * np.maximum(y, 0) - 4 * np.maximum(y - 0.5, 0)           # the tent, written independently
    landed = (y > 0.4) & (y < 0.6)
    assert int(landed[0]) + int(np.sum(landed[1:] & ~landed[:-1])) == 2 ** k
    deep = ns["deep_net"](x, [(ns["w_tent"], ns["b_tent"], ns["v_tent"])] * k)[:, 0]
    np.testing.assert_allclose(deep, y, atol=1e-12)


def test_init_params_states_its_scheme(notebook):
    ns = notebook[0]
    doc = ns["init_params"].__doc__
    assert "N(0, scale**2)" in doc and "fixed scale" in doc
    p = ns["init_params"](3, 4, 2, seed=1, scale=0.5)
    assert set(p) == {"w1", "b1", "w2", "b2"}
    np.testing.assert_array_equal(p["w1"], 0.5 * np.random.default_rng(1).standard_normal((3, 4)))


# --- the lesson as a reader sees it ---------------------------------------------------

def test_korean_words_and_key_terms():
    check_korean_words("03_mlp_xor/mlp_xor.ipynb")


def test_playground_wiring_is_collapsed():
    check_wiring_collapsed("03_mlp_xor/mlp_xor.ipynb", ["playground-setup", "playground-show", "playground"])
