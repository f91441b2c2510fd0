// Graders for chapter 1's exercises. Expected values come from the
// definitions: hand-worked cases for the perceptron rule, and centered finite
// differences of the loss for the gradients (so a grader never trusts the
// code it grades).

import BackpropCore
import ExerciseKit
import Foundation
import LinearModels

public typealias PerceptronUpdate = ([Double], Double, [Double], Int, Double) throws -> (weights: [Double], bias: Double)
public typealias MSEGradient = ([Double], [Double]) throws -> [Double]
public typealias LogisticGradient = ([[Double]], [Double], [Double], Double) throws -> (dWeights: [Double], dBias: Double)

public enum Chapter01Graders {
    /// Exercise 1.1: cases worked by hand from the rule.
    public static func perceptronUpdate(_ candidate: PerceptronUpdate) throws -> GradeReport {
        var report = GradeReport()
        // (w, b, x, label, η) → expected (w', b'), with the reason.
        let cases: [([Double], Double, [Double], Int, Double, [Double], Double, String)] = [
            // score 1·2 + 1·1 − 1 = 2 > 0 and label 1: correct, no change.
            ([1, 1], -1, [2, 1], 1, 0.5, [1, 1], -1, "a correctly classified positive example must not change w or b"),
            // score 2 > 0 but label 0 (s = −1): w − η·x, b − η.
            ([1, 1], -1, [2, 1], 0, 0.5, [0, 0.5], -1.5, "a misclassified negative example moves w by −η·x and b by −η"),
            // score −1·3 + 0 = −3 < 0 with label 1 (s = +1): w + η·x, b + η.
            ([-1, 0], 0, [3, -2], 1, 1, [2, -2], 1, "a misclassified positive example moves w by +η·x and b by +η"),
            // score exactly 0 counts as a mistake (s·score ≤ 0).
            ([0, 0, 0], 0, [1, 2, 3], 0, 0.1, [-0.1, -0.2, -0.3], -0.1, "a score of exactly 0 is a mistake and must update"),
            // score −0.5 < 0 with label 0: correct, no change.
            ([0.5], -1, [1], 0, 2, [0.5], -1, "a correctly classified negative example must not change w or b"),
            // score 2·2 + 1·0.5 − 4 = 0.5 > 0 and label 1: correct, no change. (Dividing instead,
            // 2/2 + 1/0.5 − 4 = −1, would call it a mistake: the score is the dot product w·x.)
            ([2, 1], -4, [2, 0.5], 1, 0.5, [2, 1], -4, "the score is the dot product w·x + b; this example is correct"),
            // score 4·2 − 2.5 = 5.5 > 0 but label 0 (s = −1): w − η·x = [4 − 1], b − η = −3.
            // (Dividing instead, 4/2 − 2.5 = −0.5, would call it correct.)
            ([4], -2.5, [2], 0, 0.5, [3], -3, "the score is the dot product w·x + b; this negative example is a mistake"),
            // score 2·1 − 1·1 − 1 = 0 with label 1 (s = +1): exactly 0 is a mistake for either
            // label, so w + η·x = [2.25, −0.75] and b + η = −0.75.
            ([2, -1], -1, [1, 1], 1, 0.25, [2.25, -0.75], -0.75,
             "a score of exactly 0 is a mistake for label 1 too and must update"),
        ]
        for (w, b, x, label, lr, wantW, wantB, why) in cases {
            let got = try candidate(w, b, x, label, lr)
            report.check(
                Grade.close(got.weights, wantW, 1e-12) && abs(got.bias - wantB) < 1e-12,
                "\(why): for w = \(Grade.show(w)), b = \(b), x = \(Grade.show(x)), label \(label), η = \(lr) "
                    + "expected w = \(Grade.show(wantW)), b = \(wantB); got w = \(Grade.show(got.weights)), b = \(got.bias)")
        }
        return report
    }

    /// Exercise 1.2: compared with the numerical gradient of the MSE.
    public static func mseGradient(_ candidate: MSEGradient) throws -> GradeReport {
        var report = GradeReport()
        var rng = SeededRandom(seed: 101)
        for n in [1, 3, 8] {
            let p = (0..<n).map { _ in rng.uniform(-2, 2) }, t = (0..<n).map { _ in rng.uniform(-2, 2) }
            let target = Tensor(t)
            let numeric = GradientCheck.numericalGradient(
                of: { try! MeanSquaredError.forward($0, target) }, at: Tensor(p)).scalars
            let got = try candidate(p, t)
            report.check(got.count == n, "the gradient must have one entry per prediction (\(n)), got \(got.count)")
            report.check(
                got.count != n || Grade.close(got, numeric, 1e-6),
                "for p = \(Grade.show(p)), t = \(Grade.show(t)) expected ∂L/∂p ≈ \(Grade.show(numeric)) "
                    + "(centered finite differences), got \(Grade.show(got))"
                    + (got.count == n && Grade.close(got.map { $0 / Double(n) }, numeric, 1e-6)
                        ? " — you are missing the 1/N of the mean" : "")
                    + (got.count == n && Grade.close(got.map { $0 * 2 }, numeric, 1e-6) ? " — check the factor 2 from the square" : ""))
        }
        return report
    }

    /// Exercise 1.3: compared with the numerical gradient of the logistic loss.
    public static func logisticGradient(_ candidate: LogisticGradient) throws -> GradeReport {
        var report = GradeReport()
        var rng = SeededRandom(seed: 202)
        for (n, d) in [(1, 1), (5, 3), (9, 2)] {
            let x = (0..<n).map { _ in (0..<d).map { _ in rng.uniform(-2, 2) } }
            let y = (0..<n).map { i in i % 3 == 2 ? 0.3 : Double(i % 2) }
            let w = (0..<d).map { _ in rng.uniform(-1, 1) }, b = rng.uniform(-1, 1)
            let yt = Tensor(y)
            func loss(_ w: [Double], _ b: Double) -> Double {
                let z = Tensor((0..<n).map { i in zip(w, x[i]).map { $0 * $1 }.reduce(b, +) })
                return try! BinaryCrossEntropy.forward(logits: z, targets: yt)
            }
            let nw = GradientCheck.numericalGradient(of: { loss($0.scalars, b) }, at: Tensor(w)).scalars
            let nb = GradientCheck.numericalGradient(of: { loss(w, $0.scalars[0]) }, at: Tensor([b])).scalars[0]
            let got = try candidate(x, y, w, b)
            report.check(got.dWeights.count == d, "∂L/∂w must have one entry per feature (\(d)), got \(got.dWeights.count)")
            report.check(
                got.dWeights.count != d || Grade.close(got.dWeights, nw, 1e-6),
                "for n = \(n), d = \(d): expected ∂L/∂w ≈ \(Grade.show(nw)) (finite differences), got \(Grade.show(got.dWeights))")
            report.check(
                abs(got.dBias - nb) <= 1e-6 * max(1, abs(nb)),
                "for n = \(n), d = \(d): expected ∂L/∂b ≈ \(String(format: "%.6g", nb)), got \(String(format: "%.6g", got.dBias))")
        }
        return report
    }
}
