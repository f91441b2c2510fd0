#!/usr/bin/env python3
"""PyTorch reference fixtures for Backprop's tests.

What it writes
    One JSON file per case into Tests/Fixtures/<name>.json:

        {"name": "...", "description": "...", "torch_version": "...",
         "dtype": "float64",
         "tensors": {"x": {"shape": [4, 3], "data": [flat row-major floats]}},
         "scalars": {"loss": 0.123}}

    File names and seeds by chapter (each case calls torch.manual_seed with
    its own seed):

        chapter 1   no prefix, named after the case   seeds 101–108
        chapter 2   "ch2_<case>.json"                  seeds 201 on
        chapter 4   "ch4_<case>.json"                  seeds 301 on
        chapter 5   "ch5_<case>.json"                  seeds 401 on

    Integer class targets and word ids are stored as float tensors of whole
    numbers.

    Every value is computed in float64 on the CPU and written with Python's
    shortest round-trip `repr`, so the Swift loader
    (Tests/TestSupport/Fixture.swift) reads back exactly the bits PyTorch
    produced.

How to run
    From the repository root, once, by hand (tests never run Python):

        pip install torch
        python3 Tests/Fixtures/make_fixtures.py

    then commit the JSON files it rewrites. Each case seeds its own generator
    (torch.manual_seed), so adding a case never changes the others, and
    rerunning the script reproduces the same files (the last bits of BLAS- or
    LAPACK-computed values may differ on another machine or torch version).

Torch version used for the committed files
    2.15.0+cu132 (computations on the CPU), Python 3.11.7.
"""

import json
import math
import os
import sys

import torch
import torch.nn.functional as F

DTYPE = torch.float64
OUT_DIR = os.path.dirname(os.path.abspath(__file__))

torch.set_default_dtype(DTYPE)
torch.use_deterministic_algorithms(True)


# ---------------------------------------------------------------- writing


def tensor_entry(t):
    """{"shape": [...], "data": [...]} for a float64 tensor, row-major."""
    t = t.detach()
    assert t.dtype == DTYPE, t.dtype
    data = [float(v) for v in t.contiguous().reshape(-1).tolist()]
    assert all(math.isfinite(v) for v in data), "non-finite value in fixture"
    return {"shape": list(t.shape), "data": data}


def write_fixture(name, description, tensors, scalars=None):
    """Writes Tests/Fixtures/<name>.json, one tensor per line for reading."""
    scalars = {k: float(v) for k, v in (scalars or {}).items()}
    entries = {k: tensor_entry(v) for k, v in tensors.items()}
    dumps = lambda v: json.dumps(v, allow_nan=False, ensure_ascii=False)

    lines = ["{"]
    lines.append(f'  "name": {dumps(name)},')
    lines.append(f'  "description": {dumps(description)},')
    lines.append(f'  "torch_version": {dumps(torch.__version__)},')
    lines.append(f'  "dtype": {dumps(str(DTYPE).replace("torch.", ""))},')
    lines.append('  "tensors": {')
    items = [f"    {dumps(k)}: {dumps(v)}" for k, v in entries.items()]
    lines.append(",\n".join(items))
    lines.append("  },")
    lines.append('  "scalars": {')
    items = [f"    {dumps(k)}: {dumps(v)}" for k, v in scalars.items()]
    if items:
        lines.append(",\n".join(items))
    lines.append("  }")
    lines.append("}")
    text = "\n".join(lines) + "\n"

    # The hand-formatted text must be valid JSON holding exactly our values.
    parsed = json.loads(text)
    assert parsed["tensors"] == entries and parsed["scalars"] == scalars

    path = os.path.join(OUT_DIR, f"{name}.json")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {os.path.relpath(path)}")


def close(a, b, tol=1e-12):
    """Cross-check between autograd and the closed form, relative to scale."""
    return torch.allclose(a, b, rtol=tol, atol=tol)


# ---------------------------------------------------------------- cases


def linear_forward_backward():
    torch.manual_seed(101)
    x = torch.randn(5, 3, requires_grad=True)
    W = torch.randn(2, 3, requires_grad=True)
    b = torch.randn(2, requires_grad=True)
    dy = torch.randn(5, 2)

    y = F.linear(x, W, b)  # x·Wᵀ + b
    y.backward(dy)

    assert close(x.grad, dy @ W.detach())
    assert close(W.grad, dy.T @ x.detach())
    assert close(b.grad, dy.sum(0))
    write_fixture(
        "linear_forward_backward",
        "Linear layer y = x·Wᵀ + b (PyTorch convention) and its gradients "
        "from y.backward(dy): dx = dy·W, dW = dyᵀ·x, db = column sums of dy.",
        {"x": x, "W": W, "b": b, "dy": dy,
         "y": y, "dx": x.grad, "dW": W.grad, "db": b.grad})


def mse_loss():
    torch.manual_seed(102)
    prediction = torch.randn(6, 1, requires_grad=True)
    target = torch.randn(6, 1)

    loss = F.mse_loss(prediction, target, reduction="mean")
    loss.backward()

    assert close(prediction.grad, 2 * (prediction.detach() - target) / 6)
    write_fixture(
        "mse_loss",
        "Mean squared error, loss = mean((p − t)²) over all 6 elements, and "
        "dloss/dp = 2(p − t)/6.",
        {"prediction": prediction, "target": target, "dprediction": prediction.grad},
        {"loss": loss.item()})


