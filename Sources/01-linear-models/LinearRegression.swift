// Linear regression y ≈ x·wᵀ + b, fitted two ways that must agree:
// exactly by the normal equations (NormalEquations.swift) and iteratively by
// full-batch gradient descent on the mean squared error:
//     ŷ = x·Wᵀ + b,  L = (1/n) Σ (ŷᵢ − yᵢ)²,
//     ∂L/∂W = (2/n)(ŷ − y)ᵀ·x,  ∂L/∂b = (2/n) Σ (ŷᵢ − yᵢ).
// For a learning rate below 2/λ_max of the Hessian (2/n)AᵀA, gradient
// descent converges to the normal-equations solution.

import BackpropCore

/// A linear model with one output, trained by gradient descent.
public struct LinearRegression<T: TensorScalar>: GradientDescentModel {
    /// [1, d]
    public var weight: Tensor<T>
    /// [1]
    public var bias: Tensor<T>
    public var backend: Backend

    /// A model with zero weights for `features` inputs.
    public init(features: Int, backend: Backend = .simd) throws {
        weight = try .zeros([1, features])
        bias = try .zeros([1])
        self.backend = backend
    }

    /// Predictions ŷ [n, 1] for inputs x [n, d].
    public func predict(_ x: Tensor<T>) throws -> Tensor<T> {
        try Affine.forward(x, weight: weight, bias: bias, backend: backend)
    }

    /// The MSE loss and its gradients with respect to W and b.
    public func lossAndGradients(_ x: Tensor<T>, _ y: Tensor<T>) throws -> (loss: T, dWeight: Tensor<T>, dBias: Tensor<T>) {
        let prediction = try predict(x)
        let target = try y.reshaped(prediction.shape)
        let loss = try MeanSquaredError.forward(prediction, target)
        let dy = try MeanSquaredError.backward(prediction, target)
        let g = try Affine.backward(dy, x: x, weight: weight, backend: backend)
        return (loss, g.dWeight, g.dBias)
    }
}

/// Checks shared by chapter 1's training loops.
public enum OptionChecks {
    public static func validate(epochs: Int, learningRate: Double) throws {
        guard epochs >= 1 else {
            throw TrainingError.invalidOption(name: "epochs", value: "\(epochs)", reason: "must be at least 1")
        }
        guard learningRate.isFinite, learningRate > 0 else {
            throw TrainingError.invalidOption(name: "learning rate", value: "\(learningRate)", reason: "must be positive and finite")
        }
    }
}

/// A model with an affine map W, b trained by full-batch gradient descent:
/// linear and logistic regression differ only in their loss.
public protocol GradientDescentModel: Sendable {
    associatedtype T: TensorScalar
    var weight: Tensor<T> { get set }
    var bias: Tensor<T> { get set }
    var backend: Backend { get }
    /// The loss on (x, y) and its gradients with respect to W and b.
    func lossAndGradients(_ x: Tensor<T>, _ y: Tensor<T>) throws -> (loss: T, dWeight: Tensor<T>, dBias: Tensor<T>)
}

extension GradientDescentModel {
    /// Full-batch gradient descent, θ ← θ − η·∇L(θ); returns the loss before
    /// each step.
    /// - Throws: `TrainingError` for a bad option, or when the loss or a
    ///   gradient stops being finite (the step and tensor are named).
    @discardableResult
    public mutating func fit(_ x: Tensor<T>, _ y: Tensor<T>, epochs: Int, learningRate: T) throws -> [T] {
        try OptionChecks.validate(epochs: epochs, learningRate: Double(learningRate))
        var history: [T] = []
        for epoch in 0..<epochs {
            let (loss, dW, db) = try lossAndGradients(x, y)
            try TrainingError.requireFinite(loss, "loss", step: epoch)
            try TrainingError.requireFinite(dW, "weight gradient", step: epoch)
            try TrainingError.requireFinite(db, "bias gradient", step: epoch)
            history.append(loss)
            weight = try weight.addingScaled(dW, by: -learningRate, backend: backend)
            bias = try bias.addingScaled(db, by: -learningRate, backend: backend)
        }
        return history
    }
}
