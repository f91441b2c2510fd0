// The chapter 7 graders are tested too: each accepts the reference solution
// and rejects broken answers with typical mistakes, saying why. Skipped when
// an instructor has removed exercises/solutions/07-transformer (the package
// then has no Solutions07 module).

#if canImport(Solutions07)
import ExerciseKit
import Foundation
@testable import Graders07
import Solutions07
import Testing

@Suite struct Chapter07GraderSelfTests {
    // MARK: 7.1

    @Test func attentionGraderAcceptsTheSolution() throws {
        let report = try Chapter07Graders.causalAttention(Solutions07.causalAttention)
        #expect(report.passed, "\(report.failures)")
    }

    /// The grader's loops reproduce its hand-worked cases.
    @Test func attentionReferenceAgreesWithHandCases() {
        for c in Chapter07Graders.attentionCases {
            guard let expected = c.expected else { continue }
            let mine = Chapter07Graders.attentionReference(c.q, c.k, c.v)
            #expect(Chapter07Graders.close(mine.weights, expected.weights, 1e-12), "\(c.note): \(mine.weights)")
            #expect(Chapter07Graders.close(mine.output, expected.output, 1e-12), "\(c.note): \(mine.output)")
        }
    }

    @Test("the attention grader rejects broken attention and says why", arguments: [
        ("no causal mask", 0, "did not mask"),
        ("no 1/√d", 1, "did not scale"),
        ("divides by d", 2, "divided the scores by d"),
        ("zeroes the future after the softmax", 3, "BEFORE the softmax"),
        ("no maximum subtracted", 4, "NaN"),
        ("each position also sees the next one (mask off by one)", 5, "must not attend to a later position"),
    ])
    func attentionGraderRejects(name: String, variant: Int, hint: String) throws {
        let broken: CausalAttention = { q, k, v in
            switch variant {
            case 0: return Chapter07Graders.attentionReference(q, k, v, masked: false)
            case 1: return Chapter07Graders.attentionReference(q, k, v, scale: .none)
            case 2: return Chapter07Graders.attentionReference(q, k, v, scale: .d)
            case 3: return Chapter07Graders.attentionReference(q, k, v, maskAfterSoftmax: true)
            case 5:
                let d = Double(q[0].count).squareRoot()
                let weights = q.indices.map { i in
                    let visible = min(i + 2, k.count)
                    let scores = (0..<visible).map { j in zip(q[i], k[j]).map { $0 * $1 }.reduce(0, +) / d }
                    let top = scores.max()!
                    let e = k.indices.map { j in j < visible ? exp(scores[j] - top) : 0 }
                    let total = e.reduce(0, +)
                    return e.map { $0 / total }
                }
                let output = weights.map { a in v[0].indices.map { c in a.indices.map { a[$0] * v[$0][c] }.reduce(0, +) } }
                return (output, weights)
            default:
                let d = Double(q[0].count).squareRoot()
                let weights = q.indices.map { i in
                    let e = k.indices.map { j in j > i ? 0 : exp(zip(q[i], k[j]).map { $0 * $1 }.reduce(0, +) / d) }
                    let total = e.reduce(0, +)
                    return e.map { $0 / total }
                }
                let output = weights.map { a in v[0].indices.map { c in a.indices.map { a[$0] * v[$0][c] }.reduce(0, +) } }
                return (output, weights)
            }
        }
        let report = try Chapter07Graders.causalAttention(broken)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }

    // MARK: 7.2

    @Test func layerNormGraderAcceptsTheSolution() throws {
        let report = try Chapter07Graders.layerNormBackward(Solutions07.layerNormBackward)
        #expect(report.passed, "\(report.failures)")
    }

