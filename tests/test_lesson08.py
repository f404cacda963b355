"""Lesson 8 (your own autograd engine): every local gradient and the sum rule checked numerically, the engine
against the array layers of Lesson 4, against JAX on random expressions and networks, its speed against the
array layers, the forgetful training loop's claim, the framework cells without JAX, the backward-pass
replay (helpers.autograd_view) on the lesson's explorer, driven headless, and which checks (visible or hidden
only) catch each known-wrong answer.
"""
import contextlib
import io
import math
import os
import sys
import time

import matplotlib
import nbformat
import numpy as np
import pytest

from course_tools import SOLUTIONS, grade_id, solution_namespace, strip_markers
from helpers import numerical_gradient
from helpers.autograd_view import AutogradWalk, record_backward
from wrong_answers import wrong_answers

matplotlib.use("Agg")
PATH = SOLUTIONS / "08_autograd_engine" / "autograd_engine.ipynb"
GIVEN = ("imports", "value-class", "order-bug", "overwrite-bug", "lesson4-layers", "array-network")
HIDDEN = "### BEGIN HIDDEN TESTS"
HIDDEN_ONLY = "(the visible checks pass)"
RESULTS = {}


@pytest.fixture(scope="module")
def ns():
    return solution_namespace(PATH, given=GIVEN)


def cell_source(cell_id):
    (cell,) = [c for c in nbformat.read(PATH, as_version=4).cells if c.id == cell_id]
    return strip_markers(cell.source)


UNARY = {"exp": (math.exp, lambda v: v), "log": (math.log, lambda v: abs(v) + 0.1), "tanh": (math.tanh, lambda v: v),
         "sigmoid": (lambda v: 1 / (1 + math.exp(-v)), lambda v: v), "relu": (lambda v: max(v, 0.0), lambda v: v)}


def test_every_local_gradient_matches_finite_differences(ns):
    Value, rng = ns["Value"], np.random.default_rng(8)
    for _ in range(20):
        a, b = rng.normal(scale=2.0, size=2)
        b = b if abs(b) > 0.2 else 0.5
        for name in ("add", "mul", "sub", "div"):
            op = ns[name]
            out = op(Value(a), Value(b))
            da = numerical_gradient(lambda v: op(Value(float(v)), b).data, a)
            db = numerical_gradient(lambda v: op(a, Value(float(v))).data, b)
            np.testing.assert_allclose(out.local_grads, [da, db], rtol=1e-6, atol=1e-8, err_msg=name)
        for k in (2, 3, -1, 0.5, -1.5):
            base = abs(a) + 0.3
            out = ns["power"](Value(base), k)
            np.testing.assert_allclose(out.local_grads, [numerical_gradient(lambda v: ns["power"](Value(float(v)), k).data, base)],
                                       rtol=1e-6, err_msg=f"power k={k}")
        for name, (ref, domain) in UNARY.items():
            v0 = domain(a) if abs(a) > 1e-3 else 0.5
            out = ns[name](Value(v0))
            assert out.data == pytest.approx(ref(v0), rel=1e-12, abs=1e-15), name
            np.testing.assert_allclose(out.local_grads, [numerical_gradient(lambda v: ns[name](Value(float(v))).data, v0)],
                                       rtol=1e-6, atol=1e-9, err_msg=name)


def test_gradients_add_at_a_fork(ns):
    """The sum rule the lesson states: d(xy + x)/dx = y + 1, d(x*x*x)/dx = 3x^2, u = 3x, L = u + tanh(u)."""
    Value, backward = ns["Value"], ns["backward"]
    for x0, y0 in [(2.0, -1.0), (0.3, 1.7), (-1.2, 0.4)]:
        x, y = Value(x0), Value(y0)
        backward(x * y + x)
        assert x.grad == pytest.approx(numerical_gradient(lambda v: v * y0 + v, x0), rel=1e-7) == pytest.approx(y0 + 1)
        x = Value(x0)
        backward(x * x * x)
        assert x.grad == pytest.approx(numerical_gradient(lambda v: v ** 3, x0), rel=1e-7)
        x = Value(x0)
        u = x * 3
        backward(u + u.tanh())
        assert x.grad == pytest.approx(numerical_gradient(lambda v: 3 * v + np.tanh(3 * v), x0), rel=1e-7)


