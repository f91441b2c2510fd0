// Chapter 4's graders, continued: exercise 4.4, CBOW with negative sampling.
// The loss is written here with the softplus that never overflows, the
// gradients are centered finite differences of it (each row of the inputs
// its own variable, so repeated rows are checked separately), never the
// code under test nor the book's NegativeSampling. `cbowMistake` writes the
// gradients out with one typical mistake, only to name it in a message.

import BackpropCore
import ExerciseKit
import Foundation

/// (contexts, positive, negatives) → (loss, dContexts, dPositive, dNegatives).
public typealias CBOWGradients = ([[Double]], [Double], [[Double]]) throws
    -> (loss: Double, dContexts: [[Double]], dPositive: [Double], dNegatives: [[Double]])

extension Chapter04Graders {
    // MARK: 4.4 — CBOW with negative sampling

    /// h = (1/C) Σⱼ contexts[j], every row counted, repeats included.
    static func cbowHidden(_ contexts: [[Double]]) -> [Double] {
        let d = contexts[0].count
        return (0..<d).map { i in contexts.reduce(0) { $0 + $1[i] } / Double(contexts.count) }
    }

    /// L = softplus(−u·h) + Σₖ softplus(uₖ·h) = −log σ(u·h) − Σₖ log σ(−uₖ·h).
    static func cbowLoss(contexts: [[Double]], positive u: [Double], negatives: [[Double]]) -> Double {
        let h = cbowHidden(contexts)
        return negatives.reduce(softplus(-dot(u, h))) { $0 + softplus(dot($1, h)) }
    }

    struct CBOWCase {
        var contexts: [[Double]], positive: [Double], negatives: [[Double]]
        var note: String
        var large: Bool
    }

    /// Random windows of 1 to 4 context words, no negatives, a context word and
    /// a negative that occur twice, and scores u·h of ±40 and ±800 (the
    /// context rows average exactly to the vector the scores are built on).
    static func cbowCases() -> [CBOWCase] {
        var rng = SeededRandom(seed: 4404)
        func vector(_ d: Int, _ scale: Double = 1) -> [Double] { (0..<d).map { _ in rng.uniform(-scale, scale) } }
        var cases: [CBOWCase] = []
        cases.append(CBOWCase(contexts: [vector(3), vector(3)], positive: vector(3), negatives: [vector(3), vector(3)],
                              note: "C = 2, d = 3, K = 2", large: false))
        cases.append(CBOWCase(contexts: (0..<4).map { _ in vector(5, 1.5) }, positive: vector(5, 1.5),
                              negatives: (0..<3).map { _ in vector(5, 1.5) }, note: "C = 4, d = 5, K = 3", large: false))
        cases.append(CBOWCase(contexts: [vector(4)], positive: vector(4), negatives: [],
                              note: "one context word (C = 1), no negatives (K = 0)", large: false))
        let a = vector(4, 1.2), n = vector(4, 1.2)
        cases.append(CBOWCase(contexts: [a, vector(4, 1.2), a], positive: vector(4, 1.2),
                              negatives: [n, vector(4, 1.2), n],
                              note: "the same context vector twice (rows 0 and 2) and the same negative twice (rows 0 "
                                  + "and 2)", large: false))
        // The rows average to v = [4, −3, 2, 1] exactly (the offsets are
        // binary fractions), and v·v = 30, so u = s·v/30 gives u·h = s.
        let v: [Double] = [4, -3, 2, 1], offset: [Double] = [0.5, -0.25, 1, -2]
        let around = [zip(v, offset).map { $0 + $1 }, zip(v, offset).map { $0 - $1 }]
        func along(_ s: Double) -> [Double] { v.map { $0 * s / 30 } }
        cases.append(CBOWCase(contexts: around, positive: along(-40), negatives: [along(40), vector(4, 0.5)],
                              note: "u·h = −40 and a negative with uₖ·h = 40", large: true))
        cases.append(CBOWCase(contexts: around + around, positive: along(-800), negatives: [vector(4, 0.5), along(800)],
                              note: "u·h = −800 and a negative with uₖ·h = 800", large: true))
        cases.append(CBOWCase(contexts: [v, v, v], positive: along(40), negatives: [along(-40)],
                              note: "u·h = 40 and a negative with uₖ·h = −40 (a nearly perfect fit)", large: false))
        return cases
    }

