// Generation from the Llama-style model, with and without a key/value cache
// that holds only the shared heads.
//
//   step      token at position p = cache.count (one row) → logits [V]
//             x = E[token]                                   [C]
//             per block l:
//               n = RMSNorm₁(x);  q = W_q n [H·d],  k = W_k n, v = W_v n [H_kv·d]
//               q, k ← RoPE at position p (`rotate(…, offset: p)`)
//               append k, v to block l's cache K_l, V_l [p+1, H_kv·d]
//               query head h reads shared head g = ⌊h/(H/H_kv)⌋:
//               a_h = Σ_{j ≤ p} softmax_j(q_h·k_{j,g}/√d) v_{j,g}
//               u = x + W_o a;  x = u + SwiGLU(RMSNorm₂(u))
//             logits = W_head RMSNorm_f(x)
//
// Memory. The cache keeps 2·L·H_kv·d scalars per position (keys and values
// of every layer's shared heads); multi-head attention would keep 2·L·H·d,
// so grouped-query attention saves the factor H/H_kv, and multi-query
// (H_kv = 1) the factor H. The keys are stored rotated: RoPE depends only on
// the key's own position, which never changes while it is cached.
//
// Prefill. A prompt (or the window after a slide) goes through one batched
// forward pass; the keys and values are read from each block's attention
// cache (the fused qkv, where shared head g sits in the columns of query
// head g·H/H_kv), so they are the very numbers the steps would have stored.
//
// Context overflow: chapter 7's rule (`GPTDecoder.windowStart`): the window
// slides by half a context and the cache is refilled by one prefill. RoPE
// would let positions run past the training context (`rotary.reserve`), but
// the model was never trained there; sliding keeps cached and uncached
// decoding equal (tested).
//
// The ablation's variants (LlamaVariants.swift) decode the same way: with
// learned positions x = E[token] + P[p] and nothing is rotated (the cached
// keys are then the plain projections); the norm and a GELU MLP run their
// layers' forward on the one row.
//
// Twins: the naive backend runs the formulas' loops; the SIMD one takes a
// vector dot product per row of W (rows are contiguous) and per cached key.
//
// The step's products can come from a hook instead of the float weights
// (`decodeStep(_:cache:projections:)`, LlamaDecodeProjections.swift: chapter
// 9's int8 weights); without one, the step calls its kernels directly.

import BackpropCore
import Backpropagation
import RecurrentNetworks
import Transformer

/// The rotated keys and the values of every layer's shared heads for positions 0..<count.
public struct LlamaKVCache<Scalar: TensorScalar>: Sendable {
    /// keys[l], values[l]: [capacity, H_kv·d] row-major; rows 0..<count are valid.
    public internal(set) var keys: [[Scalar]]
    public internal(set) var values: [[Scalar]]
    public internal(set) var count = 0
    public let layers: Int
    /// H_kv·d, the width of one cached row.
    public let rowWidth: Int
    /// Positions it can hold (the context).
    public let capacity: Int

    public init(layers: Int, capacity: Int, kvHeads: Int, headWidth: Int) {
        (self.layers, self.capacity, rowWidth) = (layers, capacity, kvHeads * headWidth)
        keys = Array(repeating: [Scalar](repeating: 0, count: capacity * kvHeads * headWidth), count: layers)
        values = keys
    }

    /// Scalars per cached position: 2·L·H_kv·d.
    public var scalarsPerPosition: Int { 2 * layers * rowWidth }
    /// Bytes per cached position.
    public var bytesPerPosition: Int { scalarsPerPosition * MemoryLayout<Scalar>.stride }
    /// Scalars of the valid rows (count positions).
    public var storedScalars: Int { scalarsPerPosition * count }
    /// Scalars allocated (capacity positions).
    public var allocatedScalars: Int { keys.reduce(0) { $0 + $1.count } + values.reduce(0) { $0 + $1.count } }

    mutating func reset() { count = 0 }
}

/// The Llama's decoder: chapter 7's `WindowedDecoder`, with its window rule.
public typealias LlamaDecoder<Scalar: TensorScalar> = WindowedDecoder<Llama<Scalar>>

extension Llama: WindowedDecoding {
    public var contextLength: Int { config.context }
    public var vocabularySize: Int { config.vocabularySize }
    public func makeDecodingCache(cached: Bool) -> LlamaKVCache<Scalar> {
        LlamaKVCache(layers: cached ? config.layers : 0, capacity: config.context, kvHeads: config.kvHeads, headWidth: config.headWidth)
    }
    public func positions(in cache: LlamaKVCache<Scalar>) -> Int { cache.count }
    public func lastLogits(recomputing window: [Int]) throws -> [Scalar] {
        let logits = try forward(window, batch: 1, length: window.count).logits    // [len, V]
        return Array(logits.scalars[((window.count - 1) * config.vocabularySize)...])
    }
}

