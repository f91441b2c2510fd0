#!/usr/bin/env python3
"""PyTorch reference fixtures for chapter 8's modern block (the Llama-style layers).

Writes Tests/Fixtures/ch8_<case>.json in the format of make_fixtures.py
(whose writer it reuses), seeds 801 on, float64 on the CPU. Run by hand
from the repository root:

    python3 Tests/Fixtures/make_fixtures_ch8_block.py

The reference code is Hugging Face's Llama written out in plain torch (the
`transformers` package is not needed): `F.rms_norm` with eps 1e-5; rotary
embeddings with `inv_freq = 1/base^(arange(0, d, 2)/d)`, base 10000, the
tables `cat(freqs, freqs)` and `rotate_half` (feature i paired with i + d/2,
as `apply_rotary_pos_emb`), computed in float64; grouped-query attention
with `repeat_kv` (query head h reads key/value head h // (H/H_kv)), a causal
softmax and no biases; the SwiGLU MLP down(silu(gate(x)) * up(x)). Every
fixture holds the inputs, the outputs, a fixed random upstream gradient and
the gradients it gives w.r.t. the inputs and every parameter (PyTorch's
autograd). Parameter names are Hugging Face's.
"""

import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import DTYPE, write_fixture  # noqa: E402  (sets the default dtype)

torch.set_default_dtype(DTYPE)

EPS = 1e-5
BASE = 10000.0


