"""Known-wrong answers for Lesson 1 (the chain rule)."""

ADD_FORWARD = '''
def add_forward(x, y):
    return x + y, None
'''
MUL_FORWARD = '''
def mul_forward(x, y):
    return x * y, (x, y)
'''
SQUARE_NODES = '''
def square_forward(t):
    return t ** 2, t

def square_backward(dout, cache):
    return dout * 2 * cache
'''
SQUARE_OF_SUM = '''
def square_of_sum(x, y):
    t, add_cache = add_forward(x, y)
    z, square_cache = square_forward(t)
    dt = square_backward(np.ones_like(z, dtype=float), square_cache)
    dz_dx, dz_dy = add_backward(dt, add_cache)
    return z, dz_dx, dz_dy
'''


def neuron(dC_da="2 * (a - y)", dC_dz="dC_da * a * (1 - a)", dw="dC_dz * a_prev", da_prev="dC_dz * w"):
    return f'''
def neuron_grads(w, a_prev, b, y):
    z = w * a_prev + b
    a = sigmoid(z)
    dC_da = {dC_da}
    dC_dz = {dC_dz}
    return (a - y) ** 2, {{"a": dC_da, "z": dC_dz, "w": {dw}, "b": dC_dz, "a_prev": {da_prev}}}
'''


def chain(dz="2 * (z - t)", dh="dz * w", dw="dz * h", dv="dh * x"):
    return f'''
def chain_grads(x, v, c, w, b, t):
    h = v * x + c
    z = w * h + b
    dz = {dz}
    dh = {dh}
    return (z - t) ** 2, {{"z": dz, "b": dz, "w": {dw}, "h": dh, "c": dh, "v": {dv}}}
'''


WRONG = {
    "ex_add_node": {
        "sign flipped on dy": ADD_FORWARD + '''
def add_backward(dout, cache):
    return dout, -dout
''',
        "local gradient without the upstream gradient": ADD_FORWARD + '''
def add_backward(dout, cache):
    return 1.0, 1.0
''',
        "gradients summed into one number (wrong shape for arrays)": ADD_FORWARD + '''
def add_backward(dout, cache):
    return np.sum(dout), np.sum(dout)
''',
    },
    "ex_mul_node": {
        "inputs not switched": MUL_FORWARD + '''
def mul_backward(dout, cache):
    x, y = cache
    return dout * x, dout * y
''',
        "upstream gradient forgotten": MUL_FORWARD + '''
def mul_backward(dout, cache):
    x, y = cache
    return y, x
''',
        "dout modified in place": MUL_FORWARD + '''
def mul_backward(dout, cache):
    x, y = cache
    dy = dout * x
    dout *= y
    return dout, dy
''',
        "cache holds the output instead of the inputs": '''
def mul_forward(x, y):
    out = x * y
    return out, (out, out)

def mul_backward(dout, cache):
    x, y = cache
    return dout * y, dout * x
''',
    },
    "ex_square_node": {
        "missing factor 2": '''
def square_forward(t):
    return t ** 2, t

def square_backward(dout, cache):
    return dout * cache
''' + SQUARE_OF_SUM,
        "upstream gradient forgotten": '''
def square_forward(t):
    return t ** 2, t

def square_backward(dout, cache):
    return 2 * cache
''' + SQUARE_OF_SUM,
        "square node caches its output (right only for t >= 0; the visible checks pass)": '''
def square_forward(t):
    out = t ** 2
    return out, out

def square_backward(dout, cache):
    return dout * 2 * np.sqrt(cache)
''' + SQUARE_OF_SUM,
        "chain rule stops at the square (dz/dx = 2x)": SQUARE_NODES + '''
def square_of_sum(x, y):
    return (x + y) ** 2, 2 * x, 2 * y
''',
    },
    "ex_neuron_grads": {
        "missing factor 2 (the 1/2 convention)": neuron(dC_da="(a - y)"),
        "sign flipped (y - a)": neuron(dC_da="2 * (y - a)"),
        "sigmoid derivative forgotten": neuron(dC_dz="dC_da"),
        "sigmoid derivative applied to a instead of z": neuron(dC_dz="dC_da * sigmoid(a) * (1 - sigmoid(a))"),
        "dC/da_prev scaled by a_prev instead of w": neuron(da_prev="dC_dz * a_prev"),
    },
    "ex_chain_grads": {
        "missing factor 2": chain(dz="(z - t)"),
        "dE/dw scaled by x instead of h": chain(dw="dz * x"),
        "dE/dh forgets the weight": chain(dh="dz"),
        "dE/dv forgets x": chain(dv="dh"),
    },
    "ex_gradient_step": {
        "plus sign (the notes' mistake)": '''
def gradient_step(params, grads, lr):
    return {k: v + lr * grads[k] for k, v in params.items()}
''',
        "learning rate forgotten": '''
def gradient_step(params, grads, lr):
    return {k: v - grads[k] for k, v in params.items()}
''',
        "arrays updated in place": '''
def gradient_step(params, grads, lr):
    new = dict(params)
    for k in new:
        if isinstance(new[k], np.ndarray):
            new[k] -= lr * grads[k]
        else:
            new[k] = new[k] - lr * grads[k]
    return new
''',
    },
}
