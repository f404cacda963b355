"""Small seeded data sets for the lessons.

Every generator draws from its own np.random.default_rng(seed), never from
the global RNG, so a cell gives the same data however often it is re-run.
"""
import numbers

import numpy as np

_GATES = {"and": (0, 0, 0, 1), "or": (0, 1, 1, 1), "nand": (1, 1, 1, 0),
          "nor": (1, 0, 0, 0), "xor": (0, 1, 1, 0)}
_CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


def _labels(t, signed):
    """0/1 labels as float64, mapped to -1/+1 if signed."""
    t = np.asarray(t, dtype=np.float64)
    return 2.0 * t - 1.0 if signed else t


def _int_at_least(name, value, low):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{name} must be an int >= {low}; got {value!r}")
    return int(value)


def _seed(seed):
    return _int_at_least("seed", seed, 0)


def gate_data(name, signed=False):
    """Truth table of a two-input logic gate.

    Used from Lesson 2 (perceptron).

    Inputs:
    - name: one of "and", "or", "nand", "nor", "xor" (any case)
    - signed: if True, labels are -1/+1 instead of 0/1

    Returns:
    - X: float64 array of shape (4, 2), rows (0,0), (0,1), (1,0), (1,1)
    - t: float64 array of shape (4,), the gate's output for each row
    """
    key = name.lower() if isinstance(name, str) else None
    if key not in _GATES:
        raise ValueError(f"name must be one of {sorted(_GATES)}; got {name!r}")
    return _CORNERS.copy(), _labels(_GATES[key], signed)


def blobs(n=100, seed=0, centers=((-1.0, -1.0), (1.0, 1.0)), spread=0.5, signed=False):
    """Two Gaussian clusters in the plane, one per class, shuffled.

    Used from Lesson 2 (perceptron).

    Inputs:
    - n: int >= 2, number of points, split as evenly as possible
      (class 0 gets the extra point when n is odd)
    - seed: int, seed of np.random.default_rng
    - centers: shape (2, 2), centre of class 0 then of class 1
    - spread: positive float, standard deviation of each cluster
    - signed: if True, labels are -1/+1 instead of 0/1

    Returns:
    - X: float64 array of shape (n, 2)
    - t: float64 array of shape (n,)
    """
    n = _int_at_least("n", n, 2)
    centers = np.asarray(centers, dtype=np.float64)
    if centers.shape != (2, 2) or not np.isfinite(centers).all():
        raise ValueError(f"centers must be finite with shape (2, 2); got shape {centers.shape}")
    if not (isinstance(spread, numbers.Real) and 0 < spread < np.inf):
        raise ValueError(f"spread must be a positive finite number; got {spread!r}")
    rng = np.random.default_rng(_seed(seed))
    t = np.repeat([0, 1], [n - n // 2, n // 2])
    X = centers[t] + spread * rng.standard_normal((n, 2))
    order = rng.permutation(n)
    return X[order], _labels(t[order], signed)


def xor_data(n=200, noise=0.15, seed=0, signed=False):
    """Noisy points around the four corners of the unit square, labelled by XOR.

    Used from Lesson 2 (perceptron).

    Inputs:
    - n: int >= 4, number of points, spread evenly over the corners
    - noise: float >= 0, standard deviation of the scatter around a corner
    - seed: int, seed of np.random.default_rng
    - signed: if True, labels are -1/+1 instead of 0/1

    Returns:
    - X: float64 array of shape (n, 2)
    - t: float64 array of shape (n,), XOR of the corner each point came from
    """
    n = _int_at_least("n", n, 4)
    if not (isinstance(noise, numbers.Real) and 0 <= noise < np.inf):
        raise ValueError(f"noise must be a finite number >= 0; got {noise!r}")
    rng = np.random.default_rng(_seed(seed))
    corner = rng.permutation(np.arange(n) % 4)
    X = _CORNERS[corner] + noise * rng.standard_normal((n, 2))
    return X, _labels(np.array(_GATES["xor"])[corner], signed)
