"""Lesson 7 (capstone): the learner's layers and the whole network's gradients by finite differences, the
minibatch iterator's properties, the lesson's measured claims (the validation target, the linear baseline, He
against a small start), helpers.digits, and the explorer moved headless."""
import re

import matplotlib
import numpy as np
import pytest

from course_tools import SOLUTIONS, run_notebook, solution_namespace
from helpers import check_gradient
from helpers.digits import (INITS, Recorder, TrainingView, confusion_matrix, load_digit_splits, show_confusion,
                            show_digits, show_misclassified, show_runs, show_templates, cache_order)

matplotlib.use("Agg")
NOTEBOOK = SOLUTIONS / "07_capstone_digits" / "capstone_digits.ipynb"
GIVEN = {"imports", "data", "init"}  # the cells the exercises build on (the layers are exercises)


@pytest.fixture(scope="module")
def solution():
    """The lesson's imports, data, layers, init_params and exercise solutions, run in one namespace."""
    return solution_namespace(NOTEBOOK, GIVEN)


def validation(solution, params):
    """(accuracy, loss) of a network on the validation set."""
    data = solution["data"]
    accuracy = np.mean(solution["mlp_forward"](params, data.x_val)[0].argmax(axis=1) == data.t_val)
    return accuracy, solution["mlp_loss"](params, data.x_val, data.t_val)[0]


@pytest.fixture(scope="module")
def explorer():
    (only,) = run_notebook(NOTEBOOK)
    return only


def random_params(rng, sizes):
    params = {}
    for k, (m, n) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"w{k}"], params[f"b{k}"] = rng.normal(size=(m, n)), rng.normal(scale=0.5, size=n)
    return params


def test_layers_match_finite_differences(solution):
    """The learner's three layers, as the capstone's solution writes them, and every derivative they state."""
    rng = np.random.default_rng(11)
    x, w, b, dout = rng.normal(size=(5, 4)), rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=(5, 3))
    z, cache = solution["affine_forward"](x, w, b)
    np.testing.assert_allclose(z, x @ w + b)
    for value, grad in zip((x, w, b), solution["affine_backward"](dout, cache)):
        check_gradient(lambda _: solution["affine_forward"](x, w, b)[0], value, grad, dout=dout)
    z = rng.normal(size=(5, 6))
    z = np.where(np.abs(z) < 1e-3, 0.5, z)
    a, cache = solution["relu_forward"](z)
    check_gradient(lambda _: solution["relu_forward"](z)[0], z, solution["relu_backward"](dout[:, :1] * z, cache),
                   dout=dout[:, :1] * z)
    t = rng.integers(0, 6, size=5)
    for labels in (t, np.eye(6)[t]):
        loss, cache = solution["softmax_with_loss_forward"](3 * z, labels)
        dz = solution["softmax_with_loss_backward"](1.5, cache)
        check_gradient(lambda z_: 1.5 * solution["softmax_with_loss_forward"](z_, labels)[0], 3 * z, dz, tol=1e-5)
    assert solution["softmax_with_loss_forward"](np.array([[0.0, 1000.0]]), np.array([0]))[0] == pytest.approx(1000.0)
    for bad in [lambda: solution["affine_forward"](x, w.T, b), lambda: solution["affine_backward"](dout[:, :2], cache_of(solution, x, w, b))]:
        with pytest.raises(ValueError):
            bad()


def cache_of(solution, x, w, b):
    return solution["affine_forward"](x, w, b)[1]


def test_no_helper_computes_a_layer_or_a_loss():
    """The network runs on the learner's code: the helpers hold no layer, loss or gradient of any exercise."""
    import helpers
    import helpers.digits
    for module in (helpers, helpers.digits):
        names = set(dir(module))
        for name in ["affine_forward", "affine_backward", "relu_forward", "relu_backward", "softmax_with_loss_forward",
                     "softmax_with_loss_backward", "mlp_forward", "mlp_loss", "minibatches", "sgd_step", "train"]:
            assert name not in names, f"{module.__name__} offers {name}, an exercise's answer"


