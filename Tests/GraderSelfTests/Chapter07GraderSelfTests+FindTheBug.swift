// The grader of exercise 7.6 (find the bug in multi-head attention's
// backward pass) is tested too: it accepts the reference solution and
// rejects the given code, half fixes and other wrong answers, saying why.
// Skipped when an instructor has removed exercises/solutions/07-transformer.

#if canImport(Solutions07)
import ExerciseKit
import Foundation
@testable import Graders07
import Solutions07
import Testing

@Suite struct Chapter07FindTheBugSelfTests {
    @Test func bugGraderAcceptsTheSolution() throws {
        let report = try Chapter07Graders.findTheAttentionBug(Solutions07.multiHeadAttentionBackward)
        #expect(report.passed, "\(report.failures)")
    }

    /// The given code as the stub shows it: right with one head, dQ and dK
    /// scaled by 1/√H with H heads.
    static func given(_ qkv: [[Double]], _ dy: [[Double]], _ heads: Int, fixQ: Bool = false, fixK: Bool = false) throws -> [[Double]] {
        let right = try Solutions07.multiHeadAttentionBackward(qkv: qkv, dOutput: dy, heads: heads)
        let c = qkv[0].count / 3, shrink = 1 / Double(heads).squareRoot()
        return right.map { row in
            row.indices.map { k in
                (k < c && !fixQ) || (k >= c && k < 2 * c && !fixK) ? row[k] * shrink : row[k]
            }
        }
    }

    /// The given code passes a one-head gradient check, as the stub says.
    @Test func theGivenCodeIsRightWithOneHead() throws {
        let c = try #require(Chapter07Graders.attentionBugCases.first { $0.heads == 1 })
        let report = try Chapter07Graders.findTheAttentionBug { qkv, dy, heads in
            heads == 1 ? try Self.given(qkv, dy, heads) : try Solutions07.multiHeadAttentionBackward(qkv: qkv, dOutput: dy, heads: heads)
        }
        #expect(report.passed, "\(report.failures) \(c.note)")
    }

    @Test("the bug grader rejects wrong answers and says why", arguments: [
        ("the given code, unchanged", 0, "these are the given code's gradients"),
        ("only dQ fixed", 1, "dQ is fixed but dK"),
        ("only dK fixed", 2, "dK is fixed but dQ"),
        ("scaled by 1/d instead of 1/√d", 3, "dQ and dK disagree, dV agrees"),
        ("the last row's dV with the wrong sign", 4, "dV disagrees, dQ and dK agree"),
        ("dQ and dK swapped", 5, "dQ and dK disagree"),
    ])
    func bugGraderRejects(name: String, variant: Int, hint: String) throws {
        let broken: MultiHeadAttentionBackward = { qkv, dy, heads in
            let right = try Solutions07.multiHeadAttentionBackward(qkv: qkv, dOutput: dy, heads: heads)
            let c = qkv[0].count / 3, d = Double(c / heads)
            switch variant {
            case 0: return try Self.given(qkv, dy, heads)
            case 1: return try Self.given(qkv, dy, heads, fixQ: true)
            case 2: return try Self.given(qkv, dy, heads, fixK: true)
            case 3: return right.map { row in row.indices.map { $0 < 2 * c ? row[$0] / d.squareRoot() : row[$0] } }
            case 4:
                var out = right
                out[out.count - 1][3 * c - 1] = -out[out.count - 1][3 * c - 1]
                return out
            default: return right.map { row in Array(row[c..<(2 * c)] + row[0..<c] + row[(2 * c)...]) }
            }
        }
        let report = try Chapter07Graders.findTheAttentionBug(broken)
        #expect(!report.passed, "\(name) passed")
        #expect(report.failures.contains { $0.contains(hint) }, "\(name): \(report.failures)")
    }
}
#endif
