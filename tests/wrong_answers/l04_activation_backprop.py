"""Known-wrong answers for Lesson 4 (sigmoid, ReLU and affine backprop)."""


def sigmoid(forward="1 / (1 + np.exp(-x))", cache="out", backward="dout * y * (1 - y)"):
    return f'''
def sigmoid_forward(x):
    out = {forward}
    return out, {cache}

def sigmoid_backward(dout, cache):
    y = cache
    return {backward}
'''


RELU_FORWARD = '''
def relu_forward(x):
    return np.maximum(x, 0.0), x
'''


def affine(dx="dout @ w.T", dw="x.T @ dout", db="dout.sum(axis=0)", check=True):
    guard = '''
    if x.ndim != 2 or w.ndim != 2 or x.shape[1] != w.shape[0] or b.shape != (w.shape[1],):
        raise ValueError(f"shapes x {x.shape}, w {w.shape}, b {b.shape} do not fit")''' if check else ""
    return f'''
def affine_forward(x, w, b):
    x, w, b = np.asarray(x, float), np.asarray(w, float), np.asarray(b, float){guard}
    return x @ w + b, (x, w)

def affine_backward(dout, cache):
    x, w = cache
    return {dx}, {dw}, {db}
'''


def mse(loss="np.sum((a - y) ** 2) / n", da="2 * (a - y) / n", check=True):
    guard = '''
    if a.shape != y.shape:
        raise ValueError(f"a {a.shape} and y {y.shape} differ")''' if check else ""
    return f'''
def mse_loss(a, y, half=False):
    a, y = np.asarray(a, float), np.asarray(y, float){guard}
    n = a.shape[0]
    c = 0.5 if half else 1.0
    return c * {loss}, c * {da}
'''


def network(act_back="act_backward(dh, act_cache)", da="da", cache1="cache1"):
    return f'''
def two_layer_loss(x, y, params, activation="relu"):
    act_forward, act_backward = {{"relu": (relu_forward, relu_backward),
                                  "sigmoid": (sigmoid_forward, sigmoid_backward)}}[activation]
    z1, cache1 = affine_forward(x, params["w1"], params["b1"])
    h, act_cache = act_forward(z1)
    a, cache2 = affine_forward(h, params["w2"], params["b2"])
    loss, da = mse_loss(a, y)
    dh, dw2, db2 = affine_backward({da}, cache2)
    dx, dw1, db1 = affine_backward({act_back}, {cache1})
    return loss, {{"w1": dw1, "b1": db1, "w2": dw2, "b2": db2}}
'''


def step(update="value - lr * grads[name]", activation="activation"):
    return f'''
def train_step(params, x, y, lr, activation="relu"):
    loss, grads = two_layer_loss(x, y, params, {activation})
    return {{name: {update} for name, value in params.items()}}, loss
'''


WRONG = {
    "ex_sigmoid": {
        "sigmoid applied twice in the backward (y treated as the input)":
            sigmoid(backward="dout * (1 / (1 + np.exp(-y))) * (1 - 1 / (1 + np.exp(-y)))"),
        "upstream gradient forgotten": sigmoid(backward="y * (1 - y)"),
        "missing (1 - y)": sigmoid(backward="dout * y"),
        "input cached and used as if it were the output": sigmoid(cache="x"),
        "exp(x) / (1 + exp(x)): nan at x = 1000 (passes the visible checks)":
            sigmoid(forward="np.exp(x) / (1 + np.exp(x))"),
        "dout modified in place": sigmoid(backward="np.multiply(dout, y * (1 - y), out=dout)"),
    },
    "ex_relu": {
        "dout modified in place (Deep Learning from Scratch's Relu.backward)": RELU_FORWARD + '''
def relu_backward(dout, cache):
    x = cache
    dout[x <= 0] = 0
    return dout
''',
        "gradient 1 at exactly 0 (mask x >= 0)": RELU_FORWARD + '''
def relu_backward(dout, cache):
    x = cache
    return np.where(x >= 0, dout, 0.0)
''',
        "upstream gradient forgotten (returns the mask)": RELU_FORWARD + '''
def relu_backward(dout, cache):
    x = cache
    return (x > 0).astype(float)
''',
        "forward writes into x": '''
def relu_forward(x):
    x[x < 0] = 0
    return x, x

def relu_backward(dout, cache):
    return np.where(cache > 0, dout, 0.0)
''',
    },
    "ex_max_node": {
        "ties: gradient copied to every largest element (passes the visible checks)": '''
def max_forward(x):
    return x.max(axis=1), x

def max_backward(dout, cache):
    x = cache
    return (x == x.max(axis=1, keepdims=True)) * dout[:, None]
''',
        "upstream gradient forgotten": '''
def max_forward(x):
    return x.max(axis=1), x

def max_backward(dout, cache):
    x = cache
    dx = np.zeros_like(x)
    dx[np.arange(len(x)), np.argmax(x, axis=1)] = 1.0
    return dx
''',
        "gradient sent to every input, like an add node": '''
def max_forward(x):
    return x.max(axis=1), x

def max_backward(dout, cache):
    return np.ones_like(cache) * dout[:, None]
''',
        "routed to the smallest input": '''
def max_forward(x):
    return x.max(axis=1), x

def max_backward(dout, cache):
    dx = np.zeros_like(cache)
    dx[np.arange(len(cache)), np.argmin(cache, axis=1)] = dout
    return dx
''',
    },
    "ex_affine": {
        "dx without the transpose (dout @ w)": affine(dx="dout @ w"),
        "dw transposed (dout.T @ x)": affine(dw="dout.T @ x"),
        "dw from the batch sums (sum of x times sum of dout)": affine(dw="np.outer(x.sum(axis=0), dout.sum(axis=0))"),
        "db not summed over the batch": affine(db="dout"),
        "db summed over the wrong axis": affine(db="dout.sum(axis=1)"),
        "dw averaged over the batch (divided by N)": affine(dw="x.T @ dout / len(x)"),
        "no shape check (a bias of shape (M, 1) broadcasts silently)": affine(check=False),
    },
    "ex_mse": {
        "forgotten 1/N in the gradient": mse(da="2 * (a - y)"),
        "the 1/2 form's gradient for the full form (missing 2)": mse(da="(a - y) / n"),
        "mean over all N*K numbers instead of over the N samples": mse(loss="np.mean((a - y) ** 2)",
                                                                       da="2 * (a - y) / a.size"),
        "sign flipped (y - a)": mse(da="2 * (y - a) / n"),
        "no shape check ((N, 1) against (N,) broadcasts)": mse(check=False),
    },
    "ex_two_layer": {
        "forgotten 1/N (the gradient of the summed loss)": network(da="2 * (a - y)"),
        "activation's backward skipped": network(act_back="dh"),
        "the second layer's cache used for the first layer": network(cache1="cache2"),
        "activation's backward given z1 instead of its own cache (wrong for the sigmoid)": network(act_back="act_backward(dh, z1)"),
    },
    "ex_train_step": {
        "plus sign (the notes' update)": step(update="value + lr * grads[name]"),
        "learning rate forgotten": step(update="value - grads[name]"),
        "divided by N again (the gradient is already a mean)": step(update="value - lr * grads[name] / len(x)"),
        "parameters updated in place": '''
def train_step(params, x, y, lr, activation="relu"):
    loss, grads = two_layer_loss(x, y, params, activation)
    for name in params:
        params[name] -= lr * grads[name]
    return params, loss
''',
        "activation ignored (always ReLU; passes the visible checks)": step(activation='"relu"'),
    },
}