def test_cache_order_tells_a_reversed_walk_from_a_forward_one(solution):
    """The check behind Exercise 5's message "walk the layers in reverse order"."""
    namespace = solution  # the functions look their layers up here: the same dict must be wrapped
    rng = np.random.default_rng(5)
    params, x, t = random_params(rng, (5, 4, 4, 3)), rng.normal(size=(6, 5)), rng.integers(0, 3, size=6)
    assert cache_order(namespace, lambda: namespace["mlp_loss"](params, x, t)) == ([4, 3, 2, 1, 0], 5)
    exec('''
def forward_order(params, x, t):
    z, caches = mlp_forward(params, x)
    loss, loss_cache = softmax_with_loss_forward(z, t)
    dout = softmax_with_loss_backward(1.0, loss_cache)
    for l in range(len(params) // 2, 0, -1):
        dout, _, _ = affine_backward(dout, caches.pop(0))
        if l > 1:
            dout = relu_backward(dout, caches.pop(0))
''', namespace)
    used, made = cache_order(namespace, lambda: namespace["forward_order"](params, x, t))
    assert made == 5 and used[0] == 0  # it raised inside, after the first backward call got the first cache
    wrapped = namespace.pop("forward_order")
    assert wrapped.__globals__["affine_backward"].__name__ == "affine_backward"  # the layer functions are restored


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
    params = {"w1": np.ones((2, 2)), "b1": np.zeros(2)}
    grads = {"w1": np.full((2, 2), 2.0), "b1": np.ones(2)}
    new = solution["sgd_step"](params, grads, 0.25)
    np.testing.assert_allclose(new["w1"], 0.5)
    np.testing.assert_allclose(new["b1"], -0.25)
    np.testing.assert_array_equal(params["w1"], 1.0)
    np.testing.assert_array_equal(grads["w1"], 2.0)


def test_the_stated_target_holds_on_the_validation_set_and_beats_the_linear_baseline(solution):
    """The claim of the lesson: 64 -> 128 -> 64 -> 10, He, lr 0.1, batches of 32, 30 epochs, seeds 0 and 1:
    at least 96 % validation accuracy and a lower validation loss than the linear classifier (64 -> 10, lr 0.5)."""
    data, init, train = solution["data"], solution["init_params"], solution["train"]
    assert solution["SIZES"] == (64, 128, 64, 10) and len(solution["SIZES"]) - 2 >= 2  # two hidden layers at least
    trained, losses = train(init(solution["SIZES"], np.random.default_rng(0)), data.x_train, data.t_train, 0.1, 30, 32,
                            np.random.default_rng(1))
    linear, _ = train(init((64, 10), np.random.default_rng(0)), data.x_train, data.t_train, 0.5, 30, 32,
                      np.random.default_rng(1))
    (accuracy, loss), (linear_accuracy, linear_loss) = validation(solution, trained), validation(solution, linear)
    assert accuracy >= 0.96 and loss < linear_loss
    # the numbers the lesson quotes: baseline about 96.7 %, losses about 0.12 against 0.16
    assert linear_accuracy == pytest.approx(0.967, abs=0.003) and accuracy >= linear_accuracy
    assert loss == pytest.approx(0.12, abs=0.01) and linear_loss == pytest.approx(0.16, abs=0.01)
    assert losses[-1] < 0.1 * losses[0]


def test_the_target_holds_for_other_seeds(solution):
    """The hidden test's bar (90 % on the validation set from a random seed in 0 to 999) with room to spare, also for
    the three seeds that gave the lowest accuracy over all 1000 (93.3 % to 93.9 %; a bar of 94 % once failed the
    solution), and the lesson's "lower validation loss than the baseline in most seeds"."""
    data = solution["data"]
    linear_loss = validation(solution, solution["train"](solution["init_params"]((64, 10), np.random.default_rng(0)),
                                                         data.x_train, data.t_train, 0.5, 30, 32,
                                                         np.random.default_rng(1))[0])[1]
    results = {}
    for seed in [2, 3, 4, 5, 6, 599, 626, 832]:
        params = solution["init_params"](solution["SIZES"], np.random.default_rng(seed))
        trained, _ = solution["train"](params, data.x_train, data.t_train, 0.1, 30, 32, np.random.default_rng(seed + 2))
        results[seed] = validation(solution, trained)
    assert all(accuracy >= 0.92 for accuracy, _ in results.values()), results
    assert sum(results[seed][1] < linear_loss for seed in range(2, 7)) >= 4, (results, linear_loss)