    enum CBOWMistake: CaseIterable {
        /// Every context vector gets all of ∂L/∂h (word2vec's trainer), not 1/C of it.
        case fullShare
        /// h is the sum of the context vectors.
        case sumHidden
        /// Repeated context rows counted once in h.
        case distinctContexts
        /// σ(−uₖ·h) in place of σ(uₖ·h) for a negative.
        case negativeSign
        /// ∂L/∂h without the negatives.
        case negativesMissingFromHidden
    }

    /// The gradients with one mistake; for hints only.
    static func cbowMistake(_ mistake: CBOWMistake, _ c: CBOWCase)
        -> (dContexts: [[Double]], dPositive: [Double], dNegatives: [[Double]])
    {
        var distinct: [[Double]] = []
        for row in c.contexts where !distinct.contains(row) { distinct.append(row) }
        let rows = mistake == .distinctContexts ? distinct : c.contexts
        var h = cbowHidden(rows)
        if mistake == .sumHidden { h = h.map { $0 * Double(rows.count) } }
        let u = c.positive
        let gPositive = sigmoid(dot(u, h)) - 1
        var dh = u.map { gPositive * $0 }
        var dNegatives: [[Double]] = []
        for uk in c.negatives {
            let g = mistake == .negativeSign ? sigmoid(-dot(uk, h)) : sigmoid(dot(uk, h))
            dNegatives.append(h.map { g * $0 })
            if mistake != .negativesMissingFromHidden { for i in dh.indices { dh[i] += g * uk[i] } }
        }
        let share: Double = switch mistake {
        case .fullShare, .sumHidden: 1
        case .distinctContexts: 1 / Double(rows.count)
        default: 1 / Double(c.contexts.count)
        }
        return (c.contexts.map { _ in dh.map { share * $0 } }, h.map { gPositive * $0 }, dNegatives)
    }

