// One decoding step for a batch of sequences, each with its own KV cache.
//
// A server generating for B clients at once could call `decodeStep` B times
// per step. Every call then streams all of the model's weights through the
// core for one row: B matrix-vector products per layer, each reading W from
// wherever it lives (the last-level cache for the baby GPT). Stacking the B
// rows into X [B, C] turns them into one product X·Wᵀ that reads each block
// of W once and applies it to all B rows while it sits in the L1 cache:
//
//   step      tokens t₁…t_B, sequence b at position p_b (its cache length)
//             x [B, C] = E[t_b] + P[p_b]                      each row its own position
//             per block: LN₁ → qkv [B, 3C] = one product       (the GEMM)
//                        row b: append k_b, v_b to cache b; attend q_b over cache b[0…p_b]
//                        (different lengths per row: attention stays per sequence)
//                        projection, MLP: one product each; residuals
//             logits [B, V] = LN_f(x) Eᵀ
//
// Only the products and the row-wise layers (LayerNorm, GELU, the adds)
// see the batch; attention is the single-row kernel of DecodeKernels.swift
// run once per sequence over its own cache.
//
// Same numbers. Each output y[b, o] is the dot product of W's row o with
// row b, summed by the same kernel, in the same order, as the one-row
// product (RowProjection.matvecRows over the same groups of four rows), and
// the row-wise layers do not mix rows, so row b of a batched step is
// bit-for-bit the logits of `decodeStep` for sequence b alone (tested). A
// server that batches therefore samples exactly the tokens each request
// would get on its own. The naive backend uses the layers' own kernels on
// [B, C] (the naive twin), which are row-by-row loops as well.
//
// `WindowedDecoder.append(_:to:)` applies the window rule of
// KVCacheDecoding.swift to each sequence: those whose window slides this
// step are refilled one by one (`prefill`, as alone), the others share one
// batched step.

import BackpropCore
import Backpropagation
import RecurrentNetworks

/// A model that can extend several caches by one token each in one pass.
public protocol BatchedWindowedDecoding: WindowedDecoding {
    /// One token per cache at its next position; the logits [V] for each, in order.
    func decodeStep(batch tokens: [Int], caches: inout [DecodingCache]) throws -> [[Scalar]]
}

extension GPT: BatchedWindowedDecoding {
    /// `decodeStep` for B sequences at once (see the file header): row b is
    /// token `tokens[b]` at position `caches[b].count`; returns B logit rows.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func decodeStep(batch tokens: [Int], caches: inout [KVCache<Scalar>]) throws -> [[Scalar]] {
        precondition(tokens.count == caches.count, "decodeStep(batch:): one token per cache")
        let b = tokens.count, c = config.width, heads = config.heads, d = c / heads, v = config.vocabulary.count
        if b == 0 { return [] }
        let positions = caches.map(\.count)
        precondition(positions.allSatisfy { $0 < config.context }, "decodeStep(batch:): a cache is full")

