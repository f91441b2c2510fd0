// Chapter 5's layers against PyTorch and against finite differences.

import BackpropCore
import ConvolutionalNetworks
import Backpropagation
import TestSupport
import Testing

@Suite struct ConvolutionLayerTests {
    static let convFixtures = ["ch5_conv_basic", "ch5_conv_stride_pad", "ch5_conv_rect_pad2", "ch5_conv_dilation", "ch5_conv_nobias"]

    @Test("Conv2D matches nn.Conv2d forward and backward", arguments: convFixtures)
    func conv2dFixture(name: String) throws {
        let f = try fixture(name)
        let hasBias = try f.scalar("has_bias") != 0
        for backend in Backend.allCases {
            let layer = try Conv2D<Double>(
                weight: try f.tensor("weight"), bias: hasBias ? try f.tensor("bias") : nil,
                stride: Int(try f.scalar("stride")), padding: Int(try f.scalar("padding")), dilation: Int(try f.scalar("dilation")),
                backend: backend)
            let (y, cache) = try layer.forward(try f.tensor("x"), mode: .training)
            #expect(maxRelativeDifference(y, try f.tensor("y")) < 1e-12, "\(name) \(backend) y")
            let dx = try layer.backward(try f.tensor("dy"), cache: cache)
            #expect(maxRelativeDifference(dx, try f.tensor("dx")) < 1e-12, "\(name) \(backend) dx")
            #expect(maxRelativeDifference(layer.weight.grad, try f.tensor("dweight")) < 1e-12, "\(name) \(backend) dweight")
            if let bias = layer.bias { #expect(maxRelativeDifference(bias.grad, try f.tensor("dbias")) < 1e-12, "\(name) \(backend) dbias") }
        }
    }

    @Test("Conv2D passes the gradient check", arguments: [(1, 0, 1), (2, 1, 1), (1, 2, 1), (2, 2, 2)])
    func conv2dGradientCheck(stride: Int, padding: Int, dilation: Int) throws {
        var rng = SeededRandom(seed: 1)
        for backend in Backend.allCases {
            let layer = try Conv2D<Double>(2, 3, kernelSize: 3, stride: stride, padding: padding, dilation: dilation, rng: &rng,
                                           backend: backend)
            // L sums ~100 terms (|L| ≈ 5), so the finite difference carries
            // rounding noise ε·|L|/h ≈ 5e-10 against entries as small as 2e-4: 1e-6.
            for (name, report) in try checkLayer(layer, input: randomTensor([2, 2, 7, 6], seed: 2)) {
                #expect(report.passes(1e-6), "s\(stride) p\(padding) d\(dilation) \(backend) \(name): \(report)")
            }
        }
    }

    @Test func conv2dShapeErrorsAreTyped() throws {
        var rng = SeededRandom(seed: 3)
        let layer = try Conv2D<Float>(3, 4, kernelSize: 3, rng: &rng)
        let error = #expect(throws: TensorError.self) { try layer.forward(try Tensor.zeros([2, 2, 8, 8]), mode: .training) }
        #expect(error?.description.contains("[2, 2, 8, 8]") == true)
        #expect(throws: TensorError.self) { try layer.forward(try Tensor.zeros([2, 3, 2, 2]), mode: .training) }  // window too big
        #expect(throws: TensorError.self) { try layer.forward(try Tensor.zeros([2, 3, 8]), mode: .training) }
    }
}

@Suite struct PoolingLayerTests {
    @Test("max and average pooling match PyTorch",
          arguments: [("ch5_maxpool", true), ("ch5_maxpool_stride1_pad", true), ("ch5_avgpool", false), ("ch5_avgpool_pad", false)])
    func poolingFixture(name: String, isMax: Bool) throws {
        let f = try fixture(name)
        let (k, s, p) = (Int(try f.scalar("kernel")), Int(try f.scalar("stride")), Int(try f.scalar("padding")))
        for backend in Backend.allCases {
            let x: Tensor<Double> = try f.tensor("x"), dy: Tensor<Double> = try f.tensor("dy")
            let y: Tensor<Double>, dx: Tensor<Double>
            if isMax {
                let layer = MaxPool2D<Double>(k, stride: s, padding: p, backend: backend)
                let out = try layer.forward(x, mode: .training)
                (y, dx) = (out.output, try layer.backward(dy, cache: out.cache))
            } else {
                let layer = AvgPool2D<Double>(k, stride: s, padding: p, backend: backend)
                let out = try layer.forward(x, mode: .training)
                (y, dx) = (out.output, try layer.backward(dy, cache: out.cache))
            }
            #expect(maxRelativeDifference(y, try f.tensor("y")) < 1e-12, "\(name) \(backend) y")
            #expect(maxRelativeDifference(dx, try f.tensor("dx")) < 1e-12, "\(name) \(backend) dx")
        }
    }

