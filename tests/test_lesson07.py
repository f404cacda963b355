"""Lesson 7 (capstone): the whole network's gradients by finite differences, the minibatch iterator's
properties, the 95 % claim on the solution, helpers.digits and the reference Softmax-with-Loss layer,
and the explorer moved headless."""
import re

import matplotlib
import numpy as np
import pytest

from course_tools import SOLUTIONS, run_notebook, solution_namespace
from helpers import check_gradient
from helpers import layers
from helpers.digits import (Recorder, TrainingView, confusion_matrix, load_digit_splits, show_confusion, show_digits,
                            show_misclassified)

matplotlib.use("Agg")
NOTEBOOK = SOLUTIONS / "07_capstone_digits" / "capstone_digits.ipynb"
GIVEN = {"imports", "data", "layers", "init"}  # the cells the exercises build on


@pytest.fixture(scope="module")
def solution():
    """The lesson's imports, data, layers, init_params and exercise solutions, run in one namespace."""
    return solution_namespace(NOTEBOOK, GIVEN)


@pytest.fixture(scope="module")
def explorer():
    (only,) = run_notebook(NOTEBOOK)
    return only


def random_params(rng, sizes):
    params = {}
    for k, (m, n) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{k}"], params[f"b{k}"] = rng.normal(size=(m, n)), rng.normal(scale=0.5, size=n)
    return params