        var x = try tokenEmbedding.forward(try Embedding.ids(tokens), mode: .inference).output     // [B, C]
        for (row, p) in positions.enumerated() {
            for j in 0..<c { x.scalars[row * c + j] += positionEmbedding.value.scalars[p * c + j] }
        }
        let scale = 1 / Scalar(d).squareRoot()
        var scores = [Scalar](repeating: 0, count: heads * config.context)
        for (l, block) in blocks.enumerated() {
            let n1 = try block.norm1.forward(x, mode: .inference).output                          // [B, C]
            let qkv = try BatchedProjection.apply(n1, block.attention.qkv, backend: backend).scalars  // [B, 3C]
            var attended = [Scalar](repeating: 0, count: b * c)                                 // [B, C]
            for row in 0..<b {
                let p = positions[row], q = row * 3 * c
                for j in 0..<c {
                    caches[row].keys[l][p * c + j] = qkv[q + c + j]
                    caches[row].values[l][p * c + j] = qkv[q + 2 * c + j]
                }
                caches[row].keys[l].withUnsafeBufferPointer { kp in
                    caches[row].values[l].withUnsafeBufferPointer { vp in
                        qkv.withUnsafeBufferPointer { qp in
                            scores.withUnsafeMutableBufferPointer { sp in
                                attended.withUnsafeMutableBufferPointer { ap in
                                    let rows = (q: qp.baseAddress! + q, k: kp.baseAddress!, v: vp.baseAddress!)
                                    let out = ap.baseAddress! + row * c
                                    if backend == .simd && d % Scalar.Vector.scalarCount == 0 {
                                        DecodeAttention.simd(rows, count: p + 1, width: c, heads: 0..<heads, headCount: heads,
                                                             scale: scale, scores: sp.baseAddress!, out: out)
                                    } else {
                                        DecodeAttention.naive(rows, count: p + 1, width: c, heads: heads, scale: scale,
                                                              scores: sp.baseAddress!, out: out)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            let a = try BatchedProjection.apply(try Tensor(shape: [b, c], scalars: attended), block.attention.output, backend: backend)
            let u = try x.adding(a, backend: backend)
            let n2 = try block.norm2.forward(u, mode: .inference).output
            let g = try block.gelu.forward(try BatchedProjection.apply(n2, block.expand, backend: backend), mode: .inference).output
            x = try u.adding(try BatchedProjection.apply(g, block.contract, backend: backend), backend: backend)
        }
        for row in 0..<b { caches[row].count += 1 }
        let h = try finalNorm.forward(x, mode: .inference).output                                  // [B, C]
        let logits: [Scalar]
        if backend == .simd {
            logits = BatchedProjection.product(h.scalars, rows: b, tokenEmbedding.weight.value.scalars, bias: nil)  // [B, V]
        } else {
            logits = try Tensor.matmul(h, tokenEmbedding.weight.value, .nt, backend: backend).scalars
        }
        return (0..<b).map { Array(logits[($0 * v)..<(($0 + 1) * v)]) }
    }
}

extension WindowedDecoder where Model: BatchedWindowedDecoding {
    /// Appends `tokens[i]` to `decoders[i]` for every i and returns each
    /// one's next-token logits: the same as `decoders[i].append(tokens[i])`
    /// one at a time, with the decoders that keep their window sharing one
    /// batched step. All decoders must be of one model and use the cache.
    public static func append(_ tokens: [Int], to decoders: inout [WindowedDecoder]) throws -> [[Model.Scalar]] {
        precondition(tokens.count == decoders.count, "WindowedDecoder.append(_:to:): one token per decoder")
        guard let model = decoders.first?.model else { return [] }
        var logits = [[Model.Scalar]](repeating: [], count: tokens.count)
        for (i, token) in tokens.enumerated() { try decoders[i].check(token) }   // before any cache changes
        var batched: [Int] = []
        for (i, token) in tokens.enumerated() {
            let n = decoders[i].tokens.count + 1, s = Self.windowStart(n, context: model.contextLength)
            if !decoders[i].usesKVCache || s != decoders[i].start {
                logits[i] = try decoders[i].append(token)           // recomputed, or the window slid: alone
            } else {
                batched.append(i)
            }
        }
        if batched.isEmpty { return logits }
        // Move the caches out (no copy: each array keeps one owner), step, move them back.
        var caches = batched.map { i in
            defer { decoders[i].cache = model.makeDecodingCache(cached: false) }
            return decoders[i].cache
        }
        defer { for (k, i) in batched.enumerated() { decoders[i].cache = caches[k] } }
        let rows = try model.decodeStep(batch: batched.map { tokens[$0] }, caches: &caches)
        for (k, i) in batched.enumerated() {
            decoders[i].tokens.append(tokens[i])
            logits[i] = rows[k]
        }
        return logits
    }
}

/// Y = X·Wᵀ + b for X [B, in] and a layer's W [out, in]: the batched
/// step's products. The SIMD backend runs the one-row kernel
/// (RowProjection.matvecRows) for every row of X over one block of W's rows
/// at a time, so the block is read from memory once and from L1 B times,
/// and each output is summed exactly as in the one-row product. Blocks are
/// shared with the SpinTeam helper like the one-row products'.
enum BatchedProjection {
    static func apply<S: TensorScalar>(_ x: Tensor<S>, _ layer: Linear<S>, backend: Backend) throws -> Tensor<S> {
        if backend == .naive { return try layer.forward(x, mode: .inference).output }
        let rows = x.shape[0]
        return try Tensor(shape: [rows, layer.outputs],
                          scalars: product(x.scalars, rows: rows, layer.weight.value.scalars, bias: layer.bias.value.scalars))
    }

    /// Rows of W per block: whole groups of four (as RowProjection's
    /// chunks, so each output is summed by the same code), ~16 KiB of W.
    static func blockRows(_ n: Int) -> Int { max(4, 4096 / n / 4 * 4) }

    /// Y [B, out] = X [B, n] · Wᵀ (+ b) for W [out, n] row-major.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func product<T: TensorScalar>(_ x: [T], rows b: Int, _ w: [T], bias: [T]?) -> [T] {
        let n = x.count / b, out = w.count / n
        var y = [T](repeating: 0, count: b * out)
        if let bias { for r in 0..<b { for o in 0..<out { y[r * out + o] = bias[o] } } }
        let block = blockRows(n), blocks = (out + block - 1) / block
        x.withUnsafeBufferPointer { px in
            w.withUnsafeBufferPointer { pw in
                y.withUnsafeMutableBufferPointer { py in
                    var job = Job(x: UnsafeRawPointer(px.baseAddress!), w: UnsafeRawPointer(pw.baseAddress!),
                                  y: UnsafeMutableRawPointer(py.baseAddress!), n: n, out: out, batch: b, block: block)
                    if T.self == Float.self, b * out * n >= RowProjection.parallelThreshold, blocks > 1, let team = SpinTeam.shared {
                        withUnsafePointer(to: &job) { team.run(chunks: blocks, context: UnsafeRawPointer($0), floatBlock) }
                    } else {
                        for k in 0..<blocks { job.run(block: k, as: T.self) }
                    }
                }
            }
        }
        return y
    }

    /// The arguments of one product, for the team's chunks.
    struct Job {
        let x: UnsafeRawPointer, w: UnsafeRawPointer, y: UnsafeMutableRawPointer
        let n: Int, out: Int, batch: Int, block: Int

        /// Rows block·k ..< block·(k+1) of W against every row of X.
        func run<T: TensorScalar>(block k: Int, as _: T.Type) {
            let rows = (k * block)..<min(out, (k + 1) * block)
            let x = x.assumingMemoryBound(to: T.self), w = w.assumingMemoryBound(to: T.self)
            let y = y.assumingMemoryBound(to: T.self)
            for r in 0..<batch { RowProjection.matvecRows(n: n, rows: rows, x + r * n, w, y + r * out) }
        }
    }
}

/// Block k of a Float `BatchedProjection.product` (a C function pointer for `SpinTeam`).
private func floatBlock(_ context: UnsafeRawPointer, _ k: Int) {
    context.load(as: BatchedProjection.Job.self).run(block: k, as: Float.self)
}
