// Chapter 5's graders, continued: exercise 5.6, the backward pass of batch
// normalisation in training mode. Expected gradients are centered finite
// differences of L = Σ dy ⊙ BN(x), with BN the grader's own forward pass
// (batchNormReference, checked against the book's BatchNorm2D), and one
// hand-worked case. `batchNormBackwardWith` writes out the backward pass with
// one mistake switched on, only to name a wrong answer's likely mistake.

import BackpropCore
import ExerciseKit
import Foundation

/// (x, γ, dy, ε) → (dx, dγ, dβ); x and dy are n × F, γ has F entries.
public typealias BatchNormBackward = ([[Double]], [Double], [[Double]], Double) throws
    -> (dx: [[Double]], dGamma: [Double], dBeta: [Double])

extension Chapter05Graders {
    // MARK: - 5.6 Batch normalisation backward

    /// Mistakes the grader recognises.
    enum BatchNormMistake: CaseIterable {
        /// dx without the term through μ (the mean of dy not subtracted).
        case noMeanTerm
        /// dx without the term through σ² (μ and σ² treated as if only μ depended on x).
        case noVarianceTerm
        /// Forward and backward with the unbiased variance (÷ (n − 1)).
        case unbiasedVariance
        /// √σ² + ε in place of √(σ² + ε) in the usual formula.
        case epsilonOutside
        /// The exact gradient of the forward pass with √σ² + ε.
        case epsilonOutsideDerived
        /// dβ and dγ divided by n.
        case parameterMeans
    }

