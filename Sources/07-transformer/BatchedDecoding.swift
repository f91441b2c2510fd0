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
// run once per sequence over its own cache. A batch of 8 rows or more is
// cut in two halves stepped at once on the two cores
// (BatchedDecoding+Cores.swift).
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
// step are refilled (`prefill`; windows of one length, the usual case since
// a window slides when it would outgrow the context, share one forward
// pass, `prefill(batch:)`), the others share one batched step.

import BackpropCore
import Backpropagation
import RecurrentNetworks

/// A model that can extend several caches by one token each in one pass.
public protocol BatchedWindowedDecoding: WindowedDecoding {
    /// One token per cache at its next position; the logits [V] for each, in order.
    func decodeStep(batch tokens: [Int], caches: inout [DecodingCache]) throws -> [[Scalar]]
    /// A cache with no storage, left in a decoder while its own is in a batched step.
    func placeholderCache() -> DecodingCache
    /// `prefill` of several windows of one length; each one's last logits.
    func prefill(batch windows: [[Int]], caches: inout [DecodingCache]) throws -> [[Scalar]]
}

extension GPT: BatchedWindowedDecoding {
    public func placeholderCache() -> KVCache<Scalar> { KVCache(layers: 0, context: 0, width: config.width) }

    /// `decodeStep` for B sequences at once (see the file header): row b is
    /// token `tokens[b]` at position `caches[b].count`; returns B logit rows.
    /// From `BatchedStepSplit.minimumRows` rows on (SIMD backend), the rows
    /// are split in two halves run at once on the caller and the SpinTeam's
    /// helper (BatchedDecoding+Cores.swift); each row is the same either way.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func decodeStep(batch tokens: [Int], caches: inout [KVCache<Scalar>]) throws -> [[Scalar]] {
        try decodeStep(batch: tokens, caches: &caches, projections: nil)
    }

    /// `decodeStep(batch:caches:)` with the blocks' four products taken from
    /// `projections` (its `project(batch:)`, e.g. chapter 9's int8 weights);
    /// nil: the model's own layers through `BatchedProjection`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func decodeStep(batch tokens: [Int], caches: inout [KVCache<Scalar>],
                           projections: (any DecodeProjections<Scalar>)?) throws -> [[Scalar]] {
        precondition(tokens.count == caches.count, "decodeStep(batch:): one token per cache")
        // Split over the cores only with the model's own layers: a hook's
        // projections are not promised to be safe to call from two threads at once.
        if backend == .simd, projections == nil, let team = BatchedStepSplit.team(rows: tokens.count) {
            return try BatchedStepSplit.halves(team, tokens, &caches) { try decodeStepRows($0, caches: &$1, projections: nil) }
        }
        return try decodeStepRows(tokens, caches: &caches, projections: projections)
    }

    /// The batched step on the calling thread.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func decodeStepRows(_ tokens: [Int], caches: inout [KVCache<Scalar>],
                        projections: (any DecodeProjections<Scalar>)?) throws -> [[Scalar]] {
        // The projection hook: the only place the batched step sees `projections`.
        func project(_ x: Tensor<Scalar>, _ l: Int, _ p: GPTProjection) throws -> Tensor<Scalar> {
            if let projections { return try projections.project(batch: x, block: l, p) }
            return try BatchedProjection.apply(x, layer(p, block: l), backend: backend)
        }
        let b = tokens.count, c = config.width, heads = config.heads, d = c / heads, v = config.vocabulary.count
        if b == 0 { return [] }
        let positions = caches.map(\.count)
        precondition(positions.allSatisfy { $0 < config.context }, "decodeStep(batch:): a cache is full")

        var x = try tokenEmbedding.forward(try Embedding.ids(tokens), mode: .inference).output     // [B, C]
        positionEmbedding.value.scalars.withUnsafeBufferPointer { pe in
            x.scalars.withUnsafeMutableBufferPointer { px in
                for (row, p) in positions.enumerated() {
                    for j in 0..<c { px[row * c + j] += pe[p * c + j] }
                }
            }
        }
        let scale = 1 / Scalar(d).squareRoot()
        var scores = [Scalar](repeating: 0, count: heads * config.context)
        var attended = [Scalar](repeating: 0, count: b * c)                                     // [B, C]
        let simdAttention = backend == .simd && d % Scalar.Vector.scalarCount == 0
        for (l, block) in blocks.enumerated() {
            let n1 = try block.norm1.forward(x, mode: .inference).output                          // [B, C]
            let qkv = try project(n1, l, .qkv).scalars                                            // [B, 3C]
            for i in attended.indices { attended[i] = 0 }
            qkv.withUnsafeBufferPointer { qp in
                scores.withUnsafeMutableBufferPointer { sp in
                    attended.withUnsafeMutableBufferPointer { ap in
                        for row in 0..<b {
                            let p = positions[row], q = qp.baseAddress! + row * 3 * c
                            // Append k, v at position p (in place: one uniqueness check per array, not per entry).
                            caches[row].keys[l].withUnsafeMutableBufferPointer { $0.baseAddress!.advanced(by: p * c).update(from: q + c, count: c) }
                            caches[row].values[l].withUnsafeMutableBufferPointer { $0.baseAddress!.advanced(by: p * c).update(from: q + 2 * c, count: c) }
                            caches[row].keys[l].withUnsafeBufferPointer { kp in
                                caches[row].values[l].withUnsafeBufferPointer { vp in
                                    let rows = (q: UnsafePointer(q), k: kp.baseAddress!, v: vp.baseAddress!)
                                    let out = ap.baseAddress! + row * c
                                    if simdAttention {
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
            let a = try project(try Tensor(shape: [b, c], scalars: attended), l, .attentionOutput)
            let u = try x.adding(a, backend: backend)
            let n2 = try block.norm2.forward(u, mode: .inference).output
            let g = try block.gelu.forward(try project(n2, l, .expand), mode: .inference).output
            x = try u.adding(try project(g, l, .contract), backend: backend)
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
        var batched: [Int] = [], refills: [Int: [Int]] = [:]        // window length → decoders to refill
        for (i, token) in tokens.enumerated() {
            let n = decoders[i].tokens.count + 1, s = Self.windowStart(n, context: model.contextLength)
            if !decoders[i].usesKVCache {
                logits[i] = try decoders[i].append(token)           // recomputed: alone
            } else if s != decoders[i].start {
                refills[n - s, default: []].append(i)               // the window slid: refill
            } else {
                batched.append(i)
            }
        }
        let placeholder = model.placeholderCache()
        for (_, group) in refills {
            if group.count == 1 { logits[group[0]] = try decoders[group[0]].append(tokens[group[0]]); continue }
            // Windows of one length: one forward pass for all (prefill(batch:)), caches moved out and back.
            var windows: [[Int]] = []
            for i in group {
                decoders[i].tokens.append(tokens[i])
                let n = decoders[i].tokens.count
                decoders[i].start = Self.windowStart(n, context: model.contextLength)
                windows.append(Array(decoders[i].tokens[decoders[i].start..<n]))
            }
            var caches = group.map { i in
                defer { decoders[i].cache = placeholder }
                return decoders[i].cache
            }
            defer { for (k, i) in group.enumerated() { decoders[i].cache = caches[k] } }
            let rows = try model.prefill(batch: windows, caches: &caches)
            for (k, i) in group.enumerated() { logits[i] = rows[k] }
        }
        if batched.isEmpty { return logits }
        if batched.count == 1 {                                      // a batch of one is decodeStep
            logits[batched[0]] = try decoders[batched[0]].append(tokens[batched[0]])
            return logits
        }
        // Move the caches out (no copy: each array keeps one owner), step, move them back.
        var caches = batched.map { i in
            defer { decoders[i].cache = placeholder }
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
/// step's products. The SIMD backend takes one block of W's rows at a time
/// and applies it to every row of X, so the block is read from memory once
/// and from L1 B times, and each output is summed exactly as in the one-row
/// product (RowProjection.matvecRows). On the calling thread: a large
/// batch is split between the cores once per step, by rows, not per
/// product (BatchedDecoding+Cores.swift).
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
        let block = blockRows(n), blocks = (out + block - 1) / block
        x.withUnsafeBufferPointer { px in
            w.withUnsafeBufferPointer { pw in
                y.withUnsafeMutableBufferPointer { py in
                    if let bias {
                        bias.withUnsafeBufferPointer { pb in
                            for r in 0..<b { (py.baseAddress! + r * out).update(from: pb.baseAddress!, count: out) }
                        }
                    }
                    let job = Job(x: UnsafeRawPointer(px.baseAddress!), w: UnsafeRawPointer(pw.baseAddress!),
                                  y: UnsafeMutableRawPointer(py.baseAddress!), n: n, out: out, batch: b, block: block)
                    for k in 0..<blocks { job.run(block: k, as: T.self) }
                }
            }
        }
        return y
    }

    /// The arguments of one product.
    struct Job {
        let x: UnsafeRawPointer, w: UnsafeRawPointer, y: UnsafeMutableRawPointer
        let n: Int, out: Int, batch: Int, block: Int

        /// Rows block·k ..< block·(k+1) of W against every row of X: pairs
        /// of W's rows against three rows of X at a time (`triples`), or two
        /// (`pairs`) where three would leave one row alone (4 = 2 + 2), over
        /// the block's whole groups of four; one-row products for the rest
        /// (a last row of X on its own, a block's rows past its last group
        /// of four), which matvecRows also computes one by one.
        @inline(__always)
        func run<T: TensorScalar>(block k: Int, as _: T.Type) {
            let rows = (k * block)..<min(out, (k + 1) * block)
            let x = x.assumingMemoryBound(to: T.self), w = w.assumingMemoryBound(to: T.self)
            let y = y.assumingMemoryBound(to: T.self)
            let grouped = rows.lowerBound + rows.count / 4 * 4
            var r = 0
            while batch - r >= 2 {
                let left = batch - r
                if left >= 3 && left != 4 {
                    var o = rows.lowerBound
                    while o < grouped {
                        BatchedProjection.triples(n: n, o: o, x + r * n, x + (r + 1) * n, x + (r + 2) * n, w,
                                                  y + r * out, y + (r + 1) * out, y + (r + 2) * out)
                        o += 2
                    }
                    r += 3
                } else {
                    var o = rows.lowerBound
                    while o < grouped {
                        BatchedProjection.pairs(n: n, o: o, x + r * n, x + (r + 1) * n, w, y + r * out, y + (r + 1) * out)
                        o += 2
                    }
                    r += 2
                }
            }
            let covered = r                         // rows of X done over the grouped rows of W
            for r in 0..<batch {
                let done = r < covered ? grouped : rows.lowerBound
                if done < rows.upperBound { RowProjection.matvecRows(n: n, rows: done..<rows.upperBound, x + r * n, w, y + r * out) }
            }
        }
    }

    /// y₀[o], y₀[o+1], y₁[o], y₁[o+1] += W[o, ·]·x₀, W[o+1, ·]·x₀, W[o, ·]·x₁,
    /// W[o+1, ·]·x₁: each of the four sums accumulated and reduced exactly
    /// as matvecRows's four-row loop does it (two vector accumulators, even
    /// and odd vectors of the row; their sum reduced by the same tree; then
    /// the scalar tail), so every output is bit-identical to the one-row
    /// product's. Each load of W serves two rows of X: 8 loads per 8 FMAs
    /// instead of 10.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func pairs<T: TensorScalar>(n: Int, o: Int, _ x0: UnsafePointer<T>, _ x1: UnsafePointer<T>, _ w: UnsafePointer<T>,
                                       _ y0: UnsafeMutablePointer<T>, _ y1: UnsafeMutablePointer<T>) {
        let wv = T.Vector.scalarCount, full = n - n % (2 * wv)
        let r0 = w + o * n, r1 = r0 + n
        var a00 = T.Vector(), b00 = T.Vector(), a10 = T.Vector(), b10 = T.Vector()   // W row, X row
        var a01 = T.Vector(), b01 = T.Vector(), a11 = T.Vector(), b11 = T.Vector()
        var j = 0
        while j < full {
            let w0 = SIMDKernels.load(r0, j), w1 = SIMDKernels.load(r1, j)
            let p0 = SIMDKernels.load(x0, j), p1 = SIMDKernels.load(x1, j)
            a00.addProduct(w0, p0); a10.addProduct(w1, p0); a01.addProduct(w0, p1); a11.addProduct(w1, p1)
            let v0 = SIMDKernels.load(r0, j + wv), v1 = SIMDKernels.load(r1, j + wv)
            let q0 = SIMDKernels.load(x0, j + wv), q1 = SIMDKernels.load(x1, j + wv)
            b00.addProduct(v0, q0); b10.addProduct(v1, q0); b01.addProduct(v0, q1); b11.addProduct(v1, q1)
            j += 2 * wv
        }
        var (s00, s10, s01, s11): (T, T, T, T) = fourSums(a00 + b00, a10 + b10, a01 + b01, a11 + b11)
        while j < n {
            s00 += r0[j] * x0[j]; s10 += r1[j] * x0[j]; s01 += r0[j] * x1[j]; s11 += r1[j] * x1[j]
            j += 1
        }
        y0[o] += s00; y0[o + 1] += s10; y1[o] += s01; y1[o + 1] += s11
    }

    /// `pairs` for three rows of X: W[o, ·] and W[o+1, ·] against x₀, x₁,
    /// x₂, six sums each accumulated and reduced as matvecRows does it.
    /// Each load of W serves three rows of X: 10 loads per 12 FMAs instead
    /// of 8 per 8, and one call's fixed cost (the reductions, the loop's
    /// start and end) spread over six outputs instead of four. Twelve vector
    /// accumulators and two of W fit the sixteen AVX registers; X is read
    /// by the FMAs straight from memory.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func triples<T: TensorScalar>(n: Int, o: Int, _ x0: UnsafePointer<T>, _ x1: UnsafePointer<T>, _ x2: UnsafePointer<T>,
                                         _ w: UnsafePointer<T>, _ y0: UnsafeMutablePointer<T>, _ y1: UnsafeMutablePointer<T>,
                                         _ y2: UnsafeMutablePointer<T>) {
        let wv = T.Vector.scalarCount, full = n - n % (2 * wv)
        let r0 = w + o * n, r1 = r0 + n
        var a00 = T.Vector(), b00 = T.Vector(), a10 = T.Vector(), b10 = T.Vector()   // W row, X row
        var a01 = T.Vector(), b01 = T.Vector(), a11 = T.Vector(), b11 = T.Vector()
        var a02 = T.Vector(), b02 = T.Vector(), a12 = T.Vector(), b12 = T.Vector()
        var j = 0
        while j < full {
            let w0 = SIMDKernels.load(r0, j), w1 = SIMDKernels.load(r1, j)
            var p = SIMDKernels.load(x0, j)
            a00.addProduct(w0, p); a10.addProduct(w1, p)
            p = SIMDKernels.load(x1, j)
            a01.addProduct(w0, p); a11.addProduct(w1, p)
            p = SIMDKernels.load(x2, j)
            a02.addProduct(w0, p); a12.addProduct(w1, p)
            let v0 = SIMDKernels.load(r0, j + wv), v1 = SIMDKernels.load(r1, j + wv)
            p = SIMDKernels.load(x0, j + wv)
            b00.addProduct(v0, p); b10.addProduct(v1, p)
            p = SIMDKernels.load(x1, j + wv)
            b01.addProduct(v0, p); b11.addProduct(v1, p)
            p = SIMDKernels.load(x2, j + wv)
            b02.addProduct(v0, p); b12.addProduct(v1, p)
            j += 2 * wv
        }
        var (s00, s10, s01, s11): (T, T, T, T) = fourSums(a00 + b00, a10 + b10, a01 + b01, a11 + b11)
        var (s02, s12, _, _): (T, T, T, T) = fourSums(a02 + b02, a12 + b12, T.Vector(), T.Vector())
        while j < n {
            s00 += r0[j] * x0[j]; s10 += r1[j] * x0[j]; s01 += r0[j] * x1[j]; s11 += r1[j] * x1[j]
            s02 += r0[j] * x2[j]; s12 += r1[j] * x2[j]
            j += 1
        }
        y0[o] += s00; y0[o + 1] += s10; y1[o] += s01; y1[o + 1] += s11; y2[o] += s02; y2[o + 1] += s12
    }

    /// The horizontal sum of each of four vectors, as matvecRows reduces
    /// its four rows: for SIMD8<Float> the tree ((v₀+v₄)+(v₁+v₅)) + ((v₂+v₆)+(v₃+v₇))
    /// of each vector (computed for four at once), otherwise `sum()`.
    @inline(__always)
    static func fourSums<T: TensorScalar>(_ v0: T.Vector, _ v1: T.Vector, _ v2: T.Vector, _ v3: T.Vector) -> (T, T, T, T) {
        guard T.Vector.self == SIMD8<Float>.self else { return (v0.sum(), v1.sum(), v2.sum(), v3.sum()) }
        let f0 = unsafeBitCast(v0, to: SIMD8<Float>.self), f1 = unsafeBitCast(v1, to: SIMD8<Float>.self)
        let f2 = unsafeBitCast(v2, to: SIMD8<Float>.self), f3 = unsafeBitCast(v3, to: SIMD8<Float>.self)
        let h01 = SIMD8(lowHalf: f0.lowHalf + f0.highHalf, highHalf: f1.lowHalf + f1.highHalf)
        let h23 = SIMD8(lowHalf: f2.lowHalf + f2.highHalf, highHalf: f3.lowHalf + f3.highHalf)
        let q = SIMD8(lowHalf: h01.evenHalf + h01.oddHalf, highHalf: h23.evenHalf + h23.oddHalf)
        let r = q.evenHalf + q.oddHalf
        return (unsafeBitCast(r[0], to: T.self), unsafeBitCast(r[1], to: T.self),
                unsafeBitCast(r[2], to: T.self), unsafeBitCast(r[3], to: T.self))
    }
}

extension GPT {
    /// `prefill` for several windows of one length at once: one pass
    /// (`refill`) over [k, length] instead of k passes over [1, length]. Returns
    /// each window's last logits; caches[b] holds window b. Used only where
    /// it gives the logits and caches of the separate prefills bit for bit
    /// (tested), which holds when every product sums each output in an order
    /// that does not depend on how many rows the batch has.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func prefill(batch windows: [[Int]], caches: inout [KVCache<Scalar>]) throws -> [[Scalar]] {
        precondition(windows.count == caches.count, "prefill(batch:): one window per cache")
        guard let n = windows.first?.count else { return [] }
        precondition(n > 0 && n <= config.context && windows.allSatisfy { $0.count == n }, "prefill(batch:): windows of one length within the context")
        if blocks.contains(where: { $0.attention.replacement != nil }) {
            return try windows.indices.map { try prefill(windows[$0], cache: &caches[$0]) }
        }
        return try refill(windows, caches: &caches)
    }
}