def bce_case(name, logits_values, targets, description):
    logits = torch.tensor(logits_values, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(logits, targets, reduction="mean")
    loss.backward()

    n = logits.numel()
    z = logits.detach()
    assert close(logits.grad, (torch.sigmoid(z) - targets) / n)
    stable = (z.clamp(min=0) - z * targets + torch.log1p(torch.exp(-z.abs()))).mean()
    assert close(loss.detach(), stable)
    write_fixture(
        name, description,
        {"logits": logits, "targets": targets, "dlogits": logits.grad},
        {"loss": loss.item()})


def bce_with_logits():
    torch.manual_seed(103)
    moderate = (torch.randn(3) * 2).tolist()
    # ±30: confidently right (tiny loss) and confidently wrong (loss ≈ 30);
    # a naive log(sigmoid(z)) gives log(0) = −inf for the wrong ones.
    logits = [30.0, -30.0, -30.0, 30.0] + moderate
    targets = torch.tensor([1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0])
    bce_case(
        "bce_with_logits", logits, targets,
        "Binary cross-entropy with logits, hard targets in {0, 1}, mean over "
        "7 elements; includes logits ±30 both confidently right and wrong. "
        "dloss/dlogits = (sigmoid(z) − t)/7.")


def bce_with_logits_soft():
    torch.manual_seed(104)
    moderate = (torch.randn(4) * 2).tolist()
    logits = [30.0, -30.0, 0.0] + moderate
    targets = torch.rand(7) * 0.9 + 0.05  # soft targets in (0.05, 0.95)
    bce_case(
        "bce_with_logits_soft", logits, targets,
        "Binary cross-entropy with logits, soft targets in (0, 1), mean over "
        "7 elements; includes logits ±30 and 0. "
        "dloss/dlogits = (sigmoid(z) − t)/7.")


def logistic_regression_step():
    torch.manual_seed(105)
    lr = 0.1
    x = torch.randn(8, 2)
    # Labels from a linear rule, two of them flipped so the data is not separable.
    targets = ((x @ torch.tensor([1.5, -1.0]) + 0.3) > 0).to(DTYPE)
    targets[[2, 5]] = 1 - targets[[2, 5]]

    W = torch.nn.Parameter(torch.randn(1, 2) * 0.5)
    b = torch.nn.Parameter(torch.randn(1) * 0.5)
    W0, b0 = W.detach().clone(), b.detach().clone()
    optimizer = torch.optim.SGD([W, b], lr=lr)

    optimizer.zero_grad()
    logits = F.linear(x, W, b).squeeze(1)  # [8]
    loss = F.binary_cross_entropy_with_logits(logits, targets, reduction="mean")
    loss.backward()
    dW, db = W.grad.detach().clone(), b.grad.detach().clone()
    optimizer.step()

    residual = (torch.sigmoid(logits.detach()) - targets) / 8
    assert close(dW, (residual @ x).unsqueeze(0))
    assert close(db, residual.sum().unsqueeze(0))
    assert close(W.detach(), W0 - lr * dW) and close(b.detach(), b0 - lr * db)
    write_fixture(
        "logistic_regression_step",
        "Logistic regression logits = x·Wᵀ + b (W [1,2], b [1]), "
        "BCE-with-logits mean loss, its gradients, and the parameters after "
        "one torch.optim.SGD step with lr 0.1 (no momentum, no weight decay).",
        {"x": x, "targets": targets, "W": W0, "b": b0,
         "logits": logits, "dW": dW, "db": db,
         "W_after": W, "b_after": b},
        {"loss": loss.item(), "lr": lr})


def linear_regression_normal_equations():
    torch.manual_seed(106)
    w_true = torch.tensor([2.0, -3.0])
    b_true = 0.5
    X = torch.randn(10, 2)
    y = X @ w_true + b_true + 0.01 * torch.randn(10)

    A = torch.cat([X, torch.ones(10, 1)], dim=1)  # [X, 1]
    solution = torch.linalg.lstsq(A, y.unsqueeze(1)).solution.squeeze(1)
    w, b = solution[:2], solution[2]
    residual = y - A @ solution
    rss = (residual * residual).sum()

    # The same answer from the normal equations (AᵀA)θ = Aᵀy.
    normal = torch.linalg.solve(A.T @ A, A.T @ y)
    assert close(solution, normal, tol=1e-10)
    write_fixture(
        "linear_regression_normal_equations",
        "Least squares for y ≈ X·w + b: torch.linalg.lstsq on [X, 1] "
        "(a column of ones for the bias). Data from w_true = [2, −3], "
        "b_true = 0.5 plus N(0, 0.01²) noise; rss is Σ residual².",
        {"X": X, "y": y, "w": w, "w_true": w_true},
        {"b": b.item(), "b_true": b_true, "rss": rss.item()})


def softmax_rows():
    torch.manual_seed(107)
    x = torch.stack([
        torch.randn(5),                                       # ordinary
        torch.tensor([1000.0, 1001.0, 1002.0, 1003.0, 1004.0])[torch.randperm(5)],
        torch.tensor([-1000.0, -1000.5, -999.0, -1003.0, -998.25]),  # exp underflows
    ])
    y = torch.softmax(x, dim=1)

    assert close(y.sum(1), torch.ones(3))
    write_fixture(
        "softmax_rows",
        "Row-wise softmax(x, dim=1) of a 3×5 matrix: one ordinary row, one "
        "row near +1000 (exp overflows without subtracting the max), one row "
        "near −1000 (exp underflows).",
        {"x": x, "y": y})


def matmul_layouts():
    torch.manual_seed(108)
    A = torch.randn(4, 3)
    B = torch.randn(3, 5)
    At = torch.randn(3, 4)  # independent of A, so a layout bug cannot hide
    Bt = torch.randn(5, 3)
    write_fixture(
        "matmul_layouts",
        "The three matmul layouts: C_nn = A·B (A [4,3], B [3,5]), "
        "C_tn = Atᵀ·B (At [3,4] stored transposed), C_nt = A·Btᵀ "
        "(Bt [5,3] stored transposed); each C is [4,5].",
        {"A": A, "B": B, "At": At, "Bt": Bt,
         "C_nn": A @ B, "C_tn": At.T @ B, "C_nt": A @ Bt.T})


# ---------------------------------------------------------------- chapter 2
#
# Chapter 2 cases write files named ch2_<case>.json and seed from 201 on.
# Integer class targets are stored as float tensors holding whole numbers
# (0.0, 1.0, ...), since a fixture holds only floats.


def ch2_linear():
    torch.manual_seed(201)
    layer = torch.nn.Linear(4, 3)
    x = torch.randn(5, 4, requires_grad=True)
    dy = torch.randn(5, 3)

    y = layer(x)
    y.backward(dy)

    W, b = layer.weight.detach(), layer.bias.detach()
    assert close(y.detach(), x.detach() @ W.T + b)
    assert close(x.grad, dy @ W)
    assert close(layer.weight.grad, dy.T @ x.detach())
    assert close(layer.bias.grad, dy.sum(0))
    write_fixture(
        "ch2_linear",
        "nn.Linear(4, 3) with its default initialisation (seed 201): "
        "y = x·weightᵀ + bias for x [5,4], weight [3,4], bias [3], and the "
        "gradients from y.backward(dy): dx = dy·weight, dweight = dyᵀ·x, "
        "dbias = column sums of dy.",
        {"x": x, "weight": W, "bias": b, "dy": dy,
         "y": y, "dx": x.grad, "dweight": layer.weight.grad,
         "dbias": layer.bias.grad})


def activation_input():
    """A [4,5] input: N(0, 1.5²) values, four tiny ones and four large ones."""
    x = torch.randn(4, 5) * 1.5
    flat = x.view(-1)
    flat[[1, 7, 12, 18]] = torch.tensor([1e-6, -1e-6, 3e-3, -3e-3])
    flat[[3, 9, 14, 16]] = torch.tensor([8.5, -8.5, 20.0, -20.0])
    assert (x != 0).all()
    return x


def activation_case(name, seed, forward, closed_y, closed_slope, description,
                    scalars=None):
    """Records y = forward(x) and dx = dy ⊙ f′(x), checked against closed forms."""
    torch.manual_seed(seed)
    x = activation_input().requires_grad_(True)
    dy = torch.randn(4, 5)

    y = forward(x)
    y.backward(dy)

    z = x.detach()
    assert close(y.detach(), closed_y(z))
    assert close(x.grad, dy * closed_slope(z))
    write_fixture(
        f"ch2_activation_{name}",
        description + " x [4,5] holds N(0, 1.5²) values plus ±1e-6, ±3e-3, "
        "±8.5 and ±20 (no exact zeros); dx = dy ⊙ f′(x) from y.backward(dy).",
        {"x": x, "dy": dy, "y": y, "dx": x.grad}, scalars)


SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


def normal_cdf(z):
    return 0.5 * (1 + torch.erf(z / math.sqrt(2)))


def normal_pdf(z):
    return torch.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)


def gelu_tanh_inner(z):
    return SQRT_2_OVER_PI * (z + 0.044715 * z ** 3)


def ch2_activations():
    activation_case(
        "relu", 211, F.relu,
        lambda z: z.clamp(min=0),
        lambda z: (z > 0).to(DTYPE),
        "ReLU y = max(x, 0), f′(x) = 1 for x > 0 else 0.")
    slope = 0.1
    activation_case(
        "leaky_relu", 212, lambda t: F.leaky_relu(t, negative_slope=slope),
        lambda z: torch.where(z > 0, z, slope * z),
        lambda z: torch.where(z > 0, torch.ones_like(z), torch.full_like(z, slope)),
        "Leaky ReLU y = x for x > 0 else slope·x, slope 0.1 (scalar 'slope'); "
        "f′(x) = 1 for x > 0 else slope.",
        {"slope": slope})
    activation_case(
        "tanh", 213, torch.tanh,
        torch.tanh,
        lambda z: 1 - torch.tanh(z) ** 2,
        "tanh, f′(x) = 1 − tanh(x)².")
    activation_case(
        "sigmoid", 214, torch.sigmoid,
        lambda z: 1 / (1 + torch.exp(-z)),
        lambda z: torch.sigmoid(z) * (1 - torch.sigmoid(z)),
        "Logistic sigmoid σ(x) = 1/(1 + e^−x), f′(x) = σ(x)(1 − σ(x)).")
    activation_case(
        "gelu", 215, lambda t: F.gelu(t, approximate="none"),
        lambda z: z * normal_cdf(z),
        lambda z: normal_cdf(z) + z * normal_pdf(z),
        "Exact GELU (approximate='none') y = x·Φ(x), Φ(x) = ½(1 + erf(x/√2)); "
        "f′(x) = Φ(x) + x·φ(x), φ(x) = exp(−x²/2)/√(2π).")
    activation_case(
        "gelu_tanh", 216, lambda t: F.gelu(t, approximate="tanh"),
        lambda z: 0.5 * z * (1 + torch.tanh(gelu_tanh_inner(z))),
        lambda z: (0.5 * (1 + torch.tanh(gelu_tanh_inner(z)))
                   + 0.5 * z * (1 - torch.tanh(gelu_tanh_inner(z)) ** 2)
                   * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * z * z)),
        "tanh-approximate GELU (approximate='tanh') y = ½x(1 + tanh(u)), "
        "u = √(2/π)(x + 0.044715x³); f′(x) = ½(1 + tanh u) + "
        "½x(1 − tanh²u)·√(2/π)(1 + 3·0.044715x²).")


def ch2_softmax():
    torch.manual_seed(221)
    x = (torch.randn(3, 6) * 2).requires_grad_(True)
    dy = torch.randn(3, 6)

    y = torch.softmax(x, dim=1)
    y.backward(dy)

    e = torch.exp(x.detach() - x.detach().max(1, keepdim=True).values)
    p = e / e.sum(1, keepdim=True)
    assert close(y.detach(), p)
    assert close(x.grad, p * (dy - (dy * p).sum(1, keepdim=True)))
    write_fixture(
        "ch2_softmax",
        "Row-wise softmax(x, dim=1) of x [3,6] and its gradient from "
        "y.backward(dy): dx = y ⊙ (dy − Σ_j dy_j·y_j), the sum taken per row.",
        {"x": x, "dy": dy, "y": y, "dx": x.grad})


