"""Known-wrong answers for Lesson 8 (your own autograd engine).

Each is the exercise's cell with one mistake, made by replacing one piece of a correct answer. A label ending in
"(the visible checks pass)" marks an answer that only the hidden tests catch (tests/test_lesson08.py checks both).
"""


def _variant(source, old, new):
    assert old in source, f"the wrong answer's anchor {old!r} is not in the correct source"
    return source.replace(old, new)


ADD_MUL = '''
def add(a, b):
    a, b = as_value(a), as_value(b)
    return Value(a.data + b.data, (a, b), (1.0, 1.0), "+")

def mul(a, b):
    a, b = as_value(a), as_value(b)
    return Value(a.data * b.data, (a, b), (b.data, a.data), "*")
'''

SUB_DIV_POW = '''
def sub(a, b):
    a, b = as_value(a), as_value(b)
    return Value(a.data - b.data, (a, b), (1.0, -1.0), "-")

def div(a, b):
    a, b = as_value(a), as_value(b)
    return Value(a.data / b.data, (a, b), (1.0 / b.data, -a.data / b.data ** 2), "/")

def power(a, k):
    a = as_value(a)
    if isinstance(k, Value):
        raise ValueError("the exponent must be a constant number")
    return Value(a.data ** k, (a,), (k * a.data ** (k - 1),), "**")
'''

UNARY = '''
def exp(a):
    a = as_value(a)
    out = math.exp(a.data)
    return Value(out, (a,), (out,), "exp")

def log(a):
    a = as_value(a)
    if a.data <= 0:
        raise ValueError(f"log needs a positive input; got {a.data}")
    return Value(math.log(a.data), (a,), (1.0 / a.data,), "log")

def tanh(a):
    a = as_value(a)
    out = math.tanh(a.data)
    return Value(out, (a,), (1.0 - out ** 2,), "tanh")

def sigmoid(a):
    a = as_value(a)
    e = math.exp(-abs(a.data))
    out = 1.0 / (1.0 + e) if a.data >= 0 else e / (1.0 + e)
    return Value(out, (a,), (out * (1.0 - out),), "sigmoid")

def relu(a):
    a = as_value(a)
    return Value(max(a.data, 0.0), (a,), (1.0 if a.data > 0 else 0.0,), "relu")
'''

TOPO = '''
def topological_order(root):
    order, placed = [], set()

    def place(node):
        if node not in placed:
            placed.add(node)
            for parent in node.parents:
                place(parent)
            order.append(node)

    place(root)
    return order
'''

BACKWARD = '''
def backward(root):
    root.grad = 1.0
    for node in reversed(topological_order(root)):
        for parent, local in zip(node.parents, node.local_grads):
            parent.grad += local * node.grad
'''

NEURON = '''
ACTIVATIONS = {"relu": relu, "sigmoid": sigmoid, "tanh": tanh}

class Neuron:
    def __init__(self, w, b, activation=None):
        self.w, self.b, self.activation = [Value(wi) for wi in w], Value(b), activation

    def __call__(self, x):
        if len(x) != len(self.w):
            raise ValueError(f"{len(self.w)} weights, {len(x)} inputs")
        z = self.b
        for wi, xi in zip(self.w, x):
            z = z + wi * xi
        return z if self.activation is None else ACTIVATIONS[self.activation](z)
'''

LAYER_MLP = '''
class Layer:
    def __init__(self, w, b, activation=None):
        self.neurons = [Neuron(w[:, j], b[j], activation) for j in range(w.shape[1])]

    def __call__(self, x):
        return [neuron(x) for neuron in self.neurons]

class MLP:
    def __init__(self, params, activation="relu"):
        n = len(params) // 2
        self.layers = [Layer(params[f"w{l}"], params[f"b{l}"], activation if l < n else None) for l in range(1, n + 1)]

    def parameters(self):
        return [p for layer in self.layers for neuron in layer.neurons for p in neuron.w + [neuron.b]]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x
'''

LOSS = '''
def value_mse_loss(model, x, t):
    if len(x) != len(t):
        raise ValueError(f"x has {len(x)} rows but t has {len(t)}")
    total = 0.0
    for x_n, t_n in zip(x, t):
        y_n = model(list(x_n))
        if len(y_n) != len(t_n):
            raise ValueError(f"{len(y_n)} outputs, {len(t_n)} columns")
        for y_k, t_k in zip(y_n, t_n):
            total = total + (y_k - t_k) ** 2
    return total * (1.0 / len(x))
'''

TRAIN = '''
def zero_grad(params):
    for p in params:
        p.grad = 0.0

def train_step(model, x, t, lr):
    params = model.parameters()
    zero_grad(params)
    loss = value_mse_loss(model, x, t)
    backward(loss)
    for p in params:
        p.data -= lr * p.grad
    return loss.data
'''

