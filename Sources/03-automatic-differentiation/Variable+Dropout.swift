// Inverted dropout, as chapter 2's Dropout layer and PyTorch:
//   training:   y = x ⊙ m,  mᵢ = 1/(1 − p) with probability 1 − p, else 0
//   inference:  y = x (nothing recorded)
//   backward:   ∂x = g ⊙ m  (the same mask, saved)
// The mask is drawn from the caller's seeded generator, one uniform number
// per element in row-major order — the draws chapter 2's layer makes — so a
// model written with the engine drops exactly the same units.

import BackpropCore

extension Variable {
    /// Dropout with probability p, its mask drawn from `rng`.
    /// - Throws: `AutodiffError.invalidArgument` unless 0 ≤ p < 1.
    public func dropout(_ p: Double, rng: inout SeededRandom, training: Bool = true) throws -> Variable {
        guard p >= 0, p < 1 else { throw AutodiffError.invalidArgument(operation: "dropout", reason: "probability \(p) is outside [0, 1)") }
        guard training, p > 0 else { return self }
        let keep = Scalar(1 / (1 - p))
        var mask = [Scalar](repeating: 0, count: value.count)
        for i in 0..<mask.count { mask[i] = rng.uniform() < p ? 0 : keep }
        let m = try Tensor(shape: shape, scalars: mask)
        let n = node
        return tape.record("dropout", try value.multiplying(m, backend: backend), inputs: [self], saved: [m]) { tape, g in
            try tape.accumulate(n, g.multiplying(m, backend: tape.backend))
        }
    }
}