def cross_entropy_case(name, seed, label_smoothing, description):
    torch.manual_seed(seed)
    logits = (torch.randn(6, 4) * 2).requires_grad_(True)
    targets = torch.randint(0, 4, (6,))

    loss = F.cross_entropy(logits, targets, reduction="mean",
                           label_smoothing=label_smoothing)
    loss.backward()

    # Closed form: q = (1 − ε)·onehot + ε/C, loss = mean_i(−Σ_c q_ic log p_ic),
    # dlogits = (p − q)/N.
    z = logits.detach()
    n, c = z.shape
    log_p = z - torch.logsumexp(z, dim=1, keepdim=True)
    q = (1 - label_smoothing) * F.one_hot(targets, c).to(DTYPE) + label_smoothing / c
    assert close(loss.detach(), -(q * log_p).sum(1).mean())
    assert close(logits.grad, (torch.exp(log_p) - q) / n)
    scalars = {"loss": loss.item()}
    if label_smoothing:
        scalars["label_smoothing"] = label_smoothing
    write_fixture(
        name, description,
        {"logits": logits, "targets": targets.to(DTYPE), "dlogits": logits.grad},
        scalars)


def ch2_cross_entropy():
    cross_entropy_case(
        "ch2_cross_entropy", 231, 0.0,
        "Cross-entropy F.cross_entropy(logits, targets), mean over the batch: "
        "logits [6,4], targets [6] are class indices 0..3 stored as whole-number "
        "floats. loss = mean_i(logsumexp(z_i) − z_i,t_i), "
        "dlogits = (softmax(z) − onehot(t))/6.")


def ch2_cross_entropy_smoothing():
    cross_entropy_case(
        "ch2_cross_entropy_smoothing", 232, 0.1,
        "Cross-entropy with label_smoothing ε = 0.1 (scalar 'label_smoothing'), "
        "mean over the batch: logits [6,4], targets [6] are class indices 0..3 "
        "stored as whole-number floats. With C = 4 classes the target "
        "distribution is q = (1 − ε)·onehot(t) + ε/C; loss = "
        "mean_i(−Σ_c q_ic·log softmax(z)_ic), dlogits = (softmax(z) − q)/6.")


def ch2_bce_with_logits():
    torch.manual_seed(241)
    logits = (torch.randn(6) * 2).requires_grad_(True)
    targets = torch.tensor([1.0, 0.0, 1.0, 1.0, 0.0, 0.0])

    loss = F.binary_cross_entropy_with_logits(logits, targets, reduction="mean")
    loss.backward()

    z = logits.detach()
    stable = (z.clamp(min=0) - z * targets + torch.log1p(torch.exp(-z.abs()))).mean()
    assert close(loss.detach(), stable)
    assert close(logits.grad, (torch.sigmoid(z) - targets) / 6)
    write_fixture(
        "ch2_bce_with_logits",
        "Binary cross-entropy with logits, mean over 6 elements: logits [6], "
        "hard targets [6] in {0, 1}. loss = mean(max(z, 0) − z·t + "
        "log(1 + e^−|z|)), dlogits = (sigmoid(z) − t)/6.",
        {"logits": logits, "targets": targets, "dlogits": logits.grad},
        {"loss": loss.item()})


def ch2_mse():
    torch.manual_seed(251)
    prediction = torch.randn(4, 3, requires_grad=True)
    target = torch.randn(4, 3)

    loss = F.mse_loss(prediction, target, reduction="mean")
    loss.backward()

    diff = prediction.detach() - target
    assert close(loss.detach(), (diff * diff).mean())
    assert close(prediction.grad, 2 * diff / 12)
    write_fixture(
        "ch2_mse",
        "Mean squared error over all 12 elements of prediction [4,3] and "
        "target [4,3]: loss = mean((p − t)²), dprediction = 2(p − t)/12.",
        {"prediction": prediction, "target": target,
         "dprediction": prediction.grad},
        {"loss": loss.item()})


# Optimizers: three steps on one parameter p [3,4] with given gradients.


def optimizer_case(name, seed, make_optimizer, reference_step, state_keys,
                   description, scalars):
    """Runs three optimizer.step() calls with p.grad = g1, g2, g3 in turn.

    reference_step(p, g, state, t) is the closed-form update (t = 1, 2, 3),
    returning the new p and updating the dict `state` in place."""
    torch.manual_seed(seed)
    p0 = torch.randn(3, 4)
    grads = [torch.randn(3, 4) for _ in range(3)]

    p = torch.nn.Parameter(p0.clone())
    optimizer = make_optimizer([p])
    ref_p, ref_state = p0.clone(), {}
    tensors = {"p0": p0, "g1": grads[0], "g2": grads[1], "g3": grads[2]}
    for t, g in enumerate(grads, start=1):
        p.grad = g.clone()
        optimizer.step()
        ref_p = reference_step(ref_p, g, ref_state, t)
        assert close(p.detach(), ref_p), (name, t)
        tensors[f"p{t}"] = p.detach().clone()

    state = optimizer.state[p]
    for key in state_keys:
        assert close(state[key], ref_state[key]), (name, key)
        tensors[key] = state[key]
    write_fixture(name, description, tensors, scalars)


def sgd_reference(lr, momentum=0.0, dampening=0.0, weight_decay=0.0,
                  nesterov=False):
    def step(p, g, state, t):
        d = g + weight_decay * p
        if momentum:
            if "momentum_buffer" not in state:
                buf = d.clone()  # first step: the buffer is the gradient, undamped
            else:
                buf = momentum * state["momentum_buffer"] + (1 - dampening) * d
            state["momentum_buffer"] = buf
            d = d + momentum * buf if nesterov else buf
        return p - lr * d
    return step


def adam_reference(lr, beta1, beta2, eps, weight_decay, decoupled):
    def step(p, g, state, t):
        if decoupled:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        m = beta1 * state.get("exp_avg", torch.zeros_like(p)) + (1 - beta1) * g
        v = beta2 * state.get("exp_avg_sq", torch.zeros_like(p)) + (1 - beta2) * g * g
        state["exp_avg"], state["exp_avg_sq"] = m, v
        m_hat = m / (1 - beta1 ** t)
        v_hat = v / (1 - beta2 ** t)
        return p - lr * m_hat / (torch.sqrt(v_hat) + eps)
    return step


OPTIMIZER_SHAPE_NOTE = (
    " Tensors: p0 [3,4] the starting parameter; g1, g2, g3 [3,4] the gradients "
    "set as p.grad before steps 1, 2, 3; p1, p2, p3 the parameter after each step.")


def ch2_sgd():
    lr, wd = 0.1, 0.01
    optimizer_case(
        "ch2_sgd", 261,
        lambda ps: torch.optim.SGD(ps, lr=lr, weight_decay=wd),
        sgd_reference(lr, weight_decay=wd), [],
        "torch.optim.SGD, lr 0.1, weight_decay 0.01, no momentum: "
        "p ← p − lr·(g + wd·p)." + OPTIMIZER_SHAPE_NOTE,
        {"lr": lr, "weight_decay": wd})


def ch2_sgd_momentum():
    lr, mu, tau, wd = 0.1, 0.9, 0.1, 0.01
    optimizer_case(
        "ch2_sgd_momentum", 262,
        lambda ps: torch.optim.SGD(ps, lr=lr, momentum=mu, dampening=tau,
                                   weight_decay=wd),
        sgd_reference(lr, momentum=mu, dampening=tau, weight_decay=wd),
        ["momentum_buffer"],
        "torch.optim.SGD with momentum μ 0.9, dampening τ 0.1, lr 0.1, "
        "weight_decay 0.01: d = g + wd·p; buffer b = d on the FIRST step "
        "(PyTorch applies no dampening there), afterwards b ← μ·b + (1 − τ)·d; "
        "p ← p − lr·b. momentum_buffer [3,4] is b after step 3."
        + OPTIMIZER_SHAPE_NOTE,
        {"lr": lr, "momentum": mu, "dampening": tau, "weight_decay": wd})


def ch2_sgd_nesterov():
    lr, mu, wd = 0.1, 0.9, 0.01
    optimizer_case(
        "ch2_sgd_nesterov", 263,
        lambda ps: torch.optim.SGD(ps, lr=lr, momentum=mu, nesterov=True,
                                   weight_decay=wd),
        sgd_reference(lr, momentum=mu, weight_decay=wd, nesterov=True),
        ["momentum_buffer"],
        "torch.optim.SGD with Nesterov momentum μ 0.9 (dampening 0), lr 0.1, "
        "weight_decay 0.01: d = g + wd·p; b = d on the first step, afterwards "
        "b ← μ·b + d; p ← p − lr·(d + μ·b). momentum_buffer [3,4] is b after "
        "step 3. Scalar nesterov = 1 means true." + OPTIMIZER_SHAPE_NOTE,
        {"lr": lr, "momentum": mu, "dampening": 0.0, "weight_decay": wd,
         "nesterov": 1.0})


