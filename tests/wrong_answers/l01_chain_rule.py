"""Known-wrong answers for Lesson 1 (the chain rule)."""

ADD_FORWARD = '''
def add_forward(x1, x2):
    return x1 + x2, None
'''
MUL_FORWARD = '''
def mul_forward(x1, x2):
    return x1 * x2, (x1, x2)
'''
SQUARE_NODES = '''
def square_forward(x):
    return x ** 2, x

def square_backward(dout, cache):
    return dout * 2 * cache
'''
SQUARE_OF_SUM = '''
def square_of_sum(x1, x2):
    s, add_cache = add_forward(x1, x2)
    y, square_cache = square_forward(s)
    ds = square_backward(np.ones_like(y, dtype=float), square_cache)
    dy_dx1, dy_dx2 = add_backward(ds, add_cache)
    return y, dy_dx1, dy_dx2
'''
FAN_OUT_FORWARD = '''
def fan_out_forward(x1, x2):
    p, mul_cache = mul_forward(x1, x2)
    y, add_cache = add_forward(p, x1)
    return y, (mul_cache, add_cache)
'''


def fan_out(body):
    """fan_out_forward as in the solution, and a fan_out_backward with the given body."""
    return FAN_OUT_FORWARD + '''
def fan_out_backward(dout, cache):
    mul_cache, add_cache = cache
''' + "".join(f"    {line}\n" for line in body.strip().splitlines())


def neuron(dy="2 * (y - t)", dz="dy * y * (1 - y)", dw="dz * a_prev", da_prev="dz * w"):
    return f'''
def neuron_grads(w, a_prev, b, t):
    z = w * a_prev + b
    y = sigmoid(z)
    dy = {dy}
    dz = {dz}
    return (y - t) ** 2, {{"y": dy, "z": dz, "w": {dw}, "b": dz, "a_prev": {da_prev}}}
'''


def chain(dy="2 * (y - t)", da="dy * w", dw="dy * a", dv="da * x"):
    return f'''
def chain_grads(x, v, c, w, b, t):
    a = v * x + c
    y = w * a + b
    dy = {dy}
    da = {da}
    return (y - t) ** 2, {{"y": dy, "b": dy, "w": {dw}, "a": da, "c": da, "v": {dv}}}
'''


WRONG = {
    "ex_add_node": {
        "sign flipped on dx2": ADD_FORWARD + '''
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
    x1, x2 = cache
    return dout * x1, dout * x2
''',
        "upstream gradient forgotten": MUL_FORWARD + '''
def mul_backward(dout, cache):
    x1, x2 = cache
    return x2, x1
''',
        "dout modified in place": MUL_FORWARD + '''
def mul_backward(dout, cache):
    x1, x2 = cache
    dx2 = dout * x1
    dout *= x2
    return dout, dx2
''',
        "cache holds the output instead of the inputs": '''
def mul_forward(x1, x2):
    out = x1 * x2
    return out, (out, out)

def mul_backward(dout, cache):
    x1, x2 = cache
    return dout * x2, dout * x1
''',
    },
    "ex_square_node": {
        "missing factor 2": '''
def square_forward(x):
    return x ** 2, x

def square_backward(dout, cache):
    return dout * cache
''' + SQUARE_OF_SUM,
        "upstream gradient forgotten": '''
def square_forward(x):
    return x ** 2, x

def square_backward(dout, cache):
    return 2 * cache
''' + SQUARE_OF_SUM,
        "square node caches its output (right only for x >= 0; the visible checks pass)": '''
def square_forward(x):
    out = x ** 2
    return out, out

def square_backward(dout, cache):
    return dout * 2 * np.sqrt(cache)
''' + SQUARE_OF_SUM,
        "chain rule stops at the square (dy/dx1 = 2 x1)": SQUARE_NODES + '''
def square_of_sum(x1, x2):
    return (x1 + x2) ** 2, 2 * x1, 2 * x2
''',
    },
    "ex_fan_out": {
        "= instead of +=: the multiply branch overwrites the add branch": fan_out('''
dx1 = 0.0
dp, dx1_via_add = add_backward(dout, add_cache)
dx1 = dx1_via_add
dx1_via_mul, dx2 = mul_backward(dp, mul_cache)
dx1 = dx1_via_mul
return dx1, dx2
'''),
        "one branch only: the multiply branch to x1 forgotten": fan_out('''
dp, dx1 = add_backward(dout, add_cache)
_, dx2 = mul_backward(dp, mul_cache)
return dx1, dx2
'''),
        "sign error: the two branches subtracted": fan_out('''
dp, dx1_via_add = add_backward(dout, add_cache)
dx1_via_mul, dx2 = mul_backward(dp, mul_cache)
return dx1_via_mul - dx1_via_add, dx2
'''),
        "the add branch's local gradient without the upstream gradient": fan_out('''
dp, _ = add_backward(dout, add_cache)
dx1_via_mul, dx2 = mul_backward(dp, mul_cache)
return dx1_via_mul + 1.0, dx2
'''),
        "dx1 = dout, then dx1 += ...: writes into the caller's dout (arrays only; the visible checks pass)": fan_out('''
dx1 = dout
dx1_via_mul, dx2 = mul_backward(dout, mul_cache)
dx1 += dx1_via_mul
return dx1, dx2
'''),
    },
    "ex_neuron_grads": {
        "missing factor 2 (the 1/2 convention)": neuron(dy="(y - t)"),
        "sign flipped (t - y)": neuron(dy="2 * (t - y)"),
        "sigmoid derivative forgotten": neuron(dz="dy"),
        "sigmoid derivative applied to y instead of z": neuron(dz="dy * sigmoid(y) * (1 - sigmoid(y))"),
        "dL/da_prev scaled by a_prev instead of w": neuron(da_prev="dz * a_prev"),
    },
    "ex_chain_grads": {
        "missing factor 2": chain(dy="(y - t)"),
        "dL/dw scaled by x instead of a": chain(dw="dy * x"),
        "dL/da forgets the weight": chain(da="dy"),
        "dL/dv forgets x": chain(dv="da"),
    },
    "ex_gradient_step": {
        "plus sign (the notes' mistake: w_old - delta_w with delta_w = -lr * grad)": '''
def gradient_step(params, grads, lr):
    new = {}
    for name, w_old in params.items():
        delta_w = -lr * grads[name]
        new[name] = w_old - delta_w
    return new
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
