// Embedding: a lookup table, the first layer of every language model.
//
//   forward   tokens [n] (ids in 0..<V) → y [n, d]       y_i = E[token_i]
//   backward  dy [n, d] → E.grad [V, d]                  E.grad[token_i] += dy_i   (scatter-add)
//
// It is the same as multiplying a one-hot row by E, so its gradient is that
// product's: only the rows that were looked up receive gradient, and a token
// used twice receives the sum. (Chapter 4's word vectors are such a table.)
// There is no input gradient: token ids are not differentiable.

import BackpropCore
import Backpropagation

/// A table of `count` learned vectors of width `dimension`.
public final class Embedding<Scalar: TensorScalar> {
    /// E [V, d].
    public let weight: Parameter<Scalar>
    public var parameters: [Parameter<Scalar>] { [weight] }
    public var count: Int { weight.value.shape[0] }
    public var dimension: Int { weight.value.shape[1] }
    public var summary: String { "Embedding(\(count) × \(dimension))" }

    /// A table initialised N(0, std²) (PyTorch's nn.Embedding uses std 1).
    public init(count: Int, dimension: Int, std: Double = 1, rng: inout SeededRandom) throws {
        guard count > 0 && dimension > 0 else {
            throw TensorError.invalidShape(operation: "Embedding", shape: [count, dimension], reason: "needs at least one row and one column")
        }
        let values = (0..<(count * dimension)).map { _ in Scalar(rng.normal(mean: 0, std: std)) }
        weight = Parameter("weight", try Tensor(shape: [count, dimension], scalars: values))
    }

    /// A table with the given weights [V, d].
    public init(weight: Tensor<Scalar>) throws {
        _ = try weight.matrixShape("Embedding")
        self.weight = Parameter("weight", weight)
    }

    /// Rows of E for `tokens`: [tokens.count, d].
    /// - Throws: `TextError.tokenOutOfRange` for an id outside 0..<V.
    public func forward(_ tokens: [Int]) throws -> Tensor<Scalar> {
        let d = dimension, v = count
        for t in tokens where t < 0 || t >= v { throw TextError.tokenOutOfRange(t, vocabularySize: v) }
        var out = [Scalar](repeating: 0, count: tokens.count * d)
        weight.value.withUnsafeBufferPointer { e in
            out.withUnsafeMutableBufferPointer { y in
                for (i, t) in tokens.enumerated() {
                    (y.baseAddress! + i * d).update(from: e.baseAddress! + t * d, count: d)
                }
            }
        }
        return try Tensor(shape: [tokens.count, d], scalars: out)
    }

    /// Adds each row of `dy` [n, d] into E.grad at its token's row.
    /// - Throws: `TensorError.shapeMismatch` if `dy` is not [tokens.count, d].
    public func backward(_ dy: Tensor<Scalar>, tokens: [Int]) throws {
        let d = dimension
        guard dy.shape == [tokens.count, d] else {
            throw TensorError.shapeMismatch(operation: "Embedding.backward", lhs: dy.shape, rhs: [tokens.count, d], reason: "dy must be [tokens, dimension]")
        }
        dy.withUnsafeBufferPointer { g in
            weight.grad.withUnsafeMutableBufferPointer { eg in
                for (i, t) in tokens.enumerated() {
                    let src = g.baseAddress! + i * d, dst = eg.baseAddress! + t * d
                    for j in 0..<d { dst[j] += src[j] }
                }
            }
        }
    }
}
