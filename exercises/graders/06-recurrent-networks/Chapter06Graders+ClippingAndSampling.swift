// Chapter 6's graders, continued (Chapter06Graders.swift has the others):
// exercises 6.3, clipping by global norm, and 6.4, sampling probabilities.

import BackpropCore
import ExerciseKit
import Foundation

extension Chapter06Graders {
    // MARK: - 6.3 Global-norm clipping

    /// Clipping written out; `perTensor` clips each tensor by its own norm,
    /// `alwaysRescale` scales to c even below it, `noEpsilon` divides by N
    /// (hint variants).
    static func clipReference(_ g: [[Double]], _ c: Double, perTensor: Bool = false, alwaysRescale: Bool = false,
                              noEpsilon: Bool = false) -> (clipped: [[Double]], norm: Double)
    {
        func norm(_ tensors: [[Double]]) -> Double { tensors.flatMap { $0 }.map { $0 * $0 }.reduce(0, +).squareRoot() }
        func factor(_ n: Double) -> Double {
            let s = c / (n + (noEpsilon ? 0 : 1e-6))
            return alwaysRescale ? s : min(1, s)
        }
        let total = norm(g)
        if perTensor { return (g.map { t in t.map { factor(norm([t])) * $0 } }, total) }
        return (g.map { $0.map { factor(total) * $0 } }, total)
    }

    struct ClipCase {
        var gradients: [[Double]]
        var maxNorm: Double
        var expected: (clipped: [[Double]], norm: Double)?
        var note: String
    }

    static var clipCases: [ClipCase] {
        var cases = [ClipCase(gradients: [[3], [4]], maxNorm: 1, expected: ([[3 / (5 + 1e-6)], [4 / (5 + 1e-6)]], 5),
                              note: "hand-worked: N = 5 > c = 1")]
        var rng = SeededRandom(seed: 5303)
        // Several tensors of different sizes, one empty, N ≈ 9 > c = 2.
        let big = [(0..<6).map { _ in rng.uniform(-4, 4) }, [], (0..<3).map { _ in rng.uniform(-3, 3) },
                   (0..<10).map { _ in rng.uniform(-1, 1) }]
        cases.append(ClipCase(gradients: big, maxNorm: 2, note: "four tensors (one empty), N > c"))
        // One large tensor next to small ones: per-tensor clipping differs.
        cases.append(ClipCase(gradients: [[30, -40], [0.1, 0.2, -0.1], [0.05]], maxNorm: 5,
                              note: "one large tensor next to small ones, N > c"))
        // Below the threshold: nothing changes.
        let small = [(0..<4).map { _ in rng.uniform(-0.5, 0.5) }, (0..<5).map { _ in rng.uniform(-0.5, 0.5) }]
        cases.append(ClipCase(gradients: small, maxNorm: 5, expected: (small, clipReference(small, 5).norm),
                              note: "below the threshold (N < c): the gradients come back unchanged"))
        cases.append(ClipCase(gradients: [[0, 0, 0], [], [0]], maxNorm: 1, expected: ([[0, 0, 0], [], [0]], 0),
                              note: "all gradients zero (N = 0)"))
        return cases
    }

