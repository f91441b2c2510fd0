// Reshaping layers: Flatten ([N, C, H, W] → [N, C·H·W], before a Linear
// layer) and Unflatten ([N, D] → [N, C, H, W], turning dataset rows into
// images). Both move no data; backward reshapes the gradient back.

import BackpropCore
import Backpropagation

/// [N, d₁, d₂, …] → [N, d₁·d₂·…]
public final class Flatten<Scalar: TensorScalar>: Layer {
    public var backend: Backend
    public var parameters: [Parameter<Scalar>] { [] }
    public var summary: String { "Flatten" }

    public init(backend: Backend = .simd) { self.backend = backend }

    public func forward(_ x: Tensor<Scalar>, mode: Mode) throws -> (output: Tensor<Scalar>, cache: [Int]) {
        guard x.rank >= 2 else { throw TensorError.invalidShape(operation: "Flatten", shape: x.shape, reason: "needs a batch dimension") }
        return (try x.reshaped([x.shape[0], x.count / max(x.shape[0], 1)]), x.shape)
    }

    public func backward(_ dy: Tensor<Scalar>, cache shape: [Int]) throws -> Tensor<Scalar> { try dy.reshaped(shape) }
}

/// [N, C·H·W] → [N, C, H, W]
public final class Unflatten<Scalar: TensorScalar>: Layer {
    public let shape: [Int]
    public var backend: Backend
    public var parameters: [Parameter<Scalar>] { [] }
    public var summary: String { "Unflatten(\(shape.map(String.init).joined(separator: "×")))" }

    /// - Parameter shape: the shape of one example, e.g. [1, 8, 8].
    public init(_ shape: [Int], backend: Backend = .simd) {
        self.shape = shape
        self.backend = backend
    }

    public func forward(_ x: Tensor<Scalar>, mode: Mode) throws -> (output: Tensor<Scalar>, cache: [Int]) {
        guard x.rank == 2, x.shape[1] == shape.reduce(1, *) else {
            throw TensorError.shapeMismatch(operation: "Unflatten", lhs: x.shape, rhs: shape, reason: "each row must hold one example of that shape")
        }
        return (try x.reshaped([x.shape[0]] + shape), x.shape)
    }

    public func backward(_ dy: Tensor<Scalar>, cache shape: [Int]) throws -> Tensor<Scalar> { try dy.reshaped(shape) }
}