@pytest.mark.parametrize("sizes", [(6, 4), (6, 5, 4), (6, 5, 7, 4), (64, 16, 10)])
def test_whole_network_gradients_match_finite_differences(solution, sizes):
    rng = np.random.default_rng(len(sizes))
    params = random_params(rng, sizes)
    x, t = rng.normal(size=(7, sizes[0])), rng.integers(0, sizes[-1], size=7)
    loss, grads = solution["mlp_loss"](params, x, t)
    scores = solution["mlp_forward"](params, x)[0]
    p = np.exp(scores - scores.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    assert loss == pytest.approx(-np.mean(np.log(p[np.arange(7), t])))
    assert set(grads) == set(params)
    for name in params:
        check_gradient(lambda _: solution["mlp_loss"](params, x, t)[0], params[name], grads[name], name)


def test_backward_is_vectorised_over_the_batch(solution):
    """One batch of N gives the mean of the N one-sample gradients: the batch is handled in matrix products."""
    rng = np.random.default_rng(3)
    params = random_params(rng, (5, 6, 3))
    x, t = rng.normal(size=(8, 5)), rng.integers(0, 3, size=8)
    _, grads = solution["mlp_loss"](params, x, t)
    singles = [solution["mlp_loss"](params, x[i:i + 1], t[i:i + 1])[1] for i in range(8)]
    for name in params:
        np.testing.assert_allclose(grads[name], np.mean([g[name] for g in singles], axis=0), atol=1e-12)


@pytest.mark.parametrize("n, batch_size", [(1077, 32), (10, 4), (9, 3), (3, 8), (1, 1)])
def test_minibatches_cover_every_sample_once_with_its_label(solution, n, batch_size):
    x, t = np.arange(2.0 * n).reshape(n, 2), np.arange(n)
    rng = np.random.default_rng(0)
    orders = []
    for _ in range(3):
        batches = list(solution["minibatches"](x, t, batch_size, rng))
        sizes = [len(tb) for _, tb in batches]
        assert sizes == [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
        for xb, tb in batches:
            np.testing.assert_array_equal(xb[:, 0], 2 * tb)
        order = np.concatenate([tb for _, tb in batches])
        np.testing.assert_array_equal(np.sort(order), np.arange(n))
        orders.append(order)
    if n > 3:
        assert not np.array_equal(orders[0], orders[1]), "every epoch must be shuffled anew"
    np.testing.assert_array_equal(x[:, 0], 2 * t)  # the caller's arrays are untouched


def test_minibatches_reject_bad_input(solution):
    minibatches = solution["minibatches"]
    for x, t, batch_size in [(np.zeros((4, 2)), np.zeros(4), 0), (np.zeros((4, 2)), np.zeros(4), 1.5),
                             (np.zeros((4, 2)), np.zeros(4), True), (np.zeros((4, 2)), np.zeros(3), 2)]:
        with pytest.raises(ValueError):
            list(minibatches(x, t, batch_size, np.random.default_rng(0)))


def test_sgd_step_returns_new_arrays(solution):
    params = {"W1": np.ones((2, 2)), "b1": np.zeros(2)}
    grads = {"W1": np.full((2, 2), 2.0), "b1": np.ones(2)}
    new = solution["sgd_step"](params, grads, 0.25)
    np.testing.assert_allclose(new["W1"], 0.5)
    np.testing.assert_allclose(new["b1"], -0.25)
    np.testing.assert_array_equal(params["W1"], 1.0)
    np.testing.assert_array_equal(grads["W1"], 2.0)


def test_the_stated_budget_reaches_95_percent_on_the_test_set(solution):
    """The claim of the lesson: 64 -> 128 -> 10, lr 0.5, batches of 32, 30 epochs, seeds 0 and 1."""
    data = solution["data"]
    params = solution["init_params"]((64, 128, 10), np.random.default_rng(0))
    trained, losses = solution["train"](params, data.x_train, data.t_train, 0.5, 30, 32, np.random.default_rng(1))
    accuracy = np.mean(solution["mlp_forward"](trained, data.x_test)[0].argmax(axis=1) == data.t_test)
    assert accuracy >= 0.95
    assert losses[-1] < 0.1 * losses[0]


def test_the_budget_holds_for_other_seeds(solution):
    data = solution["data"]
    for seed in range(2, 6):
        params = solution["init_params"]((64, 128, 10), np.random.default_rng(seed))
        trained, _ = solution["train"](params, data.x_train, data.t_train, 0.5, 30, 32, np.random.default_rng(seed + 10))
        accuracy = np.mean(solution["mlp_forward"](trained, data.x_test)[0].argmax(axis=1) == data.t_test)
        assert accuracy >= 0.95, f"seed {seed}: {accuracy:.1%}"


# --- helpers ---------------------------------------------------------------------------

def test_digit_splits_are_stratified_disjoint_scaled_and_fixed():
    data = load_digit_splits()
    assert [len(data.t_train), len(data.t_val), len(data.t_test)] == [1077, 360, 360]
    for part in ("train", "val", "test"):
        x, t = getattr(data, f"x_{part}"), getattr(data, f"t_{part}")
        assert x.shape == (len(t), 64) and x.min() >= 0 and x.max() <= 1 and t.dtype.kind == "i"
        share = np.bincount(t, minlength=10) / len(t)
        assert np.abs(share - 0.1).max() < 0.01, f"{part} is not stratified: {share}"
    rows = [set(map(bytes, getattr(data, f"x_{p}"))) for p in ("train", "val", "test")]
    assert len(rows[0] & rows[2]) < 5 and len(rows[1] & rows[2]) < 5  # a few digits are exact duplicates in the data
    again = load_digit_splits()
    np.testing.assert_array_equal(again.x_test, data.x_test)
    assert not np.array_equal(load_digit_splits(seed=1).t_test, data.t_test)
    with pytest.raises(ValueError):
        load_digit_splits(val=1000, test=1000)


def test_confusion_matrix_counts_pairs():
    t = np.array([0, 0, 1, 2, 2, 2, 9])
    y = np.array([0, 1, 1, 2, 0, 2, 9])
    counts = confusion_matrix(t, y)
    assert counts.shape == (10, 10) and counts.sum() == 7
    assert counts[0, 0] == 1 and counts[0, 1] == 1 and counts[2, 2] == 2 and counts[2, 0] == 1 and counts[9, 9] == 1
    np.testing.assert_array_equal(counts.sum(axis=1), np.bincount(t, minlength=10))
    for bad_t, bad_y in [(t, y[:-1]), (t, y + 0.5), (t, y + 1), (t[:, None], y[:, None])]:
        with pytest.raises(ValueError):
            confusion_matrix(bad_t, bad_y)


def test_figures_show_what_they_are_given():
    x = np.random.default_rng(0).uniform(size=(5, 64))
    t, y = np.array([1, 2, 3, 4, 5]), np.array([1, 7, 3, 4, 0])
    fig = show_misclassified(x, t, y)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["2 -> 7", "5 -> 0"] and "2 of 5" in fig._suptitle.get_text()
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), x[1].reshape(8, 8))
    assert "nothing to show" in [txt.get_text() for txt in show_misclassified(x, t, t).axes[0].texts]
    counts = confusion_matrix(t, y)
    texts = {txt.get_text() for txt in show_confusion(counts).axes[0].texts}
    assert texts == {"1"}
    with pytest.raises(ValueError):
        show_digits(np.zeros((3, 63)))
    with pytest.raises(ValueError):
        show_digits(np.zeros((3, 64)), titles=["a"])


def test_recorder_and_training_view(solution):
    data = solution["data"]
    record = Recorder(solution["mlp_loss"], solution["mlp_forward"], data)
    params = solution["init_params"]((64, 16, 10), np.random.default_rng(0))
    record(0, params)
    trained, _ = solution["train"](params, data.x_train, data.t_train, 0.5, 3, 32, np.random.default_rng(0),
                                   on_epoch=record)
    assert record.epochs == [0, 1, 2, 3] and set(record.grad_norms) == {"W1", "W2"}
    loss, grads = solution["mlp_loss"](trained, data.x_val, data.t_val)
    assert record.val_loss[-1] == pytest.approx(loss)
    assert record.train_acc[-1] == pytest.approx(np.mean(solution["mlp_forward"](trained, data.x_train)[0].argmax(1)
                                                         == data.t_train))
    train_grads = solution["mlp_loss"](trained, data.x_train, data.t_train)[1]
    assert record.grad_norms["W2"][-1] == pytest.approx(np.linalg.norm(train_grads["W2"]))
    view = TrainingView(10, layers=3)
    view.update(record, title="run")
    np.testing.assert_array_equal(view.lines["val_acc"].get_ydata(), record.val_acc)
    np.testing.assert_array_equal(view.lines["W1"].get_ydata(), record.grad_norms["W1"])
    assert len(view.lines["W3"].get_xdata()) == 0 and view.ax_loss.get_xlim() == (0, 10)
    with pytest.raises(ValueError):
        TrainingView(0)