def ch2_adam():
    lr, b1, b2, eps, wd = 0.01, 0.9, 0.999, 1e-8, 0.01
    optimizer_case(
        "ch2_adam", 264,
        lambda ps: torch.optim.Adam(ps, lr=lr, betas=(b1, b2), eps=eps,
                                    weight_decay=wd),
        adam_reference(lr, b1, b2, eps, wd, decoupled=False),
        ["exp_avg", "exp_avg_sq"],
        "torch.optim.Adam, lr 0.01, betas (0.9, 0.999), eps 1e-8, "
        "weight_decay 0.01 as an L2 term added to the gradient: at step "
        "t = 1, 2, 3: d = g + wd·p; m ← β1·m + (1 − β1)·d; v ← β2·v + (1 − β2)·d²; "
        "p ← p − lr·(m/(1 − β1^t)) / (√(v/(1 − β2^t)) + eps), m and v starting "
        "at 0. exp_avg = m and exp_avg_sq = v [3,4] after step 3."
        + OPTIMIZER_SHAPE_NOTE,
        {"lr": lr, "beta1": b1, "beta2": b2, "eps": eps, "weight_decay": wd})


def ch2_adamw():
    lr, b1, b2, eps, wd = 0.01, 0.9, 0.999, 1e-8, 0.1
    optimizer_case(
        "ch2_adamw", 265,
        lambda ps: torch.optim.AdamW(ps, lr=lr, betas=(b1, b2), eps=eps,
                                     weight_decay=wd),
        adam_reference(lr, b1, b2, eps, wd, decoupled=True),
        ["exp_avg", "exp_avg_sq"],
        "torch.optim.AdamW, lr 0.01, betas (0.9, 0.999), eps 1e-8, decoupled "
        "weight_decay 0.1: at step t = 1, 2, 3: first p ← p·(1 − lr·wd), then "
        "the Adam update with the raw gradient g: m ← β1·m + (1 − β1)·g; "
        "v ← β2·v + (1 − β2)·g²; p ← p − lr·(m/(1 − β1^t)) / "
        "(√(v/(1 − β2^t)) + eps), m and v starting at 0. exp_avg = m and "
        "exp_avg_sq = v [3,4] after step 3." + OPTIMIZER_SHAPE_NOTE,
        {"lr": lr, "beta1": b1, "beta2": b2, "eps": eps, "weight_decay": wd})


def ch2_clip_grad_norm():
    torch.manual_seed(271)
    max_norm = 5.0
    a = torch.randn(3, 4)
    b = torch.randn(5)
    scale = 7.0 / torch.sqrt((a * a).sum() + (b * b).sum())
    a, b = a * scale, b * scale  # total norm ≈ 7 > max_norm

    pa = torch.nn.Parameter(torch.zeros(3, 4))
    pb = torch.nn.Parameter(torch.zeros(5))
    pa.grad, pb.grad = a.clone(), b.clone()
    total_norm = torch.nn.utils.clip_grad_norm_([pa, pb], max_norm=max_norm)

    norm = torch.sqrt((a * a).sum() + (b * b).sum())
    assert close(total_norm, norm) and abs(norm.item() - 7.0) < 1e-12
    coef = min(1.0, max_norm / (norm.item() + 1e-6))
    assert close(pa.grad, a * coef) and close(pb.grad, b * coef)
    write_fixture(
        "ch2_clip_grad_norm",
        "torch.nn.utils.clip_grad_norm_ over two gradients a [3,4] and b [5] "
        "with max_norm 5 (L2): total_norm = √(Σa² + Σb²) ≈ 7 (the norm BEFORE "
        "clipping, as returned), then every gradient is multiplied by "
        "min(1, max_norm/(total_norm + 1e-6)); note PyTorch's 1e-6 in the "
        "denominator. a_clipped, b_clipped are the gradients after clipping.",
        {"a": a, "b": b, "a_clipped": pa.grad, "b_clipped": pb.grad},
        {"max_norm": max_norm, "total_norm": total_norm.item()})


def ch2_schedules():
    torch.manual_seed(281)  # nothing random; seeded for uniformity

    # StepLR: the lr in effect during epochs 0..9.
    base, step_size, gamma, epochs = 0.1, 3, 0.5, 10
    p = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([p], lr=base)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=step_size,
                                                gamma=gamma)
    step_lr = []
    for epoch in range(epochs):
        step_lr.append(optimizer.param_groups[0]["lr"])
        optimizer.step()  # p.grad is None: no update, keeps the call order valid
        scheduler.step()
    step_lr = torch.tensor(step_lr)
    assert close(step_lr, torch.tensor([base * gamma ** (e // step_size)
                                        for e in range(epochs)]))

    # Linear warm-up then cosine decay, as a LambdaLR multiplier of base.
    min_lr, warmup, total = 0.001, 5, 20

    def closed_form(t):
        if t < warmup:
            return base * (t + 1) / warmup
        progress = (t - warmup) / (total - warmup)
        return min_lr + 0.5 * (base - min_lr) * (1 + math.cos(math.pi * progress))

    p = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([p], lr=base)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lr_lambda=lambda t: closed_form(t) / base)
    cosine = []
    for t in range(total):
        cosine.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    cosine = torch.tensor(cosine)
    assert close(cosine, torch.tensor([closed_form(t) for t in range(total)]))

    write_fixture(
        "ch2_schedules",
        "Learning-rate schedules, each value the lr in effect at 0-based step "
        "(epoch) t, read from optimizer.param_groups[0]['lr'] before the t-th "
        "scheduler.step(). step_lr [10]: torch.optim.lr_scheduler.StepLR("
        "step_size=3, gamma=0.5) from lr 0.1, i.e. 0.1·0.5^⌊t/3⌋ for t = 0..9. "
        "cosine_warmup [20]: LambdaLR on SGD with base lr 0.1 and multiplier "
        "lr(t)/base, where lr(t) = base·(t+1)/warmup for t < warmup, else "
        "min + ½(base − min)(1 + cos(π·(t − warmup)/(total − warmup))), with "
        "base 0.1, min 0.001, warmup 5, total 20, t = 0..19 (so t = 4 reaches "
        "base, t = 5 is base again, and t = 19 is still above min).",
        {"step_lr": step_lr, "cosine_warmup": cosine},
        {"step_lr_base": base, "step_size": step_size, "gamma": gamma,
         "base_lr": base, "min_lr": min_lr, "warmup_steps": warmup,
         "total_steps": total})


def ch2_mlp():
    torch.manual_seed(291)
    model = torch.nn.Sequential(
        torch.nn.Linear(4, 8), torch.nn.Tanh(),
        torch.nn.Linear(8, 8), torch.nn.ReLU(),
        torch.nn.Linear(8, 3))
    x = torch.randn(6, 4)
    targets = torch.randint(0, 3, (6,))
    params = {k: v.detach().clone() for k, v in model.named_parameters()}

    logits = model(x)
    loss = F.cross_entropy(logits, targets, reduction="mean")
    loss.backward()
    grads = {k: v.grad.detach().clone() for k, v in model.named_parameters()}

    lr = 0.01
    torch.optim.Adam(model.parameters(), lr=lr).step()
    after = {k: v.detach().clone() for k, v in model.named_parameters()}

    # Closed form: hand-written forward and backward.
    P = params
    h1 = x @ P["0.weight"].T + P["0.bias"]
    a1 = torch.tanh(h1)
    h2 = a1 @ P["2.weight"].T + P["2.bias"]
    a2 = h2.clamp(min=0)
    z = a2 @ P["4.weight"].T + P["4.bias"]
    assert close(logits.detach(), z)
    log_p = z - torch.logsumexp(z, dim=1, keepdim=True)
    onehot = F.one_hot(targets, 3).to(DTYPE)
    assert close(loss.detach(), -(onehot * log_p).sum(1).mean())
    dz = (torch.exp(log_p) - onehot) / 6
    dh2 = (dz @ P["4.weight"]) * (h2 > 0).to(DTYPE)
    dh1 = (dh2 @ P["2.weight"]) * (1 - a1 * a1)
    expected = {"4.weight": dz.T @ a2, "4.bias": dz.sum(0),
                "2.weight": dh2.T @ a1, "2.bias": dh2.sum(0),
                "0.weight": dh1.T @ x, "0.bias": dh1.sum(0)}
    for k in params:
        assert close(grads[k], expected[k]), k
        # Adam's first step: m̂ = g, v̂ = g², so p ← p − lr·g/(|g| + eps).
        g = grads[k]
        assert close(after[k], params[k] - lr * g / (g.abs() + 1e-8)), k

    tensors = {"x": x, "targets": targets.to(DTYPE)}
    tensors.update(params)
    tensors["logits"] = logits
    tensors.update({f"grad.{k}": v for k, v in grads.items()})
    tensors.update({f"after_adam.{k}": v for k, v in after.items()})
    write_fixture(
        "ch2_mlp",
        "A whole model, nn.Sequential(Linear(4,8), Tanh(), Linear(8,8), ReLU(), "
        "Linear(8,3)) with default initialisation (seed 291), parameters named "
        "as PyTorch names them ('0.weight' [8,4], '0.bias' [8], '2.weight' "
        "[8,8], '2.bias' [8], '4.weight' [3,8], '4.bias' [3]). x [6,4]; "
        "targets [6] are class indices 0..2 stored as whole-number floats; "
        "logits [6,3]; loss = F.cross_entropy mean; 'grad.<name>' is each "
        "parameter's gradient; 'after_adam.<name>' is each parameter after one "
        "torch.optim.Adam step (lr 0.01, betas (0.9, 0.999), eps 1e-8, no "
        "weight decay), which on the first step is p − lr·g/(|g| + eps).",
        tensors,
        {"loss": loss.item(), "lr": lr, "beta1": 0.9, "beta2": 0.999,
         "eps": 1e-8})


