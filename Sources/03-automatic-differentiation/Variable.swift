// Variable: a tensor together with its place on a tape.
//
// `value` is the tensor computed in the forward pass; `node` is the index of
// the record that made it, or nil when no gradient flows through it (a
// constant, data, anything computed only from constants, or anything
// computed inside `noGrad`). Operations (the Variable+*.swift files) compute
// their output with the backend's kernels and, when an input has a node,
// record a backward closure next to the forward code.
//
// A Variable is a value (a struct): copying it copies a reference to the
// same tensor storage and the same node, so `let h = x` is free, and using
// the same Variable twice adds both gradients into the same node.

import BackpropCore

/// A tensor on a tape: its value, and (if it requires a gradient) its node.
public struct Variable<Scalar: TensorScalar> {
    /// The tensor computed in the forward pass.
    public let value: Tensor<Scalar>
    /// The tape this variable was recorded on (or made by, for constants).
    public let tape: Tape<Scalar>
    /// The record that produced it; nil when no gradient flows through it.
    let node: Int?

    init(_ value: Tensor<Scalar>, tape: Tape<Scalar>, node: Int?) {
        self.value = value
        self.tape = tape
        self.node = node
    }

    /// The shape of `value`.
    public var shape: [Int] { value.shape }
    /// Whether a gradient flows into this variable in backward.
    public var requiresGrad: Bool { node != nil }
    /// The accumulated gradient of a leaf (a parameter's `grad` for a parameter leaf).
    public var grad: Tensor<Scalar>? { tape.gradient(of: self) }
    /// The single element of a one-element tensor (a loss).
    public var item: Scalar { value.scalars[0] }

    /// `tape.backward(self, seed:retainGraph:)`.
    public func backward(seed: Tensor<Scalar>? = nil, retainGraph: Bool = false) throws {
        try tape.backward(self, seed: seed, retainGraph: retainGraph)
    }

    /// The same tensor cut off from the graph (no gradient flows back through it).
    public func detached() -> Variable { Variable(value, tape: tape, node: nil) }

    /// The backend of the tape.
    var backend: Backend { tape.backend }

    /// Throws unless every operand is on this variable's tape.
    func sameTape(_ others: Variable..., operation: String) throws {
        for o in others where o.tape !== tape { throw AutodiffError.differentTapes(operation: operation) }
    }
}

extension Tensor {
    /// The bytes of the elements (for the tape's accounting).
    var byteCount: Int { count * MemoryLayout<Scalar>.stride }

    /// Row-major strides: strides[i] = Π_{j > i} shape[j].
    static func strides(_ shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            s[i] = acc
            acc *= shape[i]
        }
        return s
    }
}
