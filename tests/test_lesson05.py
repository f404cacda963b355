"""Lesson 5 (softmax with cross-entropy): its explorer, moved headless, and every derivative the lesson states,
checked by finite differences on the solution's own functions."""
import re

import matplotlib
import numpy as np
import pytest

from course_tools import SOLUTIONS, run_notebook, solution_namespace
from helpers import check_gradient, numerical_gradient, rel_error
from reference_layers import sigmoid_forward

matplotlib.use("Agg")
NOTEBOOK = SOLUTIONS / "05_softmax_with_loss" / "softmax_with_loss.ipynb"


def softmax_reference(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.fixture(scope="module")
def explorer():
    (only,) = run_notebook(NOTEBOOK)
    return only


@pytest.fixture(scope="module")
def solution():
    """The lesson's imports and exercise solutions, run in one namespace."""
    return solution_namespace(NOTEBOOK)


def shown(explorer):
    """What the explorer's figure shows: bar heights, bar colours and the loss in the title."""
    ax_p, ax_g = explorer.fig.axes
    heights = [np.array([bar.get_height() for bar in ax.patches]) for ax in (ax_p, ax_g)]
    orange = [i for i, bar in enumerate(ax_p.patches) if np.allclose(bar.get_facecolor()[:3], matplotlib.colors.to_rgb("darkorange"))]
    match = re.search(r"loss = -log y\[(\d)\] = ([0-9.]+)", ax_p.get_title())
    assert match, f"no loss readout in the title {ax_p.get_title()!r}"
    return heights[0], heights[1], orange, int(match.group(1)), float(match.group(2))


@pytest.mark.parametrize("z, T, true_class", [
    ((2.0, 1.0, 0.1), 1.0, 0),
    ((-6.0, 6.0, 0.0), 1.0, 0),     # confidently wrong
    ((0.5, -2.0, 3.0), 0.2, 2),     # sharp, confidently right
    ((0.5, -2.0, 3.0), 5.0, 1),     # flat
    ((6.0, 6.0, -6.0), 2.5, 2),
])
def test_explorer_shows_softmax_loss_and_gradient(explorer, z, T, true_class):
    c = explorer.controls
    c["z0"].value, c["z1"].value, c["z2"].value = z
    c["T"].value = T
    c["true_class"].value = true_class
    assert explorer.status.value == "", explorer.status.value
    probs, grads, orange, readout_class, loss = shown(explorer)
    p = softmax_reference(np.array(z) / T)
    t = np.eye(3)[true_class]
    np.testing.assert_allclose(probs, p, atol=1e-12, err_msg="probability bars != softmax(z / T)")
    np.testing.assert_allclose(grads, p - t, atol=1e-12, err_msg="gradient bars != p - t")
    assert readout_class == true_class and orange == [true_class]
    assert loss == pytest.approx(-np.log(p[true_class]), abs=6e-5), "loss readout != -log p_true"


def test_explorer_follows_each_control_alone(explorer):
    c = explorer.controls
    c["z0"].value, c["z1"].value, c["z2"].value, c["T"].value, c["true_class"].value = 0.0, 0.0, 0.0, 1.0, 0
    before = shown(explorer)
    np.testing.assert_allclose(before[0], np.full(3, 1 / 3))
    c["z1"].value = 4.0                       # one score up: its probability up, the others down
    probs = shown(explorer)[0]
    assert probs[1] > 1 / 3 > probs[0] and probs[0] == pytest.approx(probs[2])
    c["T"].value = 0.5                        # colder: sharper
    assert shown(explorer)[0][1] > probs[1]
    c["true_class"].value = 1                 # now right: the loss falls, the gradient flips sign at class 1
    _, grads, orange, _, loss = shown(explorer)
    assert orange == [1] and grads[1] < 0 < grads[0] and loss < before[4]


def test_softmax_jacobian_matches_finite_differences(solution):
    rng = np.random.default_rng(0)
    for c in [2, 3, 6]:
        z = rng.normal(scale=2.0, size=c)
        J = solution["softmax_jacobian"](z)
        p = softmax_reference(z)
        np.testing.assert_allclose(J, np.diag(p) - np.outer(p, p))       # p_i (delta_ij - p_j)
        for i in range(c):
            check_gradient(softmax_reference, z.copy(), J[i], f"row {i}", dout=np.eye(c)[i])
        np.testing.assert_allclose(J.sum(axis=0), 0.0, atol=1e-15)       # columns sum to 0


def test_cross_entropy_derivative_is_minus_t_over_p(solution):
    rng = np.random.default_rng(1)
    p = rng.dirichlet(np.ones(4), size=3)
    for t in [np.eye(4)[[0, 3, 1]], rng.dirichlet(np.ones(4), size=3)]:
        check_gradient(lambda p_: solution["cross_entropy"](p_, t), p.copy(), -t / (len(p) * p), "dL/dp")
        assert np.all(-t / p <= 0), "the derivative is never positive (the notes say otherwise)"


def test_softmax_with_loss_gradient_is_p_minus_t_over_n(solution):
    forward, backward = solution["softmax_with_loss_forward"], solution["softmax_with_loss_backward"]
    rng = np.random.default_rng(2)
    z = rng.normal(scale=2.0, size=(5, 3))
    for t in [rng.integers(0, 3, size=5), rng.dirichlet(np.ones(3), size=5)]:
        loss, cache = forward(z, t)
        T = np.eye(3)[t] if t.ndim == 1 else t
        np.testing.assert_allclose(backward(1.0, cache), (softmax_reference(z) - T) / 5)
        check_gradient(lambda z_: 2.5 * forward(z_, t)[0], z.copy(), backward(2.5, cache), "dz with dout = 2.5")


def test_chain_needs_a_target_that_sums_to_one(solution):
    """J^T (-t/p) = p - t when sum(t) = 1, and not otherwise (the step the notes mislabel)."""
    z = np.array([0.3, -1.2, 2.0])
    p, J = softmax_reference(z), solution["softmax_jacobian"](z)
    for t in [np.array([0.0, 1.0, 0.0]), np.array([0.2, 0.5, 0.3])]:
        np.testing.assert_allclose(J.T @ (-t / p), p - t, atol=1e-12)
    t = np.array([0.0, 2.0, 0.0])
    assert rel_error(J.T @ (-t / p), p - t) > 0.1


def test_temperature_gradient_is_p_minus_t_over_T(solution):
    """With respect to the slider scores z, the loss of softmax(z / T) has gradient (p - t) / T."""
    forward = solution["softmax_with_loss_forward"]
    z, T = np.array([[1.0, -0.5, 2.0]]), 2.5
    p = softmax_reference(z / T)
    check_gradient(lambda z_: forward(z_ / T, [0])[0], z.copy(), (p - np.eye(3)[[0]]) / T, "dL/dz")


def test_log_sum_exp_loss_is_exact_where_clipping_is_not(solution):
    loss, _ = solution["softmax_with_loss_forward"](np.array([[0.0, 1000.0]]), [0])
    assert loss == pytest.approx(1000.0)
    clipped = solution["cross_entropy"](solution["softmax"](np.array([[0.0, 1000.0]])), [0])
    assert clipped == pytest.approx(-np.log(1e-12))   # the 27.6 the lesson quotes


def test_sigmoid_losses_and_the_numbers_quoted():
    t = 1.0
    z = np.linspace(-10, 6, 33)
    a = sigmoid_forward(z)[0]
    mse, ce = 2 * (a - t) * a * (1 - a), a - t
    ones = np.ones_like(z)
    check_gradient(lambda z_: (sigmoid_forward(z_)[0] - t) ** 2, z.copy(), mse, "MSE dE/dz", dout=ones)
    check_gradient(lambda z_: -np.log(sigmoid_forward(z_)[0]), z.copy(), ce, "CE dL/dz", dout=ones)
    assert np.all(np.abs(ce) >= np.abs(mse) * 0.999)   # cross-entropy's gradient is never the smaller one
    a10 = sigmoid_forward(np.array(-10.0))[0]
    assert a10 == pytest.approx(4.54e-5, rel=1e-2)                       # the table's first row
    assert 2 * (a10 - 1) * a10 * (1 - a10) == pytest.approx(-9.08e-5, rel=1e-2)
    a = 0.001                                           # the written answer's numbers
    assert 2 * (a - 1) * a * (1 - a) == pytest.approx(-0.002, rel=1e-2) and (a - 1) / (2 * (a - 1) * a * (1 - a)) > 450


def test_two_class_softmax_is_the_sigmoid(solution):
    z = np.linspace(-8, 8, 17)
    p = solution["softmax"](np.column_stack([z, np.zeros_like(z)]))
    np.testing.assert_allclose(p[:, 0], sigmoid_forward(z)[0])


def test_softmax_with_squared_error_gradient(solution):
    """The softmax + squared-error gradient is J^T 2(p - t), and tiny when confidently wrong."""
    z, t = np.array([8.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0])
    p = softmax_reference(z)
    analytic = solution["softmax_jacobian"](z).T @ (2 * (p - t))
    measured = numerical_gradient(lambda z_: np.sum((softmax_reference(z_) - t) ** 2), z.copy())
    np.testing.assert_allclose(analytic, measured, atol=1e-9)
    assert np.abs(analytic).max() < 0.003 < 0.99 < np.abs(p - t).max()


# --- the lesson's text ---------------------------------------------------------------------------

def test_notation_card_and_markdown_that_renders_as_written():
    from lesson_text import lesson_problems

    assert lesson_problems(NOTEBOOK) == []


def test_both_readings_of_positive_or_zero(solution):
    """The note's 'positive or zero': true of the loss, false of the derivative (the lesson states both)."""
    rng = np.random.default_rng(3)
    y = rng.dirichlet(np.ones(4), size=50)
    labels = rng.integers(0, 4, size=50)
    assert all(solution["cross_entropy"](y[n:n + 1], labels[n:n + 1]) >= 0 for n in range(50))
    T = np.eye(4)[labels]
    derivative = -T / y
    assert np.all(derivative <= 0) and np.all(derivative[T == 1] < 0) and np.all(derivative[T == 0] == 0)


def test_the_numbers_of_the_confidently_wrong_section():
    a10 = sigmoid_forward(np.array(-10.0))[0]
    assert f"{a10:.5f}" == "0.00005"                                   # "a probability of 0.00005"
    squared, ce = abs(2 * (a10 - 1) * a10 * (1 - a10)), abs(a10 - 1)
    assert 0.5e-4 < squared < 2e-4 and 5_000 < ce / squared < 20_000   # "about 1e-4: ten thousand times smaller"
    a = 0.001                                                           # the written answer: "about 500 times larger"
    assert 450 < (1 - a) / abs(2 * (a - 1) * a * (1 - a)) < 550
