// Grader for exercise 7.6 (find the bug in multi-head attention's backward
// pass). Expected values are centered finite differences of
// L = ⟨dy, y⟩ with the forward pass written here (7.1's loops run head by
// head, `multiHeadReference`), on sequences with 1 to 4 heads. The given
// code's gradients (dQ and dK 1/√H too small) are reproduced only to
// recognise an answer that still returns them, or fixes half of them.

import BackpropCore
import ExerciseKit
import Foundation
import Graders06

public typealias MultiHeadAttentionBackward = ([[Double]], [[Double]], Int) throws -> [[Double]]

extension Chapter07Graders {
    struct AttentionBugCase {
        var qkv, dy: [[Double]]
        var heads: Int
        var note: String
    }

    static var attentionBugCases: [AttentionBugCase] {
        var rng = SeededRandom(seed: 7606)
        func matrix(_ r: Int, _ c: Int, _ s: Double, shift: (Int) -> Double = { _ in 0 }) -> [[Double]] {
            (0..<r).map { _ in (0..<c).map { rng.uniform(-s, s) + shift($0) } }
        }
        var cases: [AttentionBugCase] = []
        for (t, c, h) in [(3, 2, 1), (4, 4, 2), (3, 6, 3), (5, 8, 4)] {
            cases.append(AttentionBugCase(qkv: matrix(t, 3 * c, 1.5), dy: matrix(t, c, 1), heads: h,
                                          note: "T = \(t), C = \(c), \(h) head" + (h > 1 ? "s" : "")))
        }
        // Queries and keys near 30: scores about 1800 for d = 2.
        cases.append(AttentionBugCase(qkv: matrix(3, 12, 0.3, shift: { $0 < 8 ? 30 : 0 }), dy: matrix(3, 4, 1), heads: 2,
                                      note: "T = 3, C = 4, 2 heads, scores near 1800"))
        return cases
    }

    /// Exercise 7.6: ∂L/∂qkv against finite differences of ⟨dy, y⟩.
    public static func findTheAttentionBug(_ candidate: MultiHeadAttentionBackward) throws -> GradeReport {
        var report = GradeReport()
        for c in attentionBugCases {
            let (t, width) = (c.qkv.count, c.qkv[0].count / 3)
            func loss(_ flat: [Double]) -> Double {
                zip(multiHeadReference(flat, batch: 1, length: t, width: width, heads: c.heads), c.dy.flatMap { $0 })
                    .map { $0 * $1 }.reduce(0, +)
            }
            let want = Chapter06Graders.rows(
                GradientCheck.numericalGradient(of: { loss($0.scalars) }, at: Tensor(c.qkv.flatMap { $0 })).scalars, 3 * width)
            let setting = "\(c.note): qkv = \(show(c.qkv)), dy = \(show(c.dy))"
            let got = try candidate(c.qkv, c.dy, c.heads)
            guard hasShape(got, t, 3 * width) else {
                report.check(false, "\(setting): ∂L/∂qkv must be T × 3C = \(t) × \(3 * width) like qkv, got \(shape(got))")
                continue
            }
            if got.joined().contains(where: { !$0.isFinite }) {
                report.check(false, "\(setting): NaN or ∞ in ∂L/∂qkv")
                continue
            }
            // Which parts disagree: columns [0, C) dQ, [C, 2C) dK, [2C, 3C) dV.
            func part(_ m: [[Double]], _ k: Int) -> [[Double]] { m.map { Array($0[(k * width)..<((k + 1) * width)]) } }
            let names = ["dQ", "dK", "dV"]
            let wrong = (0..<3).filter { !close(part(got, $0), part(want, $0), 1e-6) }
            guard !wrong.isEmpty else { continue }
            // The given code's dQ and dK are the right ones times √d/√C = 1/√H.
            let shrink = 1 / Double(c.heads).squareRoot()
            let shrunk = (0..<2).map { k in part(want, k).map { $0.map { $0 * shrink } } }
            func stillGiven(_ k: Int) -> Bool { c.heads > 1 && close(part(got, k), shrunk[k], 1e-6) }
            var hint = ""
            if wrong == [0, 1], stillGiven(0), stillGiven(1) {
                hint = " — these are the given code's gradients: with \(c.heads) heads its dQ and dK are exactly "
                    + String(format: "%.4g", shrink) + " times the right ones, while dV is right. A constant factor that "
                    + "depends on the number of heads: compare the constants of the forward and the backward pass"
            } else if wrong == [1], stillGiven(1) {
                hint = " — dQ is fixed but dK is still the given code's: both come from the same score gradient"
            } else if wrong == [0], stillGiven(0) {
                hint = " — dK is fixed but dQ is still the given code's: both come from the same score gradient"
            }
            let disagree: String = wrong.map { names[$0] }.joined(separator: " and ")
            let right: [Int] = (0..<3).filter { !wrong.contains($0) }
            let agree: String = right.isEmpty ? ""
                : ", " + right.map { names[$0] }.joined(separator: " and ") + (right.count == 1 ? " agrees" : " agree")
            report.check(false, "\(setting): expected ∂L/∂qkv ≈ \(show(want)) (finite differences of ⟨dy, y⟩), got "
                + "\(show(got)); \(disagree) \(wrong.count == 1 ? "disagrees" : "disagree")\(agree)\(hint)")
        }
        return report
    }
}
