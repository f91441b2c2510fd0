// LlamaDecodeProjections: how the Llama's decoding multiplies by its weight
// matrices, as chapter 7's `DecodeProjections` is for the GPT. A decoding
// step (LlamaDecoding.swift) asks this hook for the seven products of every
// block (W_q, W_k, W_v, W_o and SwiGLU's gate, up and down), for the output
// head W_head h and for the input row E[token], and does the rest itself:
// the RMSNorms, RoPE, attention over the shared heads of the cache, SiLU,
// the residuals and any LoRA side paths (in the step; a prefill through the
// hook takes merged adapters only). With no hook (`decodeStep(_:cache:)`,
// the float model) the step calls its own kernels directly, the same calls
// as before the hook existed, so chapter 8's numbers and speed are
// unchanged; chapter 9 fills the hook with int8 matrices.
//
// The embedding row is part of the hook because the head is tied: E is both
// the input table and the head's matrix, and a model that stores its head
// in int8 should not keep a float copy of E for the lookups alone.
//
// A prefill through the hook (`prefill(_:cache:projections:)`) runs the
// window's n rows through each product at once (the hook gets x [n, in]),
// writes the rotated keys and the values of every position to the cache,
// then attends each row t over the cache's first t + 1 positions with the
// decoding step's own kernel: causal attention, as the forward pass's, for
// the window of a refill.

import BackpropCore
import Backpropagation

/// One of a Llama block's seven weight matrices.
public enum LlamaProjection: Sendable, CaseIterable {
    /// x [C] → q [H·d], k, v [H_kv·d]
    case query, key, value
    /// attended [H·d] → [C]
    case output
    /// SwiGLU: [C] → [hidden] twice, [hidden] → [C]
    case gate, up, down
}

/// The products (and the embedding lookup) of a Llama's decoding.
public protocol LlamaDecodeProjections<Scalar> {
    associatedtype Scalar: TensorScalar
    /// y = W x for `projection` of block `block`, for each row of x [rows, in] → [rows, out].
    func project(_ x: [Scalar], block: Int, _ projection: LlamaProjection) throws -> [Scalar]
    /// logits = W_head h for each row of h [rows, C] → [rows, V].
    func head(_ h: [Scalar]) throws -> [Scalar]
    /// The input row E[token] [C].
    func embedding(_ token: Int) -> [Scalar]
}

extension Llama {
    /// The Linear layer holding `projection` of block `block`; nil for a
    /// GELU-MLP block's gate, up and down (the ablation's variant).
    public func layer(_ projection: LlamaProjection, block: Int) -> Linear<Scalar>? {
        let b = blocks[block]
        switch projection {
        case .query: return b.attention.query
        case .key: return b.attention.key
        case .value: return b.attention.value
        case .output: return b.attention.output
        case .gate: return b.mlp.swiGLU?.gate
        case .up: return b.mlp.swiGLU?.up
        case .down: return b.mlp.swiGLU?.down
        }
    }

    /// The output head's matrix [V, C] (E when tied).
    public var headMatrix: Parameter<Scalar> { headWeight }

    /// Fills the cache with `window` through `projections` (see the file
    /// header); the logits [V] after its last token. SwiGLU blocks only
    /// without LoRA adapters (merge them first; `QuantizedLlama` checks).
    @_specialize(where Scalar == Float)
    public func prefill(_ window: [Int], cache: inout LlamaKVCache<Scalar>, projections: any LlamaDecodeProjections<Scalar>) throws -> [Scalar] {
        precondition(!window.isEmpty && window.count <= config.context, "prefill: the window must fit the context")
        cache.reset()
        let n = window.count, c = config.width, d = config.headWidth
        let (heads, kvHeads) = (config.heads, config.kvHeads), hd = heads * d, kvw = kvHeads * d
        var x = window.flatMap { projections.embedding($0) }                                    // [n, C]
        if let positions = positionEmbedding {                                                   // + P[t]
            for j in 0..<(n * c) { x[j] += positions.value.scalars[j] }
        }
        for (l, block) in blocks.enumerated() {
            guard case .swiglu = block.mlp, block.attention.adapters.isEmpty else {
                throw TensorError.invalidValue(operation: "Llama.prefill(projections:)",
                                               reason: "block \(l) has a GELU MLP or unmerged LoRA adapters; the hook covers SwiGLU blocks without")
            }
            let attention = block.attention
            let n1 = try block.attentionNorm.forward(try Tensor(shape: [n, c], scalars: x), mode: .inference).output.scalars
            var q = try projections.project(n1, block: l, .query)       // [n, H·d]
            var key = try projections.project(n1, block: l, .key)         // [n, H_kv·d]
            let value = try projections.project(n1, block: l, .value)
            if attention.usesRotary {
                attention.rotary.rotate(&q, width: hd, length: n, offset: 0, inverse: false)
                attention.rotary.rotate(&key, width: kvw, length: n, offset: 0, inverse: false)
            }
            cache.keys[l].replaceSubrange(0..<(n * kvw), with: key)
            cache.values[l].replaceSubrange(0..<(n * kvw), with: value)
            var a = [Scalar](); a.reserveCapacity(n * hd)                                         // [n, H·d]
            for t in 0..<n {                                                                     // row t sees positions 0…t
                a += LlamaDecodeKernels.attend(Array(q[(t * hd)..<((t + 1) * hd)]), keys: cache.keys[l], values: cache.values[l],
                                               count: t + 1, heads: heads, kvHeads: kvHeads, headWidth: d, backend: backend)
            }
            let o = try projections.project(a, block: l, .output)
            let u = zip(x, o).map { $0 + $1 }
            let n2 = try block.mlpNorm.forward(try Tensor(shape: [n, c], scalars: u), mode: .inference).output.scalars
            let gate = try projections.project(n2, block: l, .gate), up = try projections.project(n2, block: l, .up)
            let hidden = zip(gate, up).map { a, b in a / (1 + Scalar.exp(-a)) * b }              // silu(a)·b
            let y = try projections.project(hidden, block: l, .down)
            x = zip(u, y).map { $0 + $1 }
        }
        cache.count = n
        let h = try finalNorm.forward(try Tensor(shape: [1, c], scalars: Array(x[((n - 1) * c)...])), mode: .inference).output.scalars
        return try projections.head(h)                                                          // [V]
    }
}