# ---------------------------------------------------------------- chapter 4
#
# Chapter 4 cases write files named ch4_<case>.json and seed from 301 on.
# Word ids are stored as float tensors of whole numbers. The embedding tables
# are [V, D]: 'input_vectors' holds the "v" (centre / input) embeddings and
# 'output_vectors' the "u" (context / output) embeddings; a row is one word.
# Every loss and gradient is cross-checked against a plain-Python loop over
# nested lists with the analytic gradients (no torch in the reference path).


def py_log_sigmoid(x):
    """log σ(x), computed without overflow for large |x|."""
    return -math.log1p(math.exp(-x)) if x >= 0 else x - math.log1p(math.exp(x))


def py_sigmoid(x):
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


def py_dot(a, b):
    return sum(p * q for p, q in zip(a, b))


def loop_negative_sampling(v_in, u_out, hidden_ids, targets, negatives):
    """Plain-Python loss and table gradients of the mean negative-sampling loss.

    Example i has hidden vector h_i = mean of v_in rows hidden_ids[i] (one id
    for skip-gram, the window for CBOW), positive word targets[i] and negative
    words negatives[i]. Loss_i = −log σ(u_t·h) − Σ_k log σ(−u_k·h), averaged
    over the batch; returns (loss, grad_in, grad_out) as nested lists.
    """
    B = len(targets)
    V, D = len(v_in), len(v_in[0])
    grad_in = [[0.0] * D for _ in range(V)]
    grad_out = [[0.0] * D for _ in range(V)]
    total = 0.0
    for i in range(B):
        ids = hidden_ids[i]
        h = [sum(v_in[w][d] for w in ids) / len(ids) for d in range(D)]
        t = targets[i]
        s_pos = py_dot(u_out[t], h)
        total += -py_log_sigmoid(s_pos)
        # ∂/∂h = −(1 − σ(u_t·h))·u_t + Σ_k σ(u_k·h)·u_k
        coef = -(1 - py_sigmoid(s_pos))
        dh = [coef * u for u in u_out[t]]
        for d in range(D):  # ∂/∂u_t = −(1 − σ(u_t·h))·h
            grad_out[t][d] += coef * h[d] / B
        for k in negatives[i]:
            s_neg = py_dot(u_out[k], h)
            total += -py_log_sigmoid(-s_neg)
            sig = py_sigmoid(s_neg)
            for d in range(D):
                dh[d] += sig * u_out[k][d]
                grad_out[k][d] += sig * h[d] / B  # ∂/∂u_k = σ(u_k·h)·h
        for w in ids:  # h is the mean of the window, so each id gets dh/len
            for d in range(D):
                grad_in[w][d] += dh[d] / len(ids) / B
    return total / B, grad_in, grad_out


def ids_tensor(rows):
    return torch.tensor(rows, dtype=torch.long)


def ch4_sgns():
    torch.manual_seed(301)
    V, D = 12, 5
    input_vectors = (torch.randn(V, D) * 0.5).requires_grad_(True)
    output_vectors = (torch.randn(V, D) * 0.5).requires_grad_(True)
    center = [3, 7, 3, 9]
    context = [5, 2, 11, 0]
    negatives = [[8, 1, 8],    # 8 twice in one row
                 [3, 10, 4],   # 3 is also a centre (examples 0 and 2)
                 [6, 1, 9],    # 9 is also a centre (example 3)
                 [2, 5, 10]]   # 2 and 5 are also contexts
    B, K = len(center), len(negatives[0])

    v = F.embedding(ids_tensor(center), input_vectors)            # [B, D]
    u_o = F.embedding(ids_tensor(context), output_vectors)        # [B, D]
    u_k = F.embedding(ids_tensor(negatives), output_vectors)      # [B, K, D]
    pos = (u_o * v).sum(-1)                                       # [B]
    neg = (u_k * v.unsqueeze(1)).sum(-1)                          # [B, K]
    loss = (-F.logsigmoid(pos) - F.logsigmoid(-neg).sum(1)).mean()
    loss.backward()

    ref_loss, ref_in, ref_out = loop_negative_sampling(
        nested(input_vectors), nested(output_vectors),
        [[c] for c in center], context, negatives)
    assert close(loss.detach(), torch.tensor(ref_loss))
    assert close(input_vectors.grad, torch.tensor(ref_in))
    assert close(output_vectors.grad, torch.tensor(ref_out))
    assert (output_vectors.grad[7] == 0).all() and (input_vectors.grad[0] == 0).all()

    write_fixture(
        "ch4_sgns",
        f"Skip-gram with negative sampling (seed 301), V = {V} words, D = {D}, "
        f"batch B = {B}, K = {K} negatives per example. input_vectors [V,D] are "
        "the centre ('v') embeddings and output_vectors [V,D] the context ('u') "
        "embeddings, one row per word, both random N(0, 0.5²). center [B], "
        "context [B] and negatives [B,K] are word ids (row indices) stored as "
        "whole-number floats. loss = (1/B)·Σ_i [ −log σ(u_{context_i}·v_{center_i}) "
        "− Σ_k log σ(−u_{negatives_ik}·v_{center_i}) ] (torch "
        "F.logsigmoid on rows gathered with F.embedding; the mean is over the "
        "B examples only, not over the 1 + K terms). grad_input [V,D] and "
        "grad_output [V,D] are the gradients of that mean loss w.r.t. the FULL "
        "tables: per example, ∂/∂v_c = −(1 − σ(u_o·v_c))·u_o + Σ_k σ(u_k·v_c)·u_k, "
        "∂/∂u_o = −(1 − σ(u_o·v_c))·v_c, ∂/∂u_k = σ(u_k·v_c)·v_c, each ÷B, "
        "ACCUMULATED (summed) into the row of every occurrence; rows never "
        "used are zero. The ids exercise accumulation: centre 3 occurs twice; "
        "negative 8 occurs twice in row 0 (it counts twice in the loss and "
        "the gradient, no deduplication); 1 and 10 are negatives in two rows; "
        "2 and 5 are both a context and a negative; 3 and 9 are centres and "
        "also negatives (different tables: input row for the centre, output "
        "row for the negative). grad_input is nonzero only in rows 3, 7, 9; "
        "grad_output is zero in row 7 only.",
        {"input_vectors": input_vectors, "output_vectors": output_vectors,
         "center": torch.tensor(center, dtype=DTYPE),
         "context": torch.tensor(context, dtype=DTYPE),
         "negatives": torch.tensor(negatives, dtype=DTYPE),
         "grad_input": input_vectors.grad, "grad_output": output_vectors.grad},
        {"loss": loss.item()})


