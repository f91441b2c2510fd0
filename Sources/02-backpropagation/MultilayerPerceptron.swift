// Building multilayer perceptrons: Linear layers with a nonlinearity between
// them. Without the nonlinearity the stack would collapse into a single
// affine map (W₂(W₁x + b₁) + b₂ = (W₂W₁)x + (W₂b₁ + b₂)) and could not learn
// XOR; with it, one hidden layer can already approximate any continuous
// function on a bounded set (Cybenko, 1989; Hornik, 1991).

import BackpropCore

/// Factory for MLPs.
public enum MultilayerPerceptron {
    /// inputs → hidden[0] → … → outputs, with `activation` after each hidden
    /// Linear layer (and dropout after it, if p > 0). He initialisation for
    /// ReLU-like activations, Xavier for tanh and sigmoid.
    public static func make<T: TensorScalar>(
        inputs: Int, hidden: [Int], outputs: Int, activation: UnaryFunction = .relu,
        dropout: Double = 0, seed: UInt64, backend: Backend = .simd
    ) throws -> Sequential<T> {
        for width in [inputs] + hidden + [outputs] where width < 1 {
            throw TrainingError.invalidOption(name: "layer width", value: "\(width)", reason: "every layer needs at least one unit")
        }
        var rng = SeededRandom(seed: seed)
        let initializer: Initializer
        switch activation {
        case .tanh, .sigmoid: initializer = .xavierUniform
        default: initializer = .heUniform
        }
        var layers: [any Layer<T>] = []
        var width = inputs
        for (i, h) in hidden.enumerated() {
            layers.append(try Linear<T>(width, h, initializer: initializer, rng: &rng, backend: backend))
            layers.append(Activation<T>(activation, backend: backend))
            if dropout > 0 { layers.append(try Dropout<T>(dropout, seed: seed &+ UInt64(i + 1), backend: backend)) }
            width = h
        }
        // The output layer feeds a softmax: Xavier keeps its logits near unit scale.
        layers.append(try Linear<T>(width, outputs, initializer: .xavierUniform, rng: &rng, backend: backend))
        return Sequential(layers)
    }
}
