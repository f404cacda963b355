"""Reference versions of the array layers that Lesson 4 asks the learner to write.

Lessons 5 and later build on them so a learner who is stuck on Lesson 4 can still go on;
Lesson 4 itself checks the learner's own versions and never imports these.

Every layer has the same contract (as in CS231n):
- forward(inputs...) -> (out, cache)
- backward(dout, cache) -> gradients of the inputs, same shapes as the inputs;
  dout is never modified.
"""
import numpy as np


def _shape_error(what, **arrays):
    shapes = ", ".join(f"{k} {np.shape(v)}" for k, v in arrays.items())
    return ValueError(f"{what}; got {shapes}")


def affine_forward(x, w, b):
    """Y = X W + b.

    Inputs:
    - x: (N, D) batch of inputs
    - w: (D, M) weights
    - b: (M,) biases

    Returns:
    - out: (N, M)
    - cache: (x, w)
    """
    x, w, b = np.asarray(x, float), np.asarray(w, float), np.asarray(b, float)
    if x.ndim != 2 or w.ndim != 2 or b.ndim != 1 or x.shape[1] != w.shape[0] or w.shape[1] != b.shape[0]:
        raise _shape_error("affine_forward needs x (N, D), w (D, M), b (M,)", x=x, w=w, b=b)
    return x @ w + b, (x, w)


def affine_backward(dout, cache):
    """Backward of affine_forward.

    Inputs:
    - dout: (N, M) upstream gradient
    - cache: (x, w) from affine_forward

    Returns:
    - dx: (N, D) = dout W^T,  dw: (D, M) = X^T dout,  db: (M,) = sum of dout over the batch
    """
    x, w = cache
    dout = np.asarray(dout, float)
    if dout.shape != (x.shape[0], w.shape[1]):
        raise _shape_error("affine_backward needs dout shaped like the forward output (N, M)",
                           dout=dout, x=x, w=w)
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)


def relu_forward(x):
    """out = max(0, x) elementwise. Returns (out, cache) with cache the mask x > 0."""
    x = np.asarray(x, float)
    mask = x > 0
    return np.where(mask, x, 0.0), mask


def relu_backward(dout, cache):
    """dx = dout where x > 0, else 0 (the gradient at exactly 0 is taken as 0)."""
    dout = np.asarray(dout, float)
    if dout.shape != cache.shape:
        raise _shape_error("relu_backward needs dout shaped like x", dout=dout, x=cache)
    return np.where(cache, dout, 0.0)


def sigmoid_forward(x):
    """out = 1 / (1 + exp(-x)), computed without overflow. Returns (out, cache) with cache = out."""
    x = np.asarray(x, float)
    e = np.exp(-np.abs(x))  # never overflows
    out = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return out, out


def sigmoid_backward(dout, cache):
    """dx = dout * y * (1 - y), from the forward output y."""
    dout = np.asarray(dout, float)
    if dout.shape != cache.shape:
        raise _shape_error("sigmoid_backward needs dout shaped like the output", dout=dout, y=cache)
    return dout * cache * (1.0 - cache)
