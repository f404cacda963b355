"""What the learner-facing checks say: element indices that read naturally, skips that tell the truth.

Code "in the notebook" is simulated by executing it in a namespace named `__main__`, as a kernel does.
"""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers import Explorer, assert_close, check_gradient, checks, pending, require, sliders  # noqa: E402


@pytest.fixture(autouse=True)
def fresh_outcomes():
    checks._outcomes.clear()
    yield
    checks._outcomes.clear()


def message(got, expected, name):
    with pytest.raises(AssertionError) as info:
        assert_close(got, expected, name)
    return str(info.value)


# --- element indices -----------------------------------------------------------------

@pytest.mark.parametrize("name, subject", [
    ("dW", "dW[0, 1] is 9 but should be 2"),
    ("dz for dout = 1 and a batch of N = 2", "dz[0, 1] (for dout = 1 and a batch of N = 2) is 9"),
    ("new W1 for lr = 0.1", "new W1[0, 1] (for lr = 0.1) is 9"),
    ("the W1 passed to on_epoch", "the W1[0, 1] (passed to on_epoch) is 9"),
    ("grads['W1']", "grads['W1'][0, 1] is 9"),
    ("softmax(z) for z = [[1, 2], [0, 0]]", "softmax(z)[0, 1] (for z = [[1, 2], [0, 0]]) is 9"),
    ("layer_grad_norms (sigmoid, N = 4)", "layer_grad_norms[0, 1] (sigmoid, N = 4) is 9"),
    ("dense(x, W, b, 'linear')", "dense(x, W, b, 'linear')[0, 1] is 9"),
    ("the column sums of J", "element [0, 1] of the column sums of J is 9"),
    ("the diagonal of J for p = [0.2, 0.8]", "element [0, 1] of the diagonal of J for p = [0.2, 0.8] is 9"),
    ("the final w on AND", "the final w[0, 1] (on AND) is 9"),
    ("hidden unit 0 (OR) at the corners", "element [0, 1] of hidden unit 0 (OR) at the corners is 9"),
])
def test_the_wrong_element_is_named_where_it_reads_naturally(name, subject):
    got = np.array([[1.0, 9.0], [3.0, 4.0]])
    text = message(got, [[1.0, 2.0], [3.0, 4.0]], name)
    assert text.startswith(subject), text


def test_numbers_keep_their_plain_name_and_non_finite_values_read_too():
    assert message(3.0, 2.0, "the loss for N = 2").startswith("the loss for N = 2 is 3 but should be 2.")
    text = message(np.array([1.0, np.nan]), [1.0, 1.0], "dz for dout = 1")
    assert text.startswith("dz[1] (for dout = 1) is nan, not a finite number"), text


def test_check_gradient_names_the_element_the_same_way():
    x = np.array([1.0, 2.0, 3.0])
    with pytest.raises(AssertionError, match=r"dx\[0\] \(for dout = 1\) is -2 but numerically 2"):
        check_gradient(lambda v: np.sum(v ** 2), x, -2 * x, "dx for dout = 1")


# --- skipped cells and explorers: which exercise raised what --------------------------

def notebook(source):
    """Run source as a notebook cell would (module __main__) and return its namespace."""
    namespace = {"__name__": "__main__"}
    exec(compile(source, "<cell>", "exec"), namespace)
    return namespace


CELLS = notebook('''
def train(x):
    return helper(x)

def helper(x):
    if x == "stub":
        raise NotImplementedError()
    if x == "crash":
        raise ValueError("operands could not be broadcast together with shapes (4,) (3,)")
    return 1.0
''')


def demonstration(capsys, what, x):
    """A demonstration cell: run `train`, then a guard like 'training has not run' in a later cell."""
    try:
        with pending(what):
            CELLS["train"](x)
    except ValueError:
        pass  # the learner sees this traceback in the training cell
    with pending(what):
        raise NotImplementedError("training has not run")
    return capsys.readouterr().out


def test_a_stub_is_not_done_yet_and_named(capsys):
    out = demonstration(capsys, "Exercises 1 to 5", "stub")
    assert out.count("not done yet (`helper` still raises NotImplementedError)") == 2, out
    assert "Skipped: this cell needs Exercises 1 to 5" in out


def test_a_crash_is_reported_as_a_crash_not_as_unfinished(capsys):
    out = demonstration(capsys, "Exercises 1 to 5", "crash")
    assert "not done yet" not in out, out
    assert ("this cell needs Exercises 1 to 5, and an earlier cell that uses them stopped with an error: "
            "`helper` raised ValueError: operands could not be broadcast") in out, out
    # once the training cell runs through, the guard no longer blames the old error
    with pending("Exercises 1 to 5"):
        CELLS["train"]("fine")
    with pending("Exercises 1 to 5"):
        raise NotImplementedError("training has not run")
    out = capsys.readouterr().out
    assert "not done yet (training has not run)" in out and "ValueError" not in out, out


def test_other_errors_still_propagate_from_pending():
    with pytest.raises(ValueError, match="broadcast"):
        with pending("Exercise 2"):
            CELLS["train"]("crash")
    assert checks._outcomes["Exercise 2"][0] == "crashed"


def test_require_tells_a_cell_never_run_from_a_cell_that_failed():
    with pytest.raises(NameError, match="run the cell of Exercise 2 first"):
        require({"In": ["", "import numpy"]}, "mlp_loss", where="Exercise 2")
    ran = {"In": ["", "def mlp_loss(params, x, t):\n    return oops("]}  # a SyntaxError: never defined
    with pytest.raises(NameError, match="the cell of Exercise 2 ran but stopped with an error"):
        require(ran, "mlp_loss", where="Exercise 2")
    with pytest.raises(NameError, match="ran but stopped"):
        require({"In": ["", "trained, losses = train(params)"]}, "trained", where="the training cell")
    with pytest.raises(NameError, match="run the cell of"):
        require({"In": ["", "if trained == 1: pass"]}, "trained", where="the training cell")


def explorer(update):
    from matplotlib.figure import Figure
    fig = Figure()
    fig.add_subplot().plot([0, 1])
    return Explorer(fig, update, sliders(w=(0, 1, 0.5)))


def test_explorers_name_the_function_that_raised():
    ex = explorer(lambda w: CELLS["train"]("crash"))
    assert "`helper` raised ValueError: operands could not be broadcast" in ex.status.value
    ex = explorer(lambda w: CELLS["train"]("stub"))
    assert "not done yet (`helper` still raises NotImplementedError)" in ex.status.value


def test_explorers_after_a_crash_do_not_say_not_done_yet():
    def needs_training(w):
        raise NotImplementedError("training has not run")

    assert "not done yet (training has not run)" in explorer(needs_training).status.value
    with pytest.raises(ValueError):
        with pending("Exercises 1 to 5"):
            CELLS["train"]("crash")
    status = explorer(needs_training).status.value
    assert "not done yet" not in status and "`helper` raised ValueError" in status, status