    /// The backward pass for one feature column at a time, with one mistake
    /// switched on; for hints only.
    static func batchNormBackwardWith(_ mistake: BatchNormMistake, _ x: [[Double]], _ gamma: [Double],
                                      _ dy: [[Double]], _ eps: Double)
        -> (dx: [[Double]], dGamma: [Double], dBeta: [Double])
    {
        let n = x.count, m = Double(n)
        var dx = x, dGamma = gamma, dBeta = gamma
        for f in gamma.indices {
            let column = x.map { $0[f] }, g = dy.map { $0[f] }
            let mean = column.reduce(0, +) / m
            let squares = column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +)
            let variance = squares / (mistake == .unbiasedVariance ? m - 1 : m)
            let outside = mistake == .epsilonOutside || mistake == .epsilonOutsideDerived
            let denominator = outside ? variance.squareRoot() + eps : (variance + eps).squareRoot()
            let xhat = column.map { ($0 - mean) / denominator }
            let sumDy = g.reduce(0, +)
            let sumDyXhat = zip(g, xhat).map { $0 * $1 }.reduce(0, +)
            // The route through σ² weighs x̂ₖ·x̂ᵢ by 1/(the count in σ²);
            // differentiating the forward pass with √σ² + ε gives (σ + ε)/σ more.
            var varianceWeight = 1 / (mistake == .unbiasedVariance ? m - 1 : m)
            if mistake == .epsilonOutsideDerived, variance > 0 {
                let sigma = variance.squareRoot()
                varianceWeight *= (sigma + eps) / sigma
            }
            for i in 0..<n {
                var inner = g[i]
                if mistake != .noMeanTerm { inner -= sumDy / m }
                if mistake != .noVarianceTerm { inner -= xhat[i] * sumDyXhat * varianceWeight }
                dx[i][f] = gamma[f] / denominator * inner
            }
            dGamma[f] = mistake == .parameterMeans ? sumDyXhat / m : sumDyXhat
            dBeta[f] = mistake == .parameterMeans ? sumDy / m : sumDy
        }
        return (dx, dGamma, dBeta)
    }

    struct BatchNormBackwardCase: Sendable {
        var x, dy: [[Double]]
        var gamma: [Double]
        var epsilon: Double
        var handWorked: (dx: [[Double]], dGamma: [Double], dBeta: [Double])?
        var note: String
    }

    /// A hand-worked case (two examples and ε = 0, where x̂ = ±1 whatever x
    /// is, so dx = 0), then random batches: ε = 10⁻⁵, a large ε = 0.1, a
    /// small spread next to ε = 10⁻³, and a constant feature (σ² = 0).
    static var batchNormBackwardCases: [BatchNormBackwardCase] {
        // Column 0: x = [1, 3], μ = 2, σ² = 1, x̂ = [−1, 1]; column 1: x = [2, 6],
        // μ = 4, σ² = 4, x̂ = [−1, 1]. dγ = Σ dy·x̂ = [−1 + (−1), −2 + 5] = [−2, 3],
        // dβ = Σ dy = [0, 7]. With n = 2 and ε = 0, x̂ = ±1 for any distinct
        // values, so moving x changes nothing and dx = 0.
        var cases = [BatchNormBackwardCase(
            x: [[1, 2], [3, 6]], dy: [[1, 2], [-1, 5]], gamma: [1.5, -2], epsilon: 0,
            handWorked: (dx: [[0, 0], [0, 0]], dGamma: [-2, 3], dBeta: [0, 7]),
            note: "hand-worked, two examples and ε = 0 (x̂ = ±1 whatever x is, so dx = 0)")]
        var rng = SeededRandom(seed: 4606)
        for (n, f, eps, scale, note) in [(4, 3, 1e-5, 2.0, "random, ε = 1e-5"), (6, 2, 0.1, 0.5, "random, ε = 0.1"),
                                         (5, 3, 1e-3, 0.02, "small spread (σ ≈ 0.01) next to ε = 1e-3"),
                                         (3, 2, 1e-5, 1.0, "three examples, ε = 1e-5")] {
            let offsets = (0..<f).map { _ in rng.uniform(-3, 3) }
            let x = (0..<n).map { _ in (0..<f).map { offsets[$0] + scale * rng.uniform(-1, 1) } }
            let dy = (0..<n).map { _ in (0..<f).map { _ in rng.uniform(-1, 1) + 0.5 } }
            cases.append(BatchNormBackwardCase(x: x, dy: dy, gamma: (0..<f).map { _ in rng.uniform(0.5, 2) },
                                               epsilon: eps, note: note))
        }
        cases.append(BatchNormBackwardCase(
            x: [[7, 1], [7, -1], [7, 0.5]], dy: [[1, 0.5], [-0.25, 2], [2, -1]], gamma: [1.5, 0.75], epsilon: 1e-2,
            note: "a constant feature (σ² = 0), ε = 0.01"))
        return cases
    }

    /// Centered finite differences of L = Σ dy ⊙ BN(x; γ, β) with respect to
    /// x (row-major), γ and β.
    static func batchNormGradientsByDifferences(_ c: BatchNormBackwardCase)
        -> (dx: [[Double]], dGamma: [Double], dBeta: [Double])
    {
        let (n, f) = (c.x.count, c.gamma.count)
        let flat = c.x.flatMap { $0 } + c.gamma + [Double](repeating: 0, count: f)
        let numeric = GradientCheck.numericalGradient(
            of: { t in
                let s = t.scalars
                let x = (0..<n).map { Array(s[($0 * f)..<($0 * f + f)]) }
                let y = batchNormReference(x, Array(s[(n * f)..<(n * f + f)]), Array(s[(n * f + f)...]), c.epsilon)
                return zip(y, c.dy).map { zip($0, $1).map { $0 * $1 }.reduce(0, +) }.reduce(0, +)
            },
            at: Tensor(flat), step: 1e-6).scalars
        return ((0..<n).map { Array(numeric[($0 * f)..<($0 * f + f)]) }, Array(numeric[(n * f)..<(n * f + f)]),
                Array(numeric[(n * f + f)...]))
    }

    /// Exercise 5.6: shapes, then dx, dγ and dβ against finite differences
    /// (or the hand-worked values), with hints for the mistakes above.
    public static func batchNormBackward(_ candidate: BatchNormBackward) throws -> GradeReport {
        var report = GradeReport()
        for c in batchNormBackwardCases {
            let (n, f) = (c.x.count, c.gamma.count)
            let want = c.handWorked ?? batchNormGradientsByDifferences(c)
            let setting = "\(c.note): x = \(show(c.x)), γ = \(Grade.show(c.gamma)), dy = \(show(c.dy)), ε = \(c.epsilon)"
            let got = try candidate(c.x, c.gamma, c.dy, c.epsilon)
            guard hasShape(got.dx, n, f), got.dGamma.count == f, got.dBeta.count == f else {
                report.check(false, "\(setting): dx must be \(n) × \(f) like x and dγ, dβ must have \(f) entries, got "
                    + "dx \(shape(got.dx)), dγ \(got.dGamma.count), dβ \(got.dBeta.count)")
                continue
            }
            let source = c.handWorked == nil ? "finite differences" : "worked by hand"
            func hint(_ part: ((dx: [[Double]], dGamma: [Double], dBeta: [Double])) -> [Double], _ gotPart: [Double])
                -> String
            {
                if gotPart.contains(where: { !$0.isFinite }) {
                    return " — NaN or ∞: a feature with zero variance divides by zero unless ε is under the square "
                        + "root, √(σ² + ε)"
                }
                let known: [(BatchNormMistake, String)] = [
                    (.noMeanTerm, " — the path through μ is missing: every xᵢ moves the mean, which moves every x̂ₖ; "
                        + "that route subtracts something shared by the whole column"),
                    (.noVarianceTerm, " — the path through σ² is missing: every xᵢ also moves the variance, which "
                        + "rescales every x̂ₖ (differentiate 1/√(σ² + ε) too)"),
                    (.unbiasedVariance, " — you used the unbiased variance (÷ (n − 1)); training-mode batch "
                        + "normalisation uses the biased one, σ² = (1/n) Σ (x − μ)²"),
                    (.epsilonOutside, " — ε is outside the square root: the forward pass divides by √(σ² + ε), "
                        + "not √σ² + ε"),
                    (.epsilonOutsideDerived, " — ε is outside the square root: the forward pass divides by "
                        + "√(σ² + ε), not √σ² + ε"),
                    (.parameterMeans, " — dγ and dβ are means over the batch; γ and β are used by every example, "
                        + "so their gradients are sums"),
                ]
                for (mistake, text) in known
                where Grade.close(gotPart, part(batchNormBackwardWith(mistake, c.x, c.gamma, c.dy, c.epsilon)), 1e-6) {
                    return text
                }
                return ""
            }
            let gotDx = got.dx.flatMap { $0 }, wantDx = want.dx.flatMap { $0 }
            if !Grade.close(gotDx, wantDx, 1e-6) {
                report.check(false, "\(setting): expected dx ≈ \(show(want.dx)) (\(source)), got \(show(got.dx))"
                    + hint({ $0.dx.flatMap { $0 } }, gotDx))
            }
            if !Grade.close(got.dGamma, want.dGamma, 1e-6) {
                report.check(false, "\(setting): expected dγ ≈ \(Grade.show(want.dGamma)) (\(source)), got "
                    + "\(Grade.show(got.dGamma))" + hint({ $0.dGamma }, got.dGamma))
            }
            if !Grade.close(got.dBeta, want.dBeta, 1e-6) {
                report.check(false, "\(setting): expected dβ ≈ \(Grade.show(want.dBeta)) (\(source)), got "
                    + "\(Grade.show(got.dBeta))" + hint({ $0.dBeta }, got.dBeta))
            }
        }
        return report
    }
}
