// Exercise 5.4 — the forward pass of batch normalisation, training mode
// (chapters/05-convolutional-networks.md, "Batch normalisation").
//
// x has n rows (the examples of a mini-batch) of F features each; gamma (γ)
// and beta (β) have F entries. Normalise each feature (column) f over the
// batch with the batch's own statistics, then scale and shift it:
//
//   μ_f  = (1/n) Σᵢ x[i][f]                    (the column's mean)
//   σ²_f = (1/n) Σᵢ (x[i][f] − μ_f)²           (biased: divide by n, not n − 1)
//   x̂[i][f] = (x[i][f] − μ_f) / √(σ²_f + ε)    (ε inside the square root)
//   y[i][f] = γ_f · x̂[i][f] + β_f
//
// Return y (n × F). This is torch.nn.BatchNorm1d in training mode (the
// running averages it also updates are not part of this exercise); the
// book's BatchNorm2D does the same per channel over N·H·W values.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/05-convolutional-networks --filter Chapter05Exercises/batchNormForward

import ExerciseKit

public func batchNormForward(x: [[Double]], gamma: [Double], beta: [Double], epsilon: Double) throws -> [[Double]] {
    throw NotAttempted()
}