    @Test("pooling passes the gradient check (inputs without ties)")
    func poolingGradientCheck() throws {
        // Random inputs have no ties, so max pooling is differentiable there.
        let x = randomTensor([2, 3, 6, 5], seed: 4)
        for backend in Backend.allCases {
            #expect(try checkLayer(MaxPool2D<Double>(2, backend: backend), input: x)["input"]!.passes(1e-7))
            #expect(try checkLayer(MaxPool2D<Double>(3, stride: 1, padding: 1, backend: backend), input: x)["input"]!.passes(1e-7))
            #expect(try checkLayer(AvgPool2D<Double>(3, stride: 2, padding: 1, backend: backend), input: x)["input"]!.passes(1e-7))
            #expect(try checkLayer(GlobalAvgPool<Double>(backend: backend), input: x)["input"]!.passes(1e-7))
        }
    }

    @Test("Flatten and Unflatten pass the gradient check (backward undoes the reshape)")
    func reshapeGradientCheck() throws {
        #expect(try checkLayer(Flatten<Double>(), input: randomTensor([2, 3, 2, 2], seed: 6))["input"]!.passes(1e-8))
        #expect(try checkLayer(Unflatten<Double>([3, 2, 2]), input: randomTensor([2, 12], seed: 7))["input"]!.passes(1e-8))
        #expect(throws: TensorError.self) { try Unflatten<Double>([3, 2, 2]).forward(randomTensor([2, 10], seed: 8), mode: .training) }
    }

    @Test func globalAveragePoolMatchesPyTorch() throws {
        let f = try fixture("ch5_global_avgpool")
        let layer = GlobalAvgPool<Double>()
        let (y, cache) = try layer.forward(try f.tensor("x"), mode: .training)
        #expect(maxRelativeDifference(y, try f.tensor("y")) < 1e-12)
        #expect(maxRelativeDifference(try layer.backward(try f.tensor("dy"), cache: cache), try f.tensor("dx")) < 1e-12)
    }
}

@Suite struct BatchNormTests {
    @Test("BatchNorm2D matches PyTorch: training output, gradients, running statistics, inference")
    func fixtureMatch() throws {
        let f = try fixture("ch5_batchnorm")
        let layer = try BatchNorm2D<Double>(3, epsilon: try f.scalar("eps"), momentum: try f.scalar("momentum"))
        layer.weight.value = try f.tensor("weight")
        layer.bias.value = try f.tensor("bias")
        let (y, cache) = try layer.forward(try f.tensor("x"), mode: .training)
        #expect(maxRelativeDifference(y, try f.tensor("y")) < 1e-12)
        let dx = try layer.backward(try f.tensor("dy"), cache: cache)
        #expect(maxRelativeDifference(dx, try f.tensor("dx")) < 1e-11)
        #expect(maxRelativeDifference(layer.weight.grad, try f.tensor("dweight")) < 1e-12)
        #expect(maxRelativeDifference(layer.bias.grad, try f.tensor("dbias")) < 1e-12)
        #expect(maxRelativeDifference(layer.runningMean, try f.tensor("running_mean_after")) < 1e-12)
        #expect(maxRelativeDifference(layer.runningVariance, try f.tensor("running_var_after")) < 1e-12)
        #expect(maxRelativeDifference(try layer.forward(try f.tensor("x2"), mode: .inference).output, try f.tensor("y_eval")) < 1e-12)
    }

