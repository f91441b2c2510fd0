// DecodeProjections: how a decoding step multiplies a row by the weight
// matrices of the GPT's blocks. KVCacheDecoding.swift's `decodeStep` asks
// this hook for its four products per block (qkv, the attention's output,
// the MLP's expand and contract) and does everything else itself: the
// embeddings, LayerNorms, attention over the cache, GELU, residuals and the
// tied output projection. The library's own projections are the Linear
// layers (`LayerProjections`, the same calls as before the hook existed, so
// chapter 7's results are unchanged bit for bit); chapter 9 fills the hook
// with int8 matrices to decode with quantized weights.
//
// A prefill through the hook feeds the window one token at a time: the
// batched prefill of KVCacheDecoding.swift runs the layers' own forward
// pass, which multiplies by their float weights.

import BackpropCore
import Backpropagation

/// One of a block's four weight matrices.
public enum GPTProjection: Sendable, CaseIterable {
    /// x [C] → q, k, v [3C]
    case qkv
    /// attended [C] → [C]
    case attentionOutput
    /// [C] → [4C]
    case expand
    /// [4C] → [C]
    case contract
}

/// y = W x + b for one row x and one of block `block`'s weight matrices.
public protocol DecodeProjections<Scalar> {
    associatedtype Scalar: TensorScalar
    /// x [1, in] → y [1, out] for `projection` of block `block`.
    func project(_ x: Tensor<Scalar>, block: Int, _ projection: GPTProjection) throws -> Tensor<Scalar>
}

extension GPT {
    /// The Linear layer holding `projection` of block `block`.
    public func layer(_ projection: GPTProjection, block: Int) -> Linear<Scalar> {
        let b = blocks[block]
        switch projection {
        case .qkv: return b.attention.qkv
        case .attentionOutput: return b.attention.output
        case .expand: return b.expand
        case .contract: return b.contract
        }
    }

    /// The library's projections: the model's Linear layers through
    /// chapter 7's one-row kernels (`RowProjection`).
    public struct LayerProjections: DecodeProjections {
        public let model: GPT<Scalar>
        public init(model: GPT<Scalar>) { self.model = model }
        public func project(_ x: Tensor<Scalar>, block: Int, _ projection: GPTProjection) throws -> Tensor<Scalar> {
            try RowProjection.apply(x, model.layer(projection, block: block), backend: model.backend)
        }
    }

    /// Fills the cache with `window` one token at a time through
    /// `projections` (see the file header); the logits [V] after its last token.
    @_specialize(where Scalar == Float)
    public func prefill(_ window: [Int], cache: inout KVCache<Scalar>, projections: any DecodeProjections<Scalar>) throws -> [Scalar] {
        precondition(!window.isEmpty && window.count <= config.context, "prefill: the window must fit the context")
        cache.reset()
        var logits: [Scalar] = []
        for t in window { logits = try decodeStep(t, cache: &cache, projections: projections) }
        return logits
    }
}
