// Grader of exercise 3.6: a two-layer tanh network written with the engine,
// trained on iris. It checks the parameters' shapes and initialisation, the
// forward pass against the grader's own formula, every parameter's
// gradient (found by the engine from the student's forward pass) against
// centered finite differences of the grader's own loss, and only then trains
// the network with chapter 2's Adam and the engine's cross-entropy.

import AutomaticDifferentiation
import Backpropagation
import BackpropCore
import Datasets
import ExerciseKit
import Foundation
import LinearModels

/// What the grader needs of the student's model: its parameters (W₁, b₁,
/// W₂, b₂, in that order) and its logits recorded on the tape of `x`.
public typealias EngineNetwork = (parameters: [Parameter<Double>], logits: (Variable<Double>) throws -> Variable<Double>)
public typealias MakeEngineNetwork = (Int, Int, Int, inout SeededRandom) throws -> EngineNetwork

extension Chapter03Graders {
    public static let irisSeed: UInt64 = 42
    public static let irisHidden = 16
    public static let irisSteps = 150
    public static let irisLearningRate = 0.05
    public static let irisAccuracy = 0.9

    /// tanh(x·W₁ᵀ + b₁)·W₂ᵀ + b₂ for x [n, d], from the parameters' values.
    static func irisLogits(_ x: [Double], rows n: Int, _ p: [[Double]], inputs d: Int, hidden h: Int, classes k: Int) -> [Double] {
        var out = [Double](repeating: 0, count: n * k)
        for i in 0..<n {
            let hidden = (0..<h).map { j in
                Foundation.tanh((0..<d).reduce(p[1][j]) { $0 + x[i * d + $1] * p[0][j * d + $1] })
            }
            for c in 0..<k { out[i * k + c] = (0..<h).reduce(p[3][c]) { $0 + hidden[$1] * p[2][c * h + $1] } }
        }
        return out
    }

    static func meanCrossEntropy(_ z: [Double], labels: [Int], classes k: Int) -> Double {
        labels.enumerated().map { i, y in logSumExp(Array(z[(i * k)..<(i * k + k)])) - z[i * k + y] }.reduce(0, +) / Double(labels.count)
    }

