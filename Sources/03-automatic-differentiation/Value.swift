// Value: one real number that remembers how it was computed — the scalar
// engine of reverse-mode automatic differentiation.
//
// Each operation creates a new `Value` holding
//   data     the number computed (the forward pass),
//   parents  the values it was computed from, and
//   local    ∂out/∂parentᵢ, one local derivative per parent, computed right
//            here in the forward pass while the inputs are at hand.
// Backward (Value+Backward.swift) then needs nothing but the chain rule:
// visiting values from the output back to the inputs, each adds
//   parentᵢ.grad += localᵢ · out.grad.
// Storing numbers instead of closures keeps the graph free of reference
// cycles (a closure that captured `out` would keep it alive forever), and
// puts each operation's backward next to its forward, in one line.
//
// A value used twice (a·a, or x feeding two neurons) appears twice among
// its consumers' parents, and its gradient is the *sum* of the two
// contributions: that is why backward adds (+=) instead of assigning.
//
// Floating point: everything is Double. The local derivatives are exact
// formulas evaluated once (tanh′ = 1 − t², reusing t = tanh x; exp′ = eˣ
// reusing the output), so the gradients carry only the rounding of these
// few multiplications and additions — the scalar and tensor engines agree
// to ~1e-15 relative on the XOR network.

import Foundation

/// A scalar in a computation graph, with its gradient ∂L/∂value after
/// `backward()` on some L.
public final class Value: CustomStringConvertible {
    /// The number computed in the forward pass.
    public var data: Double
    /// ∂L/∂self, accumulated by `backward()`; zero it (`zeroGrad`) between steps.
    public var grad: Double = 0
    /// The operation that made this value ("+", "tanh", …; "" for an input).
    public let op: String
    /// The values this one was computed from (repeated if used twice).
    public internal(set) var parents: [Value]
    /// ∂self/∂parents[i], evaluated in the forward pass.
    public internal(set) var local: [Double]

    /// An input (a leaf of the graph): data, no parents.
    public init(_ data: Double) {
        self.data = data
        self.op = ""
        self.parents = []
        self.local = []
    }

    /// The output of an operation: its value, the values it was computed
    /// from, and ∂self/∂parents[i] for each (one number per parent). Every
    /// operation below is one call of this initialiser; a new operation needs
    /// nothing else (exercise 3.1).
    public init(_ data: Double, op: String, parents: [Value], local: [Double]) {
        precondition(parents.count == local.count, "\(op): one local derivative per parent")
        self.data = data
        self.op = op
        self.parents = parents
        self.local = local
    }

    /// Releases a long chain of values without recursion: Swift's reference
    /// counting would free each parent from inside its child's deinit, one
    /// stack frame per link, and a graph 100,000 operations deep would
    /// overflow the stack. Here a value about to die hands its parents to a
    /// work list and detaches them, so each release happens at depth one.
    deinit {
        var pending = parents
        parents = []
        while var node = pending.popLast() {
            if isKnownUniquelyReferenced(&node) {
                pending.append(contentsOf: node.parents)
                node.parents = []
            }
        }
    }

    public var description: String { "Value(data: \(data), grad: \(grad)\(op.isEmpty ? "" : ", op: \(op)"))" }

    // MARK: Operations, each with its local derivatives

    /// a + b;  ∂/∂a = 1, ∂/∂b = 1
    public static func + (a: Value, b: Value) -> Value {
        Value(a.data + b.data, op: "+", parents: [a, b], local: [1, 1])
    }

    /// a · b;  ∂/∂a = b, ∂/∂b = a
    public static func * (a: Value, b: Value) -> Value {
        Value(a.data * b.data, op: "×", parents: [a, b], local: [b.data, a.data])
    }

    /// a − b;  ∂/∂a = 1, ∂/∂b = −1
    public static func - (a: Value, b: Value) -> Value {
        Value(a.data - b.data, op: "−", parents: [a, b], local: [1, -1])
    }

    /// a / b;  ∂/∂a = 1/b, ∂/∂b = −a/b² = −(a/b)/b
    public static func / (a: Value, b: Value) -> Value {
        let q = a.data / b.data
        return Value(q, op: "÷", parents: [a, b], local: [1 / b.data, -q / b.data])
    }

    /// −a;  ∂/∂a = −1
    public static prefix func - (a: Value) -> Value {
        Value(-a.data, op: "neg", parents: [a], local: [-1])
    }

    /// aⁿ for a constant exponent;  ∂/∂a = n·aⁿ⁻¹
    public func power(_ n: Double) -> Value {
        Value(Foundation.pow(data, n), op: "^\(n)", parents: [self], local: [n * Foundation.pow(data, n - 1)])
    }

    /// eˣ;  ∂/∂x = eˣ (the output itself)
    public func exp() -> Value {
        let e = Foundation.exp(data)
        return Value(e, op: "exp", parents: [self], local: [e])
    }

    /// ln x;  ∂/∂x = 1/x
    public func log() -> Value {
        Value(Foundation.log(data), op: "log", parents: [self], local: [1 / data])
    }

    /// tanh x;  ∂/∂x = 1 − tanh²x
    public func tanh() -> Value {
        let t = Foundation.tanh(data)
        return Value(t, op: "tanh", parents: [self], local: [1 - t * t])
    }

    /// max(0, x);  ∂/∂x = 1 if x > 0 else 0 (the subgradient 0 at x = 0, as PyTorch)
    public func relu() -> Value {
        Value(data > 0 ? data : 0, op: "relu", parents: [self], local: [data > 0 ? 1 : 0])
    }

    /// σ(x) = 1/(1 + e⁻ˣ);  ∂/∂x = σ(1 − σ). For x < 0 it is computed as
    /// eˣ/(1 + eˣ), so neither form overflows.
    public func sigmoid() -> Value {
        let s = data >= 0 ? 1 / (1 + Foundation.exp(-data)) : Foundation.exp(data) / (1 + Foundation.exp(data))
        return Value(s, op: "σ", parents: [self], local: [s * (1 - s)])
    }

    // Mixed with plain numbers, which enter the graph as inputs.
    public static func + (a: Value, b: Double) -> Value { a + Value(b) }
    public static func + (a: Double, b: Value) -> Value { Value(a) + b }
    public static func * (a: Value, b: Double) -> Value { a * Value(b) }
    public static func * (a: Double, b: Value) -> Value { Value(a) * b }
    public static func - (a: Value, b: Double) -> Value { a - Value(b) }
    public static func - (a: Double, b: Value) -> Value { Value(a) - b }
    public static func / (a: Value, b: Double) -> Value { a / Value(b) }
    public static func / (a: Double, b: Value) -> Value { Value(a) / b }
}