def test_the_find_the_bug_versions_are_wrong_where_the_lesson_says(ns):
    Value = ns["Value"]
    x = Value(0.4)
    u = x * 3
    v = u.tanh()
    L = u + v
    assert ns["parent_after_child"](ns["breadth_first_order"](L)) is not None
    assert ns["parent_after_child"](ns["topological_order"](L)) is None
    x, y = Value(2.0), Value(-1.0)
    ns["backward_overwrite"](x * y + x)
    assert x.grad != pytest.approx(0.0)


def params_for(rng, sizes, scale=1.0):
    params = {}
    for l, (d, h) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"w{l}"], params[f"b{l}"] = scale * rng.normal(size=(d, h)), 0.5 * rng.normal(size=h)
    return params


def engine_grads(ns, model, x, t):
    loss = ns["value_mse_loss"](model, x, t)
    ns["backward"](loss)
    grads = {}
    for l, layer in enumerate(model.layers, start=1):
        grads[f"w{l}"] = np.array([[n.w[i].grad for n in layer.neurons] for i in range(len(layer.neurons[0].w))])
        grads[f"b{l}"] = np.array([n.b.grad for n in layer.neurons])
    return loss.data, grads


def largest_relative_difference(a, b):
    return max(float(np.max(np.abs(a[k] - b[k])) / max(np.max(np.abs(b[k])), 1e-300)) for k in b)


def test_engine_equals_the_array_layers_of_lesson_4(ns):
    rng = np.random.default_rng(4)
    x, t = ns["xor_data"](n=24, noise=0.1, seed=0)
    t = t[:, None]
    worst = 0.0
    for _ in range(5):
        params = params_for(rng, [2, 8, 1])
        loss_v, grads_v = ns["value_loss_and_grads"](x, t, params)
        loss_a, grads_a = ns["array_loss_and_grads"](x, t, params)
        assert loss_v == pytest.approx(loss_a, rel=1e-13)
        worst = max(worst, largest_relative_difference(grads_v, grads_a))
    RESULTS["engine vs array layers"] = worst
    assert worst < 1e-12


@pytest.fixture(scope="module")
def jax():
    try:
        import jax
    except ImportError:
        pytest.fail('JAX is missing: the cross-check needs the test extra, pip install -e ".[dev,crosscheck]" '
                    "(python3 course.py test installs it)")
    jax.config.update("jax_enable_x64", True)
    return jax


def random_program(rng, leaves=3, steps=12):
    """A random expression as a list of (operation, operand indices), safe for both engines: no log of a
    negative number, no division by a number near 0, powers of positive bases, ReLU clear of its kink."""
    kinds = ["add", "mul", "sub", "div", "pow", "exp", "log", "tanh", "sigmoid", "relu", "neg", "const"]
    return [(kinds[rng.integers(len(kinds))], int(rng.integers(leaves + k)), int(rng.integers(leaves + k)),
             float(rng.choice([2, 3, -1, 0.5, 1.5])), float(rng.normal())) for k in range(steps)]


def run_program(program, leaves, ops):
    """Evaluate the program with ops: a dict of the twelve operations for one engine."""
    nodes = list(leaves)
    for kind, i, j, k, c in program:
        a, b = nodes[i], nodes[j]
        nodes.append({"add": lambda: ops["add"](a, b), "mul": lambda: ops["mul"](ops["tanh"](a), b),
                      "sub": lambda: ops["sub"](a, b), "div": lambda: ops["div"](a, ops["add"](ops["mul"](b, b), 1.0)),
                      "pow": lambda: ops["pow"](ops["add"](ops["mul"](a, a), 0.5), k),
                      "exp": lambda: ops["exp"](ops["tanh"](a)), "log": lambda: ops["log"](ops["add"](ops["mul"](a, a), 0.1)),
                      "tanh": lambda: ops["tanh"](a), "sigmoid": lambda: ops["sigmoid"](ops["mul"](a, 2.0)),
                      "relu": lambda: ops["add"](ops["relu"](a), b), "neg": lambda: ops["mul"](a, -1.0),
                      "const": lambda: ops["mul"](a, c)}[kind]())
    total = nodes[-1]
    for n in nodes[len(leaves):-1]:  # every intermediate value reaches the output
        total = ops["add"](total, ops["tanh"](n))
    return total


