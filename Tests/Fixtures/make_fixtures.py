#!/usr/bin/env python3
"""PyTorch reference fixtures for Backprop's tests.

What it writes
    One JSON file per case into Tests/Fixtures/<name>.json:

        {"name": "...", "description": "...", "torch_version": "...",
         "dtype": "float64",
         "tensors": {"x": {"shape": [4, 3], "data": [flat row-major floats]}},
         "scalars": {"loss": 0.123}}

    Every value is computed in float64 on the CPU and written with Python's
    shortest round-trip `repr`, so the Swift loader (BackpropCore's
    Checking/Fixture.swift) reads back exactly the bits PyTorch produced.

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


CASES = [
    linear_forward_backward,
    mse_loss,
    bce_with_logits,
    bce_with_logits_soft,
    logistic_regression_step,
    linear_regression_normal_equations,
    softmax_rows,
    matmul_layouts,
]


def main():
    print(f"torch {torch.__version__}, dtype {DTYPE}, python {sys.version.split()[0]}")
    for case in CASES:
        case()


if __name__ == "__main__":
    main()
