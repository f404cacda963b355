"""Lesson 2 (perceptron): the drawing helper, and the explorer driven headless.

The explorer tests move the widgets of the solution notebook's explorer and check that what is drawn follows the
maths: the decision line has slope -w1/w2 and intercept -b/w2, the rings sit on exactly the misclassified points,
"step" applies exactly one perceptron update and "train" shows the epochs of the perceptron algorithm. Then the
lesson as a reader sees it: the course's notation card, the glossary's Korean words, the explorer's wiring collapsed.
"""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import helpers.perceptron_plots  # noqa: E402
from course_tools import LESSONS, SOLUTIONS, grade_id, run_notebook  # noqa: E402
from helpers import gate_data  # noqa: E402
from helpers.perceptron_plots import PerceptronView, decision_line, view_limits  # noqa: E402

NOTEBOOK = "02_perceptron/perceptron.ipynb"


# --- independent reference maths (the notebook's own answers are not trusted here) ---------------

def predict_ref(w, x):
    return np.where(w[0] + np.asarray(x) @ w[1:] >= 0, 1.0, -1.0)


def update_ref(w, x_k, t_k, lr):
    return w + lr * t_k * np.concatenate([[1.0], x_k])


def train_ref(x, t, w, lr, max_epochs):
    mistakes = []
    for _ in range(max_epochs):
        count = 0
        for x_k, t_k in zip(x, t):
            if predict_ref(w, x_k[None])[0] != t_k:
                w, count = update_ref(w, x_k, t_k, lr), count + 1
        mistakes.append(count)
        if count == 0:
            break
    return w, mistakes


# --- helpers/perceptron_plots.py ------------------------------------------------------------------

@pytest.mark.parametrize("w", [(0.5, 1.0, -2.0), (-1.0, 0.3, 2.0), (2.0, -3.0, 1.0), (1.0, 2.0, 0.0)])
def test_decision_line_lies_on_z_equal_zero(w):
    xs, ys = decision_line(w, (-2, 2), (-1, 3))
    assert xs.shape == ys.shape == (2,)
    assert np.allclose(w[0] + w[1] * xs + w[2] * ys, 0.0)
    assert not np.allclose([xs[0], ys[0]], [xs[1], ys[1]]), "the two points must differ"
    if w[2] != 0:
        slope = (ys[1] - ys[0]) / (xs[1] - xs[0])
        assert slope == pytest.approx(-w[1] / w[2])
        assert ys[0] - slope * xs[0] == pytest.approx(-w[0] / w[2])


def test_decision_line_edge_cases_and_bad_weights():
    assert decision_line((1.0, 0.0, 0.0), (0, 1), (0, 1)) is None      # no line: z = b everywhere
    xs, ys = decision_line((1.0, 2.0, 0.0), (0, 1), (-1, 1))
    assert np.allclose(xs, -0.5) and np.allclose(ys, [-1, 1])          # vertical line x1 = -b / w1
    with pytest.raises(ValueError, match=r"\(2,\)"):
        decision_line((1.0, 2.0), (0, 1), (0, 1))
    with pytest.raises(ValueError, match="finite"):
        decision_line((np.nan, 1.0, 1.0), (0, 1), (0, 1))


def test_view_limits_are_square_and_padded():
    xlim, ylim = view_limits(np.array([[0.0, 0.0], [4.0, 1.0]]), pad=0.5)
    assert xlim == pytest.approx((-0.5, 4.5)) and ylim == pytest.approx((-2.0, 3.0))
    with pytest.raises(ValueError, match=r"\(3,\)"):
        view_limits(np.zeros(3))


@pytest.fixture
def gate_view():
    view = PerceptronView(Figure().add_subplot(), resolution=20)
    x, t = gate_data("and", signed=True)
    view.set_data(x, t)
    return view


