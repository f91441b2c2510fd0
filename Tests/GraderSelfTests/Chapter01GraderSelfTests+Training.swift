// Self-tests of the graders of exercises 1.5 (logistic regression in the
// training loop) and 1.6 (the perceptron against Novikoff's bound): each
// accepts the reference solution and rejects broken answers with a hint.

#if canImport(Solutions01)
import BackpropCore
import ExerciseKit
import Foundation
@testable import Graders01
import LinearModels
import Solutions01
import Testing

/// Logistic regression with one mistake, chosen by `variant`.
struct BrokenLogisticRegression<T: TensorScalar>: GradientDescentModel {
    var weight: Tensor<T>
    var bias: Tensor<T>
    var backend: Backend = .naive
    let variant: Int

    init(features: Int, variant: Int) throws {
        self.variant = variant
        weight = try .zeros([1, features])
        bias = try .zeros([1])
        if variant == 6 { weight.scalars = weight.scalars.indices.map { T(0.5 + 0.1 * Double($0)) } }
    }

    func lossAndGradients(_ x: Tensor<T>, _ y: Tensor<T>) throws -> (loss: T, dWeight: Tensor<T>, dBias: Tensor<T>) {
        let n = x.shape[0], d = x.shape[1]
        var loss: T = 0, db: T = 0
        var dw = [T](repeating: 0, count: d)
        for i in 0..<n {
            var z = bias.scalars[0]
            for k in 0..<d { z += weight.scalars[k] * x.scalars[i * d + k] }
            let sigma = 1 / (1 + T.exp(-z))
            loss += variant == 2
                ? -y.scalars[i] * T.log(sigma) - (1 - y.scalars[i]) * T.log(1 - sigma)  // overflows in Float
                : max(z, 0) - z * y.scalars[i] + T.log1p(T.exp(-abs(z)))
            var dz = variant == 0 ? y.scalars[i] - sigma : sigma - y.scalars[i]
            if variant != 1 { dz /= T(n) }
            for k in 0..<d { dw[k] += dz * x.scalars[i * d + k] }
            db += dz
        }
        if variant != 3 { loss /= T(n) }
        if variant == 4 { db = 0 }
        if variant == 7, T.self == Float.self, n > 4 { dw = dw.map { _ in 0 } }
        let dWeight = variant == 5 ? Tensor(dw) : try Tensor(shape: [1, d], scalars: dw)
        return (loss, dWeight, Tensor([db]))
    }
}

@Suite struct Chapter01TrainingGraderSelfTests {
    @Test func logisticTrainingGraderAcceptsTheSolution() throws {
        let report = try Chapter01Graders.logisticRegressionTraining(
            double: { try Solutions01.LogisticRegressionModel<Double>(features: $0) },
            float: { try Solutions01.LogisticRegressionModel<Float>(features: $0) })
        #expect(report.passed, "\(report.failures)")
    }

    @Test("the logistic training grader rejects broken models and says why", arguments: [
        ("sign error: y − σ(z)", 0, "sign is flipped"),
        ("gradients without the 1/n of the mean", 1, "1/n"),
        ("the textbook loss −y log σ − (1 − y) log(1 − σ), which overflows", 2, "overflowed"),
        ("the loss summed, not averaged", 3, "sum over the rows"),
        ("no bias gradient", 4, "the bias has a gradient too"),
        ("dWeight of shape [d] instead of [1, d]", 5, "[1, "),
        ("an initialiser that starts from nonzero weights", 6, "ln 2"),
        ("a weight gradient of zero in Float on more than 4 rows (a bug the checks cannot see)", 7, "test accuracy"),
    ])
    func logisticTrainingGraderRejects(name: String, variant: Int, hint: String) throws {
        let report = try Chapter01Graders.logisticRegressionTraining(
            double: { try BrokenLogisticRegression<Double>(features: $0, variant: variant) },
            float: { try BrokenLogisticRegression<Float>(features: $0, variant: variant) })
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }

    @Test func novikoffGraderAcceptsTheSolution() throws {
        let report = try Chapter01Graders.perceptronMistakeBound(Solutions01.perceptronMistakeBound)
        #expect(report.passed, "\(report.failures)")
    }

    @Test("the Novikoff grader rejects broken answers and says why", arguments: [
        ("a score of exactly 0 counted as correct", 0, "exactly 0"),
        ("epochs counted instead of updates", 1, "epochs"),
        ("R without the bias's constant input", 2, "R must include"),
        ("u not normalised", 3, "unit vector"),
        ("|margin| instead of the signed margin (no ∞ for a non-separating u)", 4, "does not separate"),
        ("R/γ, not squared", 5, "squared"),
        ("the bias never updated", 6, "bias must move"),
        ("γ as the mean margin", 7, "not the mean"),
    ])
    func novikoffGraderRejects(name: String, variant: Int, hint: String) throws {
        let broken: PerceptronMistakeBound = { x, labels, u in
            let d = x[0].count
            var w = [Double](repeating: 0, count: d), b = 0.0, updates = 0, epochs = 0
            for _ in 0..<1000 {
                epochs += 1
                var mistakes = 0
                for (row, label) in zip(x, labels) {
                    let s: Double = label == 1 ? 1 : -1
                    let score = zip(w, row).map { $0 * $1 }.reduce(b, +)
                    if variant == 0 ? s * score < 0 : s * score <= 0 {
                        for j in 0..<d { w[j] += s * row[j] }
                        if variant != 6 { b += s }
                        mistakes += 1
                    }
                }
                updates += mistakes
                if mistakes == 0 { break }
            }
            let norm = variant == 3 ? 1 : u.map { $0 * $0 }.reduce(0, +).squareRoot()
            var r2 = 0.0
            var margins: [Double] = []
            for (row, label) in zip(x, labels) {
                let s: Double = label == 1 ? 1 : -1
                r2 = max(r2, row.map { $0 * $0 }.reduce(variant == 2 ? 0 : 1, +))
                let m = s * (zip(u, row).map { $0 * $1 }.reduce(0, +) + u[d]) / norm
                margins.append(variant == 4 ? abs(m) : m)
            }
            let gamma = variant == 7 ? margins.reduce(0, +) / Double(margins.count) : margins.min()!
            let bound = gamma > 0 ? (variant == 5 ? r2.squareRoot() / gamma : r2 / (gamma * gamma)) : .infinity
            return (variant == 1 ? epochs : updates, bound)
        }
        let report = try Chapter01Graders.perceptronMistakeBound(broken)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }
}
#endif
