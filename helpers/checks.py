"""Learner-facing checks whose messages a beginner can act on.

The learner's result is always converted to a float array and compared with
tolerances, never with `==`: an object may define `__eq__` to agree with
anything, and floats computed two ways rarely match bit for bit.
"""
import re
import traceback
from collections.abc import Mapping
from contextlib import contextmanager

import numpy as np

from .i18n import _, given, language


def _num(v):
    """A number with about 6 significant digits."""
    return f"{float(v):.6g}"


# Words after which a description goes on: "dz for dout = 1" -> "dz[0, 0] (for dout = 1)".
_LINKS = {"for", "of", "with", "at", "after", "from", "when", "on", "in", "where", "by", "as", "over", "per",
          "before", "passed", "returned", "called", "="}
_LEADS = {"the", "new", "final"}  # kept before the symbol: "new W1[0, 1] (for lr = 0.1)"
_SYMBOL = re.compile(r"[A-Za-z_][\w./]*(\(.*\)|\[.*\])*")  # dz, W1, dz/dx, grads["w"], softmax(z)


def _words(text):
    """Split text at spaces that lie outside brackets and quotes."""
    words, depth, quote, start = [], 0, None, 0
    for i, ch in enumerate(text):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == " " and depth == 0:
            words.append(text[start:i])
            start = i + 1
    return [w for w in [*words, text[start:]] if w]


def _at(name, index):
    """How one element of the array called `name` is named in a message.

    'W[1, 2]' for a plain name; a described name keeps the index on its symbol, the rest in
    parentheses: 'dz for dout = 1' -> 'dz[0, 0] (for dout = 1)', 'new W1 for lr = 0.1' ->
    'new W1[0, 1] (for lr = 0.1)'; any other description reads 'element [0, 1] of the column sums of J'.
    Plain `name` for a 0-d value.
    """
    if not index:
        return name
    ix = f"[{', '.join(str(int(i)) for i in index)}]"
    if language() != "en" and not name.isascii():  # a translated name; an English one keeps the English rules
        return _at_translated(name, ix)
    words = _words(name)
    lead = 0
    while lead < len(words) - 1 and words[lead].lower() in _LEADS:
        lead += 1
    symbol, rest = words[lead] if words else name, words[lead + 1:]
    english = lead and symbol.isalpha() and symbol.islower() and len(symbol) > 3  # 'the diagonal of J'
    if _SYMBOL.fullmatch(symbol) and not english and (not rest or rest[0] in _LINKS or rest[0].startswith("(")):
        head = " ".join([*words[:lead], symbol + ix])
        if rest and rest[0].startswith("(") and len(rest) == 1:
            return f"{head} {rest[0]}"  # 'norms (sigmoid)' -> 'norms[1] (sigmoid)'
        return f"{head} ({' '.join(rest)})" if rest else head
    return _("element {index} of {name}").format(index=ix, name=name)


def _at_translated(name, ix):
    """_at in a language that puts a description before its noun (Korean): the index goes on a final
    symbol ('dout = 1일 때의 dz' -> 'dout = 1일 때의 dz[0, 1]'), else the template of 'element [0, 1] of X'."""
    words = _words(name)
    last = words[-1] if words else name
    if last.isascii() and _SYMBOL.fullmatch(last):
        return " ".join([*words[:-1], last + ix])
    return _("element {index} of {name}").format(index=ix, name=name)


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
        return _("it looks transposed (rows and columns swapped).")
    if got.size == 1 and want.size > 1:
        return _("you may have summed everything into one number.")
    if got.ndim < want.ndim:
        return _("a sum/mean may have dropped an axis (keepdims=True?) "
                 "or summed over the wrong axis.")
    if got.ndim > want.ndim:
        return _("extra axes: did broadcasting, e.g. (n,) with (n, 1), build a matrix?")
    return _("reduced or broadcast over the wrong axis?")


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
        return _("{name} is None: did your function forget to `return` it?").format(name=name), None, want
    g = _as_floats(got)
    if isinstance(got, tuple) and (g is None or want.ndim == 0):
        should = (_("a single number") if want.ndim == 0
                  else _("an array of shape {shape}").format(shape=want.shape))
        return (_("{name} is a tuple of {count} items but should be {should}: "
                  "did you return several values (return a, b) where one was expected?").format(
                    name=name, count=len(got), should=should), None, want)
    if g is None:
        return (_("{name} should be a number or array of numbers, got {type}").format(
                    name=name, type=type(got).__name__), None, want)
    if g.shape != want.shape:
        return (_("{name} has shape {got} but should have shape {want}.").format(
                    name=name, got=g.shape, want=want.shape) + "\n"
                + _("Likely cause: {cause}").format(cause=_shape_cause(g, want)), g, want)
    bad = ~np.isfinite(g)
    if bad.any():
        ix = _first(bad)
        return (_("{where} is {value}, not a finite number.").format(where=_at(name, ix), value=g[ix]) + "\n"
                + _("Look for a division by zero, a log(0) or an exp that overflowed."), g, want)
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
            return _("the sign is flipped")
        if like(2 * w):
            return _("twice too large: an extra factor 2")
        if like(w / 2):
            return _("half of what it should be: a missing factor 2 "
                     "(e.g. the 2 in d/da (a - y)² = 2(a - y))")
        for n in sorted({s for s in (*w.shape, w.size) if s > 2}):
            if like(n * w):
                return _("{n} times too large: summed where a mean was needed (a missing 1/{n})").format(n=n)
            if like(w / n):
                return _("{n} times too small: divided by {n} once too often").format(n=n)
        if w.ndim == 2 and w.shape[0] == w.shape[1] and like(w.T):
            return _("transposed (rows and columns swapped)")
        if np.allclose(g, 0.0, rtol=0.0, atol=atol):
            return _("all zeros: is the upstream gradient (dout) multiplied in?")
    d = (g - w).ravel()
    if d.size > 1 and np.all(np.abs(d - d[0]) <= atol + rtol * np.abs(w).max()):
        return _("off by a constant everywhere: a missing or extra bias/offset term")
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
    name = given(name)
    msg, g, w = _comparable(got, expected, name)
    if msg is None:
        wrong = ~np.isclose(g, w, rtol=rtol, atol=atol)
        if not wrong.any():
            return
        ix = _first(wrong)
        msg = _("{where} is {got} but should be {want}").format(where=_at(name, ix), got=_num(g[ix]),
                                                                 want=_num(w[ix]))
        msg += (_(" ({count} of {size} elements differ).").format(count=wrong.sum(), size=wrong.size)
                if g.ndim else _("."))
        cause = diagnose(g, w, rtol=rtol, atol=atol)
        if cause:
            msg += "\n" + _("Likely cause: {cause}.").format(cause=cause)
    if hint:
        msg += "\n" + _("Hint: {hint}").format(hint=given(hint))
    raise AssertionError(msg)


