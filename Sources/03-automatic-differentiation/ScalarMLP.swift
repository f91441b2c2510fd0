// A multilayer perceptron made of `Value`s: neurons, layers, and the
// network, with the loss and the optimizer written in scalars too. It
// trains chapter 2's XOR network (2 → 4 tanh → 2, Adam at 0.05, 300 full
// batches of the four points) without a single hand-written derivative:
// `loss.backward()` finds them all.
//
//   neuron    y = f(Σᵢ wᵢxᵢ + b)               (f = tanh, ReLU or identity)
//   layer     `outputs` neurons reading the same inputs
//   loss      softmax cross-entropy of the last layer's outputs (logits):
//             Lₙ = log Σⱼ e^(zⱼ − m) + m − z_y,  m = maxⱼ zⱼ (a constant)
//             and L = (1/N) Σₙ Lₙ over the batch.
// Subtracting m keeps every e^(·) ≤ 1 (no overflow); m is a plain number,
// not a graph value, which changes nothing in the gradient: the expression
// equals log Σⱼ e^(zⱼ) for every m, so its derivative does too.
//
// The weights start where chapter 2's `MultilayerPerceptron.make` starts
// them with the same seed (the network is built by that function in Double
// and its weights copied), so the scalar engine, the tensor engine and the
// hand-written backward passes can be compared on the very same network.

import Backpropagation
import BackpropCore
import Foundation

/// One neuron: y = f(w·x + b).
public final class Neuron {
    public let weights: [Value]
    public let bias: Value
    public let activation: UnaryFunction?

    public init(weights: [Double], bias: Double, activation: UnaryFunction?) {
        self.weights = weights.map(Value.init)
        self.bias = Value(bias)
        self.activation = activation
    }

    public func callAsFunction(_ x: [Value]) -> Value {
        var sum = bias
        for (w, xi) in zip(weights, x) { sum = sum + w * xi }
        switch activation {
        case nil: return sum
        case .tanh?: return sum.tanh()
        case .relu?: return sum.relu()
        case .sigmoid?: return sum.sigmoid()
        default: preconditionFailure("ScalarMLP supports tanh, relu and sigmoid, not \(activation!.name)")
        }
    }

    public var parameters: [Value] { weights + [bias] }
}

/// A fully connected layer of neurons.
public final class ScalarLayer {
    public let neurons: [Neuron]

    public init(neurons: [Neuron]) { self.neurons = neurons }

    public func callAsFunction(_ x: [Value]) -> [Value] { neurons.map { $0(x) } }

    public var parameters: [Value] { neurons.flatMap(\.parameters) }
}

/// An MLP of scalar `Value`s (inputs → hidden… → outputs, no activation on the outputs).
public final class ScalarMLP {
    public let layers: [ScalarLayer]

    /// The network chapter 2's `MultilayerPerceptron.make` builds with this
    /// seed (same initialiser, same draws), its weights copied into Values.
    /// - Throws: `AutodiffError.invalidArgument` for an activation other than tanh, ReLU or sigmoid.
    public init(inputs: Int, hidden: [Int], outputs: Int, activation: UnaryFunction = .tanh, seed: UInt64) throws {
        switch activation {
        case .tanh, .relu, .sigmoid: break
        default: throw AutodiffError.invalidArgument(operation: "ScalarMLP", reason: "activation \(activation.name) is not tanh, relu or sigmoid")
        }
        let reference: Sequential<Double> = try MultilayerPerceptron.make(
            inputs: inputs, hidden: hidden, outputs: outputs, activation: activation, seed: seed, backend: .naive)
        let linears = reference.layers.compactMap { $0 as? Linear<Double> }
        layers = linears.enumerated().map { (i, linear) in
            let (out, inp) = (linear.outputs, linear.inputs)
            let w = linear.weight.value.scalars, b = linear.bias.value.scalars
            return ScalarLayer(neurons: (0..<out).map { j in
                Neuron(weights: Array(w[(j * inp)..<((j + 1) * inp)]), bias: b[j],
                       activation: i == linears.count - 1 ? nil : activation)
            })
        }
    }

    /// The logits for one example.
    public func callAsFunction(_ x: [Double]) -> [Value] {
        var h = x.map(Value.init)
        for layer in layers { h = layer(h) }
        return h
    }

    /// Every weight and bias, layer by layer, each neuron's weights then its bias.
    public var parameters: [Value] { layers.flatMap(\.parameters) }

    /// The mean softmax cross-entropy over a batch, as one graph.
    public func loss(_ inputs: [[Double]], _ labels: [Int]) -> Value {
        var total = Value(0)
        for (x, y) in zip(inputs, labels) { total = total + ScalarMLP.crossEntropy(logits: self(x), label: y) }
        return total / Double(inputs.count)
    }

    /// log Σⱼ e^(zⱼ − m) + m − z_label, with m = maxⱼ zⱼ taken as a constant.
    public static func crossEntropy(logits z: [Value], label: Int) -> Value {
        let m = z.map(\.data).max() ?? 0
        var sum = Value(0)
        for zj in z { sum = sum + (zj - m).exp() }
        return sum.log() + m - z[label]
    }
}

/// Adam (PyTorch's equations, as chapter 2's `Adam`) on scalar values.
public final class ScalarAdam {
    public let parameters: [Value]
    public var learningRate: Double
    public let beta1: Double, beta2: Double, epsilon: Double
    private var m: [Double], v: [Double]
    public private(set) var steps = 0

    public init(_ parameters: [Value], learningRate: Double, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        m = Array(repeating: 0, count: parameters.count)
        v = m
    }

    /// m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  θ ← θ − η·(m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε)
    public func step() {
        steps += 1
        let c1 = 1 - Foundation.pow(beta1, Double(steps)), c2 = 1 - Foundation.pow(beta2, Double(steps))
        for (i, p) in parameters.enumerated() {
            m[i] = beta1 * m[i] + (1 - beta1) * p.grad
            v[i] = beta2 * v[i] + (1 - beta2) * p.grad * p.grad
            p.data -= learningRate * (m[i] / c1) / ((v[i] / c2).squareRoot() + epsilon)
        }
    }

    public func zeroGrad() { for p in parameters { p.grad = 0 } }
}
