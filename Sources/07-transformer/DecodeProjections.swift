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
// A batched decoding step (BatchedDecoding.swift) asks `project(batch:)`
// for its B rows, which must give each row exactly what `project` gives it
// alone.
//
// A prefill through the hook runs the window through the blocks in one
// batched pass, as KVCacheDecoding.swift's prefill does with the layers' own
// forward pass: the hook then multiplies all the window's rows at once; the
// windows of a batched step that slide together go through in one pass
// (`prefill(batch:caches:projections:)`).

import BackpropCore
import Backpropagation
import RecurrentNetworks

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

/// y = W x + b for each row x of a tensor and one of block `block`'s weight matrices.
public protocol DecodeProjections<Scalar> {
    associatedtype Scalar: TensorScalar
    /// x [rows…, in] → y [rows…, out] for `projection` of block `block`
    /// (one row when decoding, the window's rows when prefilling).
    func project(_ x: Tensor<Scalar>, block: Int, _ projection: GPTProjection) throws -> Tensor<Scalar>
    /// x [B, in] → y [B, out] for the B sequences of a batched decoding step
    /// (BatchedDecoding.swift): row b must be what `project` gives for row b
    /// alone, bit for bit, so that batching never changes a sequence's
    /// tokens. By default each row alone through `project`; chapter 9's int8
    /// hook applies each block of its weights to all B rows at once.
    func project(batch x: Tensor<Scalar>, block: Int, _ projection: GPTProjection) throws -> Tensor<Scalar>
}

extension DecodeProjections {
    public func project(batch x: Tensor<Scalar>, block: Int, _ projection: GPTProjection) throws -> Tensor<Scalar> {
        let (b, n) = (x.shape[0], x.count / max(x.shape[0], 1))
        var out: [Scalar] = []
        for r in 0..<b {
            out += try project(try Tensor(shape: [1, n], scalars: Array(x.scalars[(r * n)..<((r + 1) * n)])), block: block, projection).scalars
        }
        return try Tensor(shape: [b, out.count / max(b, 1)], scalars: out)
    }
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
            let layer = model.layer(projection, block: block)
            if x.count == layer.inputs {
                return try RowProjection.apply(x, layer, backend: model.backend).reshaped(Array(x.shape.dropLast()) + [layer.outputs])
            }
            return try layer.forward(x, mode: .inference).output
        }
    }

    /// Fills the cache with `window` by one batched pass through the blocks
    /// with `projections` for their products (the inference forward pass of
    /// TransformerBlock, whose keys and values go to the cache); the logits
    /// [V] after its last token. With a replaced attention (exercise 7.5)
    /// the window is fed step by step.
    @_specialize(where Scalar == Float)
    public func prefill(_ window: [Int], cache: inout KVCache<Scalar>, projections: any DecodeProjections<Scalar>) throws -> [Scalar] {
        var caches = [cache]
        cache = placeholderCache()                     // the array is the only owner while it is filled
        defer { cache = caches[0] }
        return try prefill(batch: [window], caches: &caches, projections: projections)[0]
    }

    /// `prefill(_:cache:projections:)` for k windows of one length in one
    /// pass over [k, n] rows (the refills of a batched step whose windows
    /// slide together): each window's logits and cache as its own prefill
    /// gives them, bit for bit, as long as the hook's products sum each
    /// output in an order that does not depend on the number of rows (the
    /// int8 hook's GEMM, like the float prefill's; tested through the
    /// batched step). The head runs once per window, as for one.
    @_specialize(where Scalar == Float)
    public func prefill(batch windows: [[Int]], caches: inout [KVCache<Scalar>], projections: any DecodeProjections<Scalar>) throws -> [[Scalar]] {
        guard let n = windows.first?.count else { return [] }
        precondition(n > 0 && n <= config.context && windows.allSatisfy { $0.count == n } && caches.count == windows.count,
                     "prefill: windows of one length within the context, one cache each")
        for b in caches.indices { caches[b].reset() }
        if blocks.contains(where: { $0.attention.replacement != nil }) {
            var logits = [[Scalar]](repeating: [], count: windows.count)
            for (b, window) in windows.enumerated() {
                for t in window { logits[b] = try decodeStep(t, cache: &caches[b], projections: projections) }
            }
            return logits
        }
        let k = windows.count, c = config.width
        var x = try tokenEmbedding.forward(try Embedding.ids(windows.flatMap { $0 }, shape: [k, n]), mode: .inference).output  // [k, n, C]
        for b in 0..<k {
            for j in 0..<(n * c) { x.scalars[b * n * c + j] += positionEmbedding.value.scalars[j] }
        }
        for (l, block) in blocks.enumerated() {
            let qkv = try projections.project(try block.norm1.forward(x, mode: .inference).output, block: l, .qkv)  // [k, n, 3C]
            for b in 0..<k {
                for t in 0..<n {
                    let row = (b * n + t) * 3 * c
                    for j in 0..<c {
                        caches[b].keys[l][t * c + j] = qkv.scalars[row + c + j]
                        caches[b].values[l][t * c + j] = qkv.scalars[row + 2 * c + j]
                    }
                }
            }
            let attended = try block.attention.attention.forward(qkv, mode: .inference).output                     // [k, n, C]
            let u = try x.adding(try projections.project(attended, block: l, .attentionOutput), backend: backend)
            let h = try projections.project(try block.norm2.forward(u, mode: .inference).output, block: l, .expand)
            x = try u.adding(try projections.project(try block.gelu.forward(h, mode: .inference).output, block: l, .contract),
                             backend: backend)
        }
        for b in 0..<k { caches[b].count = n }
        return try (0..<k).map { b in
            let last = try Tensor(shape: [1, c], scalars: Array(x.scalars[((b * n + n - 1) * c)..<((b * n + n) * c)]))
            let hidden = try finalNorm.forward(last, mode: .inference).output
            return try Tensor.matmul(hidden, tokenEmbedding.weight.value, .nt, backend: backend).scalars             // [V]
        }
    }
}
