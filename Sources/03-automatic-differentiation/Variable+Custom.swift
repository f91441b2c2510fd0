// A new operation from outside the engine: its forward value, and a backward
// closure that turns ∂L/∂output into ∂L/∂input for each input.
//
// This is PyTorch's `torch.autograd.Function` in one call. The caller
// computes the output from the inputs' values (any code at all: loops,
// kernels, another library), then hands the engine
//   - the inputs, so the record knows whose gradients it feeds, and
//   - `backward(g)`, returning one gradient per input, each of that input's
//     shape (nil for an input that gets none).
// The engine does the rest: it records the operation only if some input
// needs a gradient, and in the reverse sweep it *adds* each returned
// gradient into its input's (an input passed twice gets both).
//
// The closure must capture tensors, never a Variable: a Variable holds its
// tape, and the tape holds the closure, so capturing one would be a
// reference cycle and the tape would never be freed.
//
// Exercises 3.4 and 3.5 write operations this way; the engine's own
// operations use the same `record` and `accumulate` inside the module.

import BackpropCore

extension Variable {
    /// An operation defined by its output and its backward closure.
    /// - Parameters:
    ///   - operation: a name for the tape ("maximum", "logSumExp", …).
    ///   - value: the output, computed by the caller from the inputs' values.
    ///   - inputs: the operands (at least one, all on one tape).
    ///   - saved: the tensors the closure keeps, for the tape's byte count.
    ///   - backward: ∂L/∂output ↦ [∂L/∂inputᵢ or nil], one entry per input.
    /// - Throws: `AutodiffError` for no inputs or inputs on different tapes;
    ///   backward throws if the closure returns the wrong number of
    ///   gradients or one of the wrong shape.
    public static func custom(
        _ operation: String, value: Tensor<Scalar>, inputs: [Variable], saved: [Tensor<Scalar>] = [],
        backward: @escaping (Tensor<Scalar>) throws -> [Tensor<Scalar>?]
    ) throws -> Variable {
        guard let first = inputs.first else {
            throw AutodiffError.invalidArgument(operation: operation, reason: "an operation needs at least one input")
        }
        for input in inputs.dropFirst() where input.tape !== first.tape {
            throw AutodiffError.differentTapes(operation: operation)
        }
        let nodes = inputs.map(\.node), count = inputs.count
        return first.tape.record(operation, value, inputs: inputs, saved: saved) { tape, g in
            let gradients = try backward(g)
            guard gradients.count == count else {
                throw AutodiffError.invalidArgument(
                    operation: "backward of \(operation)",
                    reason: "returned \(gradients.count) gradients for \(count) inputs")
            }
            for (node, gradient) in zip(nodes, gradients) {
                if let gradient { try tape.accumulate(node, gradient) }
            }
        }
    }
}