# How the last `pending(what)` block that did not finish ended, per `what`, until one finishes:
# ("unfinished", function) or ("crashed", description of the error).
_outcomes = {}


def _remember(what, kind, detail):
    _outcomes.pop(what, None)  # re-inserted last: the most recent outcome comes last
    _outcomes[what] = (kind, detail)


def _notebook_function(error):
    """The innermost function of the notebook (defined in a cell, module __main__) that `error` went through."""
    name = None
    for frame, _ in traceback.walk_tb(error.__traceback__):
        code = frame.f_code.co_name
        if frame.f_globals.get("__name__") == "__main__" and code.isidentifier():
            name = code
    return name


def _unfinished(error):
    """The notebook function whose stub raised this NotImplementedError, or None (raised by other code)."""
    name = _notebook_function(error)
    frames = list(traceback.walk_tb(error.__traceback__))
    raised_in = frames[-1][0] if frames else None
    if name and raised_in is not None and raised_in.f_code.co_name == name \
            and raised_in.f_globals.get("__name__") == "__main__":
        return name
    return None


def describe_error(error):
    """One line for a learner: '`train` raised ValueError: shapes (4,) and (3,) not aligned'.

    Introduced in Lesson 1 (chain rule).

    Inputs:
    - error: an exception

    Returns:
    - str naming the innermost function of the notebook the error went through (when there is
      one), the error's type and the first line of its message
    """
    lines = str(error).strip().splitlines()
    text = type(error).__name__ + (f": {lines[0][:300]}" if lines else "")
    name = _notebook_function(error)
    return _("`{function}` raised {error}").format(function=name, error=text) if name else text


def _cause(error, what=None):
    """Why a NotImplementedError was raised: ("unfinished", function), ("crashed", description) or (None, None).

    A stub's own NotImplementedError names its function. One raised by other code (e.g. a cell's
    "training has not run" guard) is explained by how the last unfinished `pending(what)` block
    ended (the last of any `what` when what is None): the error it met, or the stub.
    """
    name = _unfinished(error)
    if name:
        return "unfinished", name
    if what is not None:
        return _outcomes.get(what, (None, None))
    return list(_outcomes.values())[-1] if _outcomes else (None, None)


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
            if _ran_without_defining(namespace, name):
                raise NameError(_("`{name}` is not defined: the cell of {where} ran but stopped with an error "
                                  "before defining it (see that cell's output). Fix it and run it again.").format(
                                    name=name, where=given(where)))
            raise NameError(_("`{name}` is not defined yet: run the cell of {where} first "
                              "(or Run > Run All Above).").format(name=name, where=given(where)))


def _ran_without_defining(namespace, name):
    """True when a cell that defines `name` was run (IPython's In history) yet `name` is missing."""
    history = namespace.get("In")
    if not isinstance(history, list):
        return False
    defines = re.compile(rf"^(def|class)\s+{re.escape(name)}\b|^{re.escape(name)}\s*(,[^=]*)?=(?!=)", re.M)
    return any(isinstance(source, str) and defines.search(source) for source in history)


@contextmanager
def pending(what):
    """Skip a demonstration cell quietly while the exercise it uses is unfinished.

    Introduced in Lesson 1 (chain rule).

    Inside `with pending("Exercise 3"):` a NotImplementedError (the stub the
    learner has not replaced yet) is swallowed and one line is printed, naming
    the unfinished function; any other exception propagates, since it points at
    a real bug, and is remembered: a later `pending` block with the same `what`
    that cannot run because of it (e.g. `raise NotImplementedError("training has
    not run")`) says which function raised what, not "not done yet".

    Inputs:
    - what: str naming the exercises the cell needs

    Returns:
    - a context manager
    """
    try:
        yield
    except NotImplementedError as error:
        kind, detail = _cause(error, what)
        shown = given(what)
        if kind == "crashed":
            print(_("Skipped: this cell needs {what}, and an earlier cell that uses them stopped with an error: "
                    "{error}. Fix that error, run that cell again, then this one.").format(what=shown, error=detail))
            return
        why = (_(" (`{function}` still raises NotImplementedError)").format(function=detail) if kind == "unfinished"
               else f" ({given(str(error))})" if str(error) else "")
        print(_("Skipped: this cell needs {what}, not done yet{why}. Finish it, then run this cell again.").format(
            what=shown, why=why))
        if kind == "unfinished":
            _remember(what, kind, detail)
    except (Exception, KeyboardInterrupt) as error:
        _remember(what, "crashed", describe_error(error))
        raise
    else:
        _outcomes.pop(what, None)
