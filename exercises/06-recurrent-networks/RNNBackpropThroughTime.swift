// Exercise 6.6 — backpropagation through time for an Elman RNN
// (chapters/06-recurrent-networks.md, "Unrolling", "Backpropagation through
// time").
//
// An Elman RNN reads inputs x₁, …, x_T (`in` entries each) from an initial
// state h₀ (H entries), with the same weights at every step:
//
//   h_t = tanh(W_ih·x_t + W_hh·h_{t−1} + b)      for t = 1, …, T
//
// (W_ih is H × in, W_hh is H × H, PyTorch's layout; b is H entries). A loss
// L reads every state h₁, …, h_T. You are given, for each t, the gradient of
// L with respect to h_t through the loss at step t only: dhs[t − 1] (H
// entries), not counting the effect of h_t on later states. (For the grader,
// L = Σ_t ⟨dhs[t − 1], h_t⟩.) The arrays are 0-based: xs[0] is x₁, dhs[0]
// belongs to h₁.
//
// Return the gradients of L, summed over all T steps that use the weights:
//
//   dWeightIH  ∂L/∂W_ih   H × in
//   dWeightHH  ∂L/∂W_hh   H × H
//   dBias      ∂L/∂b      H entries
//   dh0        ∂L/∂h₀     H entries (what a caller that carries state across
//                         windows needs)
//
// Method: run the forward pass and keep every state (h₀ too). Then go
// backwards in time with one running vector, the TOTAL gradient reaching the
// current state: h_t is read by the loss at step t and by step t + 1, so its
// total gradient has two parts, and the second is known only once step t + 1
// has been processed. At each step, given that total, the step's own
// backward pass is exercise 6.1's (use it if you did it); its parameter
// gradients add into the sums, and its gradient with respect to h_{t−1}
// becomes the part that step t − 1 receives from later. Process every step,
// the first one included: what is left at the end is dh0.
//
// Checks on your code: with T = 1 it must agree with exercise 6.1; and when
// only dhs[T − 1] is nonzero, the gradient still reaches every step. The
// grader compares every entry with centered finite differences of L.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/06-recurrent-networks --filter Chapter06Exercises/rnnBackpropThroughTime

import ExerciseKit

public func rnnBackpropThroughTime(
    xs: [[Double]], h0: [Double], weightIH: [[Double]], weightHH: [[Double]], bias: [Double], dhs: [[Double]]
) throws -> (dWeightIH: [[Double]], dWeightHH: [[Double]], dBias: [Double], dh0: [Double]) {
    throw NotAttempted()
}