def test_engine_matches_jax_on_random_expressions(ns, jax):
    """50 random programs, each at 8 random points (JAX evaluates the 8 at once, elementwise)."""
    jnp = jax.numpy
    Value = ns["Value"]
    engine_ops = {name: ns[name] for name in ("add", "mul", "sub", "div", "exp", "log", "tanh", "sigmoid", "relu")}
    engine_ops["pow"] = ns["power"]
    jax_ops = {"add": lambda a, b: a + b, "mul": lambda a, b: a * b, "sub": lambda a, b: a - b, "div": lambda a, b: a / b,
               "pow": lambda a, k: a ** k, "exp": jnp.exp, "log": jnp.log, "tanh": jnp.tanh,
               "sigmoid": jax.nn.sigmoid, "relu": lambda a: jnp.maximum(a, 0.0)}
    rng, worst, count = np.random.default_rng(2026), 0.0, 0
    for _ in range(50):
        program = random_program(rng, steps=int(rng.integers(3, 15)))
        points = rng.normal(size=(3, 8))
        values, grads = jax.value_and_grad(lambda v: jnp.sum(run_program(program, [v[0], v[1], v[2]], jax_ops)))(jnp.asarray(points))
        values = np.asarray(run_program(program, [jnp.asarray(p) for p in points], jax_ops))
        for k in range(points.shape[1]):
            nodes = [Value(v) for v in points[:, k]]
            out = run_program(program, nodes, engine_ops)
            # ReLU exactly at its kink may legitimately get different subgradients: skip such a point
            if any(n.op == "relu" and abs(n.parents[0].data) < 1e-6 for n in ns["topological_order"](out)):
                continue
            ns["backward"](out)
            assert out.data == pytest.approx(float(values[k]), rel=1e-12, abs=1e-12)
            engine, reference = np.array([n.grad for n in nodes]), np.asarray(grads)[:, k]
            worst = max(worst, float(np.max(np.abs(engine - reference)) / max(np.max(np.abs(reference)), 1e-300)))
            count += 1
    RESULTS[f"JAX, {count} random expressions"] = worst
    assert count > 350 and worst < 1e-11, (count, worst)


def test_engine_matches_jax_on_networks(ns, jax):
    jnp = jax.numpy
    acts = {"relu": lambda z: jnp.maximum(z, 0.0), "sigmoid": jax.nn.sigmoid, "tanh": jnp.tanh}
    rng, worst = np.random.default_rng(7), 0.0
    data = {"xor": ns["xor_data"](n=24, noise=0.1, seed=0)}
    from helpers import moons
    data["moons"] = moons(n=24, noise=0.1, seed=1)
    for name, (x, t) in data.items():
        t = t[:, None]
        for activation, h in acts.items():
            for sizes in ([2, 8, 1], [2, 5, 4, 1]):
                params = params_for(rng, sizes)

                def loss(p):
                    a = jnp.asarray(x)
                    for l in range(1, len(sizes)):
                        a = a @ p[f"w{l}"] + p[f"b{l}"]
                        a = h(a) if l < len(sizes) - 1 else a
                    return jnp.sum((a - t) ** 2) / len(x)

                loss_v, grads_v = engine_grads(ns, ns["MLP"](params, activation), x, t)
                loss_j, grads_j = jax.jit(jax.value_and_grad(loss))({k: jnp.asarray(v) for k, v in params.items()})
                assert loss_v == pytest.approx(float(loss_j), rel=1e-12)
                worst = max(worst, largest_relative_difference(grads_v, {k: np.asarray(v) for k, v in grads_j.items()}))
    RESULTS["JAX, 12 networks on XOR and moons"] = worst
    assert worst < 1e-12, worst


def test_engine_is_more_than_ten_times_slower_than_the_array_layers(ns):
    """The lesson says so (and prints the ratio); measured with the best of three, on the lesson's network."""
    x, t = ns["xor_data"](n=24, noise=0.1, seed=0)
    t = t[:, None]
    params = params_for(np.random.default_rng(0), [2, 8, 1])

    def best(f, repeat):
        times = []
        for _ in range(3):
            start = time.perf_counter()
            for _ in range(repeat):
                f()
            times.append((time.perf_counter() - start) / repeat)
        return min(times)

    engine = best(lambda: ns["value_loss_and_grads"](x, t, params), 5)
    arrays = best(lambda: ns["array_loss_and_grads"](x, t, params), 200)
    RESULTS["engine / array layers, time per loss and gradients"] = engine / arrays
    assert engine / arrays > 10


def test_framework_cells_run_without_jax(ns, monkeypatch):
    monkeypatch.setitem(sys.modules, "jax", None)  # import jax raises ImportError
    monkeypatch.setitem(sys.modules, "jax.numpy", None)
    local = dict(ns)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(cell_source("compare-layers"), local)
        exec(cell_source("framework-mul"), local)
        exec(cell_source("framework-mlp"), local)
    assert "JAX is not installed" in out.getvalue() and local["jax"] is None
    assert "your engine: dz/dx = 3.0, dz/dy = 2.0" in out.getvalue()



