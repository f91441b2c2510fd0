// Every layer: backward against finite differences in Double, and forward and
// backward against PyTorch.

import BackpropCore
import Backpropagation
import TestSupport
import Testing

@Suite struct LayerTests {
    @Test("Linear matches nn.Linear: output, input gradient, parameter gradients", arguments: [Backend.naive, .simd])
    func linearFixture(backend: Backend) throws {
        let f = try fixture("ch2_linear")
        let layer = try Linear<Double>(weight: try f.tensor("weight"), bias: try f.tensor("bias"), backend: backend)
        let (y, cache) = try layer.forward(try f.tensor("x"), mode: .training)
        #expect(maxRelativeDifference(y, try f.tensor("y")) < 1e-12)
        let dx = try layer.backward(try f.tensor("dy"), cache: cache)
        #expect(maxRelativeDifference(dx, try f.tensor("dx")) < 1e-12)
        #expect(maxRelativeDifference(layer.weight.grad, try f.tensor("dweight")) < 1e-12)
        #expect(maxRelativeDifference(layer.bias.grad, try f.tensor("dbias")) < 1e-12)
    }

    @Test("Linear on a sequence [B, T, in] maps every position as the rows [B·T, in] and passes the gradient check")
    func linearOnSequences() throws {
        var rng = SeededRandom(seed: 21)
        let layer = try Linear<Double>(5, 3, rng: &rng)
        layer.bias.value = randomTensor([3], seed: 22)
        let x = randomTensor([2, 4, 5], seed: 23)
        let y = try layer.forward(x, mode: .inference).output
        #expect(y.shape == [2, 4, 3])
        // Each position by the definition y = x·Wᵀ + b, written out here.
        for row in 0..<8 {
            for o in 0..<3 {
                var want = layer.bias.value.scalars[o]
                for k in 0..<5 { want += x.scalars[row * 5 + k] * layer.weight.value.scalars[o * 5 + k] }
                #expect(abs(y.scalars[row * 3 + o] - want) < 1e-12)
            }
        }
        for (name, report) in try checkLayer(layer, input: x) {
            #expect(report.passes(1e-7), "\(name): \(report)")
        }
        #expect(throws: TensorError.self) { try layer.backward(randomTensor([8, 3], seed: 24), cache: x) }  // dy must be [2, 4, 3]
    }

    @Test("Linear backward accumulates: two backward passes give twice the gradient")
    func linearAccumulates() throws {
        var rng = SeededRandom(seed: 1)
        let layer = try Linear<Double>(3, 2, rng: &rng)
        let x = randomTensor([4, 3], seed: 2), dy = randomTensor([4, 2], seed: 3)
        let (_, cache) = try layer.forward(x, mode: .training)
        _ = try layer.backward(dy, cache: cache)
        let once = layer.weight.grad
        _ = try layer.backward(dy, cache: cache)
        #expect(maxRelativeDifference(layer.weight.grad, once.scaled(by: 2)) < 1e-14)
    }

    @Test("Linear passes the gradient check", arguments: [Backend.naive, .simd])
    func linearGradientCheck(backend: Backend) throws {
        var rng = SeededRandom(seed: 4)
        let layer = try Linear<Double>(5, 3, rng: &rng, backend: backend)
        for (name, report) in try checkLayer(layer, input: randomTensor([4, 5], seed: 5)) {
            #expect(report.passes(1e-7), "\(name): \(report)")
        }
    }

    static let activationFixtures: [(String, UnaryFunction)] = [
        ("relu", .relu), ("leaky_relu", .leakyRelu(slope: 0.1)), ("tanh", .tanh), ("sigmoid", .sigmoid),
        ("gelu", .gelu), ("gelu_tanh", .geluTanh),
    ]

    @Test("activations match PyTorch", arguments: activationFixtures)
    func activationFixture(name: String, function: UnaryFunction) throws {
        let f = try fixture("ch2_activation_\(name)")
        for backend in Backend.allCases {
            let layer = Activation<Double>(function, backend: backend)
            let (y, cache) = try layer.forward(try f.tensor("x"), mode: .training)
            let dx = try layer.backward(try f.tensor("dy"), cache: cache)
            // Double twins are libm-based or exact; 1e-12 leaves room for erf.
            #expect(maxRelativeDifference(y, try f.tensor("y")) < 1e-12, "\(name) \(backend) forward")
            #expect(maxRelativeDifference(dx, try f.tensor("dx")) < 1e-12, "\(name) \(backend) backward")
        }
    }

