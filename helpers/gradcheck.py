"""Numerical gradients by central differences, to check analytic ones."""
import numbers

import numpy as np

from .checks import _at, _comparable, _num, diagnose
from .i18n import _, given

# Central differences with h = 1e-5 cannot resolve absolute differences much
# below this (round-off in f is amplified by 1/2h), so they count as agreement.
_NOISE = 1e-8


def _check_x(x):
    """Reject arrays that central differences cannot perturb reliably."""
    if x.dtype != np.float64:
        kind = x.dtype.kind
        why = (_("x ± h cannot be stored") if kind in "biu" else
               _("too imprecise for central differences, use float64") if kind == "f" else
               _("central differences need real float64 values"))
        raise ValueError(_("x must hold floats (float64); got {dtype}: {why}").format(dtype=x.dtype, why=why))
    if not x.flags.writeable:
        raise ValueError(_("x must be a writeable array: it is perturbed in place"))
    bad = ~np.isfinite(x)
    if bad.any():
        ix = tuple(np.argwhere(bad)[0])
        raise ValueError(_("x must be finite; got {value} at {element}").format(value=x[ix], element=_at('x', ix)))


def _evaluate(f, x, where):
    """f(x) as a fresh float64 array (a copy: f may return a view of x)."""
    out = f(x)
    try:
        out = np.array(out, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(_("f(x) must return numbers; got {type}").format(type=type(out).__name__)) from None
    if not np.all(np.isfinite(out)):
        raise ValueError(_("f(x) is not finite {where}").format(where=where))
    return out


def _rel_errors(a, b):
    """Element-wise |a - b| / max(|a| + |b|, 1e-8) (the CS231n form)."""
    return np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8)


def numerical_gradient(f, x, dout=None, h=1e-5):
    """Gradient of f at x by central differences, in float64.

    Introduced in Lesson 1 (chain rule).

    x is perturbed IN PLACE, one element at a time, so a function that
    closes over x (CS231n style: `lambda _: loss(x, W)`) sees each change;
    every element is restored exactly (the old value is saved and put back,
    even if f raises).

    Inputs:
    - f: callable; f(x) returns a scalar, or an array of dout's shape
    - x: float64 array of any shape (D1, ..., Dk), or a Python number
      (then converted to a float64 0-d array)
    - dout: optional array of f(x)'s shape, the upstream gradient; then the
      result is the gradient of sum(f(x) * dout)
    - h: step of the central differences

    Returns:
    - grad: float64 array of shape (D1, ..., Dk), or a Python float when x
      is a number or a 0-d array
    """
    if not isinstance(x, np.ndarray):
        if isinstance(x, bool) or not isinstance(x, numbers.Real):
            raise ValueError(_("x must be a float64 array or a Python float; got {type}").format(type=type(x).__name__))
        x = np.array(float(x))
    _check_x(x)
    if not (isinstance(h, numbers.Real) and 0 < h < np.inf):
        raise ValueError(f"h must be a positive finite number; got {h!r}")
    out = _evaluate(f, x, _("at the unperturbed x"))
    if dout is None:
        if out.size != 1:
            raise ValueError(_("f(x) must return a scalar when dout is None; got shape {shape} "
                               "(pass dout to differentiate an array-valued f)").format(shape=out.shape))
        weight = np.ones_like(out)
    else:
        weight = np.asarray(dout, dtype=np.float64)
        if weight.shape != out.shape:
            raise ValueError(_("dout must have the shape of f(x); got dout {dout} and f(x) {out}").format(
                dout=weight.shape, out=out.shape))
        if not np.all(np.isfinite(weight)):
            raise ValueError(_("dout must be finite"))

    grad = np.zeros_like(x)
    for ix in np.ndindex(x.shape):
        old = x[ix]
        where = _("while perturbing {element}").format(element=_at('x', ix))
        try:
            x[ix] = old + h
            plus = _evaluate(f, x, where)
            x[ix] = old - h
            minus = _evaluate(f, x, where)
        finally:
            x[ix] = old
        grad[ix] = np.sum((plus - minus) * weight) / (2 * h)
    return float(grad) if grad.ndim == 0 else grad


def rel_error(a, b):
    """Largest element-wise relative error between two arrays (CS231n form).

    Introduced in Lesson 1 (chain rule).

    Inputs:
    - a, b: numbers or arrays of the same shape S

    Returns:
    - err: Python float, max |a - b| / max(|a| + |b|, 1e-8); 0.0 if empty
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(_("a and b must have the same shape; got a {a} and b {b}").format(a=a.shape, b=b.shape))
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ValueError(_("a and b must be finite; got nan or inf"))
    return float(_rel_errors(a, b).max()) if a.size else 0.0


def check_gradient(f, x, analytic, name="gradient", dout=None, tol=1e-6):
    """Compare an analytic gradient with the numerical one, explaining a mismatch.

    Introduced in Lesson 1 (chain rule).

    The numerical gradient perturbs the very x passed in (see
    numerical_gradient), so f may close over it. Elements whose absolute
    difference is below 1e-8 count as equal: that is numerical noise.

    Inputs:
    - f, x, dout: as in numerical_gradient; x has shape S
    - analytic: the learner's gradient, expected shape S
    - name: str used in messages (e.g. "dW")
    - tol: largest accepted relative error

    Returns:
    - err: Python float, the max relative error. Raises AssertionError naming
      the worst element, both values there and a likely cause on failure.
    """
    if not (isinstance(tol, numbers.Real) and 0 < tol < np.inf):
        raise ValueError(f"tol must be a positive finite number; got {tol!r}")
    numerical = numerical_gradient(f, x, dout=dout)
    name = given(name) if name != "gradient" else _("gradient")
    msg, a, n = _comparable(analytic, numerical, name)
    if msg:
        raise AssertionError(msg)
    err = np.where(np.abs(a - n) > _NOISE, _rel_errors(a, n), 0.0)
    worst = float(err.max()) if err.size else 0.0
    if worst <= tol:
        return worst
    ix = tuple(np.unravel_index(np.argmax(err), err.shape))
    msg = (_("{name} does not match the numerical gradient: {where} is {got} but numerically {want}.").format(
               name=name, where=_at(name, ix), got=_num(a[ix]), want=_num(n[ix])) + "\n"
           + _("Max relative error {error} > tol {tol}.").format(error=f"{worst:.3g}", tol=f"{tol:g}"))
    # looser than assert_close: the numerical side carries its own small error
    cause = diagnose(a, n, rtol=1e-4, atol=1e-7)
    raise AssertionError(msg + ("\n" + _("Likely cause: {cause}.").format(cause=cause) if cause else ""))
