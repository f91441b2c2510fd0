// Exercise 6.2 — one forward step of an LSTM cell, PyTorch's formulation
// (chapters/06-recurrent-networks.md, "The LSTM").
//
// The cell maps the input x (`in` entries), the previous hidden state h_prev
// and the previous cell state c_prev (H entries each) to a new (h, c). All
// four gates come from one stacked pre-activation of 4H entries,
//
//   z = W_ih·x + W_hh·h_prev + b           W_ih: 4H × in, W_hh: 4H × H, b: 4H
//
// whose four blocks of H rows are, IN THIS ORDER (PyTorch's torch.nn.LSTM):
//
//   rows 0 ..< H      i = σ(z_i)      input gate
//   rows H ..< 2H     f = σ(z_f)      forget gate
//   rows 2H ..< 3H    g = tanh(z_g)   candidate cell values
//   rows 3H ..< 4H    o = σ(z_o)      output gate
//
// with σ(t) = 1/(1 + e^(−t)). Then, elementwise,
//
//   c = f ⊙ c_prev + i ⊙ g
//   h = o ⊙ tanh(c)
//
// Return (h, c), H entries each. (PyTorch's two biases b_ih + b_hh are the
// single b here.) Large pre-activations (|z| up to 800) must not give NaN or
// ∞: e^800 overflows a Double, so look at what your σ computes for t = ±800
// before you trust it.
//
// Worked example of the gates (in = H = 1, W_ih = W_hh = 0, so z = b):
// b = [0, ln 3, ln 2, −ln 3] gives i = σ(0) = 1/2, f = σ(ln 3) = 3/4,
// g = tanh(ln 2) = 3/5, o = σ(−ln 3) = 1/4. With c_prev = 2, finish the step
// by hand and compare with your code: the grader checks this case too. The
// four values of b differ, so reading a gate from the wrong block shows here.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/06-recurrent-networks --filter Chapter06Exercises/lstmStep

import ExerciseKit

public func lstmStep(
    x: [Double], hPrev: [Double], cPrev: [Double], weightIH: [[Double]], weightHH: [[Double]], bias: [Double]
) throws -> (h: [Double], c: [Double]) {
    throw NotAttempted()
}