WRONG = {
    "ex_add_mul": {
        "add's local gradients are the other input, as for mul": _variant(ADD_MUL, "(1.0, 1.0)", "(b.data, a.data)"),
        "mul does not switch: local gradients (a, b)": _variant(ADD_MUL, "(b.data, a.data)", "(a.data, b.data)"),
        "mul keeps the numbers, not the Values, as parents": _variant(ADD_MUL, "(a, b), (b.data", "(a.data, b.data), (b.data"),
        # caught only by the hidden tests: the visible checks never look at .grad after an operation
        "the forward pass already writes the local gradients into the inputs' grad (the visible checks pass)": _variant(
            ADD_MUL, '    return Value(a.data * b.data', '    a.grad, b.grad = b.data, a.data\n    return Value(a.data * b.data'),
    },
    "ex_sub_div_pow": {
        "sub's local gradient for b is +1": _variant(SUB_DIV_POW, "(1.0, -1.0)", "(1.0, 1.0)"),
        "div's local gradient for b has the wrong sign": _variant(SUB_DIV_POW, "-a.data / b.data ** 2", "a.data / b.data ** 2"),
        "power's local gradient keeps the exponent k": _variant(SUB_DIV_POW, "a.data ** (k - 1)", "a.data ** k"),
        "power accepts a Value exponent silently": _variant(
            SUB_DIV_POW, '        raise ValueError("the exponent must be a constant number")', "        k = k.data"),
        # caught only by the hidden tests: the visible checks use positive bases only
        "power through exp and log, which fails for a negative base (the visible checks pass)": _variant(
            SUB_DIV_POW, "return Value(a.data ** k, (a,), (k * a.data ** (k - 1),), \"**\")",
            "out = math.exp(k * math.log(a.data))\n    return Value(out, (a,), (k * out / a.data,), \"**\")"),
    },
    "ex_unary": {
        "tanh's local gradient without the square": _variant(UNARY, "(1.0 - out ** 2,)", "(1.0 - out,)"),
        "sigmoid's local gradient applies the sigmoid to the output again": _variant(
            UNARY, "(out * (1.0 - out),)", "(1 / (1 + math.exp(-out)) * (1 - 1 / (1 + math.exp(-out))),)"),
        "log without the domain check (math's 'math domain error' names no value)": _variant(
            UNARY, "    if a.data <= 0:\n        raise ValueError(f\"log needs a positive input; got {a.data}\")\n", ""),
        "exp's local gradient is the input instead of the output": _variant(UNARY, "(out,), \"exp\"", "(a.data,), \"exp\""),
        # caught only by the hidden tests: the visible checks do not try a = 0 or huge inputs
        "relu's local gradient is 1 at exactly 0 (the visible checks pass)": _variant(UNARY, "1.0 if a.data > 0", "1.0 if a.data >= 0"),
        "the textbook sigmoid, which overflows for a = -800 (the visible checks pass)": _variant(
            UNARY, "    e = math.exp(-abs(a.data))\n    out = 1.0 / (1.0 + e) if a.data >= 0 else e / (1.0 + e)",
            "    out = 1.0 / (1.0 + math.exp(-a.data))"),
    },
    "ex_topological_order": {
        "the node before its parents (the root comes first)": _variant(
            TOPO, "            placed.add(node)\n", "            placed.add(node)\n            order.append(node)\n").replace(
            "                place(parent)\n            order.append(node)", "                place(parent)"),
        "no record of placed nodes: a fork's node appears twice": _variant(TOPO, "        if node not in placed:", "        if True:"),
        # caught only by the hidden tests: z = x*y + x is ordered right by breadth-first search
        "breadth-first by distance from the root, reversed (the visible checks pass)": '''
def topological_order(root):
    order, queue, seen = [], [root], {root}
    while queue:
        node = queue.pop(0)
        order.append(node)
        for parent in node.parents:
            if parent not in seen:
                seen.add(parent)
                queue.append(parent)
    return order[::-1]
''',
        "placed nodes recognised by their number, so two equal numbers count as one node (the visible checks pass)": _variant(
            _variant(TOPO, "        if node not in placed:", "        if node.data not in placed:"),
            "            placed.add(node)", "            placed.add(node.data)"),
    },
    "ex_backward": {
        "= instead of +=: a fork keeps only its last contribution": _variant(BACKWARD, "parent.grad += ", "parent.grad = "),
        "visits the nodes in topological order, not in reverse": _variant(BACKWARD, "reversed(topological_order(root))", "topological_order(root)"),
        "no seed: root.grad stays 0, and so does everything": _variant(BACKWARD, "    root.grad = 1.0\n", ""),
        "the parent's gradient times local instead of the node's": _variant(BACKWARD, "local * node.grad", "local * parent.grad"),
        # caught only by the hidden tests: breadth-first order is right for every visible example
        "visits the nodes breadth-first from the root (the visible checks pass)": '''
def backward(root):
    root.grad = 1.0
    queue, seen = [root], {root}
    while queue:
        node = queue.pop(0)
        for parent, local in zip(node.parents, node.local_grads):
            parent.grad += local * node.grad
            if parent not in seen:
                seen.add(parent)
                queue.append(parent)
''',
    },
    "ex_neuron": {
        "no bias": _variant(NEURON, "        z = self.b\n", "        z = 0.0\n"),
        "the activation even when it is None (ReLU by default)": _variant(
            NEURON, "z if self.activation is None else ACTIVATIONS[self.activation](z)",
            "ACTIVATIONS.get(self.activation, relu)(z)"),
        "no check of the input size: zip drops the extra inputs silently": _variant(
            NEURON, "        if len(x) != len(self.w):\n            raise ValueError(f\"{len(self.w)} weights, {len(x)} inputs\")\n", ""),
        "ReLU whatever the activation asked for (the visible checks pass)": _variant(
            NEURON, "ACTIVATIONS[self.activation](z)", "relu(z)"),
        "the bias as a number, so it never gets a gradient (the visible checks pass)": _variant(
            NEURON, "        z = self.b\n", "        z = self.b.data\n"),
    },
    "ex_mlp": {
        "the activation also on the output layer": _variant(LAYER_MLP, "activation if l < n else None", "activation"),
        "a layer returns its first neuron's output only": _variant(
            LAYER_MLP, "return [neuron(x) for neuron in self.neurons]", "return [self.neurons[0](x)]"),
        "every layer reads the network's input, not the previous layer's output": _variant(
            LAYER_MLP, "        for layer in self.layers:\n            x = layer(x)\n        return x",
            "        return [layer(x) for layer in self.layers][-1]"),
        "the weights of a neuron taken from a row of w, not a column": _variant(
            LAYER_MLP, "Neuron(w[:, j], b[j], activation) for j in range(w.shape[1])",
            "Neuron(w[j, :], b[j], activation) for j in range(w.shape[1])"),
        "only the first and the last layer, the middle ones skipped (the visible checks pass)": _variant(
            LAYER_MLP, "        for layer in self.layers:\n            x = layer(x)\n        return x",
            "        return self.layers[-1](self.layers[0](x))"),
    },
    "ex_value_mse_loss": {
        "summed over the batch, without 1/N": _variant(LOSS, "return total * (1.0 / len(x))", "return total"),
        "with Lesson 4's 1/2": _variant(LOSS, "return total * (1.0 / len(x))", "return total * (0.5 / len(x))"),
        "the loss from numbers (.data): backward cannot reach the parameters": _variant(
            _variant(LOSS, "total = total + (y_k - t_k) ** 2", "total = total + (y_k.data - t_k) ** 2"),
            "return total * (1.0 / len(x))", "return Value(total / len(x))"),
        "no check of K: zip drops the extra target columns silently": _variant(
            LOSS, "        if len(y_n) != len(t_n):\n            raise ValueError(f\"{len(y_n)} outputs, {len(t_n)} columns\")\n", ""),
        "the mean over all N*K entries, not over the N samples (the visible checks pass)": _variant(
            LOSS, "return total * (1.0 / len(x))", "return total * (1.0 / (len(x) * len(t[0])))"),
        "only the first output of each sample counted (the visible checks pass)": _variant(
            LOSS, "        for y_k, t_k in zip(y_n, t_n):\n", "        for y_k, t_k in zip(y_n[:1], t_n[:1]):\n"),
    },
    "ex_train_step": {
        "no reset: the gradients of every step add up": _variant(TRAIN, "    zero_grad(params)\n", ""),
        "the note's sign: w + lr * gradient": _variant(TRAIN, "p.data -= lr * p.grad", "p.data += lr * p.grad"),
        "returns the loss after the update": _variant(
            TRAIN, "    return loss.data", "    return value_mse_loss(model, x, t).data"),
        "zero_grad resets the data too": _variant(TRAIN, "        p.grad = 0.0", "        p.grad = p.data = 0.0"),
        # caught only by the hidden tests: a fresh model has no stale gradients
        "resets after the update instead of before (the visible checks pass)": _variant(
            _variant(TRAIN, "    zero_grad(params)\n    loss", "    loss"),
            "        p.data -= lr * p.grad\n", "        p.data -= lr * p.grad\n    zero_grad(params)\n"),
    },
}