    @Test("inference gives the training forward's values; a GELU's backward from an inference cache is a shape error",
          arguments: activationFixtures)
    func activationInference(name: String, function: UnaryFunction) throws {
        let f = try fixture("ch2_activation_\(name)")
        for backend in Backend.allCases {
            let layer = Activation<Double>(function, backend: backend)
            let (y, cache) = try layer.forward(try f.tensor("x"), mode: .inference)
            #expect(maxRelativeDifference(y, try f.tensor("y")) < 1e-12, "\(name) \(backend) inference forward")
            if function.derivativeInForward {
                #expect(throws: TensorError.self) { try layer.backward(try f.tensor("dy"), cache: cache) }
            }
        }
    }

    @Test("Float activations agree with PyTorch to single precision", arguments: activationFixtures)
    func activationFloat(name: String, function: UnaryFunction) throws {
        let f = try fixture("ch2_activation_\(name)")
        for backend in Backend.allCases {
            let layer = Activation<Float>(function, backend: backend)
            let (y, cache) = try layer.forward(try f.tensor("x"), mode: .training)
            let dx = try layer.backward(try f.tensor("dy"), cache: cache)
            #expect(maxRelativeDifference(y.converted(to: Double.self), try f.tensor("y")) < 1e-5, "\(name) \(backend)")
            #expect(maxRelativeDifference(dx.converted(to: Double.self), try f.tensor("dx")) < 1e-5, "\(name) \(backend)")
        }
    }

    @Test("activations pass the gradient check", arguments: UnaryFunction.all)
    func activationGradientCheck(function: UnaryFunction) throws {
        // Inputs kept away from ReLU's kink at 0, where no derivative exists.
        var x = randomTensor([3, 7], seed: 6, scale: 3)
        for i in 0..<x.count where abs(x.scalars[i]) < 0.05 { x.scalars[i] = 0.3 }
        for backend in Backend.allCases {
            let report = try checkLayer(Activation<Double>(function, backend: backend), input: x)["input"]!
            #expect(report.passes(1e-7), "\(function.name) \(backend): \(report)")
        }
    }

    @Test("softmax matches PyTorch and passes the gradient check")
    func softmax() throws {
        let f = try fixture("ch2_softmax")
        for backend in Backend.allCases {
            let layer = Softmax<Double>(backend: backend)
            let (y, cache) = try layer.forward(try f.tensor("x"), mode: .training)
            #expect(maxRelativeDifference(y, try f.tensor("y")) < 1e-12)
            #expect(maxRelativeDifference(try layer.backward(try f.tensor("dy"), cache: cache), try f.tensor("dx")) < 1e-12)
            #expect(try checkLayer(layer, input: randomTensor([3, 5], seed: 7, scale: 2))["input"]!.passes(1e-7))
        }
    }

    /// Dropout's mask is random, so PyTorch cannot give reference values;
    /// instead we check the definition: kept entries are scaled by 1/(1 − p),
    /// about p of them are zero, inference is the identity, and backward uses
    /// the same mask.
    @Test func dropout() throws {
        let layer = try Dropout<Double>(0.25, seed: 8)
        let x = try Tensor<Double>(shape: [100, 100], repeating: 2)
        let (y, mask) = try layer.forward(x, mode: .training)
        let zeros = y.scalars.filter { $0 == 0 }.count
        #expect(y.scalars.allSatisfy { $0 == 0 || abs($0 - 2 / 0.75) < 1e-12 })
        #expect(abs(Double(zeros) / 10_000 - 0.25) < 0.02)  // sd of the fraction ≈ 0.0043
        #expect(try layer.forward(x, mode: .inference).output == x)
        let dy = randomTensor([100, 100], seed: 9)
        #expect(try layer.backward(dy, cache: mask) == dy.multiplying(mask!))
        #expect(throws: TrainingError.self) { try Dropout<Float>(1, seed: 0) }
    }

