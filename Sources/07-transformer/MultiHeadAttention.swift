// Multi-head causal self-attention: one fused projection to queries, keys
// and values, H heads of causal attention side by side, and an output
// projection that mixes the heads.
//
//   forward   x [B, T, C] → y [B, T, C]
//             qkv = x W_qkvᵀ + b_qkv            [B, T, 3C]  (Linear C → 3C)
//             a   = CausalSelfAttention(qkv)     [B, T, C]   (heads split and merged by column)
//             y   = a W_oᵀ + b_o                 [B, T, C]   (Linear C → C)
//   backward  dy [B, T, C] → dx [B, T, C], in the reverse order, accumulating
//             the two projections' parameter gradients.
// With `bias: false` both projections are bias-free (y = a W_oᵀ, PyTorch's
// `bias=False`).
//
// The middle step is replaceable (exercise 7.5): `replaceAttention(with:)`
// puts any parameter-free layer with the same contract (qkv [B, T, 3C] →
// y [B, T, C], dy → dqkv) between the two projections, and the block, the
// GPT and its training use it unchanged. (Generation with the KV cache,
// KVCacheDecoding.swift, computes attention itself and does not.)

import BackpropCore
import Backpropagation

public final class MultiHeadAttention<Scalar: TensorScalar>: Layer {
    public var heads: Int { attention.heads }
    /// W_qkv [3C, C], b_qkv [3C]
    public let qkv: Linear<Scalar>
    public let attention: CausalSelfAttention<Scalar>
    /// The layer used in place of `attention`, if one was given (nil: the library's).
    public private(set) var replacement: (any Layer<Scalar>)?
    /// W_o [C, C], b_o [C]
    public let output: Linear<Scalar>
    public var backend: Backend {
        didSet { qkv.backend = backend; attention.backend = backend; output.backend = backend; replacement?.backend = backend }
    }
    public var width: Int { output.outputs }
    public var summary: String {
        "MultiHeadAttention(\(width), \(heads) heads" + (replacement.map { ", \($0.summary)" } ?? "") + ")"
    }

    public struct Cache {
        var x: Tensor<Scalar>
        var attention: AttentionCache
        var attended: Tensor<Scalar>
    }

    /// The attention step's cache: the library's, or a replacement's with
    /// the layer that made it (its backward pass must be the same layer's).
    enum AttentionCache {
        case library(CausalSelfAttention<Scalar>.Cache)
        case replaced(any Layer<Scalar>, Any)
    }

    /// QKV weights N(0, std²), the output projection's N(0, outputStd²), zero biases if `bias`.
    public init(width: Int, heads: Int, bias: Bool = true, std: Double = 0.02, outputStd: Double = 0.02, rng: inout SeededRandom, backend: Backend = .simd) throws {
        guard heads > 0, width % heads == 0 else {
            throw TrainingError.invalidOption(name: "heads", value: "\(heads)", reason: "must divide the width \(width)")
        }
        self.backend = backend
        qkv = try GPTInitialization.linear(inputs: width, outputs: 3 * width, std: std, bias: bias, rng: &rng, backend: backend)
        attention = try CausalSelfAttention(heads: heads, backend: backend)
        output = try GPTInitialization.linear(inputs: width, outputs: width, std: outputStd, bias: bias, rng: &rng, backend: backend)
    }

    public var parameters: [Parameter<Scalar>] { qkv.parameters + output.parameters }

    /// Uses `layer` in place of the library's causal attention from the next
    /// forward pass on (nil restores the library's). It receives qkv
    /// [B, T, 3C] (queries, keys, values; head h in columns h·C/H ..< (h+1)·C/H
    /// of each) and must return y [B, T, C], and in backward dqkv from dy.
    /// - Throws: `TrainingError.invalidOption` if the layer has parameters
    ///   (they would not be trained: the model's are the projections').
    public func replaceAttention(with layer: (any Layer<Scalar>)?) throws {
        if let layer, !layer.parameters.isEmpty {
            throw TrainingError.invalidOption(name: "attention", value: layer.summary,
                                              reason: "must have no parameters (the projections around it hold the model's)")
        }
        layer?.backend = backend
        replacement = layer
    }

    /// x [B, T, C] → y [B, T, C].
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Tensor<Scalar>, mode: Mode) throws -> (output: Tensor<Scalar>, cache: Cache) {
        guard x.rank == 3, x.shape[2] == width else {
            throw TensorError.shapeMismatch(operation: summary, lhs: x.shape, rhs: [-1, -1, width], reason: "x must be [batch, time, \(width)]")
        }
        let projected = try qkv.forward(x, mode: mode).output                    // [B, T, 3C]
        let attended: Tensor<Scalar>, ca: AttentionCache                          // [B, T, C]
        if let replacement {
            let (a, cache) = try replacement.forward(projected, mode: mode)
            guard a.shape == [x.shape[0], x.shape[1], width] else {
                throw TensorError.shapeMismatch(operation: "\(replacement.summary).forward", lhs: a.shape,
                                                rhs: [x.shape[0], x.shape[1], width], reason: "attention must return [batch, time, width]")
            }
            (attended, ca) = (a, .replaced(replacement, cache))
        } else {
            let (a, cache) = try attention.forward(projected, mode: mode)
            (attended, ca) = (a, .library(cache))
        }
        let y = try output.forward(attended, mode: mode).output                   // [B, T, C]
        return (y, Cache(x: x, attention: ca, attended: attended))
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dy: Tensor<Scalar>, cache: Cache) throws -> Tensor<Scalar> {
        let da = try output.backward(dy, cache: cache.attended)                   // [B, T, C]
        let dqkv: Tensor<Scalar>                                                  // [B, T, 3C]
        switch cache.attention {
        case .library(let c): dqkv = try attention.backward(da, cache: c)
        case .replaced(let layer, let c): dqkv = try Self.backward(layer, da, c)
        }
        let qkvShape = Array(cache.x.shape.dropLast()) + [3 * width]
        guard dqkv.shape == qkvShape else {
            throw TensorError.shapeMismatch(operation: "attention backward", lhs: dqkv.shape, rhs: qkvShape,
                                            reason: "dqkv must have the shape of qkv")
        }
        return try qkv.backward(dqkv, cache: cache.x)                             // [B, T, C]
    }

    /// Opens the existential so the erased cache can be cast back to the
    /// layer's own Cache type (it came from this layer's forward pass).
    private static func backward<L: Layer>(_ layer: L, _ dy: Tensor<L.Scalar>, _ cache: Any) throws -> Tensor<L.Scalar> {
        try layer.backward(dy, cache: cache as! L.Cache)
    }

    /// The attention probabilities P [B, H, T, T] of a forward pass (for
    /// figures); empty if a replacement computed the attention.
    public static func probabilities(_ cache: Cache) -> [Scalar] {
        if case .library(let c) = cache.attention { return c.probabilities }
        return []
    }
}
