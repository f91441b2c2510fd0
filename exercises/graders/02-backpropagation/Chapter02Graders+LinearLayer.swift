// Grader for exercise 2.7 (a linear layer, plugged into the digits network).
// The student's layer conforms to the chapter's `Layer`. The grader checks,
// in Double, its initialisation statistics, its forward pass against x·Wᵀ + b
// computed here, and its backward pass against centered finite differences of
// Σ dy ⊙ (x·Wᵀ + b), with the gradients pre-filled so that overwriting them
// shows; then, in Float, it trains LinearLayer(64 → 32), ReLU,
// LinearLayer(32 → 10) on the digits with the library's softmax
// cross-entropy, Adam and ClassifierTrainer, and measures the test accuracy.

import BackpropCore
import Backpropagation
import Datasets
import ExerciseKit
import Foundation

public typealias LayerFactory<L: Layer> = (Int, Int, inout SeededRandom) throws -> L

extension Chapter02Graders {
    /// The settings of exercise 2.7's training run, stated in the stub.
    public static let linearLayerHidden = 32
    public static let linearLayerEpochs = 3
    public static let linearLayerBatch = 64
    public static let linearLayerRate = 0.01
    public static let linearLayerSeed: UInt64 = 42
    public static let linearLayerAccuracy = 0.9

    /// Exercise 2.7: initialisation, forward and backward (Double), then
    /// training on the digits (Float).
    public static func linearLayerTraining<D: Layer, F: Layer>(
        double makeDouble: LayerFactory<D>, float makeFloat: LayerFactory<F>
    ) throws -> GradeReport where D.Scalar == Double, F.Scalar == Float {
        var report = GradeReport()
        try checkLinearLayerInitialisation(makeDouble, &report)
        if report.passed { try checkLinearLayerPasses(makeDouble, &report) }
        guard report.passed else {
            report.check(false, "training on the digits skipped: the layer must pass the checks above first")
            return report
        }
        try trainLinearLayersOnDigits(makeFloat, &report)
        return report
    }

    /// The layer's weight [out, in] and bias [out], found by name among its
    /// parameters; nil (with a failure) if they are not there.
    static func weightAndBias<L: Layer>(
        _ layer: L, inputs: Int, outputs: Int, _ report: inout GradeReport
    ) -> (weight: Parameter<L.Scalar>, bias: Parameter<L.Scalar>)? {
        let names = layer.parameters.map(\.name)
        guard let w = layer.parameters.first(where: { $0.name == "weight" }),
              let b = layer.parameters.first(where: { $0.name == "bias" }), names.count == 2 else {
            report.check(false, "the layer's parameters must be exactly two, named \"weight\" and \"bias\" "
                + "(an optimizer only updates what `parameters` lists), got \(names)")
            return nil
        }
        report.check(w.value.shape == [outputs, inputs] && w.grad.shape == w.value.shape,
            "LinearLayer(\(inputs) → \(outputs)): weight must be [out, in] = [\(outputs), \(inputs)] with a gradient of "
                + "the same shape, got \(w.value.shape) and \(w.grad.shape)"
                + (w.value.shape == [inputs, outputs] ? " — W is transposed: PyTorch's layout is [out, in]" : ""))
        report.check(b.value.shape == [outputs] && b.grad.shape == [outputs],
            "LinearLayer(\(inputs) → \(outputs)): bias must be [\(outputs)] with a gradient of the same shape, got "
                + "\(b.value.shape) and \(b.grad.shape)")
        return report.passed ? (w, b) : nil
    }