    @Test("a whole MLP matches PyTorch: logits, loss, every gradient, one Adam step", arguments: [Backend.naive, .simd])
    func wholeMLP(backend: Backend) throws {
        let f = try fixture("ch2_mlp")
        let k = backend
        let model = Sequential<Double>([
            try Linear(weight: try f.tensor("0.weight"), bias: try f.tensor("0.bias"), backend: k), Activation(.tanh, backend: k),
            try Linear(weight: try f.tensor("2.weight"), bias: try f.tensor("2.bias"), backend: k), Activation(.relu, backend: k),
            try Linear(weight: try f.tensor("4.weight"), bias: try f.tensor("4.bias"), backend: k),
        ])
        #expect(model.namedParameters.map(\.name) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"])
        let (logits, cache) = try model.forward(try f.tensor("x"), mode: .training)
        #expect(maxRelativeDifference(logits, try f.tensor("logits")) < 1e-12)
        let (loss, dlogits) = try SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: labels(try f.tensor("targets")), backend: k)
        #expect(abs(loss - (try f.scalar("loss"))) < 1e-12)
        _ = try model.backward(dlogits, cache: cache)
        for (name, p) in model.namedParameters {
            #expect(maxRelativeDifference(p.grad, try f.tensor("grad.\(name)")) < 1e-12, "grad.\(name)")
        }
        let adam = try Adam(model.parameters, learningRate: try f.scalar("lr"), backend: k)
        adam.step()
        for (name, p) in model.namedParameters {
            #expect(maxRelativeDifference(p.value, try f.tensor("after_adam.\(name)")) < 1e-12, "after_adam.\(name)")
        }
    }

    @Test("a whole stack passes the gradient check, through every layer kind")
    func sequentialGradientCheck() throws {
        var rng = SeededRandom(seed: 10)
        let model = Sequential<Double>([
            try Linear(4, 6, rng: &rng), Activation(.gelu), try Linear(6, 5, rng: &rng), Activation(.sigmoid),
            try Linear(5, 3, rng: &rng), Softmax(),
        ])
        let reports = try checkLayer(model, input: randomTensor([3, 4], seed: 11))
        #expect(reports.count == 1 + model.parameters.count)  // the input and all six parameters
        for (i, p) in model.parameters.enumerated() {
            let report = reports["\(i).\(p.name)"]!
            // Below the softmax the first layer's gradients are ~1e-5, where the
            // central difference's rounding error (ε·|L|/h ≈ 1e-10) is a 1e-5
            // relative error by itself: there, agree to 1e-9 absolutely.
            let absolute = zip(p.grad.scalars, report.numericGradient.scalars).map { abs($0 - $1) }.max() ?? 0
            #expect(report.passes(1e-6) || absolute < 1e-9, "\(i).\(p.name): \(report)")
        }
        #expect(reports["input"]!.passes(1e-6), "input: \(reports["input"]!)")
    }

    @Test func shapeErrorsAreTyped() throws {
        var rng = SeededRandom(seed: 12)
        let layer = try Linear<Float>(3, 2, rng: &rng)
        let error = #expect(throws: TensorError.self) { try layer.forward(try Tensor.zeros([4, 5]), mode: .training) }
        #expect(error?.description.contains("[4, 5]") == true)
        let (_, cache) = try layer.forward(try Tensor.zeros([4, 3]), mode: .training)
        #expect(throws: TensorError.self) { try layer.backward(try Tensor.zeros([4, 3]), cache: cache) }
        #expect(throws: TensorError.self) { try Linear<Float>(weight: try Tensor.zeros([2, 3]), bias: try Tensor.zeros([3])) }
    }

    /// The first layer of a model is asked for its parameters' gradients only
    /// (its input is the data); those must be backward's, bit for bit, for a
    /// batch of rows and for a rank-3 input, and bad shapes are refused alike.
    @Test("Linear's parameter-only backward accumulates backward's dW and db", arguments: [[5, 3], [2, 4, 3]])
    func linearParameterGradientsOnly(_ shape: [Int]) throws {
        for backend in Backend.allCases {
            var rng = SeededRandom(seed: 31)
            let layer = try Linear<Double>(3, 4, rng: &rng, backend: backend)
            let (y, cache) = try layer.forward(randomTensor(shape, seed: 32), mode: .training)
            let dy = randomTensor(y.shape, seed: 33)
            _ = try layer.backward(dy, cache: cache)
            let (dw, db) = (layer.weight.grad, layer.bias.grad)
            layer.weight.zeroGrad()
            layer.bias.zeroGrad()
            try layer.accumulateParameterGradients(dy, cache: cache)
            #expect(layer.weight.grad == dw && layer.bias.grad == db, "\(backend) \(shape)")
            #expect(throws: TensorError.self) { try layer.accumulateParameterGradients(try Tensor.zeros([1, 2]), cache: cache) }
        }
    }
}
