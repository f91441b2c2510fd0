#!/usr/bin/env python3
"""PyTorch reference fixtures for chapter 3 (automatic differentiation).

Writes Tests/Fixtures/ch3_<case>.json in the format of make_fixtures.py
(whose writer it reuses), seeds 251 on, float64 on the CPU. Run by hand
from the repository root (tests never run Python):

    python3 Tests/Fixtures/make_fixtures_ch3.py

Cases
    ch3_graph   a small composite graph: matmul (x·W1ᵀ), a broadcast bias
                add, tanh, a value used twice (h·h + h), matmul (u·W2),
                softmax and log-softmax over the last axis, cross-entropy
                with integer targets, sums and means: the loss and the
                gradient of every leaf.
    ch3_mlp     one training step of an MLP with the architecture of the
                engine's AutodiffMLP (Linear 4→8, ReLU, Linear 8→8, ReLU,
                Linear 8→3; parameters named as chapter 2's Sequential):
                the loss, every parameter's gradient, and every parameter
                after one torch.optim.Adam step.
Integer targets are stored as float tensors of whole numbers.
"""

import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import DTYPE, close, write_fixture  # noqa: E402  (sets the default dtype)

torch.set_default_dtype(DTYPE)


def ch3_graph():
    torch.manual_seed(251)
    x = torch.randn(4, 3).requires_grad_()
    w1 = torch.randn(5, 3).requires_grad_()
    b1 = torch.randn(5).requires_grad_()
    w2 = torch.randn(5, 4).requires_grad_()
    targets = torch.tensor([2, 0, 3, 1])

    h = torch.tanh(x @ w1.T + b1)      # [4, 5]
    u = h * h + h                      # h used twice
    z = u @ w2                         # [4, 4]
    p = torch.softmax(z, dim=-1)
    lp = torch.log_softmax(z, dim=-1)
    loss = F.cross_entropy(z, targets) + (p * lp).sum(0).mean() + 0.1 * z.sum()
    loss.backward()

    # Cross-check the cross-entropy term against its definition.
    assert close(F.cross_entropy(z, targets), -lp[torch.arange(4), targets].mean())

    write_fixture(
        "ch3_graph",
        "h = tanh(x·W1ᵀ + b1) [4,5]; u = h⊙h + h; z = u·W2 [4,4]; p = softmax(z, -1); "
        "lp = log_softmax(z, -1); loss = cross_entropy(z, targets) (mean) + mean over "
        "columns of Σ_rows p⊙lp + 0.1·Σz. Leaves x [4,3], w1 [5,3], b1 [5], w2 [5,4]; "
        "'grad.<leaf>' is ∂loss/∂leaf; targets [4] are class indices.",
        {"x": x, "w1": w1, "b1": b1, "w2": w2, "targets": targets.to(DTYPE), "z": z,
         "grad.x": x.grad, "grad.w1": w1.grad, "grad.b1": b1.grad, "grad.w2": w2.grad},
        {"loss": loss.item()})


def ch3_mlp():
    torch.manual_seed(252)
    model = torch.nn.Sequential(
        torch.nn.Linear(4, 8), torch.nn.ReLU(),
        torch.nn.Linear(8, 8), torch.nn.ReLU(),
        torch.nn.Linear(8, 3))
    x = torch.randn(6, 4)
    targets = torch.randint(0, 3, (6,))
    params = {k: v.detach().clone() for k, v in model.named_parameters()}
    loss = F.cross_entropy(model(x), targets)
    loss.backward()
    grads = {k: v.grad.detach().clone() for k, v in model.named_parameters()}
    lr = 0.01
    torch.optim.Adam(model.parameters(), lr=lr).step()
    after = {k: v.detach().clone() for k, v in model.named_parameters()}
    for k in params:  # Adam's first step: p − lr·g/(|g| + eps)
        assert close(after[k], params[k] - lr * grads[k] / (grads[k].abs() + 1e-8)), k

    tensors = {"x": x, "targets": targets.to(DTYPE)}
    tensors.update(params)
    tensors.update({f"grad.{k}": v for k, v in grads.items()})
    tensors.update({f"after_adam.{k}": v for k, v in after.items()})
    write_fixture(
        "ch3_mlp",
        "One step of nn.Sequential(Linear(4,8), ReLU(), Linear(8,8), ReLU(), Linear(8,3)) "
        "(default initialisation, seed 252; parameters '0.weight' [8,4], '0.bias', '2.weight' "
        "[8,8], '2.bias', '4.weight' [3,8], '4.bias'): x [6,4], targets [6] (class indices), "
        "loss = F.cross_entropy mean, 'grad.<name>' each gradient, 'after_adam.<name>' each "
        "parameter after one torch.optim.Adam step (lr 0.01, betas (0.9, 0.999), eps 1e-8).",
        tensors, {"loss": loss.item(), "lr": lr})


if __name__ == "__main__":
    ch3_graph()
    ch3_mlp()
