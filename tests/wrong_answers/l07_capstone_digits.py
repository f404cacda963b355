"""Known-wrong answers for Lesson 7 (capstone: a digit classifier from your own layers)."""

AFFINE_BACKWARD = '''

def affine_backward(dout, cache):
    x, w = cache
    if np.shape(dout) != (x.shape[0], w.shape[1]):
        raise ValueError(f"dout must have shape {(x.shape[0], w.shape[1])}; got {np.shape(dout)}")
    return {dx}, {dw}, {db}
'''

AFFINE_FORWARD = '''
def affine_forward(x, w, b):
    x, w, b = np.asarray(x, dtype=float), np.asarray(w, dtype=float), np.asarray(b, dtype=float)
    if x.ndim != 2 or w.ndim != 2 or b.ndim != 1 or x.shape[1] != w.shape[0] or w.shape[1] != b.shape[0]:
        raise ValueError(f"shapes do not fit: x {x.shape}, w {w.shape}, b {b.shape}")
    return x @ w + b, (x, w)
'''


def affine(dx="dout @ w.T", dw="x.T @ dout", db="dout.sum(axis=0)", forward=AFFINE_FORWARD):
    return forward + AFFINE_BACKWARD.replace("{dx}", dx).replace("{dw}", dw).replace("{db}", db)


RELU_FORWARD = '''
def relu_forward(z):
    z = np.asarray(z, dtype=float)
    return np.maximum(z, 0.0), z > 0
'''


def relu(backward="return np.where(cache, dout, 0.0)", forward=RELU_FORWARD):
    return forward + f'''

def relu_backward(dout, cache):
    {backward}
'''


def softmax_loss(log_y="shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))",
                 shift="z - z.max(axis=1, keepdims=True)", mean="/ len(z)", backward="dout * (y - targets) / len(y)"):
    return f'''
def softmax_with_loss_forward(z, t):
    z, t = np.asarray(z, dtype=float), np.asarray(t)
    targets = np.eye(z.shape[1])[t] if t.ndim == 1 else t.astype(float)
    shifted = {shift}
    log_y = {log_y}
    return float(-np.sum(targets * log_y) {mean}), (np.exp(log_y), targets)


def softmax_with_loss_backward(dout, cache):
    y, targets = cache
    return {backward}
'''



def forward(body):
    return f'''
def mlp_forward(params, x):
{body}
'''


def loss(body):
    return f'''
def mlp_loss(params, x, t):
    scores, caches = mlp_forward(params, x)
    loss, loss_cache = softmax_with_loss_forward(scores, t)
{body}
'''


BACKWARD = '''
    dout = softmax_with_loss_backward(1.0, loss_cache)
    grads = {}
    for k in range(len(params) // 2, 0, -1):
        dout, grads[f"w{k}"], grads[f"b{k}"] = affine_backward(dout, caches.pop())
        if k > 1:
            dout = relu_backward(dout, caches.pop())
    return loss, grads'''


def inline_backward(dw="a.T @ dout", db="dout.sum(axis=0)", da="dout @ w.T"):
    """A backward pass written out by hand, without the layer functions, for a 2-layer network."""
    return loss(f'''
    x1 = np.maximum(x @ params["w1"] + params["b1"], 0)
    dout = softmax_with_loss_backward(1.0, loss_cache)
    grads = {{}}
    for k, a in [(2, x1), (1, x)]:
        w = params[f"w{{k}}"]
        grads[f"w{{k}}"], grads[f"b{{k}}"] = {dw}, {db}
        dout = ({da}) * (a > 0)
    return loss, grads''')


def batches(body):
    return f'''
def minibatches(x, t, batch_size, rng):
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be an int >= 1; got {{batch_size!r}}")
    if len(x) != len(t):
        raise ValueError(f"x and t differ in length: {{np.shape(x)}} and {{np.shape(t)}}")
{body}
'''


def sgd(body):
    return f'''
def sgd_step(params, grads, lr):
{body}
'''


def training(epoch_loop, record="losses.append(total / len(x))", step="params = sgd_step(params, grads, lr)",
             weight="loss * len(x_batch)"):
    return f'''
def train(params, x, t, lr, epochs, batch_size, rng, on_epoch=None):
    losses = []
    {epoch_loop}
        total = 0.0
        for x_batch, t_batch in {{batches}}:
            loss, grads = mlp_loss(params, x_batch, t_batch)
            {step}
            total += {weight}
        {record}
        if on_epoch is not None:
            on_epoch(epoch, params)
    return params, losses
'''.replace("{batches}", "minibatches(x, t, batch_size, rng)" if "fixed" not in epoch_loop else "fixed")