def test_view_shows_the_learners_predictions(gate_view):
    w = np.array([-0.5, 1.0, 1.0])                                    # OR's weights on AND: 2 corners wrong
    y = gate_view.show(w, predict_ref)
    assert np.array_equal(y, predict_ref(w, gate_view.x))
    assert np.array_equal(gate_view.wrong.get_offsets(), [[0.0, 1.0], [1.0, 0.0]])
    assert np.array_equal(gate_view.regions.get_array().ravel(), predict_ref(w, gate_view.grid))
    xs, ys = gate_view.line.get_data()
    assert np.allclose(w[0] + w[1] * np.asarray(xs) + w[2] * np.asarray(ys), 0.0)
    foot, arrow = gate_view.normal.get_offsets()[0], np.array([gate_view.normal.U[0], gate_view.normal.V[0]])
    assert w[0] + w[1:] @ foot == pytest.approx(0.0, abs=1e-12), "the arrow starts on the line"
    assert np.allclose(arrow / np.linalg.norm(arrow), w[1:] / np.linalg.norm(w[1:])), "the arrow is (w1, w2)"
    gate_view.show(np.array([-1.5, 1.0, 1.0]), predict_ref)            # AND: nothing wrong any more
    assert len(gate_view.wrong.get_offsets()) == 0


def test_view_without_a_line(gate_view):
    gate_view.show(np.array([1.0, 0.0, 0.0]), predict_ref)
    assert len(gate_view.line.get_xdata()) == 0
    assert np.array_equal(gate_view.regions.get_array().ravel(), np.ones(len(gate_view.grid)))


def test_view_rejects_bad_input(gate_view):
    with pytest.raises(ValueError, match="-1/\\+1"):
        gate_view.set_data(*gate_data("and"))                          # 0/1 labels
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        gate_view.set_data(np.zeros((4, 3)), np.ones(4))
    with pytest.raises(ValueError, match="shape"):
        gate_view.show(np.array([0.0, 1.0, 1.0]), lambda w, x: np.ones((len(x), 1)))
    with pytest.raises(ValueError, match="set_data"):
        PerceptronView(Figure().add_subplot()).show(np.zeros(3), predict_ref)


# --- the explorer of the solution notebook --------------------------------------------------------

@pytest.fixture(scope="module")
def explorer():
    """The solution notebook's explorer, its view and the notebook's namespace."""
    views = []
    original = PerceptronView.__init__

    def recording_init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        views.append(self)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(helpers.perceptron_plots.PerceptronView, "__init__", recording_init)
        (ex,) = run_notebook(SOLUTIONS / NOTEBOOK)
    (view,) = [v for v in views if v.ax.figure is ex.fig]
    return ex, view, ex._update.__globals__


def set_state(ex, ns, data, w, fresh=False):
    """Select a data set and drag the sliders to w = (b, w1, w2); fresh: reselect the data, so "step" starts
    at its first point."""
    if fresh:
        ex.controls["data"].value = next(name for name in ex.controls["data"].options if name != data)
    ex.controls["data"].value = data
    ns["state"]["w"] = None  # what a dragged slider does: the sliders' values count, not the last update's
    ex.controls["b"].value, ex.controls["w1"].value, ex.controls["w2"].value = w


def shown_weights(ex, ns):
    """The weights on show: the exact ones of the last step/train, which the sliders show rounded to their step."""
    sliders_w = np.array([ex.controls[k].value for k in ("b", "w1", "w2")])
    exact = ns["state"]["w"]
    if exact is None:
        return sliders_w
    assert np.all(np.abs(sliders_w - exact) <= ns["STEP"] / 2 + 1e-9), "the sliders show the exact weights, rounded"
    return exact


def assert_drawn(view, w):
    """The view shows weights w: its line is z = 0 and its rings are on exactly the points w gets wrong."""
    xs, ys = (np.asarray(v) for v in view.line.get_data())
    assert np.allclose(w[0] + w[1] * xs + w[2] * ys, 0.0, atol=1e-9), "the line drawn is not z = 0 for w"
    wrong = view.x[predict_ref(w, view.x) != view.t]
    assert np.array_equal(view.wrong.get_offsets(), wrong.reshape(-1, 2))


