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
    """Gaussian clusters in the plane, one per class, shuffled.

    Used from Lesson 2 (perceptron, two classes) and Lesson 5 (softmax, k classes).

    Inputs:
    - n: int >= k, number of points, split as evenly as possible over the k classes
      (the first classes get the extra points)
    - seed: int, seed of np.random.default_rng
    - centers: shape (k, 2), k >= 2, the centre of class 0, 1, ..., k - 1
    - spread: positive float, standard deviation of each cluster
    - signed: if True, labels are -1/+1 instead of 0/1 (two classes only)

    Returns:
    - X: float64 array of shape (n, 2)
    - t: float64 array of shape (n,), class labels 0..k-1 (or -1/+1)
    """
    centers = np.asarray(centers, dtype=np.float64)
    if centers.ndim != 2 or centers.shape[1] != 2 or centers.shape[0] < 2 or not np.isfinite(centers).all():
        raise ValueError(f"centers must be finite with shape (k, 2), k >= 2; got shape {centers.shape}")
    k = centers.shape[0]
    if signed and k != 2:
        raise ValueError(f"signed labels need exactly 2 classes; got {k} centers")
    n = _int_at_least("n", n, k)
    if not (isinstance(spread, numbers.Real) and 0 < spread < np.inf):
        raise ValueError(f"spread must be a positive finite number; got {spread!r}")
    rng = np.random.default_rng(_seed(seed))
    t = np.repeat(np.arange(k), [n // k + (c < n % k) for c in range(k)])
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


def _noise(noise):
    if not (isinstance(noise, numbers.Real) and 0 <= noise < np.inf):
        raise ValueError(f"noise must be a finite number >= 0; got {noise!r}")
    return float(noise)


def circles(n=200, noise=0.1, seed=0, factor=0.5, signed=False):
    """Two concentric rings: class 1 inside (radius factor), class 0 outside (radius 1), shuffled.

    Used from Lesson 3 (MLP playground). No line separates the classes.

    Inputs:
    - n: int >= 2, number of points, half on each ring (the outer ring gets the extra point)
    - noise: float >= 0, standard deviation of Gaussian noise added to each coordinate
    - seed: int, seed of np.random.default_rng
    - factor: float in (0, 1), radius of the inner ring
    - signed: if True, labels are -1/+1 instead of 0/1

    Returns:
    - X: float64 array of shape (n, 2)
    - t: float64 array of shape (n,)
    """
    n = _int_at_least("n", n, 2)
    noise = _noise(noise)
    if not (isinstance(factor, numbers.Real) and 0 < factor < 1):
        raise ValueError(f"factor must be a number in (0, 1); got {factor!r}")
    rng = np.random.default_rng(_seed(seed))
    t = np.repeat([0, 1], [n - n // 2, n // 2])
    radius = np.where(t == 1, factor, 1.0)
    angle = rng.uniform(0, 2 * np.pi, n)
    X = radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    X += noise * rng.standard_normal((n, 2))
    order = rng.permutation(n)
    return X[order], _labels(t[order], signed)


def moons(n=200, noise=0.1, seed=0, signed=False):
    """Two interleaving half circles (class 0 on top, class 1 below and shifted), shuffled.

    Used from Lesson 3 (MLP playground). No line separates the classes.

    Inputs:
    - n: int >= 2, number of points, half on each moon (class 0 gets the extra point)
    - noise: float >= 0, standard deviation of Gaussian noise added to each coordinate
    - seed: int, seed of np.random.default_rng
    - signed: if True, labels are -1/+1 instead of 0/1

    Returns:
    - X: float64 array of shape (n, 2), roughly within [-1.2, 2.2] x [-0.7, 1.2]
    - t: float64 array of shape (n,)
    """
    n = _int_at_least("n", n, 2)
    noise = _noise(noise)
    rng = np.random.default_rng(_seed(seed))
    t = np.repeat([0, 1], [n - n // 2, n // 2])
    angle = rng.uniform(0, np.pi, n)
    upper = np.column_stack([np.cos(angle), np.sin(angle)])
    lower = np.column_stack([1 - np.cos(angle), 0.5 - np.sin(angle)])
    X = np.where((t == 0)[:, None], upper, lower) + noise * rng.standard_normal((n, 2))
    order = rng.permutation(n)
    return X[order], _labels(t[order], signed)
