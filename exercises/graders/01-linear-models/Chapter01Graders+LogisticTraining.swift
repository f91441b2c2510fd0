// Grader for exercise 1.5 (logistic regression in the training loop). The
// student's model conforms to the library's `GradientDescentModel`; the
// grader checks its `lossAndGradients` in Double against a loss written here
// (the form that cannot overflow) and its centered finite differences, then
// in Float on logits of ±1000, and only then trains it with the library's
// own loop (`GradientDescentModel.fit`): three one-versus-rest models on the
// standardised iris split of seed 42, whose test accuracy the grader measures
// with its own argmax over x·wᵀ + b.

import BackpropCore
import Datasets
import ExerciseKit
import Foundation
import LinearModels

extension Chapter01Graders {
    /// The settings of exercise 1.5's training run, stated in the stub.
    public static let logisticTrainingEpochs = 500
    public static let logisticTrainingRate = 0.5
    public static let logisticTrainingSeed: UInt64 = 42
    public static let logisticTrainingAccuracy = 0.9

    /// The mean binary cross-entropy of z = x·w + b, as
    /// max(z, 0) − z·y + log(1 + e^(−|z|)), which never overflows.
    static func stableLogisticLoss(x: [[Double]], y: [Double], w: [Double], b: Double) -> Double {
        var total = 0.0
        for (row, target) in zip(x, y) {
            let z = zip(w, row).map { $0 * $1 }.reduce(b, +)
            total += max(z, 0) - z * target + log1p(exp(-abs(z)))
        }
        return total / Double(x.count)
    }

    /// Exercise 1.5: the gradient check (Double), the stability check
    /// (Float), then training on iris with the library's loop (Float).
    public static func logisticRegressionTraining<D: GradientDescentModel, F: GradientDescentModel>(
        double makeDouble: (Int) throws -> D, float makeFloat: (Int) throws -> F
    ) throws -> GradeReport where D.T == Double, F.T == Float {
        var report = GradeReport()
        try checkLogisticGradients(makeDouble, &report)
        try checkLogisticStability(makeFloat, &report)
        guard report.passed else {
            report.check(false, "training on iris skipped: the loss and gradients must pass the checks above first")
            return report
        }
        try trainLogisticOnIris(makeFloat, &report)
        return report
    }

    /// Loss against the stable form and gradients against finite
    /// differences, at random points with hard and soft targets.
    static func checkLogisticGradients<D: GradientDescentModel>(
        _ make: (Int) throws -> D, _ report: inout GradeReport
    ) throws where D.T == Double {
        var rng = SeededRandom(seed: 1505)
        for (n, d) in [(1, 1), (6, 3), (9, 4)] {
            let x = (0..<n).map { _ in (0..<d).map { _ in rng.uniform(-2, 2) } }
            let y = (0..<n).map { i in i % 3 == 2 ? 0.25 : Double(i % 2) }
            let w = (0..<d).map { _ in rng.uniform(-1, 1) }, b = rng.uniform(-1, 1)
            var model = try make(d)
            model.weight = try Tensor(shape: [1, d], scalars: w)
            model.bias = Tensor([b])
            let got = try model.lossAndGradients(try Tensor(rows: x), Tensor(y))
            let setting = "for n = \(n) rows of d = \(d) features"
            let want = stableLogisticLoss(x: x, y: y, w: w, b: b)
            var lossHint = ""
            if abs(Double(got.loss) - want * Double(n)) <= 1e-9 * max(1, want * Double(n)), n > 1 {
                lossHint = " — this is the sum over the rows; the loss is their mean"
            }
            report.check(abs(got.loss - want) <= 1e-9 * max(1, abs(want)),
                "\(setting): expected the mean binary cross-entropy L = \(String(format: "%.12g", want)), got \(got.loss)"
                    + lossHint)
            let wShape = got.dWeight.shape == [1, d], bShape = got.dBias.shape == [1]
            report.check(wShape, "\(setting): dWeight must have the weight's shape [1, \(d)], got \(got.dWeight.shape)")
            report.check(bShape, "\(setting): dBias must have the bias's shape [1], got \(got.dBias.shape)")
            guard wShape, bShape else { continue }
            let nw = GradientCheck.numericalGradient(
                of: { stableLogisticLoss(x: x, y: y, w: $0.scalars, b: b) }, at: Tensor(w)).scalars
            let nb = GradientCheck.numericalGradient(
                of: { stableLogisticLoss(x: x, y: y, w: w, b: $0.scalars[0]) }, at: Tensor([b])).scalars[0]
            let gw = got.dWeight.scalars, gb = got.dBias.scalars[0]
            var hint = ""
            if Grade.close(gw.map { -$0 }, nw, 1e-6) {
                hint = " — the sign is flipped: ∂L/∂z is σ(z) − y, and gradient descent subtracts the gradient"
            } else if n > 1, Grade.close(gw.map { $0 / Double(n) }, nw, 1e-6) {
                hint = " — you are missing the 1/n of the mean"
            }
            report.check(Grade.close(gw, nw, 1e-6),
                "\(setting): expected ∂L/∂w ≈ \(Grade.show(nw)) (centered finite differences), got \(Grade.show(gw))" + hint)
            report.check(abs(gb - nb) <= 1e-6 * max(1, abs(nb)),
                "\(setting): expected ∂L/∂b ≈ \(String(format: "%.6g", nb)) (centered finite differences), got "
                    + "\(String(format: "%.6g", gb))" + (gb == 0 && nb != 0 ? " — the bias has a gradient too" : ""))
        }
    }