# --- which checks catch each known-wrong answer ----------------------------------------------------

def run_checks(exercise, answer):
    """Run the given cells and every solution (with `answer` for `exercise`), then the exercise's test cell:
    returns (visible failure or None, visible and hidden failure or None)."""
    cells = nbformat.read(PATH, as_version=4).cells
    namespace = {"__name__": "__main__"}
    test_cell = next(c for c in cells if grade_id(c) == "test_" + exercise.removeprefix("ex_"))
    visible, hidden = test_cell.source.split(HIDDEN)
    failures = []
    with contextlib.redirect_stdout(io.StringIO()):
        for cell in cells:
            if cell.cell_type == "code" and (cell.id in GIVEN or (grade_id(cell) or "").startswith("ex_")):
                try:  # as in autograde, an error in one cell (a given one running a wrong answer) does not stop the rest
                    exec(answer if grade_id(cell) == exercise else strip_markers(cell.source), namespace)
                except Exception:  # noqa: BLE001
                    pass
        for part in (visible, visible + "\n" + strip_markers(HIDDEN + hidden)):
            try:
                exec(part, dict(namespace))
                failures.append(None)
            except Exception as error:  # noqa: BLE001 (any error loses the points)
                failures.append(f"{type(error).__name__}: {error}")
    return failures[0], failures[1]


@pytest.mark.parametrize("exercise", sorted(wrong_answers("08_autograd_engine")))
def test_every_wrong_answer_fails_its_checks(exercise):
    """Each known-wrong answer fails; those labelled hidden-only pass the visible checks and fail the hidden ones."""
    answers = wrong_answers("08_autograd_engine")[exercise]
    assert len(answers) >= 3 and any(HIDDEN_ONLY in label for label in answers), exercise
    for label, answer in answers.items():
        visible, full = run_checks(exercise, answer)
        assert full, f"{exercise}: '{label}' passes every check"
        if HIDDEN_ONLY in label:
            assert visible is None, f"{exercise}: '{label}' should pass the visible checks: {visible}"
        else:
            assert visible, f"{exercise}: '{label}' passes the visible checks (only the hidden tests catch it)"


def test_solution_passes_every_check():
    cells = nbformat.read(PATH, as_version=4).cells
    for exercise in wrong_answers("08_autograd_engine"):
        source = next(c.source for c in cells if grade_id(c) == exercise)
        assert run_checks(exercise, strip_markers(source)) == (None, None), exercise


def test_split_network_messages_name_the_element_and_the_cause():
    wrong = wrong_answers("08_autograd_engine")
    visible, _ = run_checks("ex_neuron", wrong["ex_neuron"]["no bias"])
    assert "relu(0.5*2 - 1*0.5 + 0.25)" in visible and "0.75" in visible and "the bias too" in visible
    visible, _ = run_checks("ex_mlp", wrong["ex_mlp"]["the activation also on the output layer"])
    assert "the network's output y" in visible and "-0.24" in visible and "no activation" in visible
    visible, _ = run_checks("ex_value_mse_loss", wrong["ex_value_mse_loss"]["with Lesson 4's 1/2"])
    assert "value_mse_loss of y = 0.5 x" in visible and "2.5" in visible and "no 1/2" in visible
    _, hidden = run_checks("ex_value_mse_loss", wrong["ex_value_mse_loss"][
        "the mean over all N*K entries, not over the N samples (the visible checks pass)"])
    assert "divide by N only" in hidden

class Node:
    """A minimal engine value, independent of the lesson's, to test the replay on its own."""

    def __init__(self, data, parents=(), local_grads=(), op="", label=""):
        self.data, self.grad, self.parents, self.local_grads, self.op, self.label = data, 0.0, parents, local_grads, op, label

    def __mul__(self, other):
        return Node(self.data * other.data, (self, other), (other.data, self.data), "*")

    def __add__(self, other):
        return Node(self.data + other.data, (self, other), (1.0, 1.0), "+")


def order_of(root):
    """Parents before children, by repeatedly taking the nodes whose parents are all placed."""
    nodes, stack = {}, [root]
    while stack:
        n = stack.pop()
        if id(n) not in nodes:
            nodes[id(n)] = n
            stack.extend(n.parents)
    order, placed = [], set()
    while len(order) < len(nodes):
        ready = [n for k, n in nodes.items() if k not in placed and all(id(p) in placed for p in n.parents)]
        order += ready
        placed.update(id(n) for n in ready)
    return order