extension Llama {
    /// Fills the cache with `window` (positions 0..<count ≤ context) by one
    /// batched forward pass; returns the logits [V] after its last token.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func prefill(_ window: [Int], cache: inout LlamaKVCache<Scalar>) throws -> [Scalar] {
        precondition(!window.isEmpty && window.count <= config.context, "prefill: the window must fit the context")
        cache.reset()
        let n = window.count, v = config.vocabularySize, d = config.headWidth
        let (h, hkv) = (config.heads, config.kvHeads), group = h / hkv, c3 = 3 * h * d, kvw = hkv * d
        let (logits, forwardCache) = try forward(window, batch: 1, length: n, mode: .inference)
        for (l, bc) in forwardCache.blocks.enumerated() {
            let qkv = bc.attention.qkv                                  // [n, 3·H·d], shared head g in query head g·group's columns
            for t in 0..<n {
                for g in 0..<hkv {
                    let src = t * c3 + g * group * d, dst = t * kvw + g * d
                    for e in 0..<d {
                        cache.keys[l][dst + e] = qkv[src + h * d + e]
                        cache.values[l][dst + e] = qkv[src + 2 * h * d + e]
                    }
                }
            }
        }
        cache.count = n
        return Array(logits.scalars[((n - 1) * v)...])
    }

    /// One token at position `cache.count` through the model, reading and
    /// extending the cache; returns logits [V].
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func decodeStep(_ token: Int, cache: inout LlamaKVCache<Scalar>) throws -> [Scalar] {
        try decodeStep(token, cache: &cache, projections: nil)
    }

    /// `decodeStep` with the products, the head and the embedding row taken
    /// from `projections` (LlamaDecodeProjections.swift), e.g. chapter 9's
    /// int8 weights; nil: the model's own weights, each product called
    /// directly (not through a hook), as chapter 7's GPT does.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func decodeStep(_ token: Int, cache: inout LlamaKVCache<Scalar>, projections: (any LlamaDecodeProjections<Scalar>)?) throws -> [Scalar] {
        let c = config.width, d = config.headWidth, p = cache.count
        let (heads, kvHeads) = (config.heads, config.kvHeads), kvw = kvHeads * d
        precondition(p < cache.capacity, "decodeStep: the cache is full")
        let k = LlamaDecodeKernels.self
        var x = projections?.embedding(token) ?? Array(tokenEmbedding.weight.value.scalars[(token * c)..<((token + 1) * c)])  // [C]
        if let positions = positionEmbedding {                                                  // + P[p]
            for e in 0..<c { x[e] += positions.value.scalars[p * c + e] }
        }
        for (l, block) in blocks.enumerated() {
            let attention = block.attention
            let n1 = try block.attentionNorm.forward(try Tensor(shape: [1, c], scalars: x), mode: .inference).output.scalars
            var q = try projections?.project(n1, block: l, .query) ?? k.matvec(attention.query.weight.value.scalars, n1, backend: backend)  // [H·d]
            var key = try projections?.project(n1, block: l, .key) ?? k.matvec(attention.key.weight.value.scalars, n1, backend: backend)  // [H_kv·d]
            var value = try projections?.project(n1, block: l, .value) ?? k.matvec(attention.value.weight.value.scalars, n1, backend: backend)
            if let a = attention.adapters[.query] { q = zip(q, a.delta(n1)).map { $0 + $1 } }  // unmerged LoRA side paths
            if let a = attention.adapters[.key] { key = zip(key, a.delta(n1)).map { $0 + $1 } }
            if let a = attention.adapters[.value] { value = zip(value, a.delta(n1)).map { $0 + $1 } }
            if attention.usesRotary {
                attention.rotary.rotate(&q, width: heads * d, length: 1, offset: p, inverse: false)
                attention.rotary.rotate(&key, width: kvw, length: 1, offset: p, inverse: false)
            }
            cache.keys[l].replaceSubrange((p * kvw)..<((p + 1) * kvw), with: key)
            cache.values[l].replaceSubrange((p * kvw)..<((p + 1) * kvw), with: value)
            let a = k.attend(q, keys: cache.keys[l], values: cache.values[l], count: p + 1, heads: heads, kvHeads: kvHeads,
                             headWidth: d, backend: backend)                                     // [H·d]
            var o = try projections?.project(a, block: l, .output) ?? k.matvec(attention.output.weight.value.scalars, a, backend: backend)  // [C]
            if let adapter = attention.adapters[.output] { o = zip(o, adapter.delta(a)).map { $0 + $1 } }
            let u = zip(x, o).map { $0 + $1 }
            let n2 = try block.mlpNorm.forward(try Tensor(shape: [1, c], scalars: u), mode: .inference).output.scalars
            let y: [Scalar]
            switch block.mlp {
            case .swiglu(let mlp):
                let gate = try projections?.project(n2, block: l, .gate) ?? k.matvec(mlp.gate.weight.value.scalars, n2, backend: backend)  // [hidden]
                let up = try projections?.project(n2, block: l, .up) ?? k.matvec(mlp.up.weight.value.scalars, n2, backend: backend)
                let hidden = zip(gate, up).map { a, b in a / (1 + Scalar.exp(-a)) * b }        // silu(a)·b
                y = try projections?.project(hidden, block: l, .down) ?? k.matvec(mlp.down.weight.value.scalars, hidden, backend: backend)  // [C]
            case .gelu(let mlp):
                y = try mlp.forward(try Tensor(shape: [1, c], scalars: n2), mode: .inference).output.scalars
            }
            x = zip(u, y).map { $0 + $1 }
        }
        cache.count += 1
        let h = try finalNorm.forward(try Tensor(shape: [1, c], scalars: x), mode: .inference).output.scalars
        return try projections?.head(h) ?? k.matvec(headWeight.value.scalars, h, backend: backend)                     // [V]
    }

    /// The next-token logits after each prefix tokens[0…i] (tests and figures).
    public func logitsAfterEachToken(_ tokens: [Int], useKVCache: Bool) throws -> [[Scalar]] {
        var decoder = LlamaDecoder(model: self, usesKVCache: useKVCache)
        return try tokens.map { try decoder.append($0) }
    }
}

