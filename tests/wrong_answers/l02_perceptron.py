"""Known-wrong answers for Lesson 2 (the perceptron)."""


def predict(z="with_bias(x) @ w", y="np.where(z >= 0, 1.0, -1.0)"):
    return f'''
def predict(w, x):
    z = {z}
    return {y}
'''


def gates(and_="[-1.5, 1.0, 1.0]", or_="[-0.5, 1.0, 1.0]", nand="[1.5, -1.0, -1.0]"):
    return f'''
def gate_weights():
    return {{"and": np.array({and_}), "or": np.array({or_}), "nand": np.array({nand})}}
'''


def criterion(wrong="predict(w, x) != t", J="np.sum(-t[wrong] * z[wrong])", dw="-(t[wrong] @ x_hat[wrong])"):
    return f'''
def perceptron_criterion(w, x, t):
    x_hat = with_bias(x)
    z = x_hat @ w
    wrong = {wrong}
    return float({J}), {dw}
'''


def step(right="predict(w, x[None, :])[0] == t", new="w + lr * t * x_hat"):
    return f'''
def perceptron_step(w, x, t, lr):
    x_hat = np.concatenate([[1.0], x])
    if {right}:
        return w.copy()
    return {new}
'''


def delta(new="w + lr * (t - w @ x_hat) * x_hat"):
    return f'''
def delta_step(w, x, t, lr):
    x_hat = np.concatenate([[1.0], x])
    return {new}
'''


def train(start="w = np.array(w0, dtype=float)", order="zip(x, t)",
          count="count += int(predict(w, x_k[None, :])[0] != t_k)", update="w = perceptron_step(w, x_k, t_k, lr)",
          stop="if count == 0:"):
    return f'''
def train_perceptron(x, t, w0, lr, max_epochs):
    {start}
    mistakes = []
    for epoch in range(max_epochs):
        count = 0
        for x_k, t_k in {order}:
            {count}
            {update}
        mistakes.append(count)
        {stop}
            break
    return w, mistakes
'''


WRONG = {
    "ex_predict": {
        "np.sign: 0 at z = 0": predict(y="np.sign(z)"),
        "strict inequality: -1 at z = 0": predict(y="np.where(z > 0, 1.0, -1.0)"),
        "bias ignored": predict(z="x @ w[1:]"),
        "0/1 labels instead of -1/+1": predict(y="np.where(z >= 0, 1.0, 0.0)"),
        "written for two inputs only (passes the visible checks)": predict(z="w[0] + w[1] * x[:, 0] + w[2] * x[:, 1]"),
    },
    "ex_gates": {
        "AND with b = -1: the corner (0, 1) sits on the line": gates(and_="[-1.0, 1.0, 1.0]"),
        "AND and OR swapped": gates(and_="[-0.5, 1.0, 1.0]", or_="[-1.5, 1.0, 1.0]"),
        "NAND with only the bias negated": gates(nand="[1.5, 1.0, 1.0]"),
        "AND's bias nudged a hair below -1 (passes the visible checks)": gates(and_="[-1.0000001, 1.0, 1.0]"),
    },
    "ex_criterion": {
        "J and dw summed over all samples, right ones too": criterion(wrong="np.ones(len(t), dtype=bool)"),
        "gradient sign flipped": criterion(dw="t[wrong] @ x_hat[wrong]"),
        "bias left out of the gradient": criterion(dw="-(t[wrong] @ x[wrong])"),
        "mistakes found with t * z < 0 (stuck at w = 0)": criterion(wrong="t * z < 0"),
        "mean instead of sum": criterion(J="np.mean(np.where(wrong, -t * z, 0.0))", dw="-(t[wrong] @ x_hat[wrong]) / len(t)"),
    },
    "ex_perceptron_step": {
        "delta rule: t - z instead of t": step(right="False", new="w + lr * (t - w @ x_hat) * x_hat"),
        "updates every sample, right or wrong": step(right="False"),
        "(t - y) without the 1/2: twice the step": step(new="w + lr * (t - predict(w, x[None, :])[0]) * x_hat"),
        "mistake tested with t * z < 0, so z = 0 is never a mistake (passes the visible checks)":
            step(right="t * (w @ x_hat) >= 0"),
        "w updated in place": '''
def perceptron_step(w, x, t, lr):
    if predict(w, x[None, :])[0] != t:
        w += lr * t * np.concatenate([[1.0], x])
    return w
''',
    },
    "ex_delta_step": {
        "step output y instead of the linear output z": delta(new="w + lr * (t - predict(w, x[None, :])[0]) * x_hat"),
        "gradient of (z - t)**2 without the 1/2: twice the step": delta(new="w + 2 * lr * (t - w @ x_hat) * x_hat"),
        "bias not updated": delta(new="np.concatenate([w[:1], w[1:] + lr * (t - w @ x_hat) * x])"),
        "updates only misclassified samples": '''
def delta_step(w, x, t, lr):
    if predict(w, x[None, :])[0] == t:
        return w.copy()
    x_hat = np.concatenate([[1.0], x])
    return w + lr * (t - w @ x_hat) * x_hat
''',
        "w updated in place": '''
def delta_step(w, x, t, lr):
    x_hat = np.concatenate([[1.0], x])
    w += lr * (t - w @ x_hat) * x_hat
    return w
''',
    },
    "ex_train": {
        "never stops early": train(stop="if False:"),
        "stops as soon as the count stops falling": train(stop="if count == 0 or (len(mistakes) > 1 and count >= mistakes[-2]):"),
        "mistakes counted after the update": train(
            count="w = perceptron_step(w, x_k, t_k, lr)",
            update="count += int(predict(w, x_k[None, :])[0] != t_k)"),
        "samples shuffled every epoch": train(
            order="(lambda p: zip(x[p], t[p]))(np.random.default_rng().permutation(len(t)))"),
        "w0 updated in place (passes the visible checks)": train(
            start="w = w0",
            update="w[:] = perceptron_step(w, x_k, t_k, lr)"),
        "batch update: all mistakes at once, once per epoch": '''
def train_perceptron(x, t, w0, lr, max_epochs):
    w = np.array(w0, dtype=float)
    mistakes = []
    for epoch in range(max_epochs):
        wrong = predict(w, x) != t
        mistakes.append(int(np.sum(wrong)))
        if not wrong.any():
            break
        w = w + lr * (t[wrong] @ with_bias(x)[wrong])
    return w, mistakes
''',
    },
}