    @Test("the LayerNorm grader rejects broken backward passes and says why", arguments: [
        ("μ and σ treated as constants", 0, "constants"),
        ("no path through σ²", 1, "through the variance"),
        ("dβ a mean over rows", 2, "not a mean"),
        ("unbiased variance", 3, "unbiased variance"),
        ("the σ² term with the wrong sign", 4, "expected dx"),
        ("ε left out (r = 1/σ)", 5, "expected dx"),
    ])
    func layerNormGraderRejects(name: String, variant: Int, hint: String) throws {
        let broken: LayerNormBackward = { x, gamma, dy, eps in
            let right = try Solutions07.layerNormBackward(x: x, gamma: gamma, dy: dy, epsilon: eps)
            let width = Double(gamma.count)
            func rowTerms(_ i: Int, divisor: Double) -> (r: Double, xhat: [Double], g: [Double]) {
                let mean = x[i].reduce(0, +) / width
                let variance = x[i].map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / divisor
                let r = 1 / (variance + eps).squareRoot()
                return (r, x[i].map { ($0 - mean) * r }, gamma.indices.map { dy[i][$0] * gamma[$0] })
            }
            switch variant {
            case 0:
                let dx = x.indices.map { i in rowTerms(i, divisor: width).g.map { $0 * rowTerms(i, divisor: width).r } }
                return (dx, right.dGamma, right.dBeta)
            case 1:
                let dx = x.indices.map { i in
                    let (r, _, g) = rowTerms(i, divisor: width)
                    let meanG = g.reduce(0, +) / width
                    return g.map { r * ($0 - meanG) }
                }
                return (dx, right.dGamma, right.dBeta)
            case 2:
                return (right.dx, right.dGamma, right.dBeta.map { $0 / Double(x.count) })
            case 4:
                let dx = x.indices.map { i in
                    let (r, xhat, g) = rowTerms(i, divisor: width)
                    let meanG = g.reduce(0, +) / width
                    let meanGX = zip(g, xhat).map { $0 * $1 }.reduce(0, +) / width
                    return g.indices.map { r * (g[$0] - meanG + xhat[$0] * meanGX) }
                }
                return (dx, right.dGamma, right.dBeta)
            case 5:
                return try Solutions07.layerNormBackward(x: x, gamma: gamma, dy: dy, epsilon: 0)
            default:
                // x̂ and r with the variance divided by D − 1, and the matching
                // derivative dxₖ = r·(gₖ − mean g − x̂ₖ·Σⱼ gⱼx̂ⱼ/(D − 1)).
                let dx = x.indices.map { i in
                    let (r, xhat, g) = rowTerms(i, divisor: width - 1)
                    let meanG = g.reduce(0, +) / width
                    let dot = zip(g, xhat).map { $0 * $1 }.reduce(0, +) / (width - 1)
                    return g.indices.map { r * (g[$0] - meanG - xhat[$0] * dot) }
                }
                return (dx, right.dGamma, right.dBeta)
            }
        }
        let report = try Chapter07Graders.layerNormBackward(broken)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }

    // MARK: 7.3

    @Test func encodingGraderAcceptsTheSolution() throws {
        let report = try Chapter07Graders.positionalEncoding(Solutions07.sinusoidalPositionalEncoding)
        #expect(report.passed, "\(report.failures)")
    }

    /// The grader's formula reproduces the hand-worked rows for d = 4.
    @Test func encodingReferenceAgreesWithHandCase() {
        let mine = Chapter07Graders.encodingReference(2, 4)
        #expect(Chapter07Graders.close(mine, [[0, 1, 0, 1], [sin(1), cos(1), sin(0.01), cos(0.01)]], 1e-15), "\(mine)")
    }

    @Test("the positional encoding grader rejects broken encodings and says why", arguments: [
        ("sines first, cosines after", 0, "interleaves"),
        ("exponent i/d", 1, "exponent is i/d"),
        ("exponent (entry index)/d", 2, "shares the sine's frequency"),
        ("sin and cos swapped", 3, "swapped"),
        ("positions from 1", 4, "positions start at 0"),
    ])
    func encodingGraderRejects(name: String, variant: Int, hint: String) throws {
        let broken: PositionalEncoding = { positions, d in
            switch variant {
            case 0: return Chapter07Graders.encodingReference(positions, d, concatenated: true)
            case 1: return Chapter07Graders.encodingReference(positions, d, exponent: .pairOverD)
            case 2: return Chapter07Graders.encodingReference(positions, d, exponent: .entryOverD)
            case 3: return Chapter07Graders.encodingReference(positions, d, swapped: true)
            default: return Chapter07Graders.encodingReference(positions, d, firstPosition: 1)
            }
        }
        let report = try Chapter07Graders.positionalEncoding(broken)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }
}
#endif