    /// Exercise 6.3: the clipped gradients and the returned norm against the
    /// formula, with hints for per-tensor clipping, value clipping, rescaling
    /// below the threshold, the norm after clipping, a missing 10⁻⁶ and 0/0.
    public static func clipGlobalNorm(_ candidate: ClipGlobalNorm) throws -> GradeReport {
        var report = GradeReport()
        for c in clipCases {
            let want = c.expected ?? clipReference(c.gradients, c.maxNorm)
            let setting = "\(c.note): gradients = \(show(c.gradients)), c = \(c.maxNorm)"
            let got = try candidate(c.gradients, c.maxNorm)
            guard got.clipped.map(\.count) == c.gradients.map(\.count) else {
                report.check(false, "\(setting): the clipped gradients must have the input's shapes "
                    + "\(c.gradients.map(\.count)), got \(got.clipped.map(\.count))")
                continue
            }
            let ok = close(got.clipped, want.clipped, 1e-9)
            var hint = ""
            if !ok {
                if got.clipped.joined().contains(where: { !$0.isFinite }) {
                    hint = " — NaN or ∞: with all gradients zero N = 0, so c/N is c/0; divide by N + 10⁻⁶ "
                        + "(and with s = min(1, …) nothing is scaled)"
                } else if close(got.clipped, clipReference(c.gradients, c.maxNorm, perTensor: true).clipped, 1e-9) {
                    hint = " — you clipped each tensor by its own norm; the global norm is taken over all tensors "
                        + "together and one factor scales them all, which keeps the step's direction"
                } else if close(got.clipped, c.gradients.map { $0.map { min(max($0, -c.maxNorm), c.maxNorm) } }, 1e-9) {
                    hint = " — you clamped each entry to [−c, c] (clipping by value); clip the norm instead: "
                        + "scale everything by min(1, c/(N + 10⁻⁶))"
                } else if close(got.clipped, clipReference(c.gradients, c.maxNorm, alwaysRescale: true).clipped, 1e-9) {
                    hint = " — you rescaled to norm c even though N < c; below the threshold the factor is 1"
                } else if close(got.clipped, clipReference(c.gradients, c.maxNorm, noEpsilon: true).clipped, 1e-9) {
                    hint = " — you divided by N; PyTorch's factor is c/(N + 10⁻⁶)"
                }
            }
            report.check(ok, "\(setting): expected clipped gradients \(show(want.clipped)), got \(show(got.clipped))"
                + hint)
            var normHint = ""
            let clippedNorm = got.clipped.flatMap { $0 }.map { $0 * $0 }.reduce(0, +).squareRoot()
            if abs(got.norm - want.norm) > 1e-9 * max(1, want.norm), abs(got.norm - clippedNorm) < 1e-9 {
                normHint = " — you returned the norm after clipping; return N, the norm before it"
            } else if abs(got.norm - want.norm * want.norm) < 1e-9 * max(1, want.norm * want.norm), want.norm != 1 {
                normHint = " — you returned N², the sum of squares; take its square root"
            }
            report.check(abs(got.norm - want.norm) <= 1e-9 * max(1, want.norm),
                         "\(setting): expected the norm before clipping N = \(want.norm), got \(got.norm)" + normHint)
        }
        return report
    }

    // MARK: - 6.4 Sampling probabilities

    /// The sampling distribution written out: sort to find the k-th largest
    /// logit, keep all logits ≥ it (or exactly the first k by rank when
    /// `strictK`), scale by 1/T (or by T when `multiplyByT`), softmax over the
    /// kept ones (or over all, then zero the removed, when `noRenormalise`).
    static func samplingReference(_ z: [Double], _ t: Double, _ k: Int?, strictK: Bool = false,
                                  multiplyByT: Bool = false, noRenormalise: Bool = false,
                                  keepSmallest: Bool = false) -> [Double]
    {
        var kept = [Bool](repeating: true, count: z.count)
        if let k, k < z.count {
            let r = keepSmallest ? z.map { -$0 } : z
            let ranked = r.indices.sorted { r[$0] > r[$1] || (r[$0] == r[$1] && $0 < $1) }
            let threshold = r[ranked[k - 1]]
            for j in r.indices { kept[j] = strictK ? ranked.prefix(k).contains(j) : r[j] >= threshold }
        }
        let scaled = z.map { multiplyByT ? $0 * t : $0 / t }
        let pool = noRenormalise ? z.indices.map { _ in true } : kept
        let top = z.indices.filter { pool[$0] }.map { scaled[$0] }.max()!
        let weights = z.indices.map { pool[$0] ? exp(scaled[$0] - top) : 0 }
        let total = weights.reduce(0, +)
        return z.indices.map { kept[$0] ? weights[$0] / total : 0 }
    }

    struct SamplingCase {
        var logits: [Double]
        var temperature: Double
        var topK: Int?
        var expected: [Double]?
        var note: String
    }

