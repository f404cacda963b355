"""Reference versions of the array layers the learner writes in Lessons 4 and 5, for the tests only.

The course's `helpers` package never holds the answer to an exercise (it is importable from every lesson), so the
tests that need a known-good layer take it from here. Lessons 5 and 6 carry the Lesson 4 layers they build on as
given code in the notebook.

Every layer has the same contract:
- forward(inputs...) -> (out, cache)
- backward(dout, cache) -> gradients of the inputs, same shapes as the inputs; dout is never modified.
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


def softmax_with_loss_forward(z, t):
    """Softmax followed by the mean cross-entropy, as one layer (the layer of Lesson 5).

    Inputs:
    - z: (N, C) scores
    - t: (N,) class indices 0..C-1 (ints, or whole-number floats), or (N, C) one-hot rows

    Returns:
    - loss: float, the batch mean of -log p[true class], with log p by log-sum-exp (exact where p underflows)
    - cache: (p, T), the probabilities and the targets as (N, C) rows
    """
    z = np.asarray(z, float)
    t = np.asarray(t, float)
    if z.ndim != 2 or t.shape not in ((z.shape[0],), z.shape):
        raise _shape_error("softmax_with_loss_forward needs z (N, C) and t (N,) or (N, C)", z=z, t=t)
    if t.ndim == 1:
        if np.any(t != np.round(t)) or np.any(t < 0) or np.any(t > z.shape[1] - 1):
            raise ValueError(f"class indices must be whole numbers in 0..{z.shape[1] - 1}; got {t}")
        t = np.eye(z.shape[1])[t.astype(int)]
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-np.sum(t * log_p) / z.shape[0]), (np.exp(log_p), t)


def softmax_with_loss_backward(dout, cache):
    """dz = dout * (p - t) / N, for a number dout (1.0 when the loss is the objective)."""
    p, t = cache
    return dout * (p - t) / p.shape[0]