EPOCHS = "for epoch in range(1, epochs + 1):"

WRONG = {
    "ex_affine_layer": {
        "db as the mean over the batch instead of the sum": affine(db="dout.mean(axis=0)"),
        "dw with the wrong transpose (dout^T x)": affine(dw="dout.T @ x"),
        "dx through w instead of its transpose": affine(dx="dout @ w"),
        "dw divided by N (the 1/N belongs to the loss, not the layer)": affine(dw="x.T @ dout / len(x)"),
        "b of shape (1, H) or a 1-D x accepted (the visible checks pass)": affine(forward='''
def affine_forward(x, w, b):
    x, w, b = np.asarray(x, dtype=float), np.asarray(w, dtype=float), np.asarray(b, dtype=float)
    if x.shape[-1] != w.shape[0]:
        raise ValueError(f"shapes do not fit: x {x.shape}, w {w.shape}")
    return x @ w + b, (x, w)
'''),
    },
    "ex_relu_layer": {
        "gradient passed at z = 0 too (mask z >= 0)": RELU_FORWARD.replace("z > 0", "z >= 0") + relu()[len(RELU_FORWARD):],
        "dout modified in place": relu("dout[~cache] = 0.0\n    return dout"),
        "z clipped in place by the forward pass": relu(forward='''
def relu_forward(z):
    mask = z > 0
    z[~mask] = 0.0
    return z, mask
'''),
        "works for 2-D arrays only (the visible checks pass)": relu(forward='''
def relu_forward(z):
    z = np.asarray(z, dtype=float).reshape(len(z), -1)
    return np.maximum(z, 0.0), z > 0
'''),
    },
    "ex_softmax_with_loss_layer": {
        "summed loss instead of the mean": softmax_loss(mean=""),
        "no max subtracted (exp overflows)": softmax_loss(shift="z"),
        "dout forgotten in the backward pass": softmax_loss(backward="(y - targets) / len(y)"),
        "backward without 1/N": softmax_loss(backward="dout * (y - targets)"),
        "one max over the whole batch instead of per row (the visible checks pass)": softmax_loss(shift="z - z.max()"),
    },
    "ex_mlp_forward": {
        "ReLU after the last layer too (scores clipped at 0)": forward('''
    a, caches = x, []
    for k in range(1, len(params) // 2 + 1):
        a, cache = affine_forward(a, params[f"w{k}"], params[f"b{k}"])
        caches.append(cache)
        a, cache = relu_forward(a)
        caches.append(cache)
    return a, caches'''),
        "no ReLU between the layers (a linear network)": forward('''
    a, caches = x, []
    for k in range(1, len(params) // 2 + 1):
        a, cache = affine_forward(a, params[f"w{k}"], params[f"b{k}"])
        caches.append(cache)
    return a, caches'''),
        "ReLU before each affine layer instead of after": forward('''
    a, caches = x, []
    for k in range(1, len(params) // 2 + 1):
        a, cache = relu_forward(a)
        caches.append(cache)
        a, cache = affine_forward(a, params[f"w{k}"], params[f"b{k}"])
        caches.append(cache)
    return a, caches'''),
        "written for exactly two layers (the visible checks pass)": forward('''
    z1, cache1 = affine_forward(x, params["w1"], params["b1"])
    a1, cache_relu = relu_forward(z1)
    scores, cache2 = affine_forward(a1, params["w2"], params["b2"])
    return scores, [cache1, cache_relu, cache2]'''),
    },
    "ex_mlp_loss": {
        "ReLU mask missing in the backward pass": loss('''
    dout = softmax_with_loss_backward(1.0, loss_cache)
    grads = {}
    for k in range(len(params) // 2, 0, -1):
        dout, grads[f"w{k}"], grads[f"b{k}"] = affine_backward(dout, caches.pop())
        if k > 1:
            caches.pop()
    return loss, grads'''),
        "dscores = p - t computed by hand, forgetting 1/N": loss('''
    p, T = loss_cache
    dout = p - T
    grads = {}
    for k in range(len(params) // 2, 0, -1):
        dout, grads[f"w{k}"], grads[f"b{k}"] = affine_backward(dout, caches.pop())
        if k > 1:
            dout = relu_backward(dout, caches.pop())
    return loss, grads'''),
        "weight gradient with the wrong transpose (dout^T a)": inline_backward(dw="dout.T @ a"),
        "bias gradient summed over the wrong axis": inline_backward(db="dout.sum(axis=1)"),
        "gradient sent back through W instead of its transpose": inline_backward(da="dout @ w"),
        "caches walked in forward order": loss('''
    dout = softmax_with_loss_backward(1.0, loss_cache)
    grads = {}
    for k in range(len(params) // 2, 0, -1):
        dout, grads[f"w{k}"], grads[f"b{k}"] = affine_backward(dout, caches.pop(0))
        if k > 1:
            dout = relu_backward(dout, caches.pop(0))
    return loss, grads'''),
        "written for exactly two layers (the visible checks pass)": loss('''
    dout = softmax_with_loss_backward(1.0, loss_cache)
    cache1, cache_relu, cache2 = caches[:3]
    da1, dW2, db2 = affine_backward(dout, cache2)
    _, dW1, db1 = affine_backward(relu_backward(da1, cache_relu), cache1)
    return loss, {"w1": dW1, "b1": db1, "w2": dW2, "b2": db2}'''),
    },
    "ex_minibatches": {
        "last partial batch dropped": batches('''
    order = rng.permutation(len(x))
    for start in range(0, len(x) - batch_size + 1, batch_size):
        batch = order[start:start + batch_size]
        yield x[batch], t[batch]'''),
        "not shuffled": batches('''
    for start in range(0, len(x), batch_size):
        yield x[start:start + batch_size], t[start:start + batch_size]'''),
        "x and t shuffled separately (labels no longer match)": batches('''
    x, t = x[rng.permutation(len(x))], t[rng.permutation(len(t))]
    for start in range(0, len(x), batch_size):
        yield x[start:start + batch_size], t[start:start + batch_size]'''),
        "samples drawn with replacement (some repeat, some never come)": batches('''
    order = rng.integers(0, len(x), size=len(x))
    for start in range(0, len(x), batch_size):
        batch = order[start:start + batch_size]
        yield x[batch], t[batch]'''),
        "the caller's x and t shuffled in place": batches('''
    order = rng.permutation(len(x))
    x[:], t[:] = x[order], t[order]
    for start in range(0, len(x), batch_size):
        yield x[start:start + batch_size], t[start:start + batch_size]'''),
        "no ValueError for a bad batch size": '''
def minibatches(x, t, batch_size, rng):
    order = rng.permutation(len(x))
    for start in range(0, len(x), max(int(batch_size), 1)):
        batch = order[start:start + max(int(batch_size), 1)]
        yield x[batch], t[batch]
''',
    },
    "ex_sgd_step": {
        "plus sign (climbs the loss)": sgd('''
    return {name: value + lr * grads[name] for name, value in params.items()}'''),
        "learning rate applied twice": sgd('''
    return {name: value - lr * (lr * grads[name]) for name, value in params.items()}'''),
        "grads scaled in place (the caller's grads change)": sgd('''
    for name in grads:
        grads[name] *= lr
    return {name: value - grads[name] for name, value in params.items()}'''),
        "params updated in place and returned": sgd('''
    for name in params:
        params[name] -= lr * grads[name]
    return params'''),
        "written for w1, b1, w2, b2 only (the visible checks pass)": sgd('''
    new = dict(params)
    for name in ["w1", "b1", "w2", "b2"]:
        if name in params:
            new[name] = params[name] - lr * grads[name]
    return new'''),
    },
    "ex_train": {
        "sgd_step's result thrown away (never learns)": training(EPOCHS, step="sgd_step(params, grads, lr)"),
        "one epoch too few": training("for epoch in range(1, epochs):"),
        "the same batches every epoch (the visible checks pass)": training(
            "fixed = list(minibatches(x, t, batch_size, rng))\n    for epoch in range(1, epochs + 1):"),
        "unweighted mean of the batch losses (the last, smaller batch counts as much as a full one)": training(EPOCHS, weight="loss * len(x) / -(-len(x) // batch_size)"),
        "full-batch gradient at every step (the visible check of batches 16, 16 and 8 catches it)": training(EPOCHS, step="params = sgd_step(params, mlp_loss(params, x, t)[1], lr)"),
    },
}
