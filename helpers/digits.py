"""The capstone's data and pictures: scikit-learn's bundled 8x8 digits, split once, and views of training.

Introduced in Lesson 7 (capstone: a digit classifier from your own layers). This module loads, records
and draws; the layers, the network, its gradients, the minibatches, the update and the training loop all
come from the learner's own functions, passed in (nothing here computes a loss or a gradient). Views are
built once and updated in place (line data, image data), so an explorer redraws quickly and a test can
read back exactly what is shown.
"""
from typing import NamedTuple

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from threadpoolctl import ThreadpoolController

from .fonts import figure_given, prepare
from .fonts import figure_text as T
from .i18n import _, given

CLASSES = 10
SIDE = 8  # the images are 8 x 8 pixels, flattened to 64 features


class DigitSplits(NamedTuple):
    """Features x (N, 64) scaled to [0, 1] and labels t (N,) ints 0..9, for each part of the split."""
    x_train: np.ndarray
    t_train: np.ndarray
    x_val: np.ndarray
    t_val: np.ndarray
    x_test: np.ndarray
    t_test: np.ndarray


def load_digit_splits(val=360, test=360, seed=0):
    """scikit-learn's 1797 bundled 8x8 digits (no download), split into train / validation / test.

    Introduced in Lesson 7 (capstone).

    The split is stratified (each part keeps the share of every digit) and fixed by `seed`. Pixel
    values 0..16 are divided by 16, so every feature lies in [0, 1].

    Inputs:
    - val, test: number of samples in the validation and test parts (the rest is for training)
    - seed: int, fixes the split

    Returns:
    - DigitSplits of float arrays x_* (N, 64) and int arrays t_* (N,)
    """
    from sklearn.datasets import load_digits  # imported here: scikit-learn takes a moment to load
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x, t = digits.data / 16.0, digits.target.astype(np.int64)
    if not (isinstance(val, int) and isinstance(test, int) and val >= CLASSES and test >= CLASSES
            and val + test <= len(x) - CLASSES):
        raise ValueError(f"val and test must be ints of at least {CLASSES} leaving at least {CLASSES} "
                         f"samples of {len(x)} for training; got val={val!r}, test={test!r}")
    x_rest, x_test, t_rest, t_test = train_test_split(x, t, test_size=test, stratify=t, random_state=seed)
    x_train, x_val, t_train, t_val = train_test_split(x_rest, t_rest, test_size=val, stratify=t_rest,
                                                      random_state=seed)
    return DigitSplits(x_train, t_train, x_val, t_val, x_test, t_test)


_blas = None  # the ThreadpoolController, made on first use


def one_blas_thread():
    """A context manager that runs numpy's matrix products on one thread.

    Introduced in Lesson 7 (capstone). For matrices as small as this network's, BLAS threads only add
    overhead, and on a busy machine far more of it (an epoch can take ten times longer). threadpoolctl
    comes with scikit-learn.
    """
    global _blas
    if _blas is None:  # finding the loaded libraries takes milliseconds: once, not on every call
        _blas = ThreadpoolController()
    return _blas.limit(limits=1, user_api="blas")


def _labels(name, t, n=None):
    t = np.asarray(t)
    if t.ndim != 1 or (n is not None and len(t) != n):
        want = f"({n},)" if n is not None else "(N,)"
        raise ValueError(_("{name} must have shape {want}; got {shape}").format(name=name, want=want, shape=t.shape))
    if t.size and (t.dtype.kind not in "iu" or t.min() < 0 or t.max() >= CLASSES):
        raise ValueError(_("{name} must hold ints 0..{last}; got dtype {dtype}, values {values}").format(
            name=name, last=CLASSES - 1, dtype=t.dtype, values=np.unique(t)))
    return t


def _images(x):
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != SIDE * SIDE:
        raise ValueError(_("x must have shape (N, {size}), one flattened 8x8 image per row; got {shape}").format(
            size=SIDE * SIDE, shape=x.shape))
    return x


def confusion_matrix(t, y):
    """Counts of (true class, predicted class) pairs.

    Introduced in Lesson 7 (capstone).

    Inputs:
    - t: (N,) true classes, ints 0..9
    - y: (N,) predicted classes, ints 0..9

    Returns:
    - counts: (10, 10) int array; counts[i, j] = number of samples of class i predicted as j
    """
    t = _labels("t", t)
    y = _labels("y", y, len(t))
    counts = np.zeros((CLASSES, CLASSES), dtype=np.int64)
    np.add.at(counts, (t, y), 1)
    return counts