def test_reference_softmax_with_loss_layer():
    rng = np.random.default_rng(4)
    z = rng.normal(scale=2.0, size=(5, 4))
    for t in [rng.integers(0, 4, size=5), np.eye(4)[rng.integers(0, 4, size=5)], rng.dirichlet(np.ones(4), size=5)]:
        loss, cache = layers.softmax_with_loss_forward(z, t)
        dz = layers.softmax_with_loss_backward(2.0, cache)
        check_gradient(lambda z_: 2.0 * layers.softmax_with_loss_forward(z_, t)[0], z.copy(), dz, "dz")
    loss, _ = layers.softmax_with_loss_forward(np.array([[0.0, 1000.0]]), [0])
    assert loss == pytest.approx(1000.0)
    for bad in [[0, 1], [0, 1, 2, 3, 4.5], [0, 1, 2, 3, 4]]:
        with pytest.raises(ValueError):
            layers.softmax_with_loss_forward(z, bad)


# --- the explorer, headless -------------------------------------------------------------

def title(explorer):
    return explorer.fig._suptitle.get_text()


def test_explorer_shows_a_run_of_the_chosen_settings(explorer):
    c = explorer.controls
    c["width"].value, c["depth"].value, c["lr"].value, c["batch_size"].value, c["scale"].value = 32, 1, 0.5, 32, 0.1
    c["epochs"].value = 7
    assert explorer.status.value == "", explorer.status.value
    view_lines = {line.get_label(): line for ax in explorer.fig.axes for line in ax.get_lines()}
    val = explorer.fig.axes[1].get_lines()[1]
    assert list(val.get_xdata()) == list(range(8))          # epoch 0 (the start) to 7
    match = re.search(r"validation accuracy ([0-9.]+)%", title(explorer))
    assert "64 -> 32 -> 10" in title(explorer) and match
    assert float(match.group(1)) == pytest.approx(100 * val.get_ydata()[-1], abs=0.051)
    assert float(match.group(1)) > 90
    assert view_lines


def test_explorer_small_init_in_a_deeper_network_stalls(explorer):
    c = explorer.controls
    c["width"].value, c["lr"].value, c["batch_size"].value, c["epochs"].value = 64, 0.1, 32, 5
    c["depth"].value, c["scale"].value = 2, 0.01
    grad = explorer.fig.axes[2].get_lines()
    stalled = explorer.fig.axes[1].get_lines()[1].get_ydata()[-1]
    first_layer = grad[0].get_ydata()[0]
    c["scale"].value = 0.1
    trained = explorer.fig.axes[1].get_lines()[1].get_ydata()[-1]
    assert stalled < 0.3 < 0.8 < trained
    assert first_layer < grad[0].get_ydata()[0] / 10  # the start: a gradient ten times smaller or more


def test_explorer_train_again_draws_a_new_seed(explorer):
    before = title(explorer)
    seed = int(re.search(r"seed (\d+)", before).group(1))
    explorer.buttons["train again"].click()
    assert explorer.status.value == ""
    assert f"seed {seed + 1}" in title(explorer)


def test_explorer_reports_divergence(explorer):
    c = explorer.controls
    c["depth"].value, c["scale"].value, c["width"].value, c["epochs"].value = 2, 1.0, 128, 3
    c["lr"].value = 10 ** 0.5
    assert explorer.status.value == ""
    assert "diverged" in title(explorer) or "validation accuracy" in title(explorer)


def test_a_learning_rate_of_3_kills_the_hidden_units(solution):
    """The explorer's suggestion: at lr about 3 the hidden ReLUs die and the accuracy falls to chance."""
    data, rng = solution["data"], np.random.default_rng(0)
    params = solution["init_params"]((64, 64, 10), rng)
    trained, _ = solution["train"](params, data.x_train, data.t_train, 10 ** 0.5, 10, 32, rng)
    fires = np.maximum(data.x_train @ trained["W1"] + trained["b1"], 0) > 0
    assert np.mean(fires.any(axis=0)) < 0.1, "most hidden units should never fire any more"
    accuracy = np.mean(solution["mlp_forward"](trained, data.x_val)[0].argmax(axis=1) == data.t_val)
    assert accuracy < 0.2
