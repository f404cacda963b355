"""Lesson 1 (the chain rule): every derivative the lesson states, checked by finite differences on independent
formulas and on the solution's own functions; which checks catch each known-wrong answer (visible or hidden only);
the fan-out picture; the notation card and the markdown tables; the explorer's wiring kept out of the way."""
import contextlib
import io
import re

import matplotlib
import nbformat
import numpy as np
import pytest

from course_tools import SOLUTIONS, grade_id, run_notebook, solution_namespace, strip_markers
from helpers import check_gradient, numerical_gradient
from wrong_answers import wrong_answers

matplotlib.use("Agg")
NOTEBOOK = SOLUTIONS / "01_chain_rule" / "chain_rule.ipynb"
GIVEN = ("cell-001", "cell-016")  # the imports and the sigmoid
HIDDEN = "### BEGIN HIDDEN TESTS"


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


@pytest.fixture(scope="module")
def cells():
    return nbformat.read(NOTEBOOK, as_version=4).cells


@pytest.fixture(scope="module")
def solution():
    return solution_namespace(NOTEBOOK, given=GIVEN)


# --- every derivative the lesson states ----------------------------------------------------------

def test_composite_square_of_sum(solution):
    rng = np.random.default_rng(1)
    x1, x2 = rng.normal(size=5), rng.normal(size=5)
    check_gradient(lambda v: (v + x2) ** 2, x1, 2 * (x1 + x2), "d/dx1 (x1 + x2)^2", dout=np.ones(5))
    check_gradient(lambda v: (x1 + v) ** 2, x2, 2 * (x1 + x2), "d/dx2 (x1 + x2)^2", dout=np.ones(5))
    y, dx1, dx2 = solution["square_of_sum"](x1, x2)
    np.testing.assert_allclose(dx1, 2 * (x1 + x2), rtol=1e-12)
    np.testing.assert_allclose(dx2, 2 * (x1 + x2), rtol=1e-12)


def test_node_local_gradients():
    rng = np.random.default_rng(2)
    x1, x2, dout = rng.normal(size=(3, 4))
    check_gradient(lambda v: v + x2, x1, dout * 1.0, "add: d out/d x1 = 1", dout=dout)
    check_gradient(lambda v: v * x2, x1, dout * x2, "multiply: d out/d x1 = x2", dout=dout)
    check_gradient(lambda v: x1 * v, x2, dout * x1, "multiply: d out/d x2 = x1", dout=dout)
    check_gradient(lambda v: v ** 2, x1, dout * 2 * x1, "square: d out/d x = 2x", dout=dout)


def test_fan_out_gradients_add():
    """y = x1 x2 + x1: dy/dx1 = x2 + 1 (the sum of both branches), dy/dx2 = x1; y = x * x: dy/dx = x + x."""
    rng = np.random.default_rng(3)
    x1, x2 = rng.normal(size=6), rng.normal(size=6)
    ones = np.ones(6)
    check_gradient(lambda v: v * x2 + v, x1, x2 + 1, "dy/dx1", dout=ones)
    check_gradient(lambda v: x1 * v + x1, x2, x1, "dy/dx2", dout=ones)
    check_gradient(lambda v: v * v, x1, x1 + x1, "d(x x)/dx", dout=ones)
    # the lesson's demonstration values: x1 = 3, x2 = -2, overwritten -2, summed -1
    assert numerical_gradient(lambda v: v * -2.0 + v, 3.0) == pytest.approx(-1.0, abs=1e-8)


def test_fan_out_solution_matches_finite_differences(solution):
    rng = np.random.default_rng(4)
    x1, x2, dout = rng.normal(size=(3, 2, 3))
    y, cache = solution["fan_out_forward"](x1, x2)
    np.testing.assert_allclose(y, x1 * x2 + x1)
    dx1, dx2 = solution["fan_out_backward"](dout, cache)
    check_gradient(lambda v: solution["fan_out_forward"](v, x2)[0], x1, dx1, "dx1", dout=dout)
    check_gradient(lambda v: solution["fan_out_forward"](x1, v)[0], x2, dx2, "dx2", dout=dout)


def test_sigmoid_derivative_and_its_maximum():
    z = np.linspace(-8, 8, 161)
    s = sigmoid(z)
    check_gradient(sigmoid, z, s * (1 - s), "sigma'", dout=np.ones_like(z))
    assert np.max(s * (1 - s)) == pytest.approx(0.25) and z[np.argmax(s * (1 - s))] == 0.0


def test_loss_conventions():
    y, t = np.array([0.3, -1.2, 2.0]), np.array([1.0, 0.5, -0.5])
    check_gradient(lambda v: (v - t) ** 2, y, 2 * (y - t), "d/dy (y - t)^2", dout=np.ones(3))
    check_gradient(lambda v: 0.5 * (v - t) ** 2, y, y - t, "d/dy 1/2 (y - t)^2", dout=np.ones(3))


