// Chapter 2's multilayer perceptron written with the engine: the forward
// pass is all there is to write; `backward` finds every gradient.
//
//   for each hidden layer i:  h ← dropout(f(h·Wᵢᵀ + bᵢ))     [n, widthᵢ]
//   logits = h·W_lastᵀ + b_last                             [n, classes]
//   loss   = crossEntropy(logits, labels)                   []
//
// Same network as chapter 2's `MultilayerPerceptron.make` with the same
// seed: the parameters are copied from the network that function builds
// (the same initialiser and draws), named as there ("0.weight", "0.bias",
// "3.weight", … — the index of the Linear layer in chapter 2's Sequential),
// and the dropout masks come from generators seeded as chapter 2's Dropout
// layers (seed + i + 1 after hidden layer i). The parameters are chapter 2's
// `Parameter`s, so its optimizers (Adam, SGD) train this model unchanged.

import Backpropagation
import BackpropCore
import Datasets

/// An MLP classifier whose backward pass is found by the tape.
public final class AutodiffMLP<Scalar: TensorScalar> {
    /// (weight [out, in], bias [out]) per layer, first to last.
    public let layers: [(weight: Parameter<Scalar>, bias: Parameter<Scalar>)]
    /// Every parameter with chapter 2's qualified name.
    public let namedParameters: [(name: String, parameter: Parameter<Scalar>)]
    public let activation: UnaryFunction
    public let dropout: Double
    public var backend: Backend
    private var dropoutRandom: [SeededRandom]
    /// The bytes the tape held for backward in the last training step.
    public private(set) var lastTapeBytes = 0

    public var parameters: [Parameter<Scalar>] { namedParameters.map(\.parameter) }

    public init(inputs: Int, hidden: [Int], outputs: Int, activation: UnaryFunction = .relu, dropout: Double = 0,
                seed: UInt64, backend: Backend = .simd) throws {
        let reference: Sequential<Scalar> = try MultilayerPerceptron.make(
            inputs: inputs, hidden: hidden, outputs: outputs, activation: activation, dropout: dropout, seed: seed, backend: backend)
        var layers: [(Parameter<Scalar>, Parameter<Scalar>)] = []
        var named: [(String, Parameter<Scalar>)] = []
        for (i, layer) in reference.layers.enumerated() {
            guard let linear = layer as? Linear<Scalar> else { continue }
            let w = Parameter("weight", linear.weight.value), b = Parameter("bias", linear.bias.value)
            layers.append((w, b))
            named += [("\(i).weight", w), ("\(i).bias", b)]
        }
        self.layers = layers
        self.namedParameters = named
        self.activation = activation
        self.dropout = dropout
        self.backend = backend
        self.dropoutRandom = hidden.indices.map { SeededRandom(seed: seed &+ UInt64($0 + 1)) }
    }

    /// The logits of a batch x [n, inputs], recorded on `tape`.
    public func logits(_ x: Variable<Scalar>, training: Bool) throws -> Variable<Scalar> {
        let tape = x.tape
        var h = x
        for (i, (w, b)) in layers.enumerated() {
            h = try h.matmul(tape.parameter(w), .nt) + tape.parameter(b)      // [n, out]
            if i < layers.count - 1 {
                h = h.map(activation)
                if dropout > 0 { h = try h.dropout(dropout, rng: &dropoutRandom[i], training: training) }
            }
        }
        return h
    }

    /// One optimizer step on a batch: zero the gradients, record the
    /// forward pass, backward, update. Returns the batch loss.
    @discardableResult
    public func step(_ x: Tensor<Scalar>, _ labels: [Int], optimizer: any Optimizer) throws -> Double {
        optimizer.zeroGrad()
        let tape = Tape<Scalar>(backend: backend)
        let loss = try logits(tape.constant(x), training: true).crossEntropy(targets: labels)
        lastTapeBytes = tape.bytesHeld
        try loss.backward()
        optimizer.step()
        return Double(loss.item)
    }

    /// The logits of a batch in inference mode (nothing recorded, no dropout).
    public func callAsFunction(_ x: Tensor<Scalar>) throws -> Tensor<Scalar> {
        let tape = Tape<Scalar>(backend: backend)
        return try tape.noGrad { try logits(tape.constant(x), training: false).value }
    }

    /// Mean loss and accuracy on a dataset, in batches of 512.
    public func evaluate(_ data: Dataset) throws -> (loss: Double, accuracy: Double) {
        let x: Tensor<Scalar> = data.features.converted()
        var lossSum = 0.0, correct = 0
        for start in stride(from: 0, to: data.count, by: 512) {
            let rows = start..<min(start + 512, data.count)
            let z = try self(x.rows(rows))
            let labels = Array(data.labels[rows])
            lossSum += Double(try SoftmaxCrossEntropy.loss(logits: z, labels: labels, backend: backend)) * Double(rows.count)
            correct += zip(Metrics.argmaxRows(z), labels).filter { $0 == $1 }.count
        }
        return (lossSum / Double(max(data.count, 1)), Double(correct) / Double(max(data.count, 1)))
    }

    /// Trains as chapter 2's `ClassifierTrainer.fit` does: each epoch sets
    /// the learning rate from the schedule and visits the training rows in
    /// a permutation drawn from one generator seeded with `options.seed`,
    /// in batches of `options.batchSize`. Stops after `maxSteps` steps if given.
    /// Returns each step's batch loss.
    @discardableResult
    public func fit(train: Dataset, options: TrainingOptions, optimizer: any Optimizer, maxSteps: Int? = nil) throws -> [Double] {
        let x: Tensor<Scalar> = train.features.converted()
        var rng = SeededRandom(seed: options.seed)
        let base = optimizer.learningRate
        defer { optimizer.learningRate = base }
        var losses: [Double] = []
        for epoch in 0..<options.epochs {
            optimizer.learningRate = options.schedule.rate(at: epoch, base: base)
            let order = rng.permutation(train.count)
            for start in stride(from: 0, to: order.count, by: options.batchSize) {
                if let maxSteps, losses.count >= maxSteps { return losses }
                let rows = order[start..<min(start + options.batchSize, order.count)]
                losses.append(try step(x.rows(rows), rows.map { train.labels[$0] }, optimizer: optimizer))
            }
        }
        return losses
    }
}
