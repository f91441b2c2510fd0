// The chapter 2 graders are tested too: each accepts the reference solution
// and rejects broken answers with typical mistakes, saying why where it can.
// Skipped when an instructor has removed exercises/solutions/02-backpropagation
// (the package then has no Solutions02 module).

#if canImport(Solutions02)
import ExerciseKit
import Foundation
@testable import Graders02
import Solutions02
import Testing

@Suite struct Chapter02GraderSelfTests {
    @Test func reluGraderAcceptsTheSolution() throws {
        let report = try Chapter02Graders.reluBackward(Solutions02.reluBackward)
        #expect(report.passed, "\(report.failures)")
    }

    @Test("the ReLU grader rejects broken backward passes and says why", arguments: [
        ("passes dy through unchanged", 0, "unchanged"),
        ("uses x ≥ 0 (gradient 1 at 0)", 1, "x ≥ 0"),
        ("multiplies by x", 2, "multiplied by x"),
        ("gradient ½·dy at x = 0 (the mean of the one-sided slopes)", 3, "at x = 0 exactly"),
        ("stops one entry short (the last dx left at 0)", 4, "expected dx"),
    ])
    func reluGraderRejects(name: String, variant: Int, hint: String) throws {
        let broken: ReLUBackward = { x, dy in
            zip(x, dy).enumerated().map { i, pair in
                let (xi, dyi) = pair
                switch variant {
                case 0: return dyi
                case 1: return xi >= 0 ? dyi : 0
                case 2: return xi > 0 ? xi * dyi : 0
                case 3: return xi > 0 ? dyi : xi == 0 ? dyi / 2 : 0
                default: return xi > 0 && i < x.count - 1 ? dyi : 0
                }
            }
        }
        let report = try Chapter02Graders.reluBackward(broken)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }

    @Test func softmaxGraderAcceptsTheSolution() throws {
        let report = try Chapter02Graders.softmaxCrossEntropyGradient(Solutions02.softmaxCrossEntropyGradient)
        #expect(report.passed, "\(report.failures)")
    }

    @Test("the softmax cross-entropy grader rejects broken gradients and says why", arguments: [
        ("forgets 1/n", 0, "1/n"),
        ("sign flipped (one-hot − softmax)", 1, "sign is flipped"),
        ("unstable softmax (no max subtracted)", 2, "maximum"),
        ("divides by the number of classes C instead of n", 3, "expected ∂L/∂z"),
        ("one-hot at labels[i] + 1 (off by one)", 4, "expected ∂L/∂z"),
    ])
    func softmaxGraderRejects(name: String, variant: Int, hint: String) throws {
        let broken: SoftmaxCrossEntropyGradient = { logits, labels in
            let n = Double(logits.count)
            return zip(logits, labels).map { row, label in
                let shift = variant == 2 ? 0 : row.max()!
                let e = row.map { exp($0 - shift) }
                let sum = e.reduce(0, +)
                return e.indices.map { j in
                    let target = variant == 4 ? (label + 1) % row.count : label
                    let d = e[j] / sum - (j == target ? 1 : 0)
                    switch variant {
                    case 0: return d
                    case 1: return -d / n
                    case 3: return d / Double(row.count)
                    default: return d / n
                    }
                }
            }
        }
        let report = try Chapter02Graders.softmaxCrossEntropyGradient(broken)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }

    /// The unstable softmax is right on moderate logits, so only the
    /// large-logit cases may reject it: the grader must contain them.
    @Test func softmaxGraderRejectsUnstableSoftmaxOnlyOnLargeLogits() throws {
        let unstable: SoftmaxCrossEntropyGradient = { logits, labels in
            let n = Double(logits.count)
            return zip(logits, labels).map { row, label in
                let e = row.map { exp($0) }
                let sum = e.reduce(0, +)
                return e.indices.map { j in (e[j] / sum - (j == label ? 1 : 0)) / n }
            }
        }
        let report = try Chapter02Graders.softmaxCrossEntropyGradient(unstable)
        #expect(!report.failures.isEmpty)
        #expect(report.failures.allSatisfy { $0.contains("overflowed") }, "\(report.failures)")
    }

    @Test func adamGraderAcceptsTheSolution() throws {
        let report = try Chapter02Graders.adamStep(Solutions02.adamStep)
        #expect(report.passed, "\(report.failures)")
    }

    @Test("the Adam grader rejects broken steps and says why", arguments: [
        ("no bias correction", 0, "without bias correction"),
        ("ε inside the square root", 1, "inside the square root"),
        ("m and v swapped roles in the update", 2, "which moment is on top"),
        ("β instead of 1 − β on the new gradient", 3, "weighed the new gradient by β"),
        ("bias corrections for step t + 1 (steps counted from 0)", 4, "the bias corrections"),
    ])
    func adamGraderRejects(name: String, variant: Int, hint: String) throws {
        let broken: AdamUpdate = { p, g, m, v, t, lr, b1, b2, eps in
            var p = p, m = m, v = v
            let power = Double(variant == 4 ? t + 1 : t)
            let c1 = variant == 0 ? 1 : 1 - pow(b1, power), c2 = variant == 0 ? 1 : 1 - pow(b2, power)
            for i in p.indices {
                if variant == 3 {
                    m[i] = (1 - b1) * m[i] + b1 * g[i]
                    v[i] = (1 - b2) * v[i] + b2 * g[i] * g[i]
                } else {
                    m[i] = b1 * m[i] + (1 - b1) * g[i]
                    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                }
                let mHat = m[i] / c1, vHat = v[i] / c2
                switch variant {
                case 1: p[i] -= lr * mHat / (vHat + eps).squareRoot()
                case 2: p[i] -= lr * vHat / (abs(mHat).squareRoot() + eps)
                default: p[i] -= lr * mHat / (vHat.squareRoot() + eps)
                }
            }
            return (p, m, v)
        }
        let report = try Chapter02Graders.adamStep(broken)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }

    @Test func linearGraderAcceptsTheSolution() throws {
        let report = try Chapter02Graders.linearBackward(Solutions02.linearBackward)
        #expect(report.passed, "\(report.failures)")
    }

    @Test("the linear grader rejects broken backward passes", arguments: [
        ("db is a mean over rows", 0, "not a mean"),
        ("dW transposed (xᵀ·dy)", 1, "transposed"),
        ("forgets dx (returns zeros)", 2, "expected dx"),
        ("dW sums over all rows but the last (off by one)", 3, "expected dW"),
        ("the first entry of db with its sign flipped", 4, "expected db"),
    ])
    func linearGraderRejects(name: String, variant: Int, hint: String) throws {
        let broken: LinearBackward = { x, w, dy in
            var (dx, dw, db) = try Solutions02.linearBackward(x: x, weight: w, dy: dy)
            switch variant {
            case 0: db = db.map { $0 / Double(x.count) }
            case 1: dw = (0..<(w.first?.count ?? 0)).map { k in dw.map { $0[k] } }
            case 2: dx = dx.map { $0.map { _ in 0 } }
            case 3: dw = try Solutions02.linearBackward(x: Array(x.dropLast()), weight: w, dy: Array(dy.dropLast())).dWeight
            default: db[0] = -db[0]
            }
            return (dx, dw, db)
        }
        let report = try Chapter02Graders.linearBackward(broken)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }
}
#endif
