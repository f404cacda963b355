"""Known-wrong answers for Lesson 6 (vanishing and exploding gradients)."""


def sigmoid_prime(body="s * (1.0 - s)", peak_grid="np.linspace(low, high, n)", best="float(z[best])"):
    return f'''
def sigmoid_prime(z):
    s, _ = sigmoid_forward(z)
    return {body}


def peak(f, low, high, n=100_001):
    if not low < high:
        raise ValueError(f"peak needs low < high; got {{low}}, {{high}}")
    z = {peak_grid}
    values = np.asarray(f(z), dtype=float)
    best = int(np.argmax(values))
    return {best}, float(values[best])
'''


def chain(backward="affine_backward(sigmoid_backward(dx, sigmoid_cache), affine_cache)", order="reversed(caches)",
          bound="0.25 ** len(weights) * np.prod([np.linalg.norm(w, 2) for w in weights])"):
    return f'''
def chain_ratio(x, weights, biases, dout):
    a, caches = x, []
    for w, b in zip(weights, biases):
        z, affine_cache = affine_forward(a, w, b)
        a, sigmoid_cache = sigmoid_forward(z)
        caches.append((affine_cache, sigmoid_cache))
    dx = dout
    for affine_cache, sigmoid_cache in {order}:
        dx, _, _ = {backward}
    return float(np.linalg.norm(dx) / np.linalg.norm(dout))


def chain_bound(weights):
    return float({bound})
'''


def backward(act="dout = act_backward(dout, act_cache)", affine="dout, dw, db = affine_backward(dout, affine_cache)",
             order="dws[::-1], dbs[::-1]", norm="np.linalg.norm(dw)", loss_grad="_, dout = mse_loss(y, t)"):
    return f'''
def mlp_backward(dout, caches, activation):
    act_backward = ACTIVATIONS[activation][1]
    dws, dbs = [], []
    for affine_cache, act_cache in reversed(caches):
        if act_cache is not None:
            {act}
        {affine}
        dws.append(dw)
        dbs.append(db)
    return {order}


def layer_grad_norms(x, t, weights, biases, activation):
    y, caches, _, _ = mlp_forward(x, weights, biases, activation)
    {loss_grad}
    dws, _ = mlp_backward(dout, caches, activation)
    return np.array([{norm} for dw in dws])
'''


CHECK_FANS = '''
def check_fans(fan_in, fan_out):
    for name, fan in [("fan_in", fan_in), ("fan_out", fan_out)]:
        if isinstance(fan, bool) or not isinstance(fan, (int, np.integer)) or fan < 1:
            raise ValueError(f"{name} must be a positive int; got {fan!r}")
'''


def inits(xavier="np.sqrt(2.0 / (fan_in + fan_out)) * rng.standard_normal((fan_in, fan_out))",
          he="np.sqrt(2.0 / fan_in) * rng.standard_normal((fan_in, fan_out))", check=CHECK_FANS):
    return check + f'''

def xavier_init(fan_in, fan_out, rng):
    check_fans(fan_in, fan_out)
    return {xavier}


def he_init(fan_in, fan_out, rng):
    check_fans(fan_in, fan_out)
    return {he}
'''


def dead(body="float(np.mean(np.all(z <= 0, axis=0)))", check=True):
    guard = '''
    if z.ndim != 2:
        raise ValueError(f"z must be (N, M); got shape {z.shape}")''' if check else ""
    return f'''
def dead_fraction(z):
    z = np.asarray(z, dtype=float){guard}
    return {body}
'''


