"""Learner-facing checks whose messages a beginner can act on.

The learner's result is always converted to a float array and compared with
tolerances, never with `==`: an object may define `__eq__` to agree with
anything, and floats computed two ways rarely match bit for bit.
"""
from collections.abc import Mapping
from contextlib import contextmanager

import numpy as np


def _num(v):
    """A number with about 6 significant digits."""
    return f"{float(v):.6g}"


def _at(name, index):
    """'W[1, 2]' for an element of an array, plain 'W' for a 0-d value."""
    return f"{name}[{', '.join(str(int(i)) for i in index)}]" if index else name


def _first(mask):
    """Index (tuple) of the first True element of `mask`, in C order."""
    return tuple(np.unravel_index(np.argmax(mask), mask.shape))


def _as_floats(obj):
    """`obj` as a float64 array, or None when it is not numbers (str, dict, objects)."""
    try:
        arr = np.asarray(obj)
    except Exception:  # ragged nesting, or an object that refuses conversion
        return None
    # asarray accepts strings and arbitrary objects; only real numbers may pass
    return arr.astype(np.float64) if arr.dtype.kind in "biuf" else None


def _shape_cause(got, want):
    """Most likely reason why an array came out with the wrong shape."""
    if got.ndim >= 2 and got.shape == want.shape[::-1]:
        return "it looks transposed (rows and columns swapped)."
    if got.size == 1 and want.size > 1:
        return "you may have summed everything into one number."
    if got.ndim < want.ndim:
        return ("a sum/mean may have dropped an axis (keepdims=True?) "
                "or summed over the wrong axis.")
    if got.ndim > want.ndim:
        return "extra axes: did broadcasting, e.g. (n,) with (n, 1), build a matrix?"
    return "reduced or broadcast over the wrong axis?"


def _comparable(got, expected, name):
    """Convert both sides to float arrays and check they can be compared.

    Returns (message, got_array, expected_array); message is None when the
    element-wise comparison can go ahead, else it says what is wrong with got.
    """
    want = _as_floats(expected)
    if want is None:  # a bug in the course, not in the learner's code
        raise ValueError("expected must be a number or array of numbers; "
                         f"got {type(expected).__name__}")
    if got is None:
        return f"{name} is None: did your function forget to `return` it?", None, want
    g = _as_floats(got)
    if isinstance(got, tuple) and (g is None or want.ndim == 0):
        should = "a single number" if want.ndim == 0 else f"an array of shape {want.shape}"
        return (f"{name} is a tuple of {len(got)} items but should be {should}: "
                "did you return several values (return a, b) where one was expected?",
                None, want)
    if g is None:
        return (f"{name} should be a number or array of numbers, got {type(got).__name__}",
                None, want)
    if g.shape != want.shape:
        return (f"{name} has shape {g.shape} but should have shape {want.shape}.\n"
                f"Likely cause: {_shape_cause(g, want)}", g, want)
    bad = ~np.isfinite(g)
    if bad.any():
        ix = _first(bad)
        return (f"{_at(name, ix)} is {g[ix]}, not a finite number.\n"
                "Look for a division by zero, a log(0) or an exp that overflowed.", g, want)
    return None, g, want


def diagnose(got, expected, rtol=1e-6, atol=1e-9):
    """Guess why `got` differs from `expected` by testing common slips.

    Introduced in Lesson 1 (chain rule).

    Inputs:
    - got: number or array, the learner's result
    - expected: number or array of the same shape, the correct result
    - rtol, atol: tolerances of np.allclose for each candidate slip

    Returns:
    - cause: str describing the first slip that explains got exactly
      (sign, factor 2, factor N, transpose, missing dout, constant offset),
      or None when none does (or when got already matches).
    """
    g, w = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    if g.shape != w.shape or np.allclose(g, w, rtol=rtol, atol=atol):
        return None

    def like(candidate):
        return np.allclose(g, candidate, rtol=rtol, atol=atol)

    if w.any():  # scalings of an all-zero expected are all zero: nothing to learn
        if like(-w):
            return "the sign is flipped"
        if like(2 * w):
            return "twice too large: an extra factor 2"
        if like(w / 2):
            return ("half of what it should be: a missing factor 2 "
                    "(e.g. the 2 in d/da (a - y)² = 2(a - y))")
        for n in sorted({s for s in (*w.shape, w.size) if s > 2}):
            if like(n * w):
                return f"{n} times too large: summed where a mean was needed (a missing 1/{n})"
            if like(w / n):
                return f"{n} times too small: divided by {n} once too often"
        if w.ndim == 2 and w.shape[0] == w.shape[1] and like(w.T):
            return "transposed (rows and columns swapped)"
        if np.allclose(g, 0.0, rtol=0.0, atol=atol):
            return "all zeros: is the upstream gradient (dout) multiplied in?"
    d = (g - w).ravel()
    if d.size > 1 and np.all(np.abs(d - d[0]) <= atol + rtol * np.abs(w).max()):
        return "off by a constant everywhere: a missing or extra bias/offset term"
    return None


def assert_close(got, expected, name, rtol=1e-6, atol=1e-9, hint=None):
    """Check a learner's result against the expected one, explaining any difference.

    Introduced in Lesson 1 (chain rule).

    Checks in order: None (forgotten return), not numbers, wrong shape (with
    a likely cause), nan/inf, then values with np.isclose(rtol, atol).

    Inputs:
    - got: the learner's number or array, any shape
    - expected: the correct number or array
    - name: str, how the result is called in the message (e.g. "dW")
    - rtol, atol: tolerances as in np.isclose
    - hint: optional str appended to any failure message

    Returns:
    - None. Raises AssertionError with a short explanation on mismatch.
    """
    msg, g, w = _comparable(got, expected, name)
    if msg is None:
        wrong = ~np.isclose(g, w, rtol=rtol, atol=atol)
        if not wrong.any():
            return
        ix = _first(wrong)
        msg = f"{_at(name, ix)} is {_num(g[ix])} but should be {_num(w[ix])}"
        msg += f" ({wrong.sum()} of {wrong.size} elements differ)." if g.ndim else "."
        cause = diagnose(g, w, rtol=rtol, atol=atol)
        if cause:
            msg += f"\nLikely cause: {cause}."
    if hint:
        msg += f"\nHint: {hint}"
    raise AssertionError(msg)


def require(namespace, *names, where):
    """Stop early, with directions, when a cell needs names not defined yet.

    Introduced in Lesson 1 (chain rule).

    Inputs:
    - namespace: dict of defined names; the notebook passes globals()
    - names: str, the names the cell needs
    - where: str, which earlier cell defines them (e.g. "Exercise 2")

    Returns:
    - None. Raises NameError for the first missing name.
    """
    if not isinstance(namespace, Mapping):
        raise ValueError(f"namespace must be a dict such as globals(); got {type(namespace).__name__}")
    for name in names:
        if name not in namespace:
            raise NameError(f"`{name}` is not defined yet: run the cell of {where} first "
                            "(or Run > Run All Above).")


@contextmanager
def pending(what):
    """Skip a demonstration cell quietly while the exercise it uses is unfinished.

    Introduced in Lesson 1 (chain rule).

    Inside `with pending("Exercise 3"):` a NotImplementedError (the stub the
    learner has not replaced yet) is swallowed and one line is printed; any
    other exception propagates, since it points at a real bug.

    Inputs:
    - what: str naming the unfinished exercise

    Returns:
    - a context manager
    """
    try:
        yield
    except NotImplementedError:
        print(f"Skipped: this cell needs {what}, not done yet. Finish it, then run this cell again.")
