#!/usr/bin/env python3
"""PyTorch reference fixtures for chapter 7 (attention, the Transformer).

Writes Tests/Fixtures/ch7_<case>.json in the format of make_fixtures.py
(whose writer it reuses), seeds 601 on, float64 on the CPU. Run by hand
from the repository root:

    python3 Tests/Fixtures/make_fixtures_ch7.py

The tiny GPT below mirrors Sources/Transformer (GPT.swift): learned token
and position embeddings, pre-norm blocks (LayerNorm → fused QKV → causal
attention → projection, residual; LayerNorm → Linear 4C → exact GELU →
Linear C, residual), a final LayerNorm and a head tied to the token
embedding. Parameter names are the Swift model's (GPT.namedParameters).
The bias-free variants (`_nobias`, seeds 607 on) drop every Linear bias and
LayerNorm β, as the Swift model with `bias: false` (the baby GPT's default).
Integer tokens are stored as float tensors of whole numbers.
"""

import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import DTYPE, write_fixture  # noqa: E402  (sets the default dtype)

torch.set_default_dtype(DTYPE)


def causal_attention(qkv, B, T, H, C):
    """qkv [B·T, 3C] → y [B·T, C], P [B, H, T, T]."""
    d = C // H
    q, k, v = qkv.view(B, T, 3 * C).split(C, dim=2)
    q = q.reshape(B, T, H, d).transpose(1, 2)
    k = k.reshape(B, T, H, d).transpose(1, 2)
    v = v.reshape(B, T, H, d).transpose(1, 2)
    s = q @ k.transpose(-2, -1) / math.sqrt(d)
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    s = s.masked_fill(~mask, float("-inf"))
    p = torch.softmax(s, dim=-1)
    y = (p @ v).transpose(1, 2).reshape(B * T, C)
    return y, p


def block_names():
    return ["ln1.weight", "ln1.bias", "attn.qkv.weight", "attn.qkv.bias", "attn.proj.weight",
            "attn.proj.bias", "ln2.weight", "ln2.bias", "mlp.fc.weight", "mlp.fc.bias",
            "mlp.proj.weight", "mlp.proj.bias"]


def block_params(C, scale=0.3, bias=True):
    p = {}
    for name, shape in [("ln1.weight", [C]), ("ln1.bias", [C]), ("attn.qkv.weight", [3 * C, C]),
                        ("attn.qkv.bias", [3 * C]), ("attn.proj.weight", [C, C]), ("attn.proj.bias", [C]),
                        ("ln2.weight", [C]), ("ln2.bias", [C]), ("mlp.fc.weight", [4 * C, C]),
                        ("mlp.fc.bias", [4 * C]), ("mlp.proj.weight", [C, 4 * C]), ("mlp.proj.bias", [C])]:
        if name.endswith("bias") and not bias:
            continue
        if name.startswith("ln") and name.endswith("weight"):
            t = 1 + 0.1 * torch.randn(*shape)
        elif name.endswith("bias"):
            t = 0.1 * torch.randn(*shape)
        else:
            t = scale * torch.randn(*shape)
        p[name] = t.requires_grad_()
    return p


def block_forward(x, p, B, T, H, C, prefix=""):
    b = lambda name: p.get(prefix + name)  # None (no bias) in a bias-free block
    a = F.layer_norm(x, (C,), p[prefix + "ln1.weight"], b("ln1.bias"), eps=1e-5)
    qkv = F.linear(a, p[prefix + "attn.qkv.weight"], b("attn.qkv.bias"))
    y, _ = causal_attention(qkv, B, T, H, C)
    u = x + F.linear(y, p[prefix + "attn.proj.weight"], b("attn.proj.bias"))
    m = F.layer_norm(u, (C,), p[prefix + "ln2.weight"], b("ln2.bias"), eps=1e-5)
    h = F.gelu(F.linear(m, p[prefix + "mlp.fc.weight"], b("mlp.fc.bias")))
    return u + F.linear(h, p[prefix + "mlp.proj.weight"], b("mlp.proj.bias"))