def good_backward(root):
    root.grad = 1.0
    for n in reversed(order_of(root)):
        for p, g in zip(n.parents, n.local_grads):
            p.grad += g * n.grad


def overwriting_backward(root):
    root.grad = 1.0
    for n in reversed(order_of(root)):
        for p, g in zip(n.parents, n.local_grads):
            p.grad = g * n.grad


def test_record_backward_replays_and_flags():
    x, y = Node(2.0, label="x"), Node(-1.0, label="y")
    z = x * y + x
    visits = record_backward(z, good_backward)
    assert type(x) is Node and type(z) is Node, "every node gets its own class back"
    assert [c.after for c in visits[0].changes] == [1.0] and visits[0].node is None
    assert [v.node.op or v.node.label for v in visits[1:]] == ["+", "*", "y", "x"]
    assert all(c.consistent for v in visits for c in v.changes)
    assert x.grad == 0.0 and y.grad == 2.0
    x, y = Node(2.0, label="x"), Node(-1.0, label="y")
    visits = record_backward(x * y + x, overwriting_backward)
    assert not all(c.consistent for v in visits for c in v.changes)
    x = Node(1.0)

    def failing(root):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        record_backward(x * x, failing)
    assert type(x) is Node


def run_lesson():
    """The solution notebook's code cells in one namespace (display a no-op); returns the namespace and explorers."""
    import helpers.explore

    built, original, cwd = [], helpers.explore.Explorer.__init__, os.getcwd()

    def recording_init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        built.append(self)

    helpers.explore.Explorer.__init__ = recording_init
    namespace = {"display": lambda *a, **k: None, "__name__": "__main__"}
    try:
        os.chdir(PATH.parent)
        with contextlib.redirect_stdout(io.StringIO()):
            for cell in nbformat.read(PATH, as_version=4).cells:
                if cell.cell_type == "code":
                    exec(strip_markers(cell.source), namespace)
    finally:
        helpers.explore.Explorer.__init__ = original
        os.chdir(cwd)
    return namespace, built


@pytest.fixture(scope="module")
def lesson():
    return run_lesson()


def test_the_forgetful_loop_falls_then_climbs(lesson):
    """Section 6 says the loss without resets first falls, then climbs again instead of settling."""
    namespace, _ = lesson
    forgetful, losses = namespace["forgetful"], namespace["losses"]
    low = int(np.argmin(forgetful))
    assert forgetful[low] < forgetful[0] / 2 and forgetful[-1] > 2 * forgetful[low], forgetful[::10]
    assert losses[-1] < forgetful[-1] and namespace["accuracy"] == 1.0


def panel_texts(explorer, steps):
    explorer.buttons["restart"].click()
    texts = []
    for _ in range(steps):
        explorer.buttons["step"].click()
        assert explorer.status.value == "", explorer.status.value
        texts.append(explorer.fig.axes[1].texts[0].get_text())
    return texts


def test_explorer_replays_the_learners_backward_with_its_forks_and_bugs(lesson):
    namespace, (explorer,) = lesson
    walk = namespace["walk"]
    assert explorer.status.value == ""
    texts = panel_texts(explorer, len(walk.visits) - 1)
    assert all("!" not in t for t in texts), "the solution's backward must replay without a warning"
    assert any("fork: 2 of 2" in t for t in texts), "the default expression has forks"
    final = {walk.labels[id(n)]: n.grad for n in walk.nodes if not n.parents}
    for name, value in final.items():
        assert value == pytest.approx(walk.reference[name], rel=1e-6), name
    explorer.controls["backward_pass"].value = "backward_overwrite"
    assert any("overwritten" in t for t in panel_texts(explorer, len(walk.visits) - 1))
    explorer.controls["backward_pass"].value = "breadth-first order"
    assert any("wrong order" in t for t in panel_texts(explorer, len(walk.visits) - 1))
    # the learner's own expression drives the graph: x * x * x gets three contributions at x
    namespace["expression"] = lambda x, y: x * x * x
    explorer.controls["backward_pass"].value = "your backward"
    texts = panel_texts(explorer, len(walk.visits) - 1)
    assert any("fork: 3 of 3" in t for t in texts) and all("!" not in t for t in texts)
    x0 = explorer.controls["x"].value
    assert walk.nodes[-1].grad == pytest.approx(3 * x0 ** 2)


def test_report_the_cross_check(ns, jax, capsys):
    """Runs last in this file: prints the figures the lesson's claims rest on (see with -s)."""
    with capsys.disabled():
        for name, value in RESULTS.items():
            print(f"\nLesson 8, {name}: {value:.3g}")