def test_init_params_is_he_by_default(solution):
    params = solution["init_params"]((400, 300, 10), np.random.default_rng(0))
    assert np.std(params["w1"]) == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    assert np.std(params["w2"]) == pytest.approx(np.sqrt(2 / 300), rel=0.02)
    assert not params["b1"].any() and set(params) == {"w1", "b1", "w2", "b2"}
    assert np.std(solution["init_params"]((400, 300), np.random.default_rng(0), 0.01)["w1"]) == pytest.approx(0.01, rel=0.02)


def test_a_small_start_shrinks_every_layers_gradient_alike(solution):
    """Section 10's claim: four hidden layers of 64 from N(0, 0.01²) give every layer a gradient about g⁴ ≈ 1e-5 of
    He's (forward and backward signals both shrink), and no learning in 10 epochs; from He, above 90 %."""
    data, init, loss_fn = solution["data"], solution["init_params"], solution["mlp_loss"]
    deep = (64, 64, 64, 64, 64, 10)
    he = loss_fn(init(deep, np.random.default_rng(0)), data.x_train, data.t_train)[1]
    small = loss_fn(init(deep, np.random.default_rng(0), 0.01), data.x_train, data.t_train)[1]
    ratios = [np.linalg.norm(small[f"w{l}"]) / np.linalg.norm(he[f"w{l}"]) for l in range(1, 6)]
    assert all(1e-6 < r < 1e-4 for r in ratios), ratios
    assert max(ratios) / min(ratios) < 5, "the layers' gradients should shrink alike"
    for scale, low, high in [(None, 0.9, 1.0), (0.01, 0.0, 0.2)]:
        trained, _ = solution["train"](init(deep, np.random.default_rng(0), scale), data.x_train, data.t_train, 0.1, 10,
                                       32, np.random.default_rng(1))
        assert low <= validation(solution, trained)[0] <= high
    a = data.x_train  # the small start's last hidden layer has died: no unit fires on any training image
    for l in range(1, 5):
        a = np.maximum(a @ trained[f"w{l}"] + trained[f"b{l}"], 0)
    assert not a.any()


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
    assert record.val_loss[0] == pytest.approx(solution["mlp_loss"](params, data.x_val, data.t_val)[0])
    trained, _ = solution["train"](params, data.x_train, data.t_train, 0.5, 3, 32, np.random.default_rng(0),
                                   on_epoch=record)
    assert record.epochs == [0, 1, 2, 3] and list(record.grad_norms) == ["w1", "w2"]
    loss, grads = solution["mlp_loss"](trained, data.x_val, data.t_val)
    assert record.val_loss[-1] == pytest.approx(loss)
    assert record.train_acc[-1] == pytest.approx(np.mean(solution["mlp_forward"](trained, data.x_train)[0].argmax(1)
                                                         == data.t_train))
    train_grads = solution["mlp_loss"](trained, data.x_train, data.t_train)[1]
    assert record.grad_norms["w2"][-1] == pytest.approx(np.linalg.norm(train_grads["w2"]))
    view = TrainingView(10, layers=3, target=0.96)
    view.update(record, title="run")
    np.testing.assert_array_equal(view.lines["val_acc"].get_ydata(), record.val_acc)
    np.testing.assert_array_equal(view.lines["w1"].get_ydata(), record.grad_norms["w1"])
    assert len(view.lines["w3"].get_xdata()) == 0 and view.ax_loss.get_xlim() == (0, 10)
    with pytest.raises(ValueError):
        TrainingView(0)


