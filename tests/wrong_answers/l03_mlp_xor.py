"""Known-wrong answers for Lesson 3 (the multi-layer perceptron and XOR)."""


def affine(check="x.ndim != 2 or w.ndim != 2 or x.shape[1] != w.shape[0] or b.shape != (w.shape[1],)",
           out="x @ w + b"):
    return f'''
def affine(x, w, b):
    x, w, b = (np.asarray(v, dtype=float) for v in (x, w, b))
    if {check}:
        raise ValueError(f"affine needs x (N, D), w (D, H) and b (H,); got x {{x.shape}}, w {{w.shape}}, b {{b.shape}}")
    return {out}
'''


def xor_weights(w1="[[1.0, -1.0], [1.0, -1.0]]", b1="[-0.5, 1.5]", w2="[[1.0], [1.0]]", b2="[-1.5]"):
    return f'''
def xor_by_hand():
    return {{"w1": np.array({w1}), "b1": np.array({b1}), "w2": np.array({w2}), "b2": np.array({b2})}}
'''


def forward(a1='ACTIVATIONS[activation](affine(x, params["w1"], params["b1"]))',
            y='sigmoid(affine(a1, params["w2"], params["b2"]))', cache='(x, a1, y, params["w2"], activation)'):
    return f'''
def mlp_forward(x, params, activation="sigmoid"):
    x = np.asarray(x, dtype=float)
    a1 = {a1}
    y = {y}
    return y, {cache}
'''


MSE = '''
def mse_loss(y, t):
    y, t = np.asarray(y, dtype=float), np.asarray(t, dtype=float)
    if y.shape != t.shape or y.ndim != 2:
        raise ValueError(f"mse_loss needs y and t of one shape (N, K); got y {y.shape}, t {t.shape}")
    n = y.shape[0]
    return float(np.sum((y - t) ** 2) / n), 2 * (y - t) / n
'''


def backward(dz2="dout * y * (1 - y)", dz1="da1 * ACTIVATION_GRADS[activation](a1)", dw1="x.T @ dz1",
             db1="dz1.sum(axis=0)", loss=MSE):
    return loss + f'''
def mlp_backward(dout, cache):
    x, a1, y, w2, activation = cache
    dz2 = {dz2}
    da1 = dz2 @ w2.T
    dz1 = {dz1}
    return {{"w1": {dw1}, "b1": {db1}, "w2": a1.T @ dz2, "b2": dz2.sum(axis=0)}}
'''


def step(update="value - lr * grads[name]", loss_of="params"):
    return f'''
def gd_step(params, x, t, lr, activation="sigmoid"):
    y, cache = mlp_forward(x, params, activation)
    loss, dy = mse_loss(y, t)
    grads = mlp_backward(dy, cache)
    new = {{name: {update} for name, value in params.items()}}
    return new, mse_loss(mlp_forward(x, {loss_of}, activation)[0], t)[0]
'''


def train(init="init_params(x.shape[1], hidden, t.shape[1], seed)", body="params, loss = gd_step(params, x, t, lr, activation)"):
    return f'''
def train(x, t, hidden, activation="sigmoid", lr=4.0, epochs=1000, seed=0):
    params = {init}
    losses = []
    for _ in range(epochs):
        {body}
        losses.append(loss)
    return params, losses
'''


