// The graders are tested too: each accepts the reference solution and rejects
// broken answers with typical mistakes. Skipped when an instructor has
// removed exercises/solutions (the package then has no Solutions01 module).

#if canImport(Solutions01)
import ExerciseKit
import Foundation
@testable import Graders01
import Solutions01
import Testing

@Suite struct Chapter01GraderSelfTests {
    @Test func perceptronGraderAcceptsTheSolution() throws {
        let report = try Chapter01Graders.perceptronUpdate(Solutions01.perceptronUpdate)
        #expect(report.passed, "\(report.failures)")
    }

    @Test("the perceptron grader rejects broken rules", arguments: [
        ("sign error: moves toward the wrong side", 0),
        ("forgets the bias", 1),
        ("updates on every example", 2),
        ("treats a score of 0 as correct", 3),
        ("scores with w/x instead of w·x", 4),
        ("skips the update at a score of exactly 0 for label 1 (predicts 1 when the score is ≥ 0)", 5),
    ])
    func perceptronGraderRejects(name: String, variant: Int) throws {
        let broken: PerceptronUpdate = { w, b, x, label, lr in
            let s: Double = label == 1 ? 1 : -1
            let score = zip(w, x).map { variant == 4 ? $0 / $1 : $0 * $1 }.reduce(b, +)
            let mistake = switch variant {
            case 3: s * score < 0
            case 5: label == 1 ? score < 0 : score >= 0
            default: s * score <= 0
            }
            guard mistake || variant == 2 else { return (w, b) }
            let sign = variant == 0 ? -s : s
            return (zip(w, x).map { $0 + lr * sign * $1 }, variant == 1 ? b : b + lr * sign)
        }
        #expect(!(try Chapter01Graders.perceptronUpdate(broken)).passed, "grader accepted: \(name)")
    }

    @Test func mseGraderAcceptsTheSolution() throws {
        let report = try Chapter01Graders.mseGradient(Solutions01.mseGradient)
        #expect(report.passed, "\(report.failures)")
    }

    @Test("the MSE grader rejects broken gradients and says why", arguments: [
        ("missing 1/N", 0, "1/N"), ("missing factor 2", 1, "factor 2"), ("sign error", 2, ""),
        ("divides by N − 1 (off by one)", 3, ""), ("the last entry's sign flipped", 4, ""),
    ])
    func mseGraderRejects(name: String, variant: Int, hint: String) throws {
        let broken: MSEGradient = { p, t in
            let n = Double(p.count)
            return zip(p, t).enumerated().map { i, pair in
                let (pi, ti) = pair
                switch variant {
                case 0: return 2 * (pi - ti)
                case 1: return (pi - ti) / n
                case 2: return 2 * (ti - pi) / n
                case 3: return 2 * (pi - ti) / (n - 1)
                default: return (i == p.count - 1 ? -2 : 2) * (pi - ti) / n
                }
            }
        }
        let report = try Chapter01Graders.mseGradient(broken)
        #expect(!report.passed, "grader accepted: \(name)")
        if !hint.isEmpty { #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)") }
    }

    @Test func logisticGraderAcceptsTheSolution() throws {
        let report = try Chapter01Graders.logisticGradient(Solutions01.logisticGradient)
        #expect(report.passed, "\(report.failures)")
    }

    @Test("the logistic grader rejects broken gradients", arguments: [
        ("sign error (y − σ)", 0), ("forgets the mean (no 1/n)", 1), ("uses z instead of σ(z)", 2), ("no bias gradient", 3),
        ("skips the last row (off by one)", 4),
    ])
    func logisticGraderRejects(name: String, variant: Int) throws {
        let broken: LogisticGradient = { x, y, w, b in
            let n = Double(x.count)
            var dw = [Double](repeating: 0, count: w.count), db = 0.0
            for (row, target) in zip(x, y).prefix(variant == 4 ? x.count - 1 : x.count) {
                let z = zip(w, row).map { $0 * $1 }.reduce(b, +)
                let p = variant == 2 ? z : 1 / (1 + exp(-z))
                var dz = variant == 0 ? target - p : p - target
                if variant != 1 { dz /= n }
                for j in 0..<dw.count { dw[j] += dz * row[j] }
                db += dz
            }
            return (dw, variant == 3 ? 0 : db)
        }
        #expect(!(try Chapter01Graders.logisticGradient(broken)).passed, "grader accepted: \(name)")
    }
}
#endif