WRONG = {
    "ex_sigmoid_prime": {
        "sigma(z) * (1 - z): one minus the input, not the output": sigmoid_prime(body="s * (1.0 - z)"),
        "the sigmoid applied twice: sigma(sigma(z)) * (1 - sigma(sigma(z)))":
            sigmoid_prime(body="sigmoid_forward(s)[0] * (1.0 - sigmoid_forward(s)[0])"),
        "the square in the wrong place: e^-z / (1 + e^-2z)":
            sigmoid_prime(body="np.exp(-np.asarray(z, dtype=float)) / (1 + np.exp(-np.asarray(z, dtype=float)) ** 2)"),
        "peak returns the index of the best point, not the point": sigmoid_prime(best="float(best)"),
        "peak's grid from np.arange misses the end point high (the visible checks pass)":
            sigmoid_prime(peak_grid="np.arange(low, high, (high - low) / n)"),
    },
    "ex_chain_ratio": {
        "the notes' 0.3 in the bound": chain(bound="0.3 ** len(weights) * np.prod([np.linalg.norm(w, 2) for w in weights])"),
        "Frobenius norms in the bound instead of spectral norms":
            chain(bound="0.25 ** len(weights) * np.prod([np.linalg.norm(w) for w in weights])"),
        "the bound forgets the weights": chain(bound="0.25 ** len(weights)"),
        "the sigmoid's backward left out (only the weights)": chain(backward="affine_backward(dx, affine_cache)"),
        "the sigmoid's local gradient from the pre-activation z, not the output":
            chain(backward="affine_backward(sigmoid_backward(dx, affine_cache[0] @ affine_cache[1]), affine_cache)"),
        "the layers walked in forward order in the backward pass": chain(order="caches"),
    },
    "ex_layer_grad_norms": {
        "the activation's backward skipped": backward(act="pass"),
        "gradients returned last layer first": backward(order="dws, dbs"),
        "the same dout for every layer (dx not passed down)": backward(
            affine="_, dw, db = affine_backward(dout, affine_cache)"),
        "the loss gradient without the 1/N of the mean": backward(
            loss_grad="dout = 2.0 * (y - np.asarray(t, dtype=float))"),
        "spectral norms instead of Frobenius norms": backward(norm="np.linalg.norm(dw, 2)"),
        "the activation's backward applied after the affine layer's":
            backward(act="pass", affine="""dout, dw, db = affine_backward(dout, affine_cache)
        if act_cache is not None and dout.shape == act_cache.shape:
            dout = act_backward(dout, act_cache)"""),
    },
    "ex_init": {
        "He with fan_out instead of fan_in": inits(he="np.sqrt(2.0 / fan_out) * rng.standard_normal((fan_in, fan_out))"),
        "the variance used as the standard deviation": inits(
            xavier="2.0 / (fan_in + fan_out) * rng.standard_normal((fan_in, fan_out))",
            he="2.0 / fan_in * rng.standard_normal((fan_in, fan_out))"),
        "Xavier as 1 / fan_in": inits(xavier="np.sqrt(1.0 / fan_in) * rng.standard_normal((fan_in, fan_out))"),
        "np.random instead of the rng it is given": inits(
            xavier="np.sqrt(2.0 / (fan_in + fan_out)) * np.random.standard_normal((fan_in, fan_out))",
            he="np.sqrt(2.0 / fan_in) * np.random.standard_normal((fan_in, fan_out))"),
        "uniform on [-std, std]: a third of the variance": inits(
            he="rng.uniform(-np.sqrt(2.0 / fan_in), np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))"),
        "the shape transposed (fan_out, fan_in)": inits(
            xavier="np.sqrt(2.0 / (fan_in + fan_out)) * rng.standard_normal((fan_out, fan_in))"),
        "fans not checked (a layer with 0 inputs divides by 0)": inits(check='''
def check_fans(fan_in, fan_out):
    pass
'''),
    },
    "ex_dead_fraction": {
        "z < 0: a unit at exactly 0 counted as firing (the visible checks pass)":
            dead(body="float(np.mean(np.all(z < 0, axis=0)))"),
        "the fraction of entries <= 0, not of units that never fire": dead(body="float(np.mean(z <= 0))"),
        "the wrong axis: samples on which no unit fires": dead(body="float(np.mean(np.all(z <= 0, axis=1)))"),
        "any instead of all: units that are off on some sample": dead(body="float(np.mean(np.any(z <= 0, axis=0)))"),
        "a count, not a fraction": dead(body="float(np.sum(np.all(z <= 0, axis=0)))"),
        "1-D z not rejected": dead(check=False, body="float(np.mean(np.all(np.atleast_2d(z) <= 0, axis=0)))"),
    },
}