    /// Exercise 4.4: the loss against the stable softplus form, the three
    /// gradients against centered finite differences of it.
    public static func cbowGradients(_ candidate: CBOWGradients) throws -> GradeReport {
        var report = GradeReport()
        for c in cbowCases() {
            let (cc, d, k) = (c.contexts.count, c.positive.count, c.negatives.count)
            let setting = "\(c.note): contexts = [" + c.contexts.map(Grade.show).joined(separator: ", ")
                + "], u = \(Grade.show(c.positive)), negatives = [" + c.negatives.map(Grade.show).joined(separator: ", ")
                + "]"
            let got = try candidate(c.contexts, c.positive, c.negatives)

            let wantLoss = cbowLoss(contexts: c.contexts, positive: c.positive, negatives: c.negatives)
            var lossHint = ""
            if !got.loss.isFinite {
                lossHint = " — your loss is not finite: log(1 − σ(x)) is log 0 once σ(x) rounds to 1 (x ≳ 37), and "
                    + "log σ(x) is log 0 once σ(x) underflows (x ≲ −745); use softplus(z) = max(z, 0) + log1p(e^(−|z|))"
            } else if cc > 1, Grade.close([got.loss], [cbowLoss(contexts: c.contexts.map { $0.map { $0 * Double(cc) } },
                                                               positive: c.positive, negatives: c.negatives)], 1e-9) {
                lossHint = " — you used the sum of the context vectors; h is their mean"
            }
            report.check(Grade.close([got.loss], [wantLoss], 1e-9),
                         "\(setting): expected L = \(show(wantLoss)), got \(show(got.loss))" + lossHint)

            let contextsOK = got.dContexts.count == cc && got.dContexts.allSatisfy { $0.count == d }
            let negativesOK = got.dNegatives.count == k && got.dNegatives.allSatisfy { $0.count == d }
            report.check(contextsOK, "\(setting): dContexts must have one row of \(d) entries per context row (\(cc) "
                + "rows), got \(got.dContexts.count) rows of \(got.dContexts.map(\.count))"
                + (got.dContexts.count < cc ? " — a context word that occurs twice still has its own row" : ""))
            report.check(got.dPositive.count == d, "\(setting): dPositive must have \(d) entries, got \(got.dPositive.count)")
            report.check(negativesOK, "\(setting): dNegatives must have one row of \(d) entries per negative (\(k) rows), "
                + "got \(got.dNegatives.count) rows of \(got.dNegatives.map(\.count))"
                + (got.dNegatives.count < k ? " — a negative drawn twice still has its own row" : ""))
            guard contextsOK, got.dPositive.count == d, negativesOK else { continue }

            let flat = c.contexts.flatMap { $0 } + c.positive + c.negatives.flatMap { $0 }
            let numeric = GradientCheck.numericalGradient(
                of: { t in
                    let s = t.scalars
                    return cbowLoss(contexts: (0..<cc).map { Array(s[($0 * d)..<($0 * d + d)]) },
                                    positive: Array(s[(cc * d)..<(cc * d + d)]),
                                    negatives: (0..<k).map { Array(s[((cc + 1 + $0) * d)..<((cc + 2 + $0) * d)]) })
                },
                at: Tensor(flat), step: 1e-5).scalars
            let wantContexts = Array(numeric[0..<(cc * d)]), wantPositive = Array(numeric[(cc * d)..<(cc * d + d)])
            let wantNegatives = Array(numeric[(cc * d + d)...])
            let tol = 1e-6
            func hint(_ part: ((dContexts: [[Double]], dPositive: [Double], dNegatives: [[Double]])) -> [Double],
                      _ gotPart: [Double]) -> String
            {
                if gotPart.contains(where: { !$0.isFinite }) {
                    return " — NaN or ∞: e^x overflows for x > 709; compute σ(x) as 1/(1 + e^(−x)) for x ≥ 0 and "
                        + "e^x/(1 + e^x) for x < 0"
                }
                let known: [(CBOWMistake, String)] = [
                    (.fullShare, " — each context vector got all of ∂L/∂h; h is their mean, so each gets 1/C of it "
                        + "(word2vec's trainer adds all of it on purpose, a larger step, but that is not the gradient)"),
                    (.sumHidden, " — you used the sum of the context vectors as h; h is their mean"),
                    (.distinctContexts, " — a context word that occurs twice counts twice in the mean (divide by "
                        + "C, the number of rows, and give each row its own share)"),
                    (.negativeSign, " — for a negative, ∂/∂(uₖ·h) of −log σ(−uₖ·h) is σ(uₖ·h), not σ(−uₖ·h)"),
                    (.negativesMissingFromHidden, " — ∂L/∂h is missing the negatives' terms: h is in every dot "
                        + "product, the negatives' as well as the positive's"),
                ]
                for (mistake, text) in known where Grade.close(gotPart, part(cbowMistake(mistake, c)), tol) {
                    return text
                }
                return ""
            }
            let gotContexts = got.dContexts.flatMap { $0 }, gotNegatives = got.dNegatives.flatMap { $0 }
            if !Grade.close(gotContexts, wantContexts, tol) {
                report.check(false, "\(setting): expected dContexts ≈ \(Grade.show(wantContexts)) (row after row; "
                    + "finite differences), got \(Grade.show(gotContexts))" + hint({ $0.dContexts.flatMap { $0 } }, gotContexts))
            }
            if !Grade.close(got.dPositive, wantPositive, tol) {
                report.check(false, "\(setting): expected dPositive ≈ \(Grade.show(wantPositive)) (finite differences), "
                    + "got \(Grade.show(got.dPositive))" + hint({ $0.dPositive }, got.dPositive))
            }
            if !Grade.close(gotNegatives, wantNegatives, tol) {
                report.check(false, "\(setting): expected dNegatives ≈ \(Grade.show(wantNegatives)) (row after row; "
                    + "finite differences), got \(Grade.show(gotNegatives))"
                    + hint({ $0.dNegatives.flatMap { $0 } }, gotNegatives))
            }
        }
        return report
    }
}