def ch7_attention():
    torch.manual_seed(601)
    B, T, H, C = 2, 5, 2, 8
    qkv = torch.randn(B * T, 3 * C).requires_grad_()
    y, p = causal_attention(qkv, B, T, H, C)
    dy = torch.randn(B * T, C)
    y.backward(dy)
    write_fixture("ch7_attention",
                  "Causal multi-head attention on a fused qkv [B·T, 3C] (q, k, v column blocks; head h at "
                  "columns h·d..<(h+1)·d of each), B=2, T=5, H=2, C=8: y [B·T, C], P [B, H, T, T], and "
                  "dqkv for upstream dy.",
                  {"qkv": qkv, "y": y, "p": p, "dy": dy, "dqkv": qkv.grad},
                  {"batch": B, "length": T, "heads": H, "width": C})


def ch7_layernorm():
    torch.manual_seed(602)
    n, C = 6, 10
    x = (2 * torch.randn(n, C) + 0.5).requires_grad_()
    g = (1 + 0.3 * torch.randn(C)).requires_grad_()
    b = (0.3 * torch.randn(C)).requires_grad_()
    y = F.layer_norm(x, (C,), g, b, eps=1e-5)
    dy = torch.randn(n, C)
    y.backward(dy)
    write_fixture("ch7_layernorm", "F.layer_norm over the last dim, eps 1e-5: y, and dx, dgamma, dbeta for dy.",
                  {"x": x, "gamma": g, "beta": b, "y": y, "dy": dy, "dx": x.grad, "dgamma": g.grad, "dbeta": b.grad})


def ch7_gelu():
    torch.manual_seed(603)
    x = (3 * torch.randn(40)).requires_grad_()
    y = F.gelu(x)
    dy = torch.randn(40)
    y.backward(dy)
    write_fixture("ch7_gelu", "Exact (erf) GELU, F.gelu: y and dx for dy.", {"x": x, "y": y, "dy": dy, "dx": x.grad})


def ch7_block():
    torch.manual_seed(604)
    B, T, H, C = 2, 4, 2, 8
    p = block_params(C)
    x = torch.randn(B * T, C).requires_grad_()
    z = block_forward(x, p, B, T, H, C)
    dz = torch.randn(B * T, C)
    z.backward(dz)
    tensors = {"x": x, "z": z, "dz": dz, "dx": x.grad}
    for name in block_names():
        tensors["param:" + name] = p[name]
        tensors["grad:" + name] = p[name].grad
    write_fixture("ch7_block", "One pre-norm Transformer block, B=2, T=4, H=2, C=8 (exact GELU, LayerNorm eps "
                  "1e-5): output z, and dx and every parameter gradient for upstream dz.", tensors,
                  {"batch": B, "length": T, "heads": H, "width": C})


def tiny_gpt_params(V, ctx, L, C, bias=True):
    p = {"token_embedding.weight": (0.5 * torch.randn(V, C)).requires_grad_(),
         "position_embedding.weight": (0.3 * torch.randn(ctx, C)).requires_grad_()}
    for l in range(L):
        for name, t in block_params(C, bias=bias).items():
            p[f"blocks.{l}.{name}"] = t
    p["ln_f.weight"] = (1 + 0.1 * torch.randn(C)).requires_grad_()
    if bias:
        p["ln_f.bias"] = (0.1 * torch.randn(C)).requires_grad_()
    return p


def gpt_forward(p, tokens, B, T, L, H, C):
    x = p["token_embedding.weight"][tokens] + p["position_embedding.weight"][:T].repeat(B, 1)
    for l in range(L):
        x = block_forward(x, p, B, T, H, C, prefix=f"blocks.{l}.")
    h = F.layer_norm(x, (C,), p["ln_f.weight"], p.get("ln_f.bias"), eps=1e-5)
    return h @ p["token_embedding.weight"].T