def test_neuron_gradients(solution):
    rng = np.random.default_rng(5)
    w, a_prev, b = rng.normal(scale=1.5, size=(3, 7))
    t = rng.uniform(size=7)

    def loss(w_=w, a_=a_prev, b_=b):
        return (sigmoid(w_ * a_ + b_) - t) ** 2

    z = w * a_prev + b
    y = sigmoid(z)
    dz = 2 * (y - t) * y * (1 - y)
    ones = np.ones(7)
    check_gradient(lambda v: loss(w_=v), w, dz * a_prev, "dL/dw = 2(y - t) sigma'(z) a_prev", dout=ones)
    check_gradient(lambda v: loss(b_=v), b, dz, "dL/db = 2(y - t) sigma'(z)", dout=ones)
    check_gradient(lambda v: loss(a_=v), a_prev, dz * w, "dL/da_prev = 2(y - t) sigma'(z) w", dout=ones)
    L, grads = solution["neuron_grads"](w, a_prev, b, t)
    np.testing.assert_allclose(L, loss())
    for key, want in {"y": 2 * (y - t), "z": dz, "w": dz * a_prev, "b": dz, "a_prev": dz * w}.items():
        np.testing.assert_allclose(grads[key], want, rtol=1e-12, err_msg=key)


def test_chain_gradients_and_the_notes_identity(solution):
    rng = np.random.default_rng(6)
    x, v, c, w, b, t = rng.normal(size=(6, 5))
    args = dict(x=x, v=v, c=c, w=w, b=b, t=t)

    def loss(**change):
        p = {**args, **change}
        return (p["w"] * (p["v"] * p["x"] + p["c"]) + p["b"] - p["t"]) ** 2

    a = v * x + c
    dy = 2 * (w * a + b - t)
    want = {"y": dy, "b": dy, "w": dy * a, "a": dy * w, "c": dy * w, "v": dy * w * x}
    ones = np.ones(5)
    for name in "vcwb":
        check_gradient(lambda p, name=name: loss(**{name: p}), args[name], want[name], f"dL/d{name}", dout=ones)
    check_gradient(lambda p: (w * p + b - t) ** 2, a, want["a"], "dL/da", dout=ones)
    np.testing.assert_allclose(want["w"], want["b"] * a)  # dL/dw = (dL/db) a
    np.testing.assert_allclose(want["v"], want["c"] * x)  # dL/dv = (dL/dc) x
    L, grads = solution["chain_grads"](**args)
    for key in want:
        np.testing.assert_allclose(grads[key], want[key], rtol=1e-12, err_msg=key)


def test_a_sum_of_sample_losses_has_the_sum_of_their_gradients(solution):
    """L = L_1 + ... + L_n with one w shared by every sample: dL/dw = sum_i dL_i/dw (the fan-out rule)."""
    rng = np.random.default_rng(7)
    x, t = rng.normal(size=(2, 9))
    v, c, w, b = rng.normal(size=4)
    per_sample = solution["chain_grads"](x, v, c, w, b, t)[1]["w"]
    total = numerical_gradient(lambda w_: np.sum(solution["chain_grads"](x, v, c, float(w_), b, t)[0]), np.array(w))
    assert abs(np.sum(per_sample) - total) < 1e-6 * max(1.0, abs(total))


def test_worked_example_numbers(solution):
    """The numbers the lesson quotes: the notes' update climbs (1, 7.023, 99.96); one true step with
    lr = 0.05 gives the note's 0.8, 0.9, 0.7, 0.9, hidden 2.5, output 2.65, L = 0.1225; lr = 0.1 overshoots."""
    start = {"v": 1.0, "c": 1.0, "w": 1.0, "b": 1.0}
    L, grads = solution["chain_grads"](2.0, **start, t=3.0)
    assert (L, grads["w"], grads["b"], grads["a"]) == (1.0, 6.0, 2.0, 2.0)
    losses, params = [], start
    for _ in range(3):
        L, grads = solution["chain_grads"](2.0, **params, t=3.0)
        losses.append(float(L))
        params = {k: p + 0.05 * grads[k] for k, p in params.items()}  # the note's sign
    assert losses == pytest.approx([1.0, 7.0225, 99.96], rel=1e-3)
    grads = solution["chain_grads"](2.0, **start, t=3.0)[1]
    for lr, want, (a, y, L) in [(0.05, {"v": 0.8, "c": 0.9, "w": 0.7, "b": 0.9}, (2.5, 2.65, 0.1225)),
                                (0.1, {"v": 0.6, "c": 0.8, "w": 0.4, "b": 0.8}, (2.0, 1.6, 1.96))]:
        new = solution["gradient_step"](start, grads, lr)
        assert new == pytest.approx(want)
        hidden = new["v"] * 2 + new["c"]
        out = new["w"] * hidden + new["b"]
        assert (hidden, out, (out - 3) ** 2) == pytest.approx((a, y, L))


# --- which checks catch each known-wrong answer ----------------------------------------------------