def ch4_cbow():
    torch.manual_seed(302)
    V, D = 12, 5
    input_vectors = (torch.randn(V, D) * 0.5).requires_grad_(True)
    output_vectors = (torch.randn(V, D) * 0.5).requires_grad_(True)
    context_windows = [[1, 4, 6, 9],
                       [0, 4, 4, 11],   # 4 twice in one window
                       [2, 7, 9, 10]]   # 9 also in window 0
    target = [5, 8, 3]
    negatives = [[10, 2, 10],  # 10 twice in one row
                 [5, 7, 1],    # 5 is also the target of example 0
                 [0, 6, 8]]    # 8 is also the target of example 1
    B, K, C = len(target), len(negatives[0]), len(context_windows[0])

    windows = F.embedding(ids_tensor(context_windows), input_vectors)  # [B, C, D]
    h = windows.mean(1)                                                 # [B, D]
    u_t = F.embedding(ids_tensor(target), output_vectors)               # [B, D]
    u_k = F.embedding(ids_tensor(negatives), output_vectors)            # [B, K, D]
    pos = (u_t * h).sum(-1)
    neg = (u_k * h.unsqueeze(1)).sum(-1)
    loss = (-F.logsigmoid(pos) - F.logsigmoid(-neg).sum(1)).mean()
    loss.backward()

    ref_loss, ref_in, ref_out = loop_negative_sampling(
        nested(input_vectors), nested(output_vectors),
        context_windows, target, negatives)
    assert close(loss.detach(), torch.tensor(ref_loss))
    assert close(input_vectors.grad, torch.tensor(ref_in))
    assert close(output_vectors.grad, torch.tensor(ref_out))
    for w in (3, 5, 8):
        assert (input_vectors.grad[w] == 0).all()
    for w in (4, 9, 11):
        assert (output_vectors.grad[w] == 0).all()

    write_fixture(
        "ch4_cbow",
        f"CBOW with negative sampling (seed 302), V = {V} words, D = {D}, "
        f"batch B = {B}, window of C = {C} context ids, K = {K} negatives per "
        "example. input_vectors [V,D] ('v', the context-word embeddings that "
        "are averaged) and output_vectors [V,D] ('u', the target/output "
        "embeddings), one row per word, both random N(0, 0.5²) (drawn afresh "
        "from seed 302, so different values from ch4_sgns). context_windows "
        "[B,C], target [B] and negatives [B,K] are word ids stored as "
        "whole-number floats. h_i = (1/C)·Σ_j v_{context_windows_ij} (a plain "
        "mean; a repeated id counts once per occurrence). loss = (1/B)·Σ_i "
        "[ −log σ(u_{target_i}·h_i) − Σ_k log σ(−u_{negatives_ik}·h_i) ] "
        "(torch F.logsigmoid on rows gathered with F.embedding; mean over the "
        "B examples only). grad_input [V,D] and grad_output [V,D] are the "
        "gradients of that mean loss w.r.t. the FULL tables: per example "
        "∂/∂h = −(1 − σ(u_t·h))·u_t + Σ_k σ(u_k·h)·u_k and each window "
        "occurrence of a word gets (∂/∂h)/C; ∂/∂u_t = −(1 − σ(u_t·h))·h, "
        "∂/∂u_k = σ(u_k·h)·h; all ÷B and ACCUMULATED into the row of every "
        "occurrence; rows never used are zero. The ids exercise accumulation: "
        "4 occurs twice in window 1 (gets 2·(∂/∂h)/C) and 4, 9 occur in two "
        "windows; negative 10 occurs twice in row 0 (no deduplication); 5 and "
        "8 are each a target and a negative elsewhere. grad_input is zero in "
        "rows 3, 5, 8; grad_output is zero in rows 4, 9, 11.",
        {"input_vectors": input_vectors, "output_vectors": output_vectors,
         "context_windows": torch.tensor(context_windows, dtype=DTYPE),
         "target": torch.tensor(target, dtype=DTYPE),
         "negatives": torch.tensor(negatives, dtype=DTYPE),
         "grad_input": input_vectors.grad, "grad_output": output_vectors.grad},
        {"loss": loss.item()})


# ---------------------------------------------------------------- chapter 5
#
# Chapter 5 cases write files named ch5_<case>.json and seed from 401 on.
# Layout is NCHW ([batch, channels, height, width]); convolution weights are
# [C_out, C_in, kernel_h, kernel_w] and PyTorch's conv2d is a cross-correlation
# (the kernel is not flipped). Every result is cross-checked below against
# plain-Python loops over nested lists (no torch in the reference path), so a
# mistake in how a fixture drives PyTorch cannot agree with itself.


def nested(t):
    """A tensor as nested Python lists of floats."""
    return t.detach().tolist()


def zeros_nested(*shape):
    if len(shape) == 1:
        return [0.0] * shape[0]
    return [zeros_nested(*shape[1:]) for _ in range(shape[0])]


def pad_nested(x, pad, value):
    """Pads the last two axes of an [N][C][H][W] list by `pad` on every side."""
    out = []
    for xn in x:
        channels = []
        for xc in xn:
            width = len(xc[0]) + 2 * pad
            rows = [[value] * width for _ in range(pad)]
            rows += [[value] * pad + list(r) + [value] * pad for r in xc]
            rows += [[value] * width for _ in range(pad)]
            channels.append(rows)
        out.append(channels)
    return out


def output_size(size, kernel, stride, padding, dilation=1):
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def loop_conv2d(x, w, b, stride, padding, dilation, dy):
    """Forward and backward of conv2d by explicit loops over every term.

    y[n,o,i,j] = b[o] + Σ_c Σ_a Σ_b w[o,c,a,b]·xpad[n,c,i·s + a·d, j·s + b·d].
    Returns (y, dx, dw, db) as float64 tensors (db None when b is None).
    """
    N, C, H, W = x.shape
    O, _, KH, KW = w.shape
    Ho = output_size(H, KH, stride, padding, dilation)
    Wo = output_size(W, KW, stride, padding, dilation)
    xp = pad_nested(nested(x), padding, 0.0)
    wl, dyl = nested(w), nested(dy)
    bl = nested(b) if b is not None else [0.0] * O
    y = zeros_nested(N, O, Ho, Wo)
    dxp = zeros_nested(N, C, H + 2 * padding, W + 2 * padding)
    dw = zeros_nested(O, C, KH, KW)
    db = [0.0] * O
    for n in range(N):
        for o in range(O):
            for i in range(Ho):
                for j in range(Wo):
                    acc = bl[o]
                    g = dyl[n][o][i][j]
                    db[o] += g
                    for c in range(C):
                        for a in range(KH):
                            r = i * stride + a * dilation
                            for bb in range(KW):
                                q = j * stride + bb * dilation
                                acc += wl[o][c][a][bb] * xp[n][c][r][q]
                                dxp[n][c][r][q] += g * wl[o][c][a][bb]
                                dw[o][c][a][bb] += g * xp[n][c][r][q]
                    y[n][o][i][j] = acc
    dx = [[[row[padding:padding + W] for row in ch[padding:padding + H]]
           for ch in dn] for dn in dxp]
    return (torch.tensor(y), torch.tensor(dx), torch.tensor(dw),
            torch.tensor(db) if b is not None else None)


def loop_maxpool2d(x, kernel, stride, padding, dy):
    """Max pooling by loops; padding is −inf; gradient goes to the argmax.

    Asserts that every window's maximum is unique (no ties), so the routed
    gradient does not depend on a tie-breaking rule.
    """
    N, C, H, W = x.shape
    Ho = output_size(H, kernel, stride, padding)
    Wo = output_size(W, kernel, stride, padding)
    xp = pad_nested(nested(x), padding, -math.inf)
    dyl = nested(dy)
    y = zeros_nested(N, C, Ho, Wo)
    dxp = zeros_nested(N, C, H + 2 * padding, W + 2 * padding)
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    window = [(xp[n][c][i * stride + a][j * stride + bb],
                               i * stride + a, j * stride + bb)
                              for a in range(kernel) for bb in range(kernel)]
                    best = max(window)
                    assert sum(v == best[0] for v, _, _ in window) == 1, "tie"
                    assert math.isfinite(best[0])
                    y[n][c][i][j] = best[0]
                    dxp[n][c][best[1]][best[2]] += dyl[n][c][i][j]
    dx = [[[row[padding:padding + W] for row in ch[padding:padding + H]]
           for ch in dn] for dn in dxp]
    return torch.tensor(y), torch.tensor(dx)


def loop_avgpool2d(x, kernel, stride, padding, dy):
    """Average pooling by loops, zero padding counted (divisor kernel²)."""
    N, C, H, W = x.shape
    Ho = output_size(H, kernel, stride, padding)
    Wo = output_size(W, kernel, stride, padding)
    xp = pad_nested(nested(x), padding, 0.0)
    dyl = nested(dy)
    k2 = kernel * kernel
    y = zeros_nested(N, C, Ho, Wo)
    dxp = zeros_nested(N, C, H + 2 * padding, W + 2 * padding)
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    total = 0.0
                    for a in range(kernel):
                        for bb in range(kernel):
                            r, q = i * stride + a, j * stride + bb
                            total += xp[n][c][r][q]
                            dxp[n][c][r][q] += dyl[n][c][i][j] / k2
                    y[n][c][i][j] = total / k2
    dx = [[[row[padding:padding + W] for row in ch[padding:padding + H]]
           for ch in dn] for dn in dxp]
    return torch.tensor(y), torch.tensor(dx)