WRONG = {
    "ex_affine": {
        "no shape check (numpy's error does not name the shapes)": '''
def affine(x, w, b):
    return x @ w + b
''',
        "checks only x against w (b of shape (H, 1) and a 1-D x get through; the visible checks pass)":
            affine(check="np.ndim(x) == 2 and x.shape[1] != w.shape[0]"),
        "bias forgotten": affine(out="x @ w"),
        "a sigmoid applied inside (a whole layer, not the affine map)": affine(out="sigmoid(x @ w + b)"),
        "weights used transposed (x w^T)": affine(check="x.shape[1] != w.shape[1]", out="x @ w.T + b"),
    },
    "ex_xor_by_hand": {
        "thresholds on the corners (b = -1 for OR, step(0) = 0)": xor_weights(b1="[-1.0, 2.0]"),
        "thresholds a hair from the corners (no margin; the visible checks pass)": xor_weights(b1="[-0.99, 1.99]"),
        "hidden units in the other order (NAND first)": xor_weights(w1="[[-1.0, 1.0], [-1.0, 1.0]]", b1="[1.5, -0.5]"),
        "AND and OR in the hidden layer": xor_weights(b1="[-1.5, -0.5]", w1="[[1.0, 1.0], [1.0, 1.0]]"),
        "output unit is an OR": xor_weights(b2="[-0.5]"),
    },
    "ex_mlp_forward": {
        "hidden activation also on the output": forward(y='ACTIVATIONS[activation](affine(a1, params["w2"], params["b2"]))'),
        "no sigmoid on the output": forward(y='affine(a1, params["w2"], params["b2"])'),
        "hidden activation always sigmoid (argument ignored)": forward(a1='sigmoid(affine(x, params["w1"], params["b1"]))'),
        "cache holds the pre-activation z1 instead of a1":
            forward(cache='(x, affine(x, params["w1"], params["b1"]), y, params["w2"], activation)'),
        "cache without the activation's name": forward(cache='(x, a1, y, params["w2"])'),
        "cache always names 'sigmoid' (the visible checks pass)": forward(cache='(x, a1, y, params["w2"], "sigmoid")'),
        "returns y alone, no cache": '''
def mlp_forward(x, params, activation="sigmoid"):
    a1 = ACTIVATIONS[activation](affine(x, params["w1"], params["b1"]))
    return sigmoid(affine(a1, params["w2"], params["b2"]))
''',
    },
    "ex_backprop": {
        "sum instead of mean (missing 1/N in dy)": backward(loss=MSE.replace("2 * (y - t) / n", "2 * (y - t)")),
        "missing factor 2 in dy (the 1/2 convention)": backward(loss=MSE.replace("2 * (y - t) / n", "(y - t) / n")),
        "no shape check: t of shape (N,) broadcasts": backward(loss=MSE.replace("y.shape != t.shape or ", "")),
        "output sigmoid's local gradient forgotten": backward(dz2="dout"),
        "hidden derivative always the sigmoid's (the visible checks pass)": backward(dz1="da1 * a1 * (1 - a1)"),
        "dw1 as dz1^T x (transposed)": backward(dw1="dz1.T @ x"),
        "bias gradient summed over every axis": backward(db1="dz1.sum()"),
        "dout modified in place": MSE + '''
def mlp_backward(dout, cache):
    x, a1, y, w2, activation = cache
    dz2 = dout
    dz2 *= y * (1 - y)
    da1 = dz2 @ w2.T
    dz1 = da1 * ACTIVATION_GRADS[activation](a1)
    return {"w1": x.T @ dz1, "b1": dz1.sum(axis=0), "w2": a1.T @ dz2, "b2": dz2.sum(axis=0)}
''',
    },
    "ex_gd_step": {
        "plus sign (climbs the loss)": step(update="value + lr * grads[name]"),
        "learning rate forgotten": step(update="value - grads[name]"),
        "loss reported after the step": step(loss_of="new"),
        "params updated in place": '''
def gd_step(params, x, t, lr, activation="sigmoid"):
    y, cache = mlp_forward(x, params, activation)
    loss, dy = mse_loss(y, t)
    grads = mlp_backward(dy, cache)
    for name in params:
        params[name] -= lr * grads[name]
    return params, loss
''',
    },
    "ex_train": {
        "always seed 0 (the visible checks pass)": train(init="init_params(x.shape[1], hidden, t.shape[1], 0)"),
        "loss recorded after the step": train(body="params, _ = gd_step(params, x, t, lr, activation)\n"
                                                   "        loss = mse_loss(mlp_forward(x, params, activation)[0], t)[0]"),
        "hidden size fixed at 2": train(init="init_params(x.shape[1], 2, t.shape[1], seed)"),
        "one update per point (online) instead of full batch": train(body=(
            "for n in range(len(x)):\n"
            "            params, loss = gd_step(params, x[n:n + 1], t[n:n + 1], lr, activation)")),
        "no training: starting weights returned": train(body="_, loss = gd_step(params, x, t, lr, activation)"),
    },
}