def show_confusion(counts, title="confusion matrix"):
    """A figure of the confusion matrix: rows true class, columns predicted, every count written in."""
    counts = np.asarray(counts)
    if counts.shape != (CLASSES, CLASSES):
        raise ValueError(f"counts must have shape ({CLASSES}, {CLASSES}); got {counts.shape}")
    prepare()
    fig = Figure(figsize=(5.2, 4.6), layout="constrained")
    ax = fig.add_subplot()
    off = counts * (1 - np.eye(CLASSES))  # colour the mistakes; the diagonal would swamp them
    image = ax.imshow(off, cmap="Reds", vmin=0, vmax=max(off.max(), 1))
    for (i, j), n in np.ndenumerate(counts):
        if n:
            ax.text(j, i, str(n), ha="center", va="center", fontsize=8,
                    color="k" if i == j or off[i, j] < 0.6 * off.max() else "w",
                    fontweight="bold" if i == j else "normal")
    ax.set(xticks=range(CLASSES), yticks=range(CLASSES), xlabel=T("predicted class"), ylabel=T("true class"),
           title=T("confusion matrix") if title == "confusion matrix" else figure_given(title))
    fig.colorbar(image, ax=ax, shrink=0.8, label=T("mistakes (off the diagonal)"))
    return fig


def show_digits(x, titles=(), columns=12, title=None):
    """A grid of 8x8 digits, one per row of x, each with an optional title (e.g. 'true 3, said 8')."""
    x = _images(x)
    titles = list(titles)
    if titles and len(titles) != len(x):
        raise ValueError(f"titles must hold one str per image ({len(x)}); got {len(titles)}")
    fig, axes = _grid(len(x), columns, title, row_height=1.0)
    for k, ax in enumerate(axes.flat[:len(x)]):
        ax.imshow(x[k].reshape(SIDE, SIDE), cmap="gray_r", vmin=0, vmax=1)
        if titles:
            ax.set_title(titles[k], fontsize=7)
    if not len(x):
        axes[0, 0].text(0, 0.5, T("nothing to show"), fontsize=10)
    return fig


