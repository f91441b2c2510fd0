// Exercise 3.6 — a network written with the engine, trained on iris
// (chapters/03-automatic-differentiation.md, "The tensor engine" and
// "Models written with the engine").
//
// Plug in and train. Write a two-layer network whose forward pass is all
// you write; the tape finds every gradient:
//
//   logits = tanh(x·W₁ᵀ + b₁)·W₂ᵀ + b₂       x [n, inputs], logits [n, classes]
//
// with chapter 2's `Parameter`s in PyTorch's layout: W₁ [hidden, inputs],
// b₁ [hidden], W₂ [classes, hidden], b₂ [classes], listed in `parameters` in
// that order. `init` draws every weight from `rng` (for example normal
// values scaled by 1/√(fan-in)) and sets the biases to 0. `logits` reads
// each parameter onto the tape of x with `x.tape.parameter(_:)` and
// computes with the engine's operations (matmul, +, tanh), so that
// `backward()` adds into each parameter's `grad`.
//
// The grader checks the shapes and the initialisation, your logits against
// the formula above, and every parameter's gradient of the engine's mean
// cross-entropy against finite differences of its own loss. Then it builds
// your network with 16 hidden units from SeededRandom(seed: 42) and trains it
// with chapter 2's Adam (η = 0.05) for 150 full-batch steps on the
// standardised iris training split of seed 42 (90 flowers). At least 90%
// of the 30 test flowers must be classified correctly.
//
// Replace each `throw` with your code, then run:
//   swift test --package-path exercises/03-automatic-differentiation --filter Chapter03Exercises/irisTraining

import AutomaticDifferentiation
import Backpropagation
import BackpropCore
import ExerciseKit
import Foundation

public final class IrisNetwork {
    public var parameters: [Parameter<Double>] = []

    public init(inputs: Int, hidden: Int, classes: Int, rng: inout SeededRandom) throws {
        throw NotAttempted()
    }

    public func logits(_ x: Variable<Double>) throws -> Variable<Double> {
        throw NotAttempted()
    }
}