def ch7_model(bias=True):
    torch.manual_seed(605 if bias else 607)
    V, ctx, L, H, C, B, T = 7, 6, 2, 2, 8, 2, 5
    p = tiny_gpt_params(V, ctx, L, C, bias=bias)
    tokens = torch.randint(0, V, (B * T,))
    targets = torch.randint(0, V, (B * T,))
    logits = gpt_forward(p, tokens, B, T, L, H, C)
    loss = F.cross_entropy(logits, targets)
    loss.backward()
    tensors = {"tokens": tokens.to(DTYPE), "targets": targets.to(DTYPE), "logits": logits}
    for name, t in p.items():
        tensors["param:" + name] = t
        tensors["grad:" + name] = t.grad
    write_fixture("ch7_model" if bias else "ch7_model_nobias",
                  ("A tiny GPT" if bias else "A tiny bias-free GPT (no Linear biases, no LayerNorm β)") +
                  " (V=7, context 6, 2 layers, 2 heads, width 8) on B=2 sequences of T=5 tokens: logits [B·T, V], mean cross-entropy loss, every parameter gradient.", tensors,
                  {"loss": loss.item(), "vocabulary": V, "context": ctx, "layers": L, "heads": H, "width": C,
                   "batch": B, "length": T})


def ch7_training(bias=True):
    torch.manual_seed(606 if bias else 608)
    V, ctx, L, H, C, B, T = 7, 6, 2, 2, 8, 2, 6
    steps, warmup, lr, min_lr, wd, clip = 6, 2, 0.01, 0.001, 0.1, 1.0
    p = tiny_gpt_params(V, ctx, L, C, bias=bias)
    initial = {k: v.detach().clone() for k, v in p.items()}
    matrices = [t for t in p.values() if t.dim() == 2]
    vectors = [t for t in p.values() if t.dim() != 2]
    opt = torch.optim.AdamW([{"params": matrices, "weight_decay": wd}, {"params": vectors, "weight_decay": 0.0}],
                            lr=lr, betas=(0.9, 0.99), eps=1e-8)
    data = torch.randint(0, V, (steps, B * T + B))
    losses, rates = [], []
    inputs_all, targets_all = [], []
    for t in range(steps):
        row = data[t]
        inputs = torch.cat([row[b * (T + 1): b * (T + 1) + T] for b in range(B)])
        targets = torch.cat([row[b * (T + 1) + 1: b * (T + 1) + T + 1] for b in range(B)])
        inputs_all.append(inputs)
        targets_all.append(targets)
        if t < warmup:
            rate = lr * (t + 1) / warmup
        else:
            progress = min((t - warmup) / max(steps - warmup, 1), 1)
            rate = min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(math.pi * progress))
        for g in opt.param_groups:
            g["lr"] = rate
        opt.zero_grad()
        loss = F.cross_entropy(gpt_forward(p, inputs, B, T, L, H, C), targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(p.values()), clip)
        opt.step()
        losses.append(loss.item())
        rates.append(rate)
    with torch.no_grad():
        final = F.cross_entropy(gpt_forward(p, inputs_all[0], B, T, L, H, C), targets_all[0]).item()
    tensors = {"inputs": torch.stack(inputs_all).to(DTYPE), "targets": torch.stack(targets_all).to(DTYPE),
               "losses": torch.tensor(losses), "rates": torch.tensor(rates)}
    for name, t in initial.items():
        tensors["param:" + name] = t
    write_fixture("ch7_training" if bias else "ch7_training_nobias",
                  ("The tiny GPT" if bias else "The tiny bias-free GPT") + " trained 6 steps with AdamW (betas 0.9, 0.99, eps 1e-8; weight "
                  "decay 0.1 on matrices, 0 on vectors), linear warm-up 2 then cosine from 0.01 to 0.001, global "
                  "gradient clipping 1.0, one fixed batch [steps, B·T] per step: the loss before each step, the "
                  "learning rates, and the loss on batch 0 after the last step.", tensors,
                  {"final_loss": final, "steps": steps, "warmup": warmup, "lr": lr, "min_lr": min_lr,
                   "weight_decay": wd, "clip": clip, "vocabulary": V, "context": ctx, "layers": L, "heads": H,
                   "width": C, "batch": B, "length": T})


def main():
    print(f"torch {torch.__version__}, dtype {DTYPE}")
    for case in [ch7_attention, ch7_layernorm, ch7_gelu, ch7_block, ch7_model, ch7_training,
                 lambda: ch7_model(bias=False), lambda: ch7_training(bias=False)]:
        case()


if __name__ == "__main__":
    main()
