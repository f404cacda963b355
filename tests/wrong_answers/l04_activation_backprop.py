"""Known-wrong answers for Lesson 4 (sigmoid, ReLU and affine backprop)."""


def sigmoid(forward="1 / (1 + np.exp(-z))", cache="a", backward="dout * a * (1 - a)"):
    return f'''
def sigmoid_forward(z):
    a = {forward}
    return a, {cache}

def sigmoid_backward(dout, cache):
    a = cache
    return {backward}
'''


RELU_FORWARD = '''
def relu_forward(z):
    return np.maximum(z, 0.0), z
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


def mse(loss="np.sum((y - t) ** 2) / n", dy="2 * (y - t) / n", check=True):
    guard = '''
    if y.shape != t.shape:
        raise ValueError(f"y {y.shape} and t {t.shape} differ")''' if check else ""
    return f'''
def mse_loss(y, t, half=False):
    y, t = np.asarray(y, float), np.asarray(t, float){guard}
    n = y.shape[0]
    c = 0.5 if half else 1.0
    return c * {loss}, c * {dy}
'''


def network(act_back="act_backward(da1, act_cache)", dy="dy", cache1="cache1"):
    return f'''
def two_layer_loss(x, t, params, activation="relu"):
    act_forward, act_backward = {{"relu": (relu_forward, relu_backward),
                                  "sigmoid": (sigmoid_forward, sigmoid_backward)}}[activation]
    z1, cache1 = affine_forward(x, params["w1"], params["b1"])
    a1, act_cache = act_forward(z1)
    y, cache2 = affine_forward(a1, params["w2"], params["b2"])
    loss, dy = mse_loss(y, t)
    da1, dw2, db2 = affine_backward({dy}, cache2)
    dx, dw1, db1 = affine_backward({act_back}, {cache1})
    return loss, {{"w1": dw1, "b1": db1, "w2": dw2, "b2": db2}}
'''


def step(update="value - lr * grads[name]", activation="activation"):
    return f'''
def train_step(params, x, t, lr, activation="relu"):
    loss, grads = two_layer_loss(x, t, params, {activation})
    return {{name: {update} for name, value in params.items()}}, loss
'''


WRONG = {
    "ex_sigmoid": {
        "sigmoid applied twice in the backward (a treated as the input)":
            sigmoid(backward="dout * (1 / (1 + np.exp(-a))) * (1 - 1 / (1 + np.exp(-a)))"),
        "upstream gradient forgotten": sigmoid(backward="a * (1 - a)"),
        "missing (1 - a)": sigmoid(backward="dout * a"),
        "input cached and used as if it were the output": sigmoid(cache="z"),
        "exp(z) / (1 + exp(z)): nan at z = 1000 (passes the visible checks)":
            sigmoid(forward="np.exp(z) / (1 + np.exp(z))"),
        "dout modified in place": sigmoid(backward="np.multiply(dout, a * (1 - a), out=dout)"),
    },
    "ex_relu": {
        "dout modified in place (Deep Learning from Scratch's Relu.backward)": RELU_FORWARD + '''
def relu_backward(dout, cache):
    z = cache
    dout[z <= 0] = 0
    return dout
''',
        "gradient 1 at exactly 0 (mask z >= 0)": RELU_FORWARD + '''
def relu_backward(dout, cache):
    z = cache
    return np.where(z >= 0, dout, 0.0)
''',
        "upstream gradient forgotten (returns the mask)": RELU_FORWARD + '''
def relu_backward(dout, cache):
    z = cache
    return (z > 0).astype(float)
''',
        "forward writes into z": '''
def relu_forward(z):
    z[z < 0] = 0
    return z, z

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
        "forgotten 1/N in the gradient": mse(dy="2 * (y - t)"),
        "the 1/2 form's gradient for the full form (missing 2)": mse(dy="(y - t) / n"),
        "mean over all N*K numbers instead of over the N samples": mse(loss="np.mean((y - t) ** 2)",
                                                                       dy="2 * (y - t) / y.size"),
        "sign flipped (t - y)": mse(dy="2 * (t - y) / n"),
        "no shape check ((N, 1) against (N,) broadcasts)": mse(check=False),
    },
    "ex_two_layer": {
        "forgotten 1/N (the gradient of the summed loss)": network(dy="2 * (y - t)"),
        "activation's backward skipped": network(act_back="da1"),
        "the second layer's cache used for the first layer": network(cache1="cache2"),
        "activation's backward given z1 instead of its own cache (wrong for the sigmoid)": network(act_back="act_backward(da1, z1)"),
    },
    "ex_train_step": {
        "plus sign (the notes' update)": step(update="value + lr * grads[name]"),
        "learning rate forgotten": step(update="value - grads[name]"),
        "divided by N again (the gradient is already a mean)": step(update="value - lr * grads[name] / len(x)"),
        "parameters updated in place": '''
def train_step(params, x, t, lr, activation="relu"):
    loss, grads = two_layer_loss(x, t, params, activation)
    for name in params:
        params[name] -= lr * grads[name]
    return params, loss
''',
        "activation ignored (always ReLU; passes the visible checks)": step(activation='"relu"'),
    },
}
