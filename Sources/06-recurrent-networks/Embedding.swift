// Embedding: a lookup table, the first layer of every language model.
//
//   forward   ids [n] or [B, T] (whole numbers in 0..<V) → y [n, d] or [B, T, d]
//             y[i] = E[id_i]
//   backward  dy (the output's shape) → E.grad [V, d]   E.grad[id_i] += dy[i]   (scatter-add)
//             and dids = 0 (the ids' shape)
//
// It is the same as multiplying a one-hot row by E, so its gradient is that
// product's: only the rows that were looked up receive gradient, and a token
// used twice receives the sum. (Chapter 4's word vectors are such a table.)
//
// Token ids travel as a tensor of whole numbers (as PyTorch's nn.Embedding
// takes a tensor of indices), so the embedding is a layer like any other and
// fits the one layer contract. Each id is read by rounding to the nearest
// whole number: a function of the real-valued id that is constant between
// half-integers, whose derivative is therefore exactly the zero that
// `backward` returns (finite differences agree). Float holds every whole
// number up to 2²⁴ exactly, far beyond any vocabulary here.

import BackpropCore
import Backpropagation

/// A table of `count` learned vectors of width `dimension`.
public final class Embedding<Scalar: TensorScalar>: Layer {
    /// E [V, d].
    public let weight: Parameter<Scalar>
    /// The lookup copies rows and needs no kernels; kept for the layer contract.
    public var backend: Backend
    public var parameters: [Parameter<Scalar>] { [weight] }
    public var count: Int { weight.value.shape[0] }
    public var dimension: Int { weight.value.shape[1] }
    public var summary: String { "Embedding(\(count) × \(dimension))" }

    /// What backward needs: the ids that were looked up, and their shape.
    public struct Cache {
        public var tokens: [Int]
        public var shape: [Int]
    }

    /// A table initialised N(0, std²) (PyTorch's nn.Embedding uses std 1).
    public init(count: Int, dimension: Int, std: Double = 1, rng: inout SeededRandom, backend: Backend = .simd) throws {
        guard count > 0 && dimension > 0 else {
            throw TensorError.invalidShape(operation: "Embedding", shape: [count, dimension], reason: "needs at least one row and one column")
        }
        let values = (0..<(count * dimension)).map { _ in Scalar(rng.normal(mean: 0, std: std)) }
        weight = Parameter("weight", try Tensor(shape: [count, dimension], scalars: values))
        self.backend = backend
    }

    /// A table with the given weights [V, d].
    public init(weight: Tensor<Scalar>, backend: Backend = .simd) throws {
        _ = try weight.matrixShape("Embedding")
        self.weight = Parameter("weight", weight)
        self.backend = backend
    }

    /// `tokens` as an id tensor of the given shape (default [tokens.count]).
    public static func ids(_ tokens: [Int], shape: [Int]? = nil) throws -> Tensor<Scalar> {
        try Tensor(shape: shape ?? [tokens.count], scalars: tokens.map { Scalar($0) })
    }

    /// Rows of E for the ids: the ids' shape followed by d.
    /// - Throws: `TextError.tokenOutOfRange` for an id outside 0..<V (or not finite).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ ids: Tensor<Scalar>, mode: Mode) throws -> (output: Tensor<Scalar>, cache: Cache) {
        let d = dimension, v = count
        var tokens = [Int](repeating: 0, count: ids.count)
        for (i, x) in ids.scalars.enumerated() {
            let r = Double(x).rounded()
            guard r >= 0, r < Double(v) else {
                throw TextError.tokenOutOfRange(abs(r) < 1e15 ? Int(r) : (r > 0 ? Int.max : Int.min), vocabularySize: v)
            }
            tokens[i] = Int(r)
        }
        var out = [Scalar](repeating: 0, count: tokens.count * d)
        weight.value.withUnsafeBufferPointer { e in
            out.withUnsafeMutableBufferPointer { y in
                for (i, t) in tokens.enumerated() {
                    (y.baseAddress! + i * d).update(from: e.baseAddress! + t * d, count: d)
                }
            }
        }
        return (try Tensor(shape: ids.shape + [d], scalars: out), Cache(tokens: tokens, shape: ids.shape))
    }

    /// Adds each row of `dy` into E.grad at its token's row; the ids get no gradient.
    /// - Throws: `TensorError.shapeMismatch` if `dy` is not the output's shape.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dy: Tensor<Scalar>, cache: Cache) throws -> Tensor<Scalar> {
        let d = dimension
        guard dy.shape == cache.shape + [d] else {
            throw TensorError.shapeMismatch(operation: "Embedding.backward", lhs: dy.shape, rhs: cache.shape + [d], reason: "dy must have the output's shape")
        }
        dy.withUnsafeBufferPointer { g in
            weight.grad.withUnsafeMutableBufferPointer { eg in
                for (i, t) in cache.tokens.enumerated() {
                    let src = g.baseAddress! + i * d, dst = eg.baseAddress! + t * d
                    for j in 0..<d { dst[j] += src[j] }
                }
            }
        }
        return try Tensor(shape: cache.shape, repeating: 0)
    }
}
