// Typed errors of the automatic-differentiation engine.
//
// Every misuse the engine can detect is an `AutodiffError` whose message
// names the operation and the shapes (or indices) involved, so a reader sees
// what went wrong without a debugger:
//
//   - backward on an output with more than one element and no seed gradient
//     (the chain rule needs ∂L/∂output to start from; for a scalar loss it is
//     1, for anything else the caller must say which linear combination of
//     the outputs to differentiate),
//   - operands whose shapes do not fit (including broadcasting failures),
//   - backward called a second time on a graph whose saved tensors were
//     already released (`retainGraph: false`, the default),
//   - a gather index outside the table.

/// A misuse of the tensor engine (`Tape`, `Variable`), named with its shapes.
public enum AutodiffError: Error, Equatable, CustomStringConvertible, Sendable {
    /// `backward()` without a seed on an output that is not a single number.
    case nonScalarWithoutSeed(shape: [Int])
    /// A seed gradient whose shape is not the output's.
    case seedShapeMismatch(output: [Int], seed: [Int])
    /// Two operands whose shapes do not fit together.
    case shapeMismatch(operation: String, lhs: [Int], rhs: [Int], reason: String)
    /// Two shapes that cannot be broadcast to one (NumPy's rules: aligned
    /// from the right, each pair of dimensions equal or one of them 1).
    case broadcastFailure(operation: String, lhs: [Int], rhs: [Int], axis: Int)
    /// A shape that does not suit the operation on its own.
    case invalidShape(operation: String, shape: [Int], reason: String)
    /// Backward through a graph whose tape was freed by an earlier backward.
    case graphFreed(operation: String)
    /// An index outside 0..<count (gather, cross-entropy targets, slicing).
    case indexOutOfRange(operation: String, index: Int, count: Int)
    /// Backward from a value no leaf with `requiresGrad` contributed to.
    case noGradient(operation: String)
    /// Two variables recorded on different tapes used in one operation.
    case differentTapes(operation: String)
    /// An argument outside the values the operation accepts.
    case invalidArgument(operation: String, reason: String)

    public var description: String {
        switch self {
        case let .nonScalarWithoutSeed(shape):
            return "backward: the output has shape \(shape), not a single element; pass a seed gradient of shape \(shape)"
        case let .seedShapeMismatch(output, seed):
            return "backward: the seed gradient has shape \(seed) but the output has shape \(output)"
        case let .shapeMismatch(op, lhs, rhs, reason):
            return "\(op): shapes \(lhs) and \(rhs) do not fit (\(reason))"
        case let .broadcastFailure(op, lhs, rhs, axis):
            return "\(op): shapes \(lhs) and \(rhs) cannot be broadcast (dimension \(axis) from the right: "
                + "\(Self.dimension(lhs, axis)) vs \(Self.dimension(rhs, axis)), neither is 1)"
        case let .invalidShape(op, shape, reason):
            return "\(op): invalid shape \(shape) (\(reason))"
        case let .graphFreed(op):
            return "\(op): the graph was freed by an earlier backward; record the computation again, "
                + "or pass retainGraph: true to the first backward"
        case let .indexOutOfRange(op, index, count):
            return "\(op): index \(index) is outside 0..<\(count)"
        case let .noGradient(op):
            return "\(op): no leaf that requires a gradient contributed to this value"
        case let .differentTapes(op):
            return "\(op): the operands were recorded on different tapes"
        case let .invalidArgument(op, reason):
            return "\(op): \(reason)"
        }
    }

    /// The dimension `axis` places from the right (0 = last), or 1 if absent.
    static func dimension(_ shape: [Int], _ axis: Int) -> Int {
        axis < shape.count ? shape[shape.count - 1 - axis] : 1
    }
}

extension AutodiffError: CustomDebugStringConvertible {
    public var debugDescription: String { description }
}