def run_checks(cells, exercise, answer):
    """Run the given cells and every solution (with `answer` for `exercise`), then the exercise's test cell:
    returns (visible failure or None, hidden failure or None)."""
    namespace = {"__name__": "__main__"}
    test_cell = next(c for c in cells if grade_id(c) == "test_" + exercise.removeprefix("ex_"))
    visible, hidden = test_cell.source.split(HIDDEN)
    with contextlib.redirect_stdout(io.StringIO()):
        for cell in cells:
            if cell.cell_type == "code" and (cell.id in GIVEN or (grade_id(cell) or "").startswith("ex_")):
                exec(answer if grade_id(cell) == exercise else strip_markers(cell.source), namespace)
        failures = []
        for part in (visible, visible + "\n" + strip_markers(HIDDEN + hidden)):
            try:
                exec(part, namespace)
                failures.append(None)
            except Exception as error:  # noqa: BLE001 (any error loses the points)
                failures.append(f"{type(error).__name__}: {error}")
    return failures[0], failures[1]


@pytest.mark.parametrize("exercise", sorted(wrong_answers("01_chain_rule")))
def test_every_wrong_answer_fails_its_checks(cells, exercise):
    for label, answer in wrong_answers("01_chain_rule")[exercise].items():
        visible, full = run_checks(cells, exercise, answer)
        assert full, f"{exercise}: '{label}' passes every check"
        if "the visible checks pass" in label:
            assert visible is None, f"{exercise}: '{label}' should pass the visible checks: {visible}"
        else:
            assert visible, f"{exercise}: '{label}' passes the visible checks (only the hidden tests catch it)"


def test_fan_out_messages_name_the_branch_and_the_cause(cells):
    wrong = wrong_answers("01_chain_rule")["ex_fan_out"]
    overwrite, _ = run_checks(cells, "ex_fan_out", wrong["= instead of +=: the multiply branch overwrites the add branch"])
    assert "dx1 from fan_out_backward(1.0, cache)" in overwrite and "is 0.5 but should be 1.5" in overwrite
    assert "overwritten (= where += was needed)" in overwrite
    forgot, _ = run_checks(cells, "ex_fan_out", wrong["one branch only: the multiply branch to x1 forgotten"])
    assert "is 1 but should be 1.5" in forgot and "forgotten" in forgot
    label = next(k for k in wrong if k.startswith("dx1 = dout"))
    _, hidden = run_checks(cells, "ex_fan_out", wrong[label])
    assert "modified dout" in hidden and "+=" in hidden


def test_the_notes_update_sign_is_caught_with_its_cause(cells):
    label = next(k for k in wrong_answers("01_chain_rule")["ex_gradient_step"] if k.startswith("plus sign"))
    visible, _ = run_checks(cells, "ex_gradient_step", wrong_answers("01_chain_rule")["ex_gradient_step"][label])
    assert 'new["w"] for w=1' in visible and "is 1.2 but should be 0.8" in visible
    assert "the note's update" in visible


def test_solution_passes_every_check(cells):
    for exercise in wrong_answers("01_chain_rule"):
        source = next(c.source for c in cells if grade_id(c) == exercise)
        assert run_checks(cells, exercise, strip_markers(source)) == (None, None), exercise


# --- what the learner sees ----------------------------------------------------------------------------

def test_fan_out_picture_shows_both_branches_adding_up():
    captured = {}

    def grab(cell, run):
        if cell.id == "fan-out-picture":
            import helpers.graph
            original = helpers.graph.GraphView.update

            def spy(self, *args, **kwargs):
                captured["view"] = self
                return original(self, *args, **kwargs)
            helpers.graph.GraphView.update = spy
            try:
                run()
            finally:
                helpers.graph.GraphView.update = original

    with contextlib.redirect_stdout(io.StringIO()):
        run_notebook(NOTEBOOK, after_cell=grab)
    view = captured["view"]
    assert sorted(view.fan_out["x1"]) == ["p", "y"]
    branches = [float(view.edge_text[("x1", dst, 0)].get_text()) for dst in ("p", "y")]
    total = float(view.grad_text["x1"].get_text().removeprefix("∂ "))
    assert sum(branches) == pytest.approx(total) and total == pytest.approx(-2.0 + 1.0)
    assert numerical_gradient(lambda v: v * -2.0 + v, 3.0) == pytest.approx(total, abs=1e-8)


def test_notation_card_names_the_notes_symbols(cells):
    """(tests/test_notation.py checks the card's rows against docs/notation.md.)"""
    assert "the course writes $t$ and $L$" in cells[0].source or "this course writes $t$ and $L$" in cells[0].source


def test_lesson_uses_one_notation(cells):
    text = "\n".join(c.source for c in cells)
    assert not re.search(r"\\partial [CE]\b", text), "the loss is L in every formula"
    assert "keep $a$ for activations and\n$y$ for targets" not in text
    assert not re.search(r"def \w+\([^)]*\by\)", text), "no function takes the target as y"
    assert "L = (y - t)^2" in text and "Lesson 4 treats the ½" in text


def test_explorer_wiring_is_folded_and_predictions_come_first(cells):
    wiring = next(c for c in cells if "Explorer(" in c.source)
    assert wiring.metadata.get("jupyter", {}).get("source_hidden") is True
    predict = next(c for c in cells if c.id == "explorer-predict")
    assert predict.source.startswith("**Predict, then try.**")
    assert predict.source.count("<details>") == 3 and predict.source.count("?") >= 3
