#!/usr/bin/env python3
"""PyTorch reference fixtures for chapter 6 (recurrent networks).

Writes Tests/Fixtures/ch6_rnn.json, ch6_lstm.json and ch6_gru.json, in the
format of make_fixtures.py (whose writer it reuses), seeds 501-503.

Each case: one nn.RNN / nn.LSTM / nn.GRU layer, batch_first, float64, batch 2,
4 steps, input 3, hidden 5, with a random initial state. The loss is

    L = sum(y * r_y) + sum(h_T * r_h) [+ sum(c_T * r_c) for the LSTM]

with fixed random r's, so the backward pass receives gradients for every
output and for the final state. Stored: inputs, initial state, parameters
(PyTorch's names without the _l0 suffix), r's, outputs y, final states, and
the gradients of every parameter, of x and of the initial state.

Run from the repository root:  python3 Tests/Fixtures/make_fixtures_ch6.py
"""

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import write_fixture  # noqa: E402

torch.set_default_dtype(torch.float64)

B, T, I, H = 2, 4, 3, 5


def case(name, module_class, seed, has_cell):
    torch.manual_seed(seed)
    layer = module_class(I, H, batch_first=True)
    x = torch.randn(B, T, I, requires_grad=True)
    h0 = (0.5 * torch.randn(1, B, H)).requires_grad_()
    c0 = (0.5 * torch.randn(1, B, H)).requires_grad_() if has_cell else None
    r_y, r_h = torch.randn(B, T, H), torch.randn(B, H)
    r_c = torch.randn(B, H) if has_cell else None
    if has_cell:
        y, (h_t, c_t) = layer(x, (h0, c0))
        loss = (y * r_y).sum() + (h_t[0] * r_h).sum() + (c_t[0] * r_c).sum()
    else:
        y, h_t = layer(x, h0)
        loss = (y * r_y).sum() + (h_t[0] * r_h).sum()
    loss.backward()
    tensors = {"x": x, "h0": h0[0], "r_y": r_y, "r_h": r_h, "y": y, "h_T": h_t[0],
               "dx": x.grad, "dh0": h0.grad[0]}
    if has_cell:
        tensors.update({"c0": c0[0], "r_c": r_c, "c_T": c_t[0], "dc0": c0.grad[0]})
    for pname in ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]:
        p = getattr(layer, pname + "_l0")
        tensors[pname] = p
        tensors["d" + pname] = p.grad
    write_fixture(name, f"nn.{module_class.__name__}({I}, {H}, batch_first=True), batch {B}, {T} steps, "
                  "random initial state; L = sum(y*r_y) + sum(h_T*r_h) (+ sum(c_T*r_c))",
                  tensors, {"loss": loss.item()})


if __name__ == "__main__":
    case("ch6_rnn", torch.nn.RNN, 501, False)
    case("ch6_lstm", torch.nn.LSTM, 502, True)
    case("ch6_gru", torch.nn.GRU, 503, False)
