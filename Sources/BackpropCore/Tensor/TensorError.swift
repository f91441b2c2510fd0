// Typed errors for bad input at API boundaries.
//
// A shape mismatch is the most common mistake in numerical code; the message
// names the operation and both shapes so the reader can find the bug without
// a debugger. Preconditions remain only for internal kernel bugs.

/// An error in the use of a tensor operation: the caller passed shapes or
/// values the operation cannot accept.
public enum TensorError: Error, Equatable, CustomStringConvertible, Sendable {
    /// Two operands whose shapes do not fit together.
    case shapeMismatch(operation: String, lhs: [Int], rhs: [Int], reason: String)
    /// A shape that is invalid on its own (negative dimension, wrong rank…).
    case invalidShape(operation: String, shape: [Int], reason: String)
    /// A storage whose element count does not match the shape.
    case countMismatch(shape: [Int], expected: Int, got: Int)
    /// A value (NaN, infinity, out of range) that the operation cannot use.
    case invalidValue(operation: String, reason: String)

    public var description: String {
        switch self {
        case let .shapeMismatch(op, lhs, rhs, reason):
            return "\(op): shapes \(lhs) and \(rhs) do not fit (\(reason))"
        case let .invalidShape(op, shape, reason):
            return "\(op): invalid shape \(shape) (\(reason))"
        case let .countMismatch(shape, expected, got):
            return "tensor of shape \(shape) needs \(expected) elements, got \(got)"
        case let .invalidValue(op, reason):
            return "\(op): \(reason)"
        }
    }
}

extension TensorError: CustomDebugStringConvertible {
    public var debugDescription: String { description }
}