    public static func irisTraining(_ make: MakeEngineNetwork) throws -> GradeReport {
        var report = GradeReport()
        let (d, h, k) = (4, 5, 3)
        var rng = SeededRandom(seed: 3606)
        let net = try make(d, h, k, &rng)
        let shapes = net.parameters.map(\.value.shape)
        report.check(shapes == [[h, d], [h], [k, h], [k]],
                     "with 4 inputs, 5 hidden units and 3 classes the parameters must be W₁ [5, 4], b₁ [5], W₂ [3, 5], b₂ [3] in that "
                         + "order (PyTorch's layout), got shapes \(shapes)")
        guard shapes == [[h, d], [h], [k, h], [k]] else { return report }
        // Initialisation: biases 0, weights drawn from the generator passed in, not all equal.
        let w1 = net.parameters[0].value.scalars, w2 = net.parameters[2].value.scalars
        report.check(net.parameters[1].value.scalars.allSatisfy { $0 == 0 } && net.parameters[3].value.scalars.allSatisfy { $0 == 0 },
                     "the biases must start at 0")
        report.check(Set(w1).count > 1 && Set(w2).count > 1,
                     "the weights must start at random values: all-equal weights give every hidden unit the same gradient, so "
                         + "they stay equal forever (and all-zero weights give W₁ no gradient at all)")
        var other = SeededRandom(seed: 3607)
        let second = try make(d, h, k, &other)
        report.check(second.parameters.count == 4 && second.parameters[0].value.scalars != w1,
                     "the weights must be drawn from the generator passed to init (two generators with different seeds gave the same W₁)")
        // Forward against the formula, with every parameter (biases too) set to random values.
        let n = 6
        let x = (0..<(n * d)).map { _ in rng.uniform(-2, 2) }
        let labels = (0..<n).map { _ in rng.integer(below: k) }
        for p in net.parameters {
            p.value = try Tensor(shape: p.value.shape, scalars: (0..<p.value.count).map { _ in rng.uniform(-1, 1) })
            p.zeroGrad()
        }
        let values = net.parameters.map(\.value.scalars)
        let tape = Tape<Double>(backend: .naive)
        let z = try net.logits(tape.constant(try Tensor(shape: [n, d], scalars: x)))
        let want = irisLogits(x, rows: n, values, inputs: d, hidden: h, classes: k)
        report.check(z.shape == [n, k] && Grade.close(z.value.scalars, want, 1e-10),
                     "logits for 6 rows must be tanh(x·W₁ᵀ + b₁)·W₂ᵀ + b₂, shape [6, 3]: expected \(Grade.show(want)), got shape "
                         + "\(z.shape) \(Grade.show(z.value.scalars))")
        guard z.shape == [n, k], Grade.close(z.value.scalars, want, 1e-10) else { return report }
        // Gradients: the engine's, from the student's graph, against finite differences of the grader's loss.
        guard z.requiresGrad else {
            report.check(false, "the logits do not depend on any parameter in the tape's eyes: read each parameter with "
                + "tape.parameter(p) and compute with the engine's operations, not with raw tensors")
            return report
        }
        try z.crossEntropy(targets: labels).backward()
        for (index, name) in ["W₁", "b₁", "W₂", "b₂"].enumerated() {
            let numeric = GradientCheck.numericalGradient(of: { t in
                var v = values
                v[index] = t.scalars
                return meanCrossEntropy(irisLogits(x, rows: n, v, inputs: d, hidden: h, classes: k), labels: labels, classes: k)
            }, at: net.parameters[index].value).scalars
            let got = net.parameters[index].grad.scalars
            report.check(Grade.close(got, numeric, 1e-6),
                         "∂L/∂\(name) of the mean cross-entropy should be ≈ \(Grade.show(numeric)) (finite differences), got \(Grade.show(got))"
                             + (got.allSatisfy { $0 == 0 } ? " — no gradient reached \(name): read it with tape.parameter(_:)" : ""))
        }
        guard report.passed else {
            report.check(false, "training on iris skipped: the forward pass and the gradients must pass the checks above first")
            return report
        }
        // Training: full-batch Adam on the standardised iris split of seed 42.
        let (train, test) = try Chapter1Dataset.iris.load(seed: irisSeed)
        var init42 = SeededRandom(seed: irisSeed)
        let model = try make(train.featureCount, irisHidden, train.classNames.count, &init42)
        let adam = try Adam(model.parameters, learningRate: irisLearningRate, backend: .naive)
        let xTrain: Tensor<Double> = train.features.converted(), xTest: Tensor<Double> = test.features.converted()
        var loss = Double.nan
        for _ in 0..<irisSteps {
            adam.zeroGrad()
            let tape = Tape<Double>(backend: .naive)
            let l = try model.logits(tape.constant(xTrain)).crossEntropy(targets: train.labels)
            try l.backward()
            adam.step()
            loss = l.item
        }
        let tapeTest = Tape<Double>(backend: .naive)
        let scores = try tapeTest.noGrad { try model.logits(tapeTest.constant(xTest)).value }
        let predicted = Metrics.argmaxRows(scores)
        let accuracy = Double(zip(predicted, test.labels).filter { $0 == $1 }.count) / Double(test.count)
        report.check(accuracy >= irisAccuracy,
                     "trained \(irisSteps) full-batch Adam steps (η = \(irisLearningRate)) on iris (seed \(irisSeed), \(train.count) flowers, "
                         + "hidden \(irisHidden)): test accuracy \(String(format: "%.1f%%", 100 * accuracy)) on \(test.count) flowers, "
                         + "final training loss \(String(format: "%.4f", loss)); at least \(Int(100 * irisAccuracy))% is required")
        return report
    }
}