    /// He initialisation: mean 0 and variance 2/in, measured on 32,768
    /// weights (the sample variance is then within 1% of the true one
    /// for uniform or normal draws); zero bias; the generator is used.
    static func checkLinearLayerInitialisation<D: Layer>(_ make: LayerFactory<D>, _ report: inout GradeReport) throws
    where D.Scalar == Double {
        let (inputs, outputs) = (256, 128)
        var rng = SeededRandom(seed: 2707)
        let layer = try make(inputs, outputs, &rng)
        guard let parameters = weightAndBias(layer, inputs: inputs, outputs: outputs, &report) else { return }
        let (w, b) = parameters
        let values = w.value.scalars, count = Double(values.count)
        let mean = values.reduce(0, +) / count
        let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / count
        let he = 2 / Double(inputs)
        report.check(values.allSatisfy(\.isFinite) && abs(mean) <= 0.05 * he.squareRoot(),
            "initialisation of LinearLayer(256 → 128): the weights must have mean 0, got \(mean)")
        var hint = ""
        if abs(variance - 2 / Double(inputs + outputs)) <= 0.05 * 2 / Double(inputs + outputs) {
            hint = " — that is Xavier's 2/(in + out), meant for tanh; for ReLU, He's variance keeps the signal's scale"
        } else if abs(variance - 1 / Double(inputs)) <= 0.05 / Double(inputs) {
            hint = " — that is 1/in; ReLU zeroes half of its inputs, so He doubles it"
        } else if variance == 0 {
            hint = " — all weights are equal: every unit would compute the same thing and get the same gradient forever"
        }
        report.check(abs(variance - he) <= 0.05 * he,
            "initialisation of LinearLayer(256 → 128): the weights' variance must be He's 2/in = \(he) (within 5%), "
                + "got \(variance)" + hint)
        report.check(b.value.scalars.allSatisfy { $0 == 0 }, "initialisation: the bias must start at zero")
        // Two layers from one generator must differ; from equal seeds, agree.
        let second = try make(inputs, outputs, &rng)
        var again = SeededRandom(seed: 2707)
        let replay = try make(inputs, outputs, &again)
        let secondW = second.parameters.first { $0.name == "weight" }?.value.scalars ?? []
        let replayW = replay.parameters.first { $0.name == "weight" }?.value.scalars ?? []
        report.check(secondW != values && replayW == values,
            "initialisation: draw the weights from the `rng` argument, so that two layers made one after the other "
                + "from one generator differ and the same seed gives the same layer")
    }

    /// Forward against x·Wᵀ + b; backward against finite differences of
    /// L = Σ R ⊙ (x·Wᵀ + b) (so ∂L/∂y = R), with the gradients pre-filled
    /// and an unrelated forward pass between forward and backward.
    static func checkLinearLayerPasses<D: Layer>(_ make: LayerFactory<D>, _ report: inout GradeReport) throws
    where D.Scalar == Double {
        var rng = SeededRandom(seed: 2717)
        for (n, inputs, outputs) in [(1, 1, 1), (4, 5, 3), (3, 2, 6)] {
            let setting = "LinearLayer(\(inputs) → \(outputs)) on n = \(n) rows"
            let layer = try make(inputs, outputs, &rng)
            guard let parameters = weightAndBias(layer, inputs: inputs, outputs: outputs, &report) else { return }
            let (w, b) = parameters
            func random(_ count: Int) -> [Double] { (0..<count).map { _ in rng.uniform(-2, 2) } }
            let wv = random(outputs * inputs), bv = random(outputs), xv = random(n * inputs), r = random(n * outputs)
            w.value = try Tensor(shape: [outputs, inputs], scalars: wv)
            b.value = Tensor(bv)
            func affine(_ x: [Double], _ w: [Double], _ b: [Double]) -> [Double] {
                var y = [Double](repeating: 0, count: n * outputs)
                for i in 0..<n {
                    for o in 0..<outputs {
                        var s = b[o]
                        for k in 0..<inputs { s += x[i * inputs + k] * w[o * inputs + k] }
                        y[i * outputs + o] = s
                    }
                }
                return y
            }
            func loss(_ x: [Double], _ w: [Double], _ b: [Double]) -> Double {
                zip(affine(x, w, b), r).map { $0 * $1 }.reduce(0, +)
            }
            let (y, cache) = try layer.forward(try Tensor(shape: [n, inputs], scalars: xv), mode: .training)
            let want = affine(xv, wv, bv)
            var hint = ""
            if y.shape == [n, outputs], !Grade.close(y.scalars, want, 1e-12),
               Grade.close(y.scalars, affine(xv, wv, [Double](repeating: 0, count: outputs)), 1e-12) {
                hint = " — the bias is missing"
            }
            report.check(y.shape == [n, outputs] && Grade.close(y.scalars, want, 1e-12),
                "\(setting): forward must return y = x·Wᵀ + b of shape [\(n), \(outputs)], expected "
                    + "\(Grade.show(want)), got \(y.shape) \(Grade.show(y.scalars))" + hint)
            guard report.passed else { return }
            // An unrelated forward pass: backward must use the cache it is given.
            let other = random(n * inputs)
            _ = try layer.forward(try Tensor(shape: [n, inputs], scalars: other), mode: .training)
            let w0 = random(outputs * inputs), b0 = random(outputs)
            w.grad = try Tensor(shape: [outputs, inputs], scalars: w0)
            b.grad = Tensor(b0)
            let dx = try layer.backward(try Tensor(shape: [n, outputs], scalars: r), cache: cache)
            let nx = GradientCheck.numericalGradient(of: { loss($0.scalars, wv, bv) }, at: Tensor(xv)).scalars
            let nw = GradientCheck.numericalGradient(of: { loss(xv, $0.scalars, bv) }, at: Tensor(wv)).scalars
            let nb = GradientCheck.numericalGradient(of: { loss(xv, wv, $0.scalars) }, at: Tensor(bv)).scalars
            report.check(dx.shape == [n, inputs] && Grade.close(dx.scalars, nx, 1e-6),
                "\(setting): backward must return dx = ∂L/∂x of shape [\(n), \(inputs)], expected ≈ \(Grade.show(nx)) "
                    + "(centered finite differences), got \(dx.shape) \(Grade.show(dx.scalars))"
                    + (dx.shape == [n, inputs] && Grade.close(dx.scalars.map { -$0 }, nx, 1e-6) ? " — the sign is flipped" : ""))
            let otherW = GradientCheck.numericalGradient(of: { loss(other, $0.scalars, bv) }, at: Tensor(wv)).scalars
            let addedW = zip(w.grad.scalars, w0).map { $0 - $1 }, addedB = zip(b.grad.scalars, b0).map { $0 - $1 }
            for (name, got, added, numeric) in [("weight", w.grad.scalars, addedW, nw), ("bias", b.grad.scalars, addedB, nb)] {
                var hint = ""
                if name == "weight", Grade.close(added, otherW, 1e-6) {
                    hint = " — this is the gradient for the input of the latest forward pass, not of the cache backward "
                        + "was given: keep x in the cache, not in the layer"
                } else if Grade.close(got, numeric, 1e-6) {
                    hint = " — you overwrote the gradient: backward must add into grad (gradients accumulate until zeroGrad)"
                } else if name == "bias", n > 1, Grade.close(added.map { $0 * Double(n) }, numeric, 1e-6) {
                    hint = " — db is a sum over the rows, not a mean"
                } else if name == "weight", outputs > 1, inputs > 1,
                          Grade.close((0..<added.count).map { added[($0 % inputs) * outputs + $0 / inputs] }, numeric, 1e-6) {
                    hint = " — dW is transposed: it is [out, in], dyᵀ·x"
                }
                report.check(Grade.close(added, numeric, 1e-6),
                    "\(setting): backward must add ∂L/∂\(name == "weight" ? "W" : "b") ≈ \(Grade.show(numeric)) "
                        + "(centered finite differences) into \(name).grad, but it added \(Grade.show(added))" + hint)
            }
            if !report.passed { return }
        }
    }

