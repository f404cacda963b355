"""Known-wrong answers for Lesson 5 (softmax with cross-entropy)."""


def softmax(body):
    return f'''
def softmax(z):
{body}
'''


ONE_HOT = '''
def one_hot(t, shape):
    if len(shape) != 2:
        raise ValueError(f"shape must be (N, C); got {shape}")
    n, c = shape
    t = np.asarray(t, dtype=float)
    if t.shape == (n,):
        if np.any(t != np.round(t)) or np.any(t < 0) or np.any(t > c - 1):
            raise ValueError(f"class indices must be whole numbers in 0..{c - 1}; got {t}")
        return np.eye(c)[t.astype(int)]
    if t.shape == (n, c):
        if np.any(t < 0) or not np.allclose(t.sum(axis=1), 1.0):
            raise ValueError(f"one-hot rows must sum to 1; got {t.sum(axis=1)}")
        return t.copy()
    raise ValueError(f"t of shape {t.shape} does not label shape {(n, c)}")
'''


def cross_entropy(loss="float(-np.sum(T * np.log(np.maximum(p, 1e-12))) / p.shape[0])", one_hot=ONE_HOT):
    return one_hot + f'''
def cross_entropy(p, t):
    p = np.asarray(p, dtype=float)
    T = one_hot(t, p.shape)
    return {loss}
'''


def jacobian(body):
    return f'''
def softmax_jacobian(z):
    p = softmax(z)
{body}
'''


def layer(loss="-np.sum(T * log_p) / z.shape[0]", dz="dout * (p - T) / p.shape[0]",
          shift="shifted = z - z.max(axis=1, keepdims=True)"):
    return f'''
def softmax_with_loss_forward(z, t):
    z = np.asarray(z, dtype=float)
    T = one_hot(t, z.shape)
    {shift}
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = {loss}
    return float(loss), (np.exp(log_p), T)


def softmax_with_loss_backward(dout, cache):
    p, T = cache
    return {dz}
'''


def training(update="w, b = w - lr * dw, b - lr * db"):
    return f'''
def train_classifier(x, t, w, b, lr, steps):
    losses = []
    for _ in range(steps):
        z, affine_cache = affine_forward(x, w, b)
        loss, loss_cache = softmax_with_loss_forward(z, t)
        dz = softmax_with_loss_backward(1.0, loss_cache)
        _, dw, db = affine_backward(dz, affine_cache)
        {update}
        losses.append(loss)
    return w, b, losses
'''


WRONG = {
    "ex_softmax": {
        "no max subtraction (overflows at huge scores)": softmax('''
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)'''),
        "softmax over the wrong axis (columns)": softmax('''
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)'''),
        "max of the whole batch, not of each row (the visible checks pass)": softmax('''
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max())
    return e / e.sum(axis=-1, keepdims=True)'''),
        "input modified in place": softmax('''
    z -= z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)'''),
        "only works for batches (axis=1)": softmax('''
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)'''),
    },
    "ex_cross_entropy": {
        "log of the wrong thing (1 - p)": cross_entropy(
            loss="float(-np.sum(T * np.log(np.maximum(1 - p, 1e-12))) / p.shape[0])"),
        "log of every probability, not only the true class's": cross_entropy(
            loss="float(-np.sum(np.log(np.maximum(p, 1e-12))) / p.shape[0])"),
        "mean over all N*C entries instead of over the samples": cross_entropy(
            loss="float(-np.mean(T * np.log(np.maximum(p, 1e-12))))"),
        "summed over the batch instead of the mean": cross_entropy(
            loss="float(-np.sum(T * np.log(np.maximum(p, 1e-12))))"),
        "log(0) not handled": cross_entropy(loss="float(-np.sum(T * np.log(p)) / p.shape[0])"),
        "labels not checked (numpy indexing does what it likes)": cross_entropy(one_hot='''
def one_hot(t, shape):
    t = np.asarray(t)
    return np.eye(shape[1])[t.astype(int)] if t.ndim == 1 else t.astype(float)
'''),
        "range check forgets negative and fractional indices (the visible checks pass)": cross_entropy(one_hot='''
def one_hot(t, shape):
    n, c = shape
    t = np.asarray(t, dtype=float)
    if t.shape == (n,):
        if np.any(t >= c):
            raise ValueError(f"class index out of range 0..{c - 1}: {t}")
        return np.eye(c)[t.astype(int)]
    if t.shape == (n, c):
        if not np.allclose(t.sum(axis=1), 1.0):
            raise ValueError(f"one-hot rows must sum to 1; got {t.sum(axis=1)}")
        return t.copy()
    raise ValueError(f"t of shape {t.shape} does not label shape {(n, c)}")
'''),
    },
    "ex_softmax_jacobian": {
        "diagonal p_i instead of p_i (1 - p_i)": jacobian('''
    return np.diag(p) - np.outer(p, p) + np.diag(p ** 2)'''),
        "diagonal term missing (only -p p^T)": jacobian('''
    return -np.outer(p, p)'''),
        "off-diagonal sign flipped (+p_i p_j)": jacobian('''
    return np.diag(p * (1 - p)) + np.outer(p, p) - np.diag(p ** 2)'''),
        "off-diagonal entries left at 0": jacobian('''
    return np.diag(p * (1 - p))'''),
    },
    "ex_softmax_with_loss": {
        "forgotten 1/N in the gradient": layer(dz="dout * (p - T)"),
        "sign flipped (t - p)": layer(dz="dout * (T - p) / p.shape[0]"),
        "upstream gradient dout ignored (the visible checks pass)": layer(dz="(p - T) / p.shape[0]"),
        "loss from clipped probabilities (stops at -log 1e-12)": layer(
            loss="-np.sum(T * np.log(np.maximum(np.exp(log_p), 1e-12))) / z.shape[0]"),
        "loss summed over the batch, not averaged": layer(loss="-np.sum(T * log_p)"),
        "z modified in place": layer(shift="z -= z.max(axis=1, keepdims=True); shifted = z"),
    },
    "ex_train_classifier": {
        "plus sign in the update": training(update="w, b = w + lr * dw, b + lr * db"),
        "bias never updated": training(update="w = w - lr * dw"),
        "w and b updated in place (the caller's arrays change)": training(
            update="w -= lr * dw; b -= lr * db"),
        "learning rate forgotten": training(update="w, b = w - dw, b - db"),
    },
}