def test_templates_and_runs_show_what_they_are_given(solution):
    w = np.random.default_rng(1).normal(size=(64, 30))
    fig = show_templates(w, count=5)
    shown = [ax.images[0].get_array() for ax in fig.axes if ax.images]
    assert len(shown) == 5
    np.testing.assert_allclose(shown[3], w[:, 3].reshape(8, 8))
    for bad in [lambda: show_templates(np.zeros((63, 4))), lambda: show_templates(w, count=0)]:
        with pytest.raises(ValueError):
            bad()
    data = solution["data"]
    record = Recorder(solution["mlp_loss"], solution["mlp_forward"], data)
    record(0, solution["init_params"]((64, 8, 10), np.random.default_rng(0)))
    fig = show_runs({"a": record, "b": record})
    assert len(fig.axes) == 3
    np.testing.assert_allclose(fig.axes[0].get_lines()[1].get_ydata(), record.grad_norms["w2"])
    with pytest.raises(ValueError):
        show_runs({})


# --- the explorer, headless -------------------------------------------------------------

def title(explorer):
    return explorer.view.caption.value


def test_explorer_shows_a_run_of_the_chosen_settings(explorer):
    c = explorer.controls
    c["width"].value, c["depth"].value, c["lr"].value, c["batch_size"].value, c["init"].value = 32, 1, 0.1, 32, "He"
    c["epochs"].value = 7
    assert explorer.status.value == "", explorer.status.value
    val = explorer.fig.axes[1].get_lines()[1]
    assert list(val.get_xdata()) == list(range(8))          # epoch 0 (the start) to 7
    # the title is a widget above the picture, not drawn in the figure (drawing it cost most of each frame)
    assert explorer.view.caption in explorer.children and explorer.fig._suptitle is None
    match = re.search(r"validation accuracy ([0-9.]+)%", title(explorer))
    assert "64 -> 32 -> 10" in title(explorer) and "He init" in title(explorer) and match
    assert float(match.group(1)) == pytest.approx(100 * val.get_ydata()[-1], abs=0.051)
    assert float(match.group(1)) > 90


def test_explorer_small_init_in_a_deeper_network_stalls(explorer):
    """The things to try: depth 3 from N(0, 0.01²) stays at chance with tiny gradients; from He it trains."""
    c = explorer.controls
    c["width"].value, c["lr"].value, c["batch_size"].value, c["epochs"].value = 64, 0.1, 32, 5
    c["depth"].value, c["init"].value = 3, "N(0, 0.01²)"
    grad = explorer.fig.axes[2].get_lines()
    stalled = explorer.fig.axes[1].get_lines()[1].get_ydata()[-1]
    first_layer = grad[0].get_ydata()[0]
    c["init"].value = "He"
    trained = explorer.fig.axes[1].get_lines()[1].get_ydata()[-1]
    assert stalled < 0.3 < 0.8 < trained
    assert first_layer < grad[0].get_ydata()[0] / 100  # the start: a gradient a hundred times smaller or more
    assert set(INITS) == {c["init"].options[i] for i in range(len(c["init"].options))}


def test_explorer_train_again_draws_a_new_seed(explorer):
    before = title(explorer)
    seed = int(re.search(r"seed (\d+)", before).group(1))
    explorer.buttons["train again"].click()
    assert explorer.status.value == ""
    assert f"seed {seed + 1}" in title(explorer)


def test_explorer_reports_divergence(explorer):
    c = explorer.controls
    c["depth"].value, c["init"].value, c["width"].value, c["epochs"].value = 2, "N(0, 1)", 128, 3
    c["lr"].value = 10 ** 0.5
    assert explorer.status.value == ""
    assert "diverged" in title(explorer) or "validation accuracy" in title(explorer)


def test_a_learning_rate_of_3_kills_the_hidden_units(solution):
    """The explorer's suggestion: at lr about 3 the hidden ReLUs die and the accuracy falls to chance."""
    data, rng = solution["data"], np.random.default_rng(0)
    params = solution["init_params"]((64, 64, 64, 10), rng)
    trained, _ = solution["train"](params, data.x_train, data.t_train, 10 ** 0.5, 10, 32, rng)
    fires = np.maximum(data.x_train @ trained["w1"] + trained["b1"], 0) > 0
    assert np.mean(fires.any(axis=0)) < 0.1, "most hidden units should never fire any more"
    assert validation(solution, trained)[0] < 0.2