    /// LinearLayer(64 → 32), ReLU, LinearLayer(32 → 10) on the digits with
    /// the library's trainer, Adam and softmax cross-entropy.
    static func trainLinearLayersOnDigits<F: Layer>(_ make: LayerFactory<F>, _ report: inout GradeReport) throws
    where F.Scalar == Float {
        let data = try Chapter2.data("digits", seed: linearLayerSeed)
        var rng = SeededRandom(seed: linearLayerSeed)
        let first = try make(data.train.featureCount, linearLayerHidden, &rng)
        let second = try make(linearLayerHidden, data.train.classNames.count, &rng)
        let model = Sequential<Float>([first, Activation<Float>(.relu, backend: .naive), second])
        model.backend = .naive
        let trainer = ClassifierTrainer(
            model: model, optimizer: try Adam(model.parameters, learningRate: linearLayerRate, backend: .naive))
        let options = TrainingOptions(epochs: linearLayerEpochs, batchSize: linearLayerBatch, seed: linearLayerSeed)
        do {
            try trainer.fit(train: data.train, options: options)
        } catch let error as TrainingError {
            report.check(false, "training on the digits stopped: \(error)")
            return
        }
        let test = try trainer.evaluate(data.test)
        let correct = Int((test.accuracy * Double(data.test.count)).rounded())
        let losses = trainer.history.map { String(format: "%.3f", $0.trainLoss) }.joined(separator: ", ")
        report.check(test.accuracy >= linearLayerAccuracy,
            "digits, LinearLayer(64 → \(linearLayerHidden)), ReLU, LinearLayer(\(linearLayerHidden) → 10), Adam η = "
                + "\(linearLayerRate), \(trainer.steps) steps of batch \(linearLayerBatch), seed \(linearLayerSeed): expected "
                + "a test accuracy of at least \(Int(linearLayerAccuracy * 100))%, got \(correct) of \(data.test.count) "
                + "(\(String(format: "%.1f", 100 * test.accuracy))%); training loss per epoch \(losses) — your layer passes "
                + "the checks in Double, so look at what only training uses: the parameters the optimizer sees, the "
                + "initial weights, and Float")
    }
}
