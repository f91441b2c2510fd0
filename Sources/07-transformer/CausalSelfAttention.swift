// Causal self-attention as a layer: the kernel twins of CausalAttention.swift
// behind the book's layer contract, on sequences with features last.
//
//   forward   qkv [B, T, 3C] → y [B, T, C]      (cache: qkv and P [B, H, T, T])
//   backward  dy [B, T, C] → dqkv [B, T, 3C]
// It has no parameters: the projections to queries, keys and values and
// back are the Linear layers around it (MultiHeadAttention.swift).

import BackpropCore
import Backpropagation

public final class CausalSelfAttention<Scalar: TensorScalar>: Layer {
    public let heads: Int
    public var backend: Backend
    public var parameters: [Parameter<Scalar>] { [] }
    public var summary: String { "CausalSelfAttention(\(heads) heads)" }

    /// What the backward pass needs: the forward's input and probabilities.
    public struct Cache {
        var qkv: [Scalar]
        /// P [B, H, T, T]
        public var probabilities: [Scalar]
        var shape: AttentionShape
    }

    public init(heads: Int, backend: Backend = .simd) throws {
        guard heads > 0 else {
            throw TrainingError.invalidOption(name: "heads", value: "\(heads)", reason: "must be positive")
        }
        self.heads = heads
        self.backend = backend
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ qkv: Tensor<Scalar>, mode: Mode) throws -> (output: Tensor<Scalar>, cache: Cache) {
        guard qkv.rank == 3, qkv.shape[2] % (3 * heads) == 0, qkv.shape[2] > 0 else {
            throw TensorError.invalidShape(operation: summary, shape: qkv.shape,
                                           reason: "expected [batch, time, 3·width] with the width a multiple of \(heads) heads")
        }
        let shape = AttentionShape(batch: qkv.shape[0], length: qkv.shape[1], heads: heads, width: qkv.shape[2] / 3)
        let (y, p) = CausalAttention.forward(qkv.scalars, shape: shape, backend: backend)
        return (try Tensor(shape: [shape.batch, shape.length, shape.width], scalars: y),
                Cache(qkv: qkv.scalars, probabilities: p, shape: shape))
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dy: Tensor<Scalar>, cache: Cache) throws -> Tensor<Scalar> {
        let s = cache.shape
        guard dy.shape == [s.batch, s.length, s.width] else {
            throw TensorError.shapeMismatch(operation: "\(summary).backward", lhs: dy.shape, rhs: [s.batch, s.length, s.width],
                                            reason: "dy must have the output's shape")
        }
        let dqkv = CausalAttention.backward(dy.scalars, qkv: cache.qkv, probabilities: cache.probabilities, shape: s, backend: backend)
        return try Tensor(shape: [s.batch, s.length, 3 * s.width], scalars: dqkv)
    }
}