def conv_case(name, seed, c_in, c_out, kernel, stride, padding, dilation,
              bias, x_shape, description):
    torch.manual_seed(seed)
    layer = torch.nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding,
                            dilation=dilation, bias=bias)
    x = torch.randn(*x_shape, requires_grad=True)
    y = layer(x)
    dy = torch.randn(*y.shape)
    y.backward(dy)

    weight = layer.weight.detach()
    b = layer.bias.detach() if bias else None
    ry, rdx, rdw, rdb = loop_conv2d(x.detach(), weight, b, stride, padding,
                                    dilation, dy)
    assert y.shape == ry.shape, (y.shape, ry.shape)
    assert close(y.detach(), ry) and close(x.grad, rdx)
    assert close(layer.weight.grad, rdw)
    # An unfold (im2col) formulation agrees too: y = W·cols + b.
    cols = F.unfold(x.detach(), weight.shape[2:], dilation=dilation,
                    padding=padding, stride=stride)
    y_cols = (weight.reshape(c_out, -1) @ cols).reshape(y.shape)
    if bias:
        y_cols = y_cols + b.reshape(1, -1, 1, 1)
        assert close(layer.bias.grad, rdb)
    assert close(y.detach(), y_cols)

    kh, kw = weight.shape[2], weight.shape[3]
    tensors = {"x": x, "weight": weight}
    if bias:
        tensors["bias"] = b
    tensors.update({"dy": dy, "y": y, "dx": x.grad, "dweight": layer.weight.grad})
    if bias:
        tensors["dbias"] = layer.bias.grad
    write_fixture(
        name,
        description + " Layout NCHW, weight [C_out, C_in, kernel_h, kernel_w]; "
        "y[n,o,i,j] = bias[o] + Σ_c,a,b weight[o,c,a,b]·xpad[n,c, i·stride + "
        "a·dilation, j·stride + b·dilation] (cross-correlation, no kernel flip; "
        "xpad is x zero-padded by `padding` on all four sides). Output size per "
        "axis ⌊(size + 2·padding − dilation·(k − 1) − 1)/stride⌋ + 1. "
        "Default nn.Conv2d initialisation (seed "
        f"{seed}); dy is random of y's shape; dx, dweight"
        + (", dbias" if bias else "") + " from y.backward(dy).",
        tensors,
        {"stride": stride, "padding": padding, "dilation": dilation,
         "kernel_h": kh, "kernel_w": kw, "has_bias": 1.0 if bias else 0.0})


def ch5_convs():
    conv_case(
        "ch5_conv_basic", 401, 1, 2, 3, 1, 0, 1, True, (2, 1, 5, 5),
        "nn.Conv2d(1, 2, 3, stride 1, padding 0, bias): x [2,1,5,5] → "
        "y [2,2,3,3].")
    conv_case(
        "ch5_conv_stride_pad", 402, 3, 4, 3, 2, 1, 1, True, (2, 3, 7, 6),
        "nn.Conv2d(3, 4, 3, stride 2, padding 1, bias): x [2,3,7,6] → "
        "y [2,4,4,3] (odd and even input sizes; the last input row/column is "
        "not reached by every stride alignment).")
    conv_case(
        "ch5_conv_rect_pad2", 403, 2, 3, (2, 3), 1, 2, 1, True, (1, 2, 4, 5),
        "nn.Conv2d(2, 3, kernel (2, 3), stride 1, padding 2, bias): a "
        "rectangular kernel (kernel_h 2, kernel_w 3); PyTorch pads BOTH axes "
        "by 2. x [1,2,4,5] → y [1,3,7,7].")
    conv_case(
        "ch5_conv_dilation", 404, 2, 2, 3, 1, 2, 2, True, (1, 2, 6, 6),
        "nn.Conv2d(2, 2, 3, stride 1, padding 2, dilation 2, bias): kernel taps "
        "2 apart (effective extent 5). x [1,2,6,6] → y [1,2,6,6].")
    conv_case(
        "ch5_conv_nobias", 405, 3, 2, 3, 1, 1, 1, False, (2, 3, 4, 4),
        "nn.Conv2d(3, 2, 3, padding 1, bias=False): no 'bias'/'dbias' tensors, "
        "scalar has_bias 0. x [2,3,4,4] → y [2,2,4,4].")


def pool_case(name, seed, module, loop, kernel, stride, padding, x_shape,
              description):
    torch.manual_seed(seed)
    x = torch.randn(*x_shape, requires_grad=True)
    y = module(x)
    dy = torch.randn(*y.shape)
    y.backward(dy)

    ry, rdx = loop(x.detach(), kernel, stride, padding, dy)
    assert y.shape == ry.shape, (y.shape, ry.shape)
    assert close(y.detach(), ry) and close(x.grad, rdx)
    write_fixture(
        name,
        description + " Layout NCHW; output size per axis "
        "⌊(size + 2·padding − kernel)/stride⌋ + 1 (ceil_mode False). x random "
        "normal, dy random of y's shape, dx from y.backward(dy).",
        {"x": x, "dy": dy, "y": y, "dx": x.grad},
        {"kernel": kernel, "stride": stride, "padding": padding})


def ch5_pools():
    pool_case(
        "ch5_maxpool", 411, torch.nn.MaxPool2d(2), loop_maxpool2d, 2, 2, 0,
        (2, 3, 6, 6),
        "nn.MaxPool2d(2) (stride defaults to the kernel, 2): x [2,3,6,6] → "
        "y [2,3,3,3]. Each window's maximum is unique (checked), and dx is dy "
        "routed to the position of its window's maximum, zero elsewhere.")
    pool_case(
        "ch5_maxpool_stride1_pad", 412,
        torch.nn.MaxPool2d(3, stride=1, padding=1), loop_maxpool2d, 3, 1, 1,
        (1, 2, 5, 5),
        "nn.MaxPool2d(3, stride 1, padding 1): padding acts as −∞ (never the "
        "maximum). x [1,2,5,5] → y [1,2,5,5]. Windows overlap, so one input can "
        "be the maximum of several windows and its dx is the SUM of those "
        "windows' dy. Each window's maximum is unique (checked).")
    pool_case(
        "ch5_avgpool", 413, torch.nn.AvgPool2d(2), loop_avgpool2d, 2, 2, 0,
        (2, 2, 4, 6),
        "nn.AvgPool2d(2) (stride 2): x [2,2,4,6] → y [2,2,2,3]; "
        "dx = dy/4 spread over each window.")
    pool_case(
        "ch5_avgpool_pad", 414,
        torch.nn.AvgPool2d(3, stride=2, padding=1), loop_avgpool2d, 3, 2, 1,
        (1, 2, 5, 5),
        "nn.AvgPool2d(3, stride 2, padding 1) with count_include_pad=True "
        "(PyTorch's default): zero padding counts, so every window divides by "
        "kernel² = 9, even windows overlapping the border. x [1,2,5,5] → "
        "y [1,2,3,3]; overlapping windows accumulate dy/9 into dx.")


def ch5_batchnorm():
    torch.manual_seed(421)
    eps, momentum = 1e-5, 0.1
    bn = torch.nn.BatchNorm2d(3, eps=eps, momentum=momentum)
    with torch.no_grad():
        bn.weight.copy_(torch.randn(3))
        bn.bias.copy_(torch.randn(3))
    gamma, beta = bn.weight.detach().clone(), bn.bias.detach().clone()
    x = (torch.randn(4, 3, 3, 3) * 2 + 0.5).requires_grad_(True)
    dy = torch.randn(4, 3, 3, 3)

    bn.train()
    y = bn(x)
    y.backward(dy)
    running_mean = bn.running_mean.detach().clone()
    running_var = bn.running_var.detach().clone()

    x2 = torch.randn(2, 3, 3, 3) * 2 + 0.5
    bn.eval()
    with torch.no_grad():
        y_eval = bn(x2)

    # The formula, per channel over m = N·H·W = 36 values.
    z = x.detach()
    m = z.shape[0] * z.shape[2] * z.shape[3]
    g, bt = gamma.reshape(1, -1, 1, 1), beta.reshape(1, -1, 1, 1)
    mu = z.mean(dim=(0, 2, 3), keepdim=True)
    var = ((z - mu) ** 2).mean(dim=(0, 2, 3), keepdim=True)  # biased
    inv = 1 / torch.sqrt(var + eps)
    xhat = (z - mu) * inv
    assert close(y.detach(), g * xhat + bt)
    assert close(bn.bias.grad, dy.sum(dim=(0, 2, 3)))
    assert close(bn.weight.grad, (dy * xhat).sum(dim=(0, 2, 3)))
    dy_mean = dy.mean(dim=(0, 2, 3), keepdim=True)
    dyx_mean = (dy * xhat).mean(dim=(0, 2, 3), keepdim=True)
    assert close(x.grad, g * inv * (dy - dy_mean - xhat * dyx_mean))
    unbiased = var.reshape(-1) * m / (m - 1)
    assert close(running_mean, momentum * mu.reshape(-1))
    assert close(running_var, (1 - momentum) * 1.0 + momentum * unbiased)
    rm, rv = running_mean.reshape(1, -1, 1, 1), running_var.reshape(1, -1, 1, 1)
    assert close(y_eval, g * (x2 - rm) / torch.sqrt(rv + eps) + bt)

    write_fixture(
        "ch5_batchnorm",
        "nn.BatchNorm2d(3, eps 1e-5, momentum 0.1) with weight (γ) [3] and bias "
        "(β) [3] set to random values. TRAINING mode on x [4,3,3,3]: per channel "
        "c over the m = N·H·W = 36 values, μ = mean, σ² = BIASED variance "
        "(÷m), x̂ = (x − μ)/√(σ² + eps), y = γ·x̂ + β. Gradients from "
        "y.backward(dy): dbias = Σ dy, dweight = Σ dy·x̂, dx = γ/√(σ² + eps)·"
        "(dy − mean(dy) − x̂·mean(dy·x̂)) (sums and means per channel). "
        "Running stats start at mean 0, var 1 and after this one forward are "
        "running_mean_after = (1 − momentum)·0 + momentum·μ and "
        "running_var_after = (1 − momentum)·1 + momentum·σ²·m/(m − 1) (PyTorch "
        "uses the UNBIASED variance here, but the biased one to normalise). "
        "Then EVAL mode on a new x2 [2,3,3,3]: y_eval = γ·(x2 − running_mean_after)"
        "/√(running_var_after + eps) + β (no batch statistics, stats unchanged).",
        {"x": x, "weight": gamma, "bias": beta, "dy": dy, "y": y,
         "dx": x.grad, "dweight": bn.weight.grad, "dbias": bn.bias.grad,
         "running_mean_after": running_mean, "running_var_after": running_var,
         "x2": x2, "y_eval": y_eval},
        {"eps": eps, "momentum": momentum})