def rope_tables(d, positions, base=BASE):
    """cos, sin [positions, d]: HF's LlamaRotaryEmbedding, in float64."""
    inv_freq = 1.0 / (base ** (torch.arange(0, d, 2, dtype=torch.float64) / d))
    t = torch.arange(positions, dtype=torch.float64)
    freqs = torch.outer(t, inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def apply_rope(x, d, offset):
    """x [B, T, k·d] → the same, head by head, positions offset ..< offset + T."""
    B, T, W = x.shape
    cos, sin = rope_tables(d, offset + T)
    cos, sin = cos[offset:], sin[offset:]                      # [T, d]
    xh = x.view(B, T, W // d, d).transpose(1, 2)               # [B, k, T, d]
    y = xh * cos + rotate_half(xh) * sin
    return y.transpose(1, 2).reshape(B, T, W)


def repeat_kv(x, n_rep):
    """[B, H_kv, T, d] → [B, H_kv·n_rep, T, d] (HF's repeat_kv)."""
    B, Hkv, T, d = x.shape
    return x[:, :, None, :, :].expand(B, Hkv, n_rep, T, d).reshape(B, Hkv * n_rep, T, d)


def gqa_forward(x, p, H, Hkv, prefix=""):
    B, T, C = x.shape
    d = C // H
    q = F.linear(x, p[prefix + "q_proj.weight"])
    k = F.linear(x, p[prefix + "k_proj.weight"])
    v = F.linear(x, p[prefix + "v_proj.weight"])
    q = apply_rope(q, d, 0).view(B, T, H, d).transpose(1, 2)
    k = apply_rope(k, d, 0).view(B, T, Hkv, d).transpose(1, 2)
    v = v.view(B, T, Hkv, d).transpose(1, 2)
    k, v = repeat_kv(k, H // Hkv), repeat_kv(v, H // Hkv)
    s = q @ k.transpose(-2, -1) / math.sqrt(d)
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    s = s.masked_fill(~mask, float("-inf"))
    a = (torch.softmax(s, dim=-1) @ v).transpose(1, 2).reshape(B, T, H * d)
    return F.linear(a, p[prefix + "o_proj.weight"])


def swiglu_forward(x, p, prefix=""):
    return F.linear(F.silu(F.linear(x, p[prefix + "gate_proj.weight"])) * F.linear(x, p[prefix + "up_proj.weight"]),
                    p[prefix + "down_proj.weight"])


def block_forward(x, p, H, Hkv, prefix=""):
    C = x.shape[-1]
    u = x + gqa_forward(F.rms_norm(x, (C,), p[prefix + "input_layernorm.weight"], eps=EPS), p, H, Hkv, prefix + "self_attn.")
    return u + swiglu_forward(F.rms_norm(u, (C,), p[prefix + "post_attention_layernorm.weight"], eps=EPS), p, prefix + "mlp.")


def params(shapes, scale):
    p = {}
    for name, shape in shapes:
        if name.endswith("layernorm.weight") or name == "weight":
            t = 1 + 0.2 * torch.randn(*shape)
        else:
            t = scale * torch.randn(*shape)
        p[name] = t.requires_grad_()
    return p


def gqa_shapes(C, H, Hkv, prefix=""):
    d = C // H
    return [(prefix + "q_proj.weight", [H * d, C]), (prefix + "k_proj.weight", [Hkv * d, C]),
            (prefix + "v_proj.weight", [Hkv * d, C]), (prefix + "o_proj.weight", [C, H * d])]


def swiglu_shapes(C, hidden, prefix=""):
    return [(prefix + "gate_proj.weight", [hidden, C]), (prefix + "up_proj.weight", [hidden, C]),
            (prefix + "down_proj.weight", [C, hidden])]


def with_grads(tensors, p):
    for name, t in p.items():
        tensors["param:" + name] = t
        tensors["grad:" + name] = t.grad
    return tensors


def ch8_rmsnorm():
    torch.manual_seed(801)
    B, T, C = 2, 3, 10
    x = (2 * torch.randn(B, T, C) + 0.5).requires_grad_()
    g = (1 + 0.3 * torch.randn(C)).requires_grad_()
    y = F.rms_norm(x, (C,), g, eps=EPS)
    dy = torch.randn(B, T, C)
    y.backward(dy)
    write_fixture("ch8_rmsnorm", "F.rms_norm over the last dim of x [B=2, T=3, C=10], eps 1e-5 inside the root, "
                  "learned gain, no bias: y, and dx, dweight for dy.",
                  {"x": x, "weight": g, "y": y, "dy": dy, "dx": x.grad, "dweight": g.grad}, {"epsilon": EPS})


def ch8_rope():
    torch.manual_seed(802)
    B, T, heads, d = 2, 6, 2, 12
    tensors = {}
    cases = [("", 0, T), ("next_", T, 1), ("far_", 61, 3)]   # a training window, then beyond it
    for prefix, offset, length in cases:
        x = torch.randn(B, length, heads * d).requires_grad_()
        y = apply_rope(x, d, offset)
        dy = torch.randn(B, length, heads * d)
        y.backward(dy)
        tensors.update({prefix + "x": x, prefix + "y": y, prefix + "dy": dy, prefix + "dx": x.grad})
    write_fixture("ch8_rope", "Rotary embeddings, rotate-half pairing (HF Llama's apply_rotary_pos_emb), base 10000, "
                  "head width 12, 2 heads side by side in x [B=2, T, 24]: a training window at positions 0..<6 "
                  "(x, y, dy, dx), one position just beyond it at offset 6 (next_*), and positions 61..<64 (far_*), "
                  "with dx = the gradient for dy.", tensors,
                  {"head_width": d, "base": BASE, "offset_next": T, "offset_far": 61, "training_length": T})


def ch8_swiglu():
    torch.manual_seed(803)
    B, T, C, hidden = 2, 3, 8, 12
    p = params(swiglu_shapes(C, hidden), 0.5)
    x = torch.randn(B, T, C).requires_grad_()
    y = swiglu_forward(x, p)
    dy = torch.randn(B, T, C)
    y.backward(dy)
    write_fixture("ch8_swiglu", "SwiGLU MLP down(silu(gate(x)) * up(x)), no biases, C=8, hidden 12, x [2, 3, 8]: "
                  "y, and dx and every weight's gradient for dy.",
                  with_grads({"x": x, "y": y, "dy": dy, "dx": x.grad}, p), {"width": C, "hidden": hidden})


def ch8_gqa(name, H, Hkv, seed):
    torch.manual_seed(seed)
    B, T, C = 2, 5, 16
    p = params(gqa_shapes(C, H, Hkv), 0.4)
    x = torch.randn(B, T, C).requires_grad_()
    y = gqa_forward(x, p, H, Hkv)
    dy = torch.randn(B, T, C)
    y.backward(dy)
    write_fixture(name, f"Grouped-query causal self-attention, {H} query heads sharing {Hkv} key/value heads "
                  f"(repeat_kv), head width {C // H}, RoPE (rotate half, base 10000) on q and k, no biases, "
                  f"x [B={B}, T={T}, C={C}]: y, and dx and every weight's gradient for dy.",
                  with_grads({"x": x, "y": y, "dy": dy, "dx": x.grad}, p), {"heads": H, "kv_heads": Hkv, "width": C})


def block_shapes(C, H, Hkv, hidden, prefix=""):
    return ([(prefix + "input_layernorm.weight", [C])] + gqa_shapes(C, H, Hkv, prefix + "self_attn.")
            + [(prefix + "post_attention_layernorm.weight", [C])] + swiglu_shapes(C, hidden, prefix + "mlp."))


def ch8_llama_block():
    torch.manual_seed(807)
    B, T, C, H, Hkv, hidden = 2, 5, 16, 4, 2, 24
    p = params(block_shapes(C, H, Hkv, hidden), 0.3)
    x = torch.randn(B, T, C).requires_grad_()
    z = block_forward(x, p, H, Hkv)
    dz = torch.randn(B, T, C)
    z.backward(dz)
    write_fixture("ch8_llama_block", "One Llama block: x + GQA(RMSNorm(x)) then u + SwiGLU(RMSNorm(u)); C=16, 4 query "
                  "heads, 2 kv heads, hidden 24, RoPE base 10000, eps 1e-5, x [2, 5, 16]: z, and dx and every "
                  "parameter's gradient for dz (HF names).",
                  with_grads({"x": x, "z": z, "dz": dz, "dx": x.grad}, p),
                  {"width": C, "heads": H, "kv_heads": Hkv, "hidden": hidden})


def ch8_llama_model(name, tied, seed):
    torch.manual_seed(seed)
    B, T, V, C, L, H, Hkv, hidden = 2, 5, 11, 16, 2, 4, 2, 24
    shapes = [("model.embed_tokens.weight", [V, C])]
    for l in range(L):
        shapes += block_shapes(C, H, Hkv, hidden, f"model.layers.{l}.")
    shapes.append(("model.norm.weight", [C]))
    if not tied:
        shapes.append(("lm_head.weight", [V, C]))
    p = params(shapes, 0.3)
    with torch.no_grad():
        p["model.embed_tokens.weight"].mul_(0.5 / 0.3)
        if "model.norm.weight" in p:
            p["model.norm.weight"].copy_(1 + 0.2 * torch.randn(C))
    tokens = torch.randint(0, V, (B, T))
    targets = torch.randint(0, V, (B, T))
    x = p["model.embed_tokens.weight"][tokens]
    for l in range(L):
        x = block_forward(x, p, H, Hkv, f"model.layers.{l}.")
    h = F.rms_norm(x, (C,), p["model.norm.weight"], eps=EPS)
    head = p["model.embed_tokens.weight"] if tied else p["lm_head.weight"]
    logits = (h @ head.T).reshape(B * T, V)
    loss = F.cross_entropy(logits, targets.reshape(B * T))
    loss.backward()
    write_fixture(name, f"A Llama-style model ({'tied' if tied else 'untied'} head): token embedding, {L} Llama blocks "
                  f"(C={C}, {H} heads, {Hkv} kv heads, hidden {hidden}, RoPE base 10000, RMSNorm eps 1e-5), final "
                  f"RMSNorm, logits = h W^T; tokens and targets [B={B}·T={T}] (whole-number floats), V={V}: logits, "
                  "the mean cross-entropy, and every parameter's gradient (HF names).",
                  with_grads({"tokens": tokens.reshape(-1).to(DTYPE), "targets": targets.reshape(-1).to(DTYPE),
                              "logits": logits}, p),
                  {"loss": loss.item(), "batch": B, "length": T, "vocabulary": V, "width": C, "layers": L,
                   "heads": H, "kv_heads": Hkv, "hidden": hidden})


def ch8_lora():
    """One LoRA-adapted projection (PEFT's lora.Linear without dropout):
    y = x Wᵀ + (α/r)·(x Aᵀ) Bᵀ, W frozen, A [r, in], B [out, r]. B is random
    here (as after some training; it starts at zero) so that A's gradient
    is not zero."""
    torch.manual_seed(810)
    B, T, n_in, n_out, r, alpha = 2, 3, 10, 6, 2, 4.0
    W = 0.4 * torch.randn(n_out, n_in)
    A = (0.3 * torch.randn(r, n_in)).requires_grad_()
    Bm = (0.3 * torch.randn(n_out, r)).requires_grad_()
    x = torch.randn(B, T, n_in).requires_grad_()
    y = F.linear(x, W) + (alpha / r) * F.linear(F.linear(x, A), Bm)
    dy = torch.randn(B, T, n_out)
    y.backward(dy)
    write_fixture("ch8_lora", "A LoRA-adapted projection y = x W^T + (alpha/r) (x A^T) B^T (PEFT's lora.Linear, no dropout), "
                  "W [6, 10] frozen, rank 2, alpha 4, x [2, 3, 10]: y, and dx, dA, dB for dy (W gets none).",
                  {"x": x, "y": y, "dy": dy, "dx": x.grad, "param:base.weight": W,
                   "param:lora_A.weight": A, "grad:lora_A.weight": A.grad,
                   "param:lora_B.weight": Bm, "grad:lora_B.weight": Bm.grad},
                  {"rank": r, "alpha": alpha, "inputs": n_in, "outputs": n_out})


if __name__ == "__main__":
    ch8_rmsnorm()
    ch8_rope()
    ch8_swiglu()
    ch8_gqa("ch8_gqa_mha", 4, 4, 804)
    ch8_gqa("ch8_gqa_kv2", 4, 2, 805)
    ch8_gqa("ch8_gqa_mqa", 4, 1, 806)
    ch8_llama_block()
    ch8_llama_model("ch8_llama_model", True, 808)
    ch8_llama_model("ch8_llama_model_untied", False, 809)
    ch8_lora()