def _grid(n, columns, title, row_height):
    """A figure of enough rows of `columns` blank axes for n images, with an optional title."""
    rows = max(1, -(-n // columns))
    prepare()
    fig = Figure(figsize=(0.85 * columns, row_height * rows + (0.3 if title else 0)), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    if title:
        fig.suptitle(figure_given(title))
    return fig, axes


def show_misclassified(x, t, y, limit=36, columns=12):
    """The first `limit` samples whose predicted class y differs from the true class t, titled 'true -> said'."""
    x = _images(x)
    t = _labels("t", t, len(x))
    y = _labels("y", y, len(x))
    wrong = np.flatnonzero(t != y)
    shown = wrong[:limit]
    titles = [f"{t[i]} -> {y[i]}" for i in shown]
    return show_digits(x[shown], titles, columns=columns,
                       title=T("{wrong} of {total} misclassified (true -> predicted)").format(wrong=len(wrong), total=len(x)))


class Recorder:
    """Called after every epoch (as train's on_epoch), records the curves of a training run.

    Introduced in Lesson 7 (capstone).

    Each call measures, with the learner's own functions, on the whole training and validation sets, the
    mean loss and the accuracy, and the size of the gradient of every weight matrix on the training set
    (the gradient-flow view).

    Inputs:
    - loss_fn: the learner's mlp_loss(params, x, t) -> (loss, grads)
    - scores_fn: the learner's mlp_forward(params, x) -> (z, caches), z the scores of the last layer
    - data: DigitSplits (only the train and validation parts are used)

    Attributes (lists, one entry per epoch):
    - epochs, train_loss, val_loss, train_acc, val_acc
    - grad_norms: dict weight name ('w1', ...) -> list of Frobenius norms of its training-set gradient
    """

    def __init__(self, loss_fn, scores_fn, data):
        self.loss_fn, self.scores_fn, self.data = loss_fn, scores_fn, data
        self.epochs, self.train_loss, self.val_loss, self.train_acc, self.val_acc = [], [], [], [], []
        self.grad_norms = {}

    def __call__(self, epoch, params):
        with one_blas_thread():
            self._measure(epoch, params)

    def _measure(self, epoch, params):
        d = self.data
        loss, grads = self.loss_fn(params, d.x_train, d.t_train)
        self.epochs.append(epoch)
        self.train_loss.append(float(loss))
        self.val_loss.append(float(self.loss_fn(params, d.x_val, d.t_val)[0]))
        for part, accuracies in (("train", self.train_acc), ("val", self.val_acc)):
            z = self.scores_fn(params, getattr(d, f"x_{part}"))[0]
            accuracies.append(float(np.mean(np.argmax(z, axis=1) == getattr(d, f"t_{part}"))))
        for name in sorted((k for k in grads if k.startswith("w")), key=lambda k: int(k[1:])):
            self.grad_norms.setdefault(name, []).append(float(np.linalg.norm(grads[name])))


class TrainingView:
    """Three panels updated in place: loss, accuracy (train and validation) and gradient flow per epoch.

    Introduced in Lesson 7 (capstone).

    The axes are fixed (epochs 0..max_epochs; loss and gradient norms on fixed log scales), so runs can
    be compared by eye and an explorer redraws only the lines.

    Inputs:
    - max_epochs: int, the x range
    - layers: int, how many weight matrices the gradient-flow panel has lines for

    - target: optional accuracy drawn as a dotted line on the accuracy panel
    - caption: optional ipywidgets.Label that shows the title instead of the figure (an explorer's: drawing
      a long title takes longer than the rest of a picture)

    Attributes: fig; ax_loss, ax_acc, ax_grad; lines: dict name -> Line2D
    ('train_loss', 'val_loss', 'train_acc', 'val_acc', 'w1', 'w2', ...); caption
    """

    def __init__(self, max_epochs, layers=3, target=None, figsize=(12, 3.6), caption=None):
        if isinstance(max_epochs, bool) or not isinstance(max_epochs, int) or max_epochs < 1:
            raise ValueError(f"max_epochs must be an int >= 1; got {max_epochs!r}")
        prepare()
        self.caption = caption
        self.fig = Figure(figsize=figsize, layout="constrained")
        self.ax_loss, self.ax_acc, self.ax_grad = self.fig.subplots(1, 3)
        self.lines = {}
        train, validation = T("train"), T("validation")
        for key, ax, label, style in [("train_loss", self.ax_loss, train, "-"), ("val_loss", self.ax_loss, validation, "--"),
                                      ("train_acc", self.ax_acc, train, "-"), ("val_acc", self.ax_acc, validation, "--")]:
            self.lines[key], = ax.plot([], [], style, color="tab:blue" if style == "-" else "tab:orange", label=label)
        for k in range(1, layers + 1):
            self.lines[f"w{k}"], = self.ax_grad.plot([], [], marker=".", ms=3,
                                                     label=f"$\\|\\partial L/\\partial W^{{({k})}}\\|$")
        if target is not None:
            self.ax_acc.axhline(target, color="0.6", lw=0.8, ls=":")
        self.ax_loss.set(title=T("loss (mean cross-entropy)"), xlabel=T("epoch"), yscale="log", ylim=(5e-3, 5))
        self.ax_acc.set(title=T("accuracy"), xlabel=T("epoch"), ylim=(0, 1.02))
        self.ax_grad.set(title=T("gradient flow: size of each layer's gradient"), xlabel=T("epoch"), yscale="log",
                         ylim=(1e-4, 30))
        for ax in (self.ax_loss, self.ax_acc, self.ax_grad):
            ax.set_xlim(0, max_epochs)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            # below the axes, clear of the lines: a legend over a changing line is redrawn with it
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=8, frameon=False)

    def update(self, record, title=None):
        """Show a Recorder's curves (weights it has no line for are left out); title goes above the figure."""
        for key in ("train_loss", "val_loss", "train_acc", "val_acc"):
            self.lines[key].set_data(record.epochs, getattr(record, key))
        for name, line in self.lines.items():
            if name.startswith("w"):
                norms = record.grad_norms.get(name, [])
                line.set_data(record.epochs if norms else [], norms)
        if self.caption is not None:
            self.caption.value = given(title) if title else ""
        else:
            self.fig.suptitle(figure_given(title) or "")


def show_templates(w, count=24, columns=12, title=None):
    """The first `count` columns of a first-layer weight matrix w (64, H), each drawn as an 8x8 image.

    Introduced in Lesson 7 (capstone). Hidden unit j computes z_j = x . w[:, j] + b_j, a dot product of the
    image with column j: large where the image has ink on the column's positive (red) pixels and none on
    its negative (blue) ones. Each image has its own symmetric colour range, white at 0.
    """
    w = np.asarray(w, dtype=np.float64)
    if w.ndim != 2 or w.shape[0] != SIDE * SIDE:
        raise ValueError(f"w must have shape ({SIDE * SIDE}, H), one column per hidden unit; got {w.shape}")
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"count must be an int >= 1; got {count!r}")
    shown = w[:, :count].T
    fig, axes = _grid(len(shown), columns, title, row_height=0.95)
    for k, ax in enumerate(axes.flat[:len(shown)]):
        size = max(np.abs(shown[k]).max(), 1e-12)
        ax.imshow(shown[k].reshape(SIDE, SIDE), cmap="RdBu_r", vmin=-size, vmax=size)
        ax.set_title(T("unit {number}").format(number=k + 1), fontsize=7)
    return fig


def show_runs(records, title=None):
    """Runs side by side in the gradient-flow view: one panel per run, then all validation accuracies.

    Introduced in Lesson 7 (capstone).

    Inputs:
    - records: dict label -> Recorder, e.g. {"He": ..., "N(0, 0.01²)": ...}
    - title: optional str above the figure

    Returns:
    - fig: one gradient-flow panel per run (shared log scale) and one panel of validation accuracy
    """
    if not (isinstance(records, dict) and records and all(isinstance(r, Recorder) for r in records.values())):
        raise ValueError("records must be a non-empty dict label -> Recorder")
    prepare()
    fig = Figure(figsize=(4 * (len(records) + 1), 3.4), layout="constrained")
    axes = fig.subplots(1, len(records) + 1)
    flows, ax_acc = axes[:-1], axes[-1]
    for ax, (label, record) in zip(flows, records.items()):
        for name, norms in record.grad_norms.items():
            ax.plot(record.epochs, norms, marker=".", ms=3, label=f"$W^{{({name[1:]})}}$")
        ax.set(title=T("{label}: size of each layer's gradient").format(label=label), xlabel=T("epoch"), yscale="log")
        ax.legend(fontsize=7, ncol=2)
        ax_acc.plot(record.epochs, record.val_acc, marker=".", ms=3, label=label)
    low = min((v for r in records.values() for n in r.grad_norms.values() for v in n if v > 0), default=1e-12)
    high = max(max(n) for r in records.values() for n in r.grad_norms.values())
    for ax in flows:
        ax.set_ylim(max(low, 1e-12) / 2, max(high, 1e-12) * 2)  # a dead network's zero gradients fall below
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax_acc.set(title=T("validation accuracy"), xlabel=T("epoch"), ylim=(0, 1.02))
    ax_acc.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax_acc.legend(fontsize=8)
    if title:
        fig.suptitle(figure_given(title))
    return fig


INITS = {"He": None, "N(0, 0.1²)": 0.1, "N(0, 0.01²)": 0.01, "N(0, 1)": 1.0}  # label -> init_params' scale


def training_explorer(data, init_params, train, mlp_loss, mlp_forward, max_epochs=20):
    """An Explorer that trains a new network with the learner's functions at every change of a control,
    shown epoch by epoch as it trains (a newer change stops it and starts another).

    Introduced in Lesson 7 (capstone).

    Controls: width and depth of the hidden layers, learning rate, batch size, epochs and the
    initialisation (He, or a fixed standard deviation, passed to init_params as its scale). The title
    reports the validation accuracy (never the test accuracy) or that the loss overflowed. A button
    "train again" draws a new seed for the initialisation and the shuffling.

    Inputs:
    - data: DigitSplits
    - init_params(sizes, rng, scale), train(params, x, t, lr, epochs, batch_size, rng, on_epoch),
      mlp_loss(params, x, t), mlp_forward(params, x): the lesson's functions
    - max_epochs: int, the largest number of epochs offered

    Returns:
    - an Explorer (helpers.explore), with attribute `view`, the TrainingView it draws into
    """
    import ipywidgets as widgets

    from .explore import Explorer

    caption = widgets.Label()  # the run's settings and progress, above the picture
    view = TrainingView(max_epochs, layers=4, caption=caption)
    runs = {"seed": 0}

    def run_training(width, depth, lr, batch_size, epochs, init):
        """Trains epoch by epoch, yielding after each (the explorer draws the curves as they grow). The title
        goes to the caption widget, in the learner's language whatever the fonts."""
        sizes = (SIDE * SIDE,) + (width,) * depth + (CLASSES,)
        rng = np.random.default_rng(runs["seed"])
        record = Recorder(mlp_loss, mlp_forward, data)

        def title(result):
            return _("{sizes}, lr {lr}, batches of {batch_size}, {init} init, seed {seed}: {result}").format(
                sizes=" -> ".join(map(str, sizes)), lr=f"{lr:.3g}", batch_size=batch_size, init=init,
                seed=runs["seed"], result=result)

        def accuracy():
            return _("validation accuracy {accuracy}").format(accuracy=f"{record.val_acc[-1]:.1%}")

        def step(work):  # small matrix products run faster on one thread; a too large learning rate may overflow
            with one_blas_thread(), np.errstate(over="ignore", invalid="ignore"):
                return work()

        params = step(lambda: init_params(sizes, rng, INITS[init]))
        step(lambda: record(0, params))
        view.update(record, title=title(_("epoch {epoch} of {epochs}").format(epoch=0, epochs=epochs)))
        yield
        for epoch in range(1, epochs + 1):  # one epoch per call of train: the same run as one call for all
            params = step(lambda: train(params, data.x_train, data.t_train, lr, 1, batch_size, rng))[0]
            yield  # a change waits for one epoch's training or its measuring, not for both
            step(lambda: record(epoch, params))
            if epoch < epochs:
                view.update(record, title=title(_("epoch {epoch} of {epochs}").format(epoch=epoch, epochs=epochs)
                                                + ", " + accuracy()))
                yield
        view.update(record, title=title(accuracy() if np.isfinite(record.train_loss[-1])
                                        else _("diverged: the loss overflowed")))

    def train_again(**values):
        runs["seed"] += 1

    slide = dict(continuous_update=False)  # one training run per value: train when the slider is let go
    controls = {"width": widgets.IntSlider(value=64, min=8, max=128, description=_("width"), **slide),
                "depth": widgets.Dropdown(options=[1, 2, 3], value=2, description=_("depth")),
                "lr": widgets.FloatLogSlider(value=0.1, base=10, min=-2, max=0.5, step=0.1, description="lr",
                                             **slide),
                "batch_size": widgets.Dropdown(options=[16, 32, 64, 128, 256], value=32, description=_("batch size")),
                "epochs": widgets.IntSlider(value=10, min=1, max=max_epochs, description=_("epochs"), **slide),
                "init": widgets.Dropdown(options=list(INITS), value="He", description=_("init"))}
    explorer = Explorer(view.fig, run_training, controls, actions={_("train again"): train_again},
                        title=_("Your network on the digits: each change trains it again"), caption=caption)
    explorer.view = view
    return explorer


def cache_order(namespace, call, forward=("affine_forward", "relu_forward"),
                backward=("affine_backward", "relu_backward")):
    """In which order did a backward pass use the caches its forward pass made?

    Introduced in Lesson 7 (capstone), for the check of the learner's backward pass: it tells "the layers
    were walked in the wrong order" apart from other errors. The layer functions named in `namespace`
    (the notebook's globals()) are wrapped while call() runs, then restored; call() may raise.

    Returns:
    - used: list of ints, for each backward call in turn the position (0, 1, ...) in the forward pass of
      the call that made the cache it received (-1 for a cache no forward call made)
    - made: int, the number of caches the forward calls made
    A backward pass in reverse order gives used == [made - 1, made - 2, ..., 0].
    """
    made, used, saved = [], [], {name: namespace[name] for name in (*forward, *backward) if name in namespace}

    def wrap_forward(f):
        def recorded(*args, **kwargs):
            out = f(*args, **kwargs)
            made.append(out[1])
            return out
        return recorded

    def wrap_backward(f):
        def recorded(dout, cache, *args, **kwargs):
            used.append(next((i for i, c in enumerate(made) if c is cache), -1))
            return f(dout, cache, *args, **kwargs)
        return recorded

    try:
        for name, f in saved.items():
            namespace[name] = wrap_forward(f) if name in forward else wrap_backward(f)
        call()
    except Exception:  # the caller has the error already; only the order is wanted here
        pass
    finally:
        namespace.update(saved)
    return used, len(made)
