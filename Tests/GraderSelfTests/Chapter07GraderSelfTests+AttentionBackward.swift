// The grader of exercise 7.4 (the backward pass of causal attention) is
// tested too: it accepts the reference solution and rejects broken backward
// passes, subtle ones included, saying why. Skipped when an instructor has
// removed exercises/solutions/07-transformer.

#if canImport(Solutions07)
import ExerciseKit
import Foundation
@testable import Graders07
import Solutions07
import Testing

@Suite struct Chapter07AttentionBackwardSelfTests {
    @Test func attentionBackwardGraderAcceptsTheSolution() throws {
        let report = try Chapter07Graders.causalAttentionBackward(Solutions07.causalAttentionBackward)
        #expect(report.passed, "\(report.failures)")
    }

    /// The hand-worked case agrees with the grader's own finite differences
    /// (graded as a candidate on the same inputs, with the hand values
    /// removed from the case).
    @Test func handCaseAgreesWithFiniteDifferences() throws {
        let c = Chapter07Graders.attentionBackwardCases[0]
        let hand = try #require(c.expected)
        let right = try Solutions07.causalAttentionBackward(query: c.q, key: c.k, value: c.v, dOutput: c.dy)
        #expect(Chapter07Graders.close(right.dQuery, hand.dq, 1e-12), "\(right.dQuery)")
        #expect(Chapter07Graders.close(right.dKey, hand.dk, 1e-12), "\(right.dKey)")
        #expect(Chapter07Graders.close(right.dValue, hand.dv, 1e-12), "\(right.dValue)")
    }

    @Test("the attention-backward grader rejects broken backward passes and says why", arguments: [
        ("no 1/√d in dQ", 0, "1/√d in dQ is missing"),
        ("no 1/√d in dK", 1, "1/√d in dK is missing"),
        ("softmax backward without the row-sum term", 2, "row-sum term"),
        ("the mask ignored in the backward pass", 3, "ignores the mask"),
        ("dQ and dK swapped", 4, "swapped"),
        ("dV = P·dY (P not transposed)", 5, "dV = Pᵀ·dY"),
        ("one entry of dK with the wrong sign", 6, "expected dK"),
        ("dV returned d_v × T", 7, "dV is transposed"),
        ("no maximum subtracted before exp", 8, "NaN"),
        ("the mask off by one in the backward pass (i also sees i + 1)", 9, "row 0 of dQ must be 0"),
    ])
    func attentionBackwardGraderRejects(name: String, variant: Int, hint: String) throws {
        let broken: CausalAttentionBackward = { q, k, v, dy in
            let right = try Solutions07.causalAttentionBackward(query: q, key: k, value: v, dOutput: dy)
            let sqrtD = Double(q[0].count).squareRoot()
            switch variant {
            case 0: return (right.dQuery.map { $0.map { $0 * sqrtD } }, right.dKey, right.dValue)
            case 1: return (right.dQuery, right.dKey.map { $0.map { $0 * sqrtD } }, right.dValue)
            case 2:
                let r = Chapter07Graders.attentionBackwardVariant(q, k, v, dy, .noRowSum)
                return (r.dq, r.dk, r.dv)
            case 3:
                let r = Chapter07Graders.attentionBackwardVariant(q, k, v, dy, .unmasked)
                return (r.dq, r.dk, r.dv)
            case 4: return (right.dKey, right.dQuery, right.dValue)
            case 5:
                let p = Chapter07Graders.attentionReference(q, k, v).weights
                let dV = p.indices.map { i in v[0].indices.map { c in p[i].indices.map { p[i][$0] * dy[$0][c] }.reduce(0, +) } }
                return (right.dQuery, right.dKey, dV)
            case 6:
                var dKey = right.dKey
                dKey[k.count - 1][0] = -dKey[k.count - 1][0]
                return (right.dQuery, dKey, right.dValue)
            case 7:
                return (right.dQuery, right.dKey, v[0].indices.map { c in v.indices.map { right.dValue[$0][c] } })
            case 8:
                // Exponentials of the raw scores: fine until they overflow.
                let t = q.count
                let scores = (0..<t).map { i in (0...i).map { j in zip(q[i], k[j]).map { $0 * $1 }.reduce(0, +) / sqrtD } }
                if scores.joined().contains(where: { exp($0) == .infinity }) {
                    let nan = right.dQuery.map { $0.map { _ in Double.nan } }
                    return (nan, right.dKey, right.dValue)
                }
                return right
            default:
                // The forward and backward passes with position i seeing
                // positions j ≤ i + 1, written out here.
                let t = q.count, d = q[0].count
                var dQ = [[Double]](repeating: [Double](repeating: 0, count: d), count: t), dK = dQ
                var dV = [[Double]](repeating: [Double](repeating: 0, count: v[0].count), count: t)
                for i in 0..<t {
                    let visible = min(i + 2, t)
                    let s = (0..<visible).map { j in zip(q[i], k[j]).map { $0 * $1 }.reduce(0, +) / sqrtD }
                    let top = s.max()!
                    let e = s.map { exp($0 - top) }
                    let p = e.map { $0 / e.reduce(0, +) }
                    let dp = (0..<visible).map { j in zip(dy[i], v[j]).map { $0 * $1 }.reduce(0, +) }
                    let inner = zip(p, dp).map { $0 * $1 }.reduce(0, +)
                    for j in 0..<visible {
                        for c in v[0].indices { dV[j][c] += p[j] * dy[i][c] }
                        let ds = p[j] * (dp[j] - inner) / sqrtD
                        for c in 0..<d { dQ[i][c] += ds * k[j][c]; dK[j][c] += ds * q[i][c] }
                    }
                }
                return (dQ, dK, dV)
            }
        }
        let report = try Chapter07Graders.causalAttentionBackward(broken)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }
}
#endif