def ch5_global_avgpool():
    torch.manual_seed(431)
    x = torch.randn(2, 3, 4, 5, requires_grad=True)
    y = torch.flatten(torch.nn.AdaptiveAvgPool2d(1)(x), 1)
    dy = torch.randn(2, 3)
    y.backward(dy)

    xl = nested(x)
    ref = [[sum(sum(row) for row in ch) / 20 for ch in xn] for xn in xl]
    assert close(y.detach(), torch.tensor(ref))
    assert close(x.grad, (dy / 20).reshape(2, 3, 1, 1).expand(2, 3, 4, 5))
    write_fixture(
        "ch5_global_avgpool",
        "Global average pooling: nn.AdaptiveAvgPool2d(1) then flatten, i.e. "
        "y[n,c] = mean over H, W of x[n,c] for x [2,3,4,5] → y [2,3]. dy [2,3] "
        "random; dx[n,c,h,w] = dy[n,c]/(H·W) = dy[n,c]/20.",
        {"x": x, "dy": dy, "y": y, "dx": x.grad})


def ch5_cnn():
    torch.manual_seed(441)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(),
        torch.nn.Conv2d(4, 6, 3, padding=1), torch.nn.ReLU(),
        torch.nn.MaxPool2d(2), torch.nn.Flatten(),
        torch.nn.Linear(6 * 4 * 4, 10))
    x = torch.randn(3, 1, 8, 8)
    targets = torch.randint(0, 10, (3,))
    params = {k: v.detach().clone() for k, v in model.named_parameters()}

    logits = model(x)
    loss = F.cross_entropy(logits, targets, reduction="mean")
    loss.backward()
    grads = {k: v.grad.detach().clone() for k, v in model.named_parameters()}

    # Hand-written forward and backward through the loop references.
    P = params
    n = x.shape[0]
    # Forward: loop_conv2d also runs a backward; a zero dy makes it idle.
    h1, _, _, _ = loop_conv2d(x, P["0.weight"], P["0.bias"], 1, 1, 1,
                              torch.zeros(n, 4, 8, 8))
    a1 = h1.clamp(min=0)
    h2, _, _, _ = loop_conv2d(a1, P["2.weight"], P["2.bias"], 1, 1, 1,
                              torch.zeros(n, 6, 8, 8))
    a2 = h2.clamp(min=0)
    # ReLU makes exact ties (zeros) possible in a window, so max pooling is
    # checked with a tie-tolerant loop here: take the first maximum, and
    # require that any tied window has maximum 0 with zero gradient either way
    # (the upstream ReLU kills it), so the choice cannot matter.
    a2l = nested(a2)
    pooled = zeros_nested(n, 6, 4, 4)
    arg = {}
    for b_ in range(n):
        for c in range(6):
            for i in range(4):
                for j in range(4):
                    window = [(a2l[b_][c][2 * i + u][2 * j + v], 2 * i + u, 2 * j + v)
                              for u in range(2) for v in range(2)]
                    best = max(w[0] for w in window)
                    first = next(w for w in window if w[0] == best)
                    if sum(w[0] == best for w in window) > 1:
                        assert best == 0.0
                    pooled[b_][c][i][j] = best
                    arg[(b_, c, i, j)] = first[1:]
    flat = torch.tensor(pooled).reshape(n, -1)
    z = flat @ P["6.weight"].T + P["6.bias"]
    assert close(logits.detach(), z)
    log_p = z - torch.logsumexp(z, dim=1, keepdim=True)
    onehot = F.one_hot(targets, 10).to(DTYPE)
    assert close(loss.detach(), -(onehot * log_p).sum(1).mean())

    dz = (torch.exp(log_p) - onehot) / n
    d6w, d6b = dz.T @ flat, dz.sum(0)
    dpool = nested((dz @ P["6.weight"]).reshape(n, 6, 4, 4))
    da2 = zeros_nested(n, 6, 8, 8)
    for (b_, c, i, j), (r, q) in arg.items():
        da2[b_][c][r][q] += dpool[b_][c][i][j]
    dh2 = torch.tensor(da2) * (h2 > 0).to(DTYPE)
    _, da1, d2w, d2b = loop_conv2d(a1, P["2.weight"], P["2.bias"], 1, 1, 1, dh2)
    dh1 = da1 * (h1 > 0).to(DTYPE)
    _, _, d0w, d0b = loop_conv2d(x, P["0.weight"], P["0.bias"], 1, 1, 1, dh1)
    expected = {"0.weight": d0w, "0.bias": d0b, "2.weight": d2w,
                "2.bias": d2b, "6.weight": d6w, "6.bias": d6b}
    for k in params:
        assert close(grads[k], expected[k]), k

    tensors = {"x": x, "targets": targets.to(DTYPE)}
    tensors.update(params)
    tensors["logits"] = logits
    tensors.update({f"grad.{k}": v for k, v in grads.items()})
    write_fixture(
        "ch5_cnn",
        "The digits CNN, nn.Sequential(Conv2d(1,4,3,padding=1), ReLU(), "
        "Conv2d(4,6,3,padding=1), ReLU(), MaxPool2d(2), Flatten(), "
        "Linear(6·4·4, 10)) with default initialisation (seed 441), parameters "
        "named as PyTorch names them: '0.weight' [4,1,3,3], '0.bias' [4], "
        "'2.weight' [6,4,3,3], '2.bias' [6], '6.weight' [10,96], '6.bias' [10]. "
        "x [3,1,8,8] (NCHW); Flatten turns the pooled [3,6,4,4] into [3,96] in "
        "(channel, row, column) order. targets [3] are class indices 0..9 "
        "stored as whole-number floats; logits [3,10]; loss = F.cross_entropy "
        "mean over the batch; 'grad.<name>' is each parameter's gradient. "
        "Some 2×2 pooling windows are all zeros after the ReLU (exact ties); "
        "whichever position the pool routes their gradient to, the ReLU's "
        "backward zeroes it, so the parameter gradients do not depend on the "
        "tie-breaking rule.",
        tensors,
        {"loss": loss.item()})


CASES = [
    linear_forward_backward,
    mse_loss,
    bce_with_logits,
    bce_with_logits_soft,
    logistic_regression_step,
    linear_regression_normal_equations,
    softmax_rows,
    matmul_layouts,
    # chapter 2
    ch2_linear,
    ch2_activations,
    ch2_softmax,
    ch2_cross_entropy,
    ch2_cross_entropy_smoothing,
    ch2_bce_with_logits,
    ch2_mse,
    ch2_sgd,
    ch2_sgd_momentum,
    ch2_sgd_nesterov,
    ch2_adam,
    ch2_adamw,
    ch2_clip_grad_norm,
    ch2_schedules,
    ch2_mlp,
    # chapter 4
    ch4_sgns,
    ch4_cbow,
    # chapter 5
    ch5_convs,
    ch5_pools,
    ch5_batchnorm,
    ch5_global_avgpool,
    ch5_cnn,
]


def main():
    print(f"torch {torch.__version__}, dtype {DTYPE}, python {sys.version.split()[0]}")
    for case in CASES:
        case()


if __name__ == "__main__":
    main()
