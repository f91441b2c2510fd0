// Chapter 5's graders, continued (Chapter05Graders.swift has the others):
// exercise 5.4, batch normalisation, against its formula.

import BackpropCore
import ExerciseKit
import Foundation

extension Chapter05Graders {
    // MARK: - 5.4 Batch normalisation

    /// Batch normalisation written out (`unbiased` divides by n − 1,
    /// `epsilonOutside` uses √σ² + ε, `perRow` normalises each row over its
    /// features instead, as layer normalisation does), to produce hints.
    static func batchNormReference(
        _ x: [[Double]], _ gamma: [Double], _ beta: [Double], _ eps: Double,
        unbiased: Bool = false, epsilonOutside: Bool = false, perRow: Bool = false
    ) -> [[Double]] {
        let (n, f) = (x.count, gamma.count)
        func normalise(_ values: [Double]) -> [Double] {
            let mean = values.reduce(0, +) / Double(values.count)
            let squares = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +)
            let variance = squares / Double(unbiased ? values.count - 1 : values.count)
            let denominator = epsilonOutside ? variance.squareRoot() + eps : (variance + eps).squareRoot()
            return values.map { ($0 - mean) / denominator }
        }
        var xhat = x
        if perRow {
            xhat = x.map(normalise)
        } else {
            for j in 0..<f {
                let column = normalise(x.map { $0[j] })
                for i in 0..<n { xhat[i][j] = column[i] }
            }
        }
        return xhat.map { row in row.indices.map { gamma[$0] * row[$0] + beta[$0] } }
    }

    struct BatchNormCase: Sendable {
        var x: [[Double]]
        var gamma, beta: [Double]
        var epsilon: Double
        var handWorked: [[Double]]?
        var note: String
    }

    static var batchNormCases: [BatchNormCase] {
        // Column 0: μ = 2, σ² = 1, x̂ = [−1, 1]; column 1: μ = 4, σ² = 4, x̂ = [−1, 1],
        // y = 2·x̂ + 1 = [−1, 3]. (With n − 1 the variances would be 2 and 8.)
        var cases = [BatchNormCase(x: [[1, 2], [3, 6]], gamma: [1, 2], beta: [0, 1], epsilon: 0,
                                   handWorked: [[-1, -1], [1, 3]], note: "hand-worked, ε = 0")]
        var rng = SeededRandom(seed: 4404)
        for (n, f, eps, scale, note) in [(4, 3, 1e-5, 2.0, "random"), (8, 2, 0.1, 1.0, "random, ε = 0.1"),
                                         (5, 4, 1e-3, 0.02, "small spread (σ ≈ 0.01) next to ε = 1e-3")] {
            let offsets = (0..<f).map { _ in rng.uniform(-3, 3) }
            let x = (0..<n).map { _ in (0..<f).map { offsets[$0] + scale * rng.uniform(-1, 1) } }
            cases.append(BatchNormCase(x: x, gamma: (0..<f).map { _ in rng.uniform(0.5, 2) },
                                       beta: (0..<f).map { _ in rng.uniform(-1, 1) }, epsilon: eps, note: note))
        }
        // A constant feature: σ² = 0, so x̂ = 0 and y = β (only ε keeps it finite).
        cases.append(BatchNormCase(x: [[7, 1], [7, -1], [7, 0.5]], gamma: [1.5, 1], beta: [0.25, -0.5], epsilon: 1e-5,
                                   note: "a constant feature (σ² = 0)"))
        return cases
    }

    /// Exercise 5.4: against the formula, with hints for the unbiased
    /// variance, ε outside the square root, normalising rows, γ and β swapped
    /// or left out.
    public static func batchNormForward(_ candidate: BatchNormForward) throws -> GradeReport {
        var report = GradeReport()
        for c in batchNormCases {
            let want = c.handWorked ?? batchNormReference(c.x, c.gamma, c.beta, c.epsilon)
            let (n, f) = (c.x.count, c.gamma.count)
            let setting = "\(c.note): x = \(show(c.x)), γ = \(Grade.show(c.gamma)), β = \(Grade.show(c.beta)), "
                + "ε = \(c.epsilon)"
            let got = try candidate(c.x, c.gamma, c.beta, c.epsilon)
            guard hasShape(got, n, f) else {
                report.check(false, "\(setting): y must have x's shape \(n) × \(f), got \(shape(got))")
                continue
            }
            var hint = ""
            let ok = close(got, want, 1e-9)
            if !ok {
                let ones = [Double](repeating: 1, count: f), zeros = [Double](repeating: 0, count: f)
                func matches(_ alternative: [[Double]]) -> Bool { close(got, alternative, 1e-9) }
                if got.contains(where: { $0.contains { !$0.isFinite } }) {
                    hint = " — NaN or ∞: a feature with zero variance divides by zero unless ε is added under the "
                        + "square root, √(σ² + ε)"
                } else if matches(batchNormReference(c.x, c.gamma, c.beta, c.epsilon, unbiased: true)) {
                    hint = " — you used the unbiased variance (÷ (n − 1)); batch normalisation normalises with the "
                        + "biased one, σ² = (1/n) Σ (x − μ)²"
                } else if matches(batchNormReference(c.x, c.gamma, c.beta, c.epsilon, epsilonOutside: true)) {
                    hint = " — ε is outside the square root: divide by √(σ² + ε), not √σ² + ε"
                } else if matches(batchNormReference(c.x, c.gamma, c.beta, c.epsilon, perRow: true)) {
                    hint = " — you normalised each row (example) over its features, which is layer normalisation; "
                        + "batch normalisation normalises each feature (column) over the batch"
                } else if matches(batchNormReference(c.x, c.beta, c.gamma, c.epsilon)) {
                    hint = " — γ and β are swapped: y = γ·x̂ + β (γ scales, β shifts)"
                } else if matches(batchNormReference(c.x, ones, zeros, c.epsilon)) {
                    hint = " — you returned x̂; scale and shift it: y = γ·x̂ + β"
                }
            }
            report.check(ok, "\(setting): expected y = \(show(want)), got \(show(got))" + hint)
        }
        return report
    }
}