@pytest.mark.parametrize("w", [(0.5, 1.0, -0.5), (-1.0, 2.0, 1.5), (0.25, -2.5, 0.75), (1.2, 0.4, -3.0)])
def test_line_has_slope_and_intercept_of_the_weights(explorer, w):
    ex, view, ns = explorer
    set_state(ex, ns, "blobs", w)
    xs, ys = view.line.get_data()
    slope = (ys[1] - ys[0]) / (xs[1] - xs[0])
    assert slope == pytest.approx(-w[1] / w[2])
    assert ys[0] - slope * xs[0] == pytest.approx(-w[0] / w[2])
    assert ex.status.value == ""


@pytest.mark.parametrize("data, w", [("AND", (0.5, 1.0, -0.5)), ("XOR", (-1.6, 1.0, 1.0)),
                                     ("blobs", (0.0, -2.0, 2.5)), ("noisy XOR", (0.5, 1.0, -0.5)),
                                     ("NAND", (0.0, 0.0, 0.0))])
def test_rings_mark_exactly_the_misclassified_points(explorer, data, w):
    ex, view, ns = explorer
    set_state(ex, ns, data, w)
    x, t = ns["DATASETS"][data]
    assert np.array_equal(view.x, x) and np.array_equal(view.t, t), "the view shows the chosen data set"
    wrong = x[predict_ref(np.array(w), x) != t]
    assert np.array_equal(view.wrong.get_offsets(), wrong.reshape(-1, 2))
    assert np.array_equal(view.regions.get_array().ravel(), predict_ref(np.array(w), view.grid))
    assert f"{len(wrong)} of {len(t)} misclassified" in view.ax.get_title()


@pytest.mark.parametrize("data", ["AND", "blobs"])
def test_step_applies_exactly_one_perceptron_update(explorer, data):
    ex, view, ns = explorer
    x, t = ns["DATASETS"][data]
    set_state(ex, ns, data, (0.5, 1.0, -0.5), fresh=True)
    done_from, steps = 0, 0
    for _ in range(6):
        w = shown_weights(ex, ns)
        wrong = np.flatnonzero(predict_ref(w, x) != t)
        if wrong.size == 0:
            break
        k = next((i for i in wrong if i >= done_from), wrong[0])     # the next mistake in data order, wrapping
        renders = ex.renders
        ex.buttons["step"].click()
        assert ex.status.value == ""
        assert ex.renders == renders + 1, "one click, one redraw"
        expected = update_ref(w, x[k], t[k], ns["LR"])
        assert np.abs(expected).max() <= 3, "this walk stays inside the sliders' range"
        assert np.allclose(shown_weights(ex, ns), expected), f"step should update on sample {k} only"
        assert_drawn(view, expected)
        done_from, steps = k + 1, steps + 1
    assert steps >= 3, "the walk should have gone through several mistakes"


def test_step_on_separated_data_changes_nothing(explorer):
    ex, view, ns = explorer
    set_state(ex, ns, "AND", (-1.5, 1.0, 1.0))
    ex.buttons["step"].click()
    assert np.allclose(shown_weights(ex, ns), (-1.5, 1.0, 1.0)) and ex.status.value == ""


def test_exact_weights_survive_the_browser_snapping_the_sliders(explorer):
    """A browser snaps each slider to min + k * step and sends that back; the line must stay the exact one,
    until a slider is really moved."""
    ex, view, ns = explorer
    set_state(ex, ns, "blobs", (2.0, -1.0, 0.5), fresh=True)
    ex.buttons["train"].click()
    exact = shown_weights(ex, ns).copy()
    assert not np.allclose(exact / ns["STEP"], np.round(exact / ns["STEP"])), "trained weights off the grid"
    for name in ("b", "w1", "w2"):
        control = ex.controls[name]
        control.value = control.min + round((control.value - control.min) / control.step) * control.step
    assert np.array_equal(shown_weights(ex, ns), exact)
    assert_drawn(view, exact)
    ex.controls["w1"].value += ex.controls["w1"].step                # a real move of one slider
    moved = np.array([ex.controls[k].value for k in ("b", "w1", "w2")])
    assert ns["state"]["w"] is None
    assert_drawn(view, moved)