    @Test("BatchNorm2D (training mode) passes the gradient check")
    func gradientCheck() throws {
        let layer = try BatchNorm2D<Double>(3)
        layer.weight.value = Tensor([1.5, -0.5, 2])
        layer.bias.value = Tensor([0.1, 0.2, -0.3])
        for (name, report) in try checkLayer(layer, input: randomTensor([3, 3, 4, 2], seed: 5, scale: 2)) {
            #expect(report.passes(1e-6), "\(name): \(report)")
        }
    }

    @Test func inferenceBackwardIsAnError() throws {
        let layer = try BatchNorm2D<Float>(2)
        let (_, cache) = try layer.forward(try Tensor.zeros([1, 2, 2, 2]), mode: .inference)
        #expect(throws: TrainingError.self) { try layer.backward(try Tensor.zeros([1, 2, 2, 2]), cache: cache) }
    }
}

@Suite struct CNNModelTests {
    @Test("a whole CNN matches PyTorch: logits, loss and every parameter gradient", arguments: Backend.allCases)
    func wholeModel(backend: Backend) throws {
        let f = try fixture("ch5_cnn")
        let k = backend
        let model = Sequential<Double>([
            try Conv2D(weight: try f.tensor("0.weight"), bias: try f.tensor("0.bias"), padding: 1, backend: k), Activation(.relu, backend: k),
            try Conv2D(weight: try f.tensor("2.weight"), bias: try f.tensor("2.bias"), padding: 1, backend: k), Activation(.relu, backend: k),
            MaxPool2D(2, backend: k), Flatten(backend: k),
            try Linear(weight: try f.tensor("6.weight"), bias: try f.tensor("6.bias"), backend: k),
        ])
        let (logits, cache) = try model.forward(try f.tensor("x"), mode: .training)
        #expect(maxRelativeDifference(logits, try f.tensor("logits")) < 1e-12)
        let labels = (try f.tensor("targets", as: Double.self)).scalars.map { Int($0) }
        let (loss, dlogits) = try SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: labels, backend: k)
        #expect(abs(loss - (try f.scalar("loss"))) < 1e-12)
        _ = try model.backward(dlogits, cache: cache)
        for (name, p) in model.namedParameters {
            #expect(maxRelativeDifference(p.grad, try f.tensor("grad.\(name)")) < 1e-12, "grad.\(name)")
        }
    }

    /// The twins differ only in summation order, so losses agree to a few
    /// Float ulps per step; 1e-4 relative over 5 steps is ample.
    @Test("the digits CNN trains the same on both kernel sets, and its loss falls")
    func twinsAgreeAndLossFalls() throws {
        let data = try Chapter5.digits(seed: 1).train
        let x = data.features.rows(0..<32), y = Array(data.labels[0..<32])
        var losses: [[Double]] = []
        for backend in Backend.allCases {
            let model: Sequential<Float> = try DigitsCNN.make(channels: (4, 8), dropout: 0, seed: 1, backend: backend)
            let trainer = ClassifierTrainer(model: model, optimizer: try Adam(model.parameters, learningRate: 0.01, backend: backend))
            losses.append(try (0..<5).map { _ in try trainer.step(x, y, options: TrainingOptions(epochs: 1, batchSize: 32, seed: 0)).loss })
        }
        for (a, b) in zip(losses[0], losses[1]) { #expect(abs(a - b) <= 1e-4 * abs(a), "naive \(a) vs simd \(b)") }
        #expect(losses[1].last! < losses[1].first!)
    }

    @Test func cnnHasFewerParametersThanTheMLP() throws {
        let cnn: Sequential<Float> = try DigitsCNN.make(seed: 1)
        let mlp: Sequential<Float> = try MultilayerPerceptron.make(inputs: 64, hidden: [256, 256], outputs: 10, seed: 1)
        #expect(cnn.parameterCount == 9_930)
        #expect(cnn.parameterCount < mlp.parameterCount / 8)
    }
}
