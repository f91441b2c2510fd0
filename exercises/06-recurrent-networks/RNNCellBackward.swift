// Exercise 6.1 — the backward pass of one Elman RNN cell
// (chapters/06-recurrent-networks.md, "Backpropagation through time").
//
// One step of an Elman RNN with a tanh non-linearity maps the input x (`in`
// entries) and the previous hidden state h_prev (H entries) to
//
//   a = W_ih·x + W_hh·h_prev + b          (H entries, the pre-activation)
//   h = tanh(a)                            (H entries, the new hidden state)
//
// where W_ih is H × in and W_hh is H × H (PyTorch's layout: one row per hidden
// unit; PyTorch's b_ih + b_hh is the single bias b here). You are given the
// forward pass's output h (so you need not recompute tanh) and the upstream
// gradient dh = ∂L/∂h. Return the gradients of L with respect to the cell's
// inputs and parameters, each shaped like what it differentiates:
//
//   dx         ∂L/∂x        in entries
//   dhPrev     ∂L/∂h_prev   H entries (what backpropagation through time
//                           hands to the previous step, where it is added to
//                           that step's own dh)
//   dWeightIH  ∂L/∂W_ih     H × in, like W_ih: entry [j][k] is ∂L/∂W_ih[j][k]
//   dWeightHH  ∂L/∂W_hh     H × H, like W_hh
//   dBias      ∂L/∂b        H entries
//
// The chapter derives these for a whole sequence and a minibatch, with one
// row per sequence (x·W_ihᵀ rather than W_ih·x); this is one step of one
// sequence. Method: go backwards through the two lines above. First through
// h = tanh(a), elementwise: write tanh′(a) in terms of h, which you are
// given. Then a is affine in x, h_prev, W_ih, W_hh and b: write a_j as a sum
// over k and read off ∂a_j/∂(each input). W_hh is square, so a product with
// the wrong orientation still has the right shape: let the index sums, not
// the shapes, decide where a transpose goes. To check yourself, nudge one
// entry of x (or of W_hh) by ±10⁻⁶, recompute L = Σⱼ dhⱼ·hⱼ, and compare the
// centered difference with your gradient; the grader does exactly this.
//
// Worked example of the forward pass (in = H = 1): x = 1, h_prev = 0.5,
// W_ih = 2, W_hh = −1, b = 0 give a = 2·1 − 0.5 + 0 = 1.5 and
// h = tanh(1.5) ≈ 0.905148. The grader works this case by hand with dh = 1.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/06-recurrent-networks --filter Chapter06Exercises/rnnCellBackward

import ExerciseKit

public func rnnCellBackward(
    x: [Double], hPrev: [Double], weightIH: [[Double]], weightHH: [[Double]], bias: [Double],
    h: [Double], dh: [Double]
) throws -> (dx: [Double], dhPrev: [Double], dWeightIH: [[Double]], dWeightHH: [[Double]], dBias: [Double]) {
    throw NotAttempted()
}