    /// Logits of ±1000 in Float: two confidently right examples (loss 0)
    /// and two confidently wrong (loss 1000 each), so L = 500 exactly,
    /// ∂L/∂w = 0.5 and ∂L/∂b = 0.
    static func checkLogisticStability<F: GradientDescentModel>(
        _ make: (Int) throws -> F, _ report: inout GradeReport
    ) throws where F.T == Float {
        var model = try make(1)
        model.weight = try Tensor(shape: [1, 1], scalars: [1000])
        model.bias = Tensor([0])
        let got = try model.lossAndGradients(try Tensor(shape: [4, 1], scalars: [1, -1, 1, -1]), Tensor([1, 0, 0, 1]))
        let setting = "in Float, with logits z = (1000, −1000, 1000, −1000) and targets (1, 0, 0, 1)"
        report.check(got.loss.isFinite && abs(got.loss - 500) <= 1e-3,
            "\(setting): expected L = 500 (two examples right with loss 0, two wrong with loss 1000), got \(got.loss)"
                + (got.loss.isFinite ? "" : " — your loss overflowed: σ(±1000) rounds to exactly 1 or 0 and its log is "
                    + "−∞ (and 0·∞ is NaN); write ℓ in a form that never exponentiates a large positive number "
                    + "(the chapter's \"A form that cannot overflow\")"))
        if got.dWeight.count == 1, got.dBias.count == 1 {
            let gw = got.dWeight.scalars[0], gb = got.dBias.scalars[0]
            report.check(gw.isFinite && gb.isFinite && abs(gw - 0.5) <= 1e-6 && abs(gb) <= 1e-6,
                "\(setting): expected ∂L/∂w = 0.5 and ∂L/∂b = 0 (∂L/∂z = (0, 0, 0.25, −0.25)), got \(gw) and \(gb)"
                    + (gw.isFinite && gb.isFinite ? "" : " — NaN or ∞: e^z overflowed in your sigmoid; for z < 0 use "
                        + "e^z/(1 + e^z), which only exponentiates z ≤ 0"))
        }
    }

    /// Three one-versus-rest models trained by `GradientDescentModel.fit`
    /// on the standardised iris training part; the test accuracy of the
    /// argmax of their logits must reach the stated level.
    static func trainLogisticOnIris<F: GradientDescentModel>(
        _ make: (Int) throws -> F, _ report: inout GradeReport
    ) throws where F.T == Float {
        let (train, test) = try Chapter1Dataset.iris.load(seed: logisticTrainingSeed)
        let d = train.featureCount, epochs = logisticTrainingEpochs
        var scores = [[Float]](repeating: [], count: train.classNames.count)
        for k in 0..<train.classNames.count {
            var model = try make(d)
            let y = Tensor(train.labels.map { Float($0 == k ? 1 : 0) })
            let history: [Float]
            do {
                history = try model.fit(train.features, y, epochs: epochs, learningRate: Float(logisticTrainingRate))
            } catch let error as TrainingError {
                report.check(false, "training \(train.classNames[k]) against the rest stopped: \(error)")
                return
            }
            // From zero weights every probability is ½, so the first loss is ln 2.
            report.check(abs(Double(history[0]) - log(2)) <= 1e-6,
                "training \(train.classNames[k]) against the rest from zero weights: the first loss must be "
                    + "ln 2 = 0.693147, got \(history[0])")
            report.check(history.last! < history[0],
                "training \(train.classNames[k]) against the rest: the loss went from \(history[0]) to "
                    + "\(history.last!) in \(epochs) steps; it must fall")
            let w = model.weight.scalars, b = model.bias.scalars.first ?? 0
            guard w.count == d else { return }
            scores[k] = (0..<test.count).map { i in (0..<d).reduce(b) { $0 + w[$1] * test.features.scalars[i * d + $1] } }
        }
        let predicted = (0..<test.count).map { i in scores.indices.max { scores[$0][i] < scores[$1][i] }! }
        let correct = zip(predicted, test.labels).filter { $0 == $1 }.count
        let accuracy = Double(correct) / Double(test.count)
        report.check(accuracy >= logisticTrainingAccuracy,
            "one-versus-rest on iris (seed \(logisticTrainingSeed), \(epochs) steps of η = \(logisticTrainingRate) per "
                + "class): expected a test accuracy of at least \(Int(logisticTrainingAccuracy * 100))%, got "
                + "\(correct) of \(test.count) (\(String(format: "%.1f", 100 * accuracy))%) — your gradients pass the "
                + "checks in Double, so look for what differs in Float or between calls")
    }
}
