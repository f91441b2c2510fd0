// Exercise 6.5 — the backward pass of one GRU step
// (chapters/06-recurrent-networks.md, "The GRU").
//
// One step of a GRU in PyTorch's formulation (torch.nn.GRUCell) maps the
// input x (`in` entries) and the previous hidden state h_prev (H entries) to
// the new state h (H entries) through three blocks of H rows each, in
// PyTorch's order r (reset), z (update), n (candidate):
//
//   r = σ(W_ir·x + b_ir + W_hr·h_prev + b_hr)
//   z = σ(W_iz·x + b_iz + W_hz·h_prev + b_hz)
//   n = tanh(W_in·x + b_in + r ⊙ (W_hn·h_prev + b_hn))
//   h = (1 − z) ⊙ n + z ⊙ h_prev
//
// with σ(t) = 1/(1 + e^(−t)) and ⊙ the elementwise product. The arguments
// stack the blocks as PyTorch does: weightIH (W_ih, 3H × in) holds W_ir in
// rows 0..<H, W_iz in rows H..<2H and W_in in rows 2H..<3H; weightHH (W_hh,
// 3H × H), biasIH (b_ih, 3H) and biasHH (b_hh, 3H) likewise. Note where the
// reset gate acts: it multiplies the whole recurrent term of n, b_hn
// included, but not b_in; that is why the GRU keeps two biases.
//
// Given x, h_prev, the weights, the biases and the upstream gradient dh
// (∂L/∂h, H entries), return the gradients of L, each shaped like what it
// differentiates:
//
//   dx         ∂L/∂x       in entries
//   dhPrev     ∂L/∂h_prev  H entries
//   dWeightIH  ∂L/∂W_ih    3H × in
//   dWeightHH  ∂L/∂W_hh    3H × H
//   dBiasIH    ∂L/∂b_ih    3H entries
//   dBiasHH    ∂L/∂b_hh    3H entries
//
// Method: recompute the forward pass, keeping r, z, n and the recurrent term
// of n (W_hn·h_prev + b_hn) apart, then go up the four lines from the bottom.
// h_prev reaches h by more than one road: directly in the last line, and
// through every block's W_hh·h_prev; add them all. r reaches L only through
// n, and σ′ and tanh′ can be written in terms of the gate values you kept.
// Once you have the gradient of each block's pre-activation, the input side
// (W_ih·x + b_ih) and the recurrent side (W_hh·h_prev + b_hh) are affine maps
// like exercise 6.1's; in which block do their gradients differ, and why?
//
// The grader compares every entry with a centered finite difference of
// L = Σⱼ dhⱼ·hⱼ (nudge one input by ±10⁻⁶ and recompute the four lines; try
// it on your own answer first) and with a hand-worked case: in = H = 1, all
// weights 0, b_ih = [0, 0, 0], b_hh = [0, 0, ln 3], x = 1, h_prev = −1/2,
// upstream gradient 1; there r = z = 1/2, n = tanh(ln 3 / 2) = 1/2, h = 0.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/06-recurrent-networks --filter Chapter06Exercises/gruCellBackward

import ExerciseKit

public func gruCellBackward(
    x: [Double], hPrev: [Double], weightIH: [[Double]], weightHH: [[Double]], biasIH: [Double], biasHH: [Double],
    dh: [Double]
) throws -> (
    dx: [Double], dhPrev: [Double], dWeightIH: [[Double]], dWeightHH: [[Double]], dBiasIH: [Double], dBiasHH: [Double]
) {
    throw NotAttempted()
}
