// Exercise 6.7 — your LSTM cell inside the character model
// (chapters/06-recurrent-networks.md, "The LSTM", "Truncated BPTT and
// carried state").
//
// Plug in and train. The book's LSTM layer (RecurrentLayer) does the matrix
// products and the loop over time; between the products, each step runs an
// elementwise cell. Write that cell, forward and backward, as a type that
// conforms to the library's protocol `LSTMCellStep`; the grader plugs it into
// a real character model with `model.rnn.useCell(MyLSTMCell())` and trains.
//
// For one sequence at one step (H hidden units):
//
//   z   the pre-activations W_ih·x + b_ih + W_hh·h + b_hh, 4H entries: four
//       blocks of H in PyTorch's order i, f, g, o (exercise 6.2 without
//       the weights: the layer has already multiplied them in)
//   c   the previous cell state, H entries
//
// forward(z:c:) returns (h′, c′), H entries each: the gates, then
// c′ = f ⊙ c + i ⊙ g and h′ = o ⊙ tanh(c′), as in exercise 6.2.
//
// backward(z:c:dh:dc:) receives the same z and c and the two gradients that
// reach the step's outputs: dh = ∂L/∂h′ (from the head and from step t + 1,
// already summed by the layer) and dc = ∂L/∂c′ (from step t + 1). It returns
//
//   dz  ∂L/∂z, 4H entries in the order i, f, g, o (the layer turns it into
//       the weight gradients, dx and ∂L/∂h)
//   dc  ∂L/∂c, H entries: what the previous step receives
//
// Nothing is cached between the two calls: recompute in backward what you
// need from z and c. c′ reaches the loss by two roads — through h′ and
// through the next step — so collect both before going further back; then
// differentiate each gate through its own squashing function. The chapter's
// "Backward" section derives it; write it yourself first.
//
// The grader, stopping at the first stage that fails:
//   1. checks forward against the gates written out (a hand-worked case with
//      z = [0, ln 3, ln 2, −ln 3] and c = 2, random cases, and |z| = 800,
//      which must not give NaN);
//   2. checks backward against centered finite differences of
//      L = Σ dh·h′ + Σ dc·c′ (the gradient check of chapter 2);
//   3. trains a CharRNN (embedding 4, LSTM with H = 8 and your cell, the
//      naive kernels) on the first 10,000 characters of tinyshakespeare for
//      150 steps of truncated BPTT (batch 4, context 8, Adam 0.03, clipping
//      at 5, seed 6). Its validation loss must reach 3.0 nats per character
//      or less. For scale: predicting character frequencies alone gives 3.28,
//      uniform guessing ln 57 = 4.04, and the library's own cell 2.73 with
//      these settings.
// It takes a few seconds.
//
// Replace the two `throw`s with your code, then run:
//   swift test --package-path exercises/06-recurrent-networks --filter Chapter06Exercises/lstmCellInModel

import ExerciseKit
import Foundation
import RecurrentNetworks

public struct MyLSTMCell: LSTMCellStep {
    public init() {}

    public func forward(z: [Double], c: [Double]) throws -> (h: [Double], c: [Double]) {
        throw NotAttempted()
    }

    public func backward(z: [Double], c: [Double], dh: [Double], dc: [Double]) throws -> (dz: [Double], dc: [Double]) {
        throw NotAttempted()
    }
}