/// The decoder's one-row kernels (shapes trusted).
public enum LlamaDecodeKernels {
    /// y = W x for W [out, n] row-major, x [n]. SIMD: chapter 7's decoding
    /// product (`RowProjection.matvec`: four rows at a time, shared with the
    /// spin team's helper from 128 × 128 on); naive: one dot product per row.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func matvec<T: TensorScalar>(_ w: [T], _ x: [T], backend: Backend) -> [T] {
        if backend == .simd { return RowProjection.matvec(x, w, bias: nil) }
        let n = x.count, out = w.count / n
        var y = [T](repeating: 0, count: out)
        w.withUnsafeBufferPointer { pw in
            x.withUnsafeBufferPointer { px in
                for o in 0..<out { y[o] = dot(pw.baseAddress! + o * n, px.baseAddress!, n, simd: backend == .simd) }
            }
        }
        return y
    }

    /// Σ a[i]·b[i], in vectors (two accumulators) or one scalar at a time.
    @inline(__always)
    static func dot<T: TensorScalar>(_ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ n: Int, simd: Bool) -> T {
        var s: T = 0, i = 0
        if simd {
            let w = T.Vector.scalarCount
            var u = T.Vector(), v = T.Vector()
            while i + 2 * w <= n {
                u.addProduct(SIMDKernels.load(a, i), SIMDKernels.load(b, i))
                v.addProduct(SIMDKernels.load(a, i + w), SIMDKernels.load(b, i + w))
                i += 2 * w
            }
            s = (u + v).sum()
        }
        while i < n { s += a[i] * b[i]; i += 1 }
        return s
    }

    /// One query row [H·d] over `count` cached rows of keys and values
    /// [count, H_kv·d]: query head h reads shared head h/(H/H_kv).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func attend<T: TensorScalar>(_ q: [T], keys: [T], values: [T], count: Int, heads: Int, kvHeads: Int,
                                               headWidth d: Int, backend: Backend) -> [T] {
        let group = heads / kvHeads, kvw = kvHeads * d, scale = 1 / T(d).squareRoot(), simd = backend == .simd
        var out = [T](repeating: 0, count: heads * d)
        var scores = [T](repeating: 0, count: count)
        q.withUnsafeBufferPointer { pq in
            keys.withUnsafeBufferPointer { pk in
                values.withUnsafeBufferPointer { pv in
                    for h in 0..<heads {
                        let g = h / group
                        var m = -T.infinity
                        for j in 0..<count {                                  // sⱼ = q_h·k_{j,g}/√d
                            scores[j] = dot(pq.baseAddress! + h * d, pk.baseAddress! + j * kvw + g * d, d, simd: simd) * scale
                            m = max(m, scores[j])
                        }
                        var total: T = 0
                        for j in 0..<count { scores[j] = T.exp(scores[j] - m); total += scores[j] }
                        for j in 0..<count {                                  // a_h = Σⱼ pⱼ v_{j,g}
                            let pj = scores[j] / total, row = j * kvw + g * d
                            for e in 0..<d { out[h * d + e] += pj * pv[row + e] }
                        }
                    }
                }
            }
        }
        return out
    }
}