    static var samplingCases: [SamplingCase] {
        let e = exp(1.0)
        var cases = [
            // z = [2, 1, 0, 1], k = 2: z₍₂₎ = 1, the tie at 1 survives, 0 is removed.
            SamplingCase(logits: [2, 1, 0, 1], temperature: 1, topK: 2,
                         expected: [e * e / (e * e + 2 * e), e / (e * e + 2 * e), 0, e / (e * e + 2 * e)],
                         note: "hand-worked, a tie at the k-th largest logit (both kept)"),
            // z = [ln 4, 0], T = 2: z/T = [ln 2, 0], p = [2/3, 1/3].
            SamplingCase(logits: [log(4), 0], temperature: 2, topK: nil, expected: [2.0 / 3, 1.0 / 3],
                         note: "hand-worked, T = 2 halves the logits"),
            // z = [0, ln 2, ln 3], T = 1/2: z/T = [0, ln 4, ln 9], p = [1, 4, 9]/14.
            SamplingCase(logits: [0, log(2), log(3)], temperature: 0.5, topK: nil, expected: [1.0 / 14, 4.0 / 14, 9.0 / 14],
                         note: "hand-worked, T = 1/2 doubles the logits"),
        ]
        var rng = SeededRandom(seed: 5404)
        for (n, t, k) in [(8, 1.0, nil), (10, 0.7, 3), (6, 1.5, 1), (5, 0.9, 5), (7, 1.2, 20)] as [(Int, Double, Int?)] {
            cases.append(SamplingCase(logits: (0..<n).map { _ in rng.uniform(-3, 3) }, temperature: t, topK: k,
                                      note: "random, T = \(t), top-k = \(k.map(String.init) ?? "none")"))
        }
        cases.append(SamplingCase(logits: [1000, 998, -1000, 999], temperature: 1, topK: nil,
                                  note: "logits near ±1000 (e^1000 overflows)"))
        cases.append(SamplingCase(logits: [8, 7.5, -1, 7.9], temperature: 0.01, topK: 3,
                                  note: "T = 0.01 (z/T up to 800, e^800 overflows)"))
        return cases
    }

    /// Exercise 6.4: the probabilities against the written-out definition and
    /// hand-worked cases, with hints for T multiplied, ties dropped, no
    /// renormalisation and overflow.
    public static func samplingProbabilities(_ candidate: SamplingProbabilities) throws -> GradeReport {
        var report = GradeReport()
        for c in samplingCases {
            let want = c.expected ?? samplingReference(c.logits, c.temperature, c.topK)
            let setting = "\(c.note): z = \(Grade.show(c.logits)), T = \(c.temperature), "
                + "top-k = \(c.topK.map(String.init) ?? "nil")"
            let got = try candidate(c.logits, c.temperature, c.topK)
            guard got.count == c.logits.count else {
                report.check(false, "\(setting): return one probability per logit (\(c.logits.count)), got \(got.count)")
                continue
            }
            let ok = Grade.close(got, want, 1e-9)
            var hint = ""
            if !ok {
                let (z, t, k) = (c.logits, c.temperature, c.topK)
                if got.contains(where: { !$0.isFinite }) {
                    hint = " — NaN or ∞: e^(z/T) overflowed; subtract the largest kept logit before exponentiating "
                        + "(softmax is unchanged by a shift)"
                } else if Grade.close(got, samplingReference(z, t, k, multiplyByT: true), 1e-9) {
                    hint = " — you multiplied the logits by T; divide them: p ∝ e^(z/T)"
                } else if Grade.close(got, samplingReference(z, t, k, strictK: true), 1e-9) {
                    hint = " — you kept exactly k entries; every logit equal to the k-th largest is kept too "
                        + "(remove only those strictly below it)"
                } else if Grade.close(got, samplingReference(z, t, k, noRenormalise: true), 1e-9) {
                    hint = " — you zeroed the removed entries after the softmax without renormalising; the kept "
                        + "probabilities must sum to 1"
                } else if Grade.close(got, samplingReference(z, t, k, keepSmallest: true), 1e-9) {
                    hint = " — you kept the k smallest logits; top-k keeps the k largest"
                }
            }
            report.check(ok, "\(setting): expected p = \(Grade.show(want)), got \(Grade.show(got))"
                + " (sum \(String(format: "%.6g", got.reduce(0, +))))" + hint)
        }
        return report
    }
}