@pytest.mark.parametrize("data, start", [("AND", (0.5, 1.0, -0.5)), ("blobs", (2.0, -1.0, 0.5)),
                                         ("OR", (0.0, -3.0, -3.0))])
def test_train_runs_the_perceptron_to_convergence(explorer, data, start):
    ex, view, ns = explorer
    x, t = ns["DATASETS"][data]
    set_state(ex, ns, data, start)
    ex.buttons["train"].click()
    w_ref, mistakes = train_ref(x, t, np.array(start), ns["LR"], ns["MAX_EPOCHS"])
    assert mistakes[-1] == 0
    w = shown_weights(ex, ns)
    scale = max(1.0, np.abs(w_ref).max() / 3)                       # scaled down to fit the sliders
    assert np.allclose(w, w_ref / scale), "the explorer shows the trained weights"
    assert np.array_equal(predict_ref(w, x), predict_ref(w_ref, x)), "scaling kept every prediction"
    assert_drawn(view, w)
    epochs, counts = ns["epochs_line"].get_data()
    assert list(epochs) == list(range(1, len(mistakes) + 1)) and list(counts) == mistakes
    assert len(view.wrong.get_offsets()) == 0
    assert f"separated after {len(mistakes)} epochs" in ns["ax_epochs"].get_title()


def test_train_stops_at_the_epoch_limit_on_xor(explorer):
    ex, view, ns = explorer
    set_state(ex, ns, "XOR", (0.5, 1.0, -0.5))
    ex.buttons["train"].click()
    epochs, counts = ns["epochs_line"].get_data()
    assert len(epochs) == ns["MAX_EPOCHS"] and min(counts) > 0
    assert "stopped by the epoch limit" in ns["ax_epochs"].get_title()
    assert len(view.wrong.get_offsets()) >= 1, "no line gets XOR right"


def test_student_explorer_says_what_is_missing(tmp_path):
    """In the student notebook (exercises unsolved) the explorer is built and reports the missing exercise."""
    import nbformat

    path = LESSONS / NOTEBOOK
    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells if not (grade_id(c) or "").startswith("test_")]  # test cells fail: skip them
    blank = tmp_path / path.name
    nbformat.write(nb, blank)
    (ex,) = run_notebook(blank)
    assert "not done yet" in ex.status.value
    ex.buttons["step"].click()
    assert "not done yet" in ex.status.value


# --- the lesson as a reader sees it (Lesson 3's tests use these checks too) ------------------------

# words the glossary of docs/notation.md replaced: each is a defect if it comes back
NOT_THE_GLOSSARY = ["계단함수", "에포크", "스토캐스틱", "지역 최솟값", "Reinforcement Learning이라고"]


def check_korean_words(name):
    """No Korean word the glossary replaced, and a key-terms table (tests/test_notation.py checks its words and rows)."""
    import nbformat

    nb = nbformat.read(SOLUTIONS / name, as_version=4)
    found = [word for word in NOT_THE_GLOSSARY if word in "\n".join(c.source for c in nb.cells)]
    assert not found, f"{name} uses {found}; docs/notation.md's glossary has other words for them"
    terms = nb.cells[-1].source
    assert terms.startswith("## Key terms")
    assert len([line for line in terms.splitlines() if line.startswith("|")]) > 10


def check_wiring_collapsed(name, cell_ids):
    """In the student notebook the explorer's wiring cells are collapsed (input hidden)."""
    import nbformat

    by_id = {c.get("id"): c for c in nbformat.read(LESSONS / name, as_version=4).cells}
    for cid in cell_ids:
        assert by_id[cid].metadata.get("jupyter", {}).get("source_hidden") is True, f"{cid} should be collapsed"


def test_korean_words_and_key_terms():
    check_korean_words(NOTEBOOK)


def test_explorer_wiring_is_collapsed():
    check_wiring_collapsed(NOTEBOOK, ["cell-047", "cell-049", "cell-050", "cell-051", "cell-052"])
