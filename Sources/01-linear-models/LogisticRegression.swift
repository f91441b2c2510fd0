// Logistic regression: a linear score z = x·wᵀ + b turned into a probability
// p = σ(z) = P(y = 1 | x), trained by full-batch gradient descent on the
// binary cross-entropy (Losses.swift). The gradient with respect to the
// logits is (σ(z) − y)/n, so by the chain rule through the affine map
//     ∂L/∂W = (1/n)(σ(z) − y)ᵀ·x,   ∂L/∂b = (1/n) Σ (σ(zᵢ) − yᵢ).
// The loss is convex in (W, b): gradient descent finds the global minimum,
// which is finite unless the classes are linearly separable.

import BackpropCore
import Datasets

/// A binary linear classifier with a probabilistic output.
public struct LogisticRegression<T: TensorScalar>: GradientDescentModel {
    /// [1, d]
    public var weight: Tensor<T>
    /// [1]
    public var bias: Tensor<T>
    public var backend: Backend

    /// A model with zero weights (the loss is convex, so no random start is needed).
    public init(features: Int, backend: Backend = .simd) throws {
        weight = try .zeros([1, features])
        bias = try .zeros([1])
        self.backend = backend
    }

    /// Logits z [n] for inputs x [n, d].
    public func logits(_ x: Tensor<T>) throws -> Tensor<T> {
        let z = try Affine.forward(x, weight: weight, bias: bias, backend: backend)
        return try z.reshaped([z.count])
    }

    /// P(y = 1 | x) for each row.
    public func probabilities(_ x: Tensor<T>) throws -> Tensor<T> {
        var z = try logits(x)
        for i in 0..<z.count { z.scalars[i] = BinaryCrossEntropy.sigmoid(z.scalars[i]) }
        return z
    }

    /// The loss and its gradients for inputs x [n, d] and targets y [n] in [0, 1].
    public func lossAndGradients(_ x: Tensor<T>, _ y: Tensor<T>) throws -> (loss: T, dWeight: Tensor<T>, dBias: Tensor<T>) {
        let z = try logits(x)
        let loss = try BinaryCrossEntropy.forward(logits: z, targets: y)
        let dz = try BinaryCrossEntropy.backward(logits: z, targets: y)
        let g = try Affine.backward(try dz.reshaped([dz.count, 1]), x: x, weight: weight, backend: backend)
        return (loss, g.dWeight, g.dBias)
    }
}

extension LogisticRegression: BinaryLinearClassifier where T == Float {
    public func scores(_ x: Tensor<Float>) throws -> [Float] { try logits(x).scalars }

    public static func train(on data: Dataset, options: ClassifierOptions) throws -> (LogisticRegression, [Double]) {
        var model = try LogisticRegression(features: data.featureCount, backend: options.backend)
        let y = Tensor(data.labels.map { Float($0) })
        let history = try model.fit(data.features, y, epochs: options.epochs, learningRate: Float(options.learningRate))
        return (model, history.map(Double.init))
    }
}
