// Grouped-query attention (Ainslie et al., 2023): H query heads share
// H_kv key/value heads, each key/value head serving a group of H/H_kv
// consecutive query heads. H_kv = H is multi-head attention; H_kv = 1 is
// multi-query attention (Shazeer, 2019). What it saves is the KV cache of
// generation: H_kv/H of multi-head's keys and values per position. Causal,
// no biases, RoPE on queries and keys (Llama 2 70B and Llama 3's attention;
// `usesRotary` false leaves them unrotated, for the ablation's learned positions).
//
//   forward   x [B, T, C] → y [B, T, C]           (d = C/H, head width)
//             q = x W_qᵀ               [B, T, H·d]      (HF's q_proj)
//             k = x W_kᵀ,  v = x W_vᵀ  [B, T, H_kv·d]   (k_proj, v_proj)
//             q, k ← RoPE(q), RoPE(k)  (each head rotated at its position)
//             query head h reads key/value head g(h) = ⌊h / (H/H_kv)⌋
//             a_h = softmax(mask(q_h k_g(h)ᵀ/√d)) v_g(h)    [B, T, d] per head
//             y = a W_oᵀ               [B, T, C]        (o_proj; a is [B, T, H·d])
//   backward  dy → dx, in the reverse order:
//             da = dy W_o, causal attention's backward gives dq_h, dk_h, dv_h
//             for every query head; a shared head's gradient is the sum over
//             its group: dk_g = Σ_{h: g(h) = g} dk_h (likewise dv); then the
//             inverse rotation of dq and dk, and the three projections'
//             backward, whose input gradients add up: dx = dq W_q + dk W_k + dv W_v.
//
// Mapping each query head to its shared head reuses chapter 7's causal
// attention and both of its twins (CausalAttention.swift): the rotated
// queries and the shared keys and values are laid out as chapter 7's fused
// qkv [B·T, 3·H·d], each key/value head copied into the columns of every
// query head of its group (PyTorch's `repeat_kv`, Hugging Face's Llama). The
// copy costs B·T·2·H·d scalars, small beside attention's B·H·T²·d
// multiply-adds, and training computes the same products either way; the
// saving of GQA is in the cache at generation time, which keeps only the
// H_kv heads. `GQAKernels` holds the copy (expand) and the group sum
// (reduce) as naive and SIMD twins.

import BackpropCore
import Backpropagation
import Transformer

/// Causal self-attention with `heads` query heads sharing `kvHeads`
/// key/value heads, rotary position embeddings on queries and keys, and no biases.
public final class GroupedQueryAttention<Scalar: TensorScalar>: Layer {
    public let heads: Int
    public let kvHeads: Int
    /// d = C/H
    public let headWidth: Int
    /// W_q [H·d, C]
    public let query: Linear<Scalar>
    /// W_k [H_kv·d, C]
    public let key: Linear<Scalar>
    /// W_v [H_kv·d, C]
    public let value: Linear<Scalar>
    /// W_o [C, H·d]
    public let output: Linear<Scalar>
    public let rotary: RotaryEmbedding<Scalar>
    /// Whether q and k are rotated (false: positions come from elsewhere,
    /// the learned embedding of the ablation in LlamaVariants.swift).
    public let usesRotary: Bool
    /// Input gradients only, no weight gradients (LoRA's frozen base; FrozenWeights.swift).
    public var frozen = false
    /// LoRA side paths on the projections (LoRA.swift; empty unless fine-tuning).
    public var adapters: [LoRATarget: LoRAAdapter<Scalar>] = [:]
    public var backend: Backend {
        didSet {
            query.backend = backend; key.backend = backend; value.backend = backend
            output.backend = backend; rotary.backend = backend
            for a in adapters.values { a.backend = backend }
        }
    }
    public var width: Int { query.inputs }
    /// Query heads per key/value head.
    public var groupSize: Int { heads / kvHeads }
    public var parameters: [Parameter<Scalar>] { [query.weight, key.weight, value.weight, output.weight] }
    /// (name, parameter) in Hugging Face's names.
    public var namedParameters: [(String, Parameter<Scalar>)] {
        [("q_proj.weight", query.weight), ("k_proj.weight", key.weight), ("v_proj.weight", value.weight),
         ("o_proj.weight", output.weight)]
    }
    public var summary: String { "GroupedQueryAttention(\(width), \(heads) heads, \(kvHeads) kv heads)" }

    public struct Cache {
        var x: Tensor<Scalar>
        /// Rotated queries, expanded keys and values, chapter 7's layout [B·T, 3·H·d].
        var qkv: [Scalar]
        /// P [B, H, T, T]
        public var probabilities: [Scalar]
        /// a [B, T, H·d]: W_o's input
        var attended: Tensor<Scalar>
        var shape: AttentionShape
        var lora: [LoRATarget: LoRAAdapter<Scalar>.Cache] = [:]
    }

    /// The key/value head query head h reads.
    public func kvHead(forQueryHead h: Int) -> Int { h / groupSize }

    /// Checks the head counts; returns d.
    static func headWidth(width: Int, heads: Int, kvHeads: Int) throws -> Int {
        guard heads > 0, kvHeads > 0, heads % kvHeads == 0 else {
            throw TrainingError.invalidOption(name: "kv heads", value: "\(kvHeads)",
                                              reason: "must be positive and divide the \(heads) query heads")
        }
        guard width > 0, width % heads == 0, (width / heads) % 2 == 0 else {
            throw TrainingError.invalidOption(name: "heads", value: "\(heads)",
                                              reason: "must divide the width \(width) into heads of even width (RoPE rotates pairs)")
        }
        return width / heads
    }

    /// W_q, W_k, W_v N(0, std²), W_o N(0, outputStd²); RoPE tables for
    /// `positions` positions (the context; `rotary.reserve` extends them).
    public init(width: Int, heads: Int, kvHeads: Int, positions: Int, ropeBase: Double = 10_000, rotary usesRotary: Bool = true,
                std: Double = 0.02, outputStd: Double = 0.02, rng: inout SeededRandom, backend: Backend = .simd) throws {
        let d = try Self.headWidth(width: width, heads: heads, kvHeads: kvHeads)
        (self.heads, self.kvHeads, headWidth) = (heads, kvHeads, d)
        query = try LlamaInitialization.linear(inputs: width, outputs: heads * d, std: std, rng: &rng, backend: backend)
        key = try LlamaInitialization.linear(inputs: width, outputs: kvHeads * d, std: std, rng: &rng, backend: backend)
        value = try LlamaInitialization.linear(inputs: width, outputs: kvHeads * d, std: std, rng: &rng, backend: backend)
        output = try LlamaInitialization.linear(inputs: heads * d, outputs: width, std: outputStd, rng: &rng, backend: backend)
        rotary = try RotaryEmbedding(headWidth: d, positions: positions, base: ropeBase, backend: backend)
        self.usesRotary = usesRotary
        self.backend = backend
    }

    /// From given weights W_q [H·d, C], W_k and W_v [H_kv·d, C], W_o [C, H·d].
    public init(query wq: Tensor<Scalar>, key wk: Tensor<Scalar>, value wv: Tensor<Scalar>, output wo: Tensor<Scalar>,
                heads: Int, kvHeads: Int, positions: Int, ropeBase: Double = 10_000, rotary usesRotary: Bool = true,
                backend: Backend = .simd) throws {
        let c = wq.shape.last ?? 0
        let d = try Self.headWidth(width: c, heads: heads, kvHeads: kvHeads)
        for (name, w, rows) in [("W_q", wq, heads * d), ("W_k", wk, kvHeads * d), ("W_v", wv, kvHeads * d)] where w.shape != [rows, c] {
            throw TensorError.shapeMismatch(operation: "GroupedQueryAttention", lhs: w.shape, rhs: [rows, c],
                                            reason: "\(name) must be [\(rows), \(c)] for \(heads) heads, \(kvHeads) kv heads of width \(d)")
        }
        guard wo.shape == [c, heads * d] else {
            throw TensorError.shapeMismatch(operation: "GroupedQueryAttention", lhs: wo.shape, rhs: [c, heads * d],
                                            reason: "W_o must be [\(c), \(heads * d)]")
        }
        (self.heads, self.kvHeads, headWidth) = (heads, kvHeads, d)
        query = try Linear(weight: wq, backend: backend)
        key = try Linear(weight: wk, backend: backend)
        value = try Linear(weight: wv, backend: backend)
        output = try Linear(weight: wo, backend: backend)
        rotary = try RotaryEmbedding(headWidth: d, positions: positions, base: ropeBase, backend: backend)
        self.usesRotary = usesRotary
        self.backend = backend
    }

    /// x [B, T, C] → y [B, T, C] (T ≤ the RoPE tables' positions).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Tensor<Scalar>, mode: Mode) throws -> (output: Tensor<Scalar>, cache: Cache) {
        guard x.rank == 3, x.shape[2] == width, x.shape[0] > 0, x.shape[1] > 0 else {
            throw TensorError.shapeMismatch(operation: summary, lhs: x.shape, rhs: [-1, -1, width],
                                            reason: "x \(x.shape) must be [batch, time, \(width)]")
        }
        let (b, t, d) = (x.shape[0], x.shape[1], headWidth)
        try rotary.validate([b, t, heads * d], offset: 0, summary)
        var lora: [LoRATarget: LoRAAdapter<Scalar>.Cache] = [:]
        // x Wᵀ, + s·B A x before the rotation: folded into W (LoRA.swift's
        // fast path) or added as the side path's own product.
        func project(_ linear: Linear<Scalar>, _ target: LoRATarget) throws -> [Scalar] {
            guard let adapter = adapters[target] else { return try linear.forward(x, mode: mode).output.scalars }
            if adapter.mergesIntoBase {
                let (y, cache) = try adapter.mergedForward(x, base: linear)
                lora[target] = cache
                return y.scalars
            }
            let y = try linear.forward(x, mode: mode).output.scalars
            let (delta, cache) = try adapter.forward(x)
            lora[target] = cache
            return try Self.add(y, delta)
        }
        var q = try project(query, .query)                                       // [B, T, H·d]
        var k = try project(key, .key)                                           // [B, T, H_kv·d]
        let v = try project(value, .value)                                       // [B, T, H_kv·d]
        if usesRotary {
            rotary.rotate(&q, width: heads * d, length: t, offset: 0, inverse: false)
            rotary.rotate(&k, width: kvHeads * d, length: t, offset: 0, inverse: false)
        }
        let shape = AttentionShape(batch: b, length: t, heads: heads, width: heads * d)
        let qkv = GQAKernels.assemble(q: q, k: k, v: v, rows: b * t, heads: heads, kvHeads: kvHeads, headWidth: d, backend: backend)  // [B·T, 3·H·d]
        let (a, p) = CausalAttention.forward(qkv, shape: shape, backend: backend)   // [B·T, H·d], P [B, H, T, T]
        let attended = try Tensor(shape: [b, t, heads * d], scalars: a)
        var y: Tensor<Scalar>                                                    // [B, T, C]
        if let adapter = adapters[.output], adapter.mergesIntoBase {
            let (merged, cache) = try adapter.mergedForward(attended, base: output)
            lora[.output] = cache
            y = merged
        } else if let adapter = adapters[.output] {
            y = try output.forward(attended, mode: mode).output
            let (delta, cache) = try adapter.forward(attended)
            lora[.output] = cache
            y = try y.adding(delta, backend: backend)
        } else {
            y = try output.forward(attended, mode: mode).output
        }
        return (y, Cache(x: x, qkv: qkv, probabilities: p, attended: attended, shape: shape, lora: lora))
    }

    static func add(_ a: [Scalar], _ delta: Tensor<Scalar>) throws -> [Scalar] {
        precondition(a.count == delta.count)
        var out = a
        delta.scalars.withUnsafeBufferPointer { d in for i in out.indices { out[i] += d[i] } }
        return out
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dy: Tensor<Scalar>, cache: Cache) throws -> Tensor<Scalar> {
        guard dy.shape == cache.x.shape else {
            throw TensorError.shapeMismatch(operation: "\(summary).backward", lhs: dy.shape, rhs: cache.x.shape,
                                            reason: "dy \(dy.shape) must have the output's shape \(cache.x.shape)")
        }
        let s = cache.shape, d = headWidth
        let (b, t) = (s.batch, s.length)
        var da: Tensor<Scalar>                                                                   // [B, T, H·d]
        if let adapter = adapters[.output], let c = cache.lora[.output], let merged = c.merged {   // dy (W_o + s·B A)
            da = try Tensor.matmul(try dy.flattenedRows("\(summary).backward"), merged, .nn, backend: backend).reshaped([b, t, heads * d])
            if !frozen { try output.accumulateParameterGradients(dy, cache: cache.attended) }
            try adapter.accumulateMergedGradients(dy, cache: c)
        } else {
            da = try output.backward(dy, cache: cache.attended, frozen: frozen)
            if let adapter = adapters[.output], let c = cache.lora[.output] { da = try da.adding(try adapter.backward(dy, cache: c), backend: backend) }
        }
        let dqkv = CausalAttention.backward(da.scalars, qkv: cache.qkv, probabilities: cache.probabilities,
                                            shape: s, backend: backend)          // [B·T, 3·H·d]
        var (dq, dk, dv) = GQAKernels.split(dqkv, rows: s.rows, heads: heads, kvHeads: kvHeads, headWidth: d, backend: backend)
        if usesRotary {
            rotary.rotate(&dq, width: heads * d, length: s.length, offset: 0, inverse: true)
            rotary.rotate(&dk, width: kvHeads * d, length: s.length, offset: 0, inverse: true)
        }
        // dx = dq W_q + dk W_k + dv W_v, each product added into dx by the
        // GEMM itself (accumulate) rather than into fresh tensors summed
        // afterwards; an adapter folded into its W (W + s·B A) adds its g A
        // within the same product. Weight gradients only when trained.
        let (n, c) = (b * t, width)
        var dx = [Scalar](unsafeUninitializedCapacity: n * c) { _, count in count = n * c }
        var sidePaths: [Tensor<Scalar>] = []
        for (i, (target, linear, grad, cols)) in [(LoRATarget.query, query, dq, heads * d), (.key, key, dk, kvHeads * d),
                                                  (.value, value, dv, kvHeads * d)].enumerated() {
            let lora = cache.lora[target]
            let weight = lora?.merged ?? linear.weight.value                                     // [cols, C]
            grad.withUnsafeBufferPointer { g in
                weight.withUnsafeBufferPointer { w in
                    dx.withUnsafeMutableBufferPointer { o in
                        backend.kernels.matmul(.nn, m: n, n: c, k: cols, g.baseAddress!, w.baseAddress!, o.baseAddress!, accumulate: i > 0)
                    }
                }
            }
            let gradient = try Tensor(shape: [b, t, cols], scalars: grad)
            if !frozen { try linear.accumulateParameterGradients(gradient, cache: cache.x) }
            guard let adapter = adapters[target], let lora else { continue }
            if lora.merged != nil {
                try adapter.accumulateMergedGradients(gradient, cache: lora)
            } else {
                sidePaths.append(try adapter.backward(gradient, cache: lora))
            }
        }
        var result = try Tensor(shape: [b, t, c], scalars: dx)
        for side in sidePaths { result = try result.adding(side, backend: backend) }
        return result
    }
}

/// Laying grouped heads out as chapter 7's fused qkv, and back (shapes trusted).
public enum GQAKernels {
    /// qkv [rows, 3·H·d] from q [rows, H·d] and k, v [rows, H_kv·d]: query
    /// head h's key and value columns hold shared head ⌊h/(H/H_kv)⌋.
    public static func assemble<T: TensorScalar>(q: [T], k: [T], v: [T], rows: Int, heads: Int, kvHeads: Int,
                                                 headWidth d: Int, backend: Backend) -> [T] {
        let c = heads * d, kvc = kvHeads * d, group = heads / kvHeads
        var qkv = T.buffer(count: rows * 3 * c, uninitialized: backend == .simd)   // every element written
        qkv.withUnsafeMutableBufferPointer { o in
            q.withUnsafeBufferPointer { pq in
                k.withUnsafeBufferPointer { pk in
                    v.withUnsafeBufferPointer { pv in
                        let (out, qp, kp, vp) = (o.baseAddress!, pq.baseAddress!, pk.baseAddress!, pv.baseAddress!)
                        for r in 0..<rows {
                            let row = out + r * 3 * c
                            if backend == .simd {   // whole rows and heads with memcpy
                                row.update(from: qp + r * c, count: c)
                                for h in 0..<heads {
                                    let g = h / group
                                    (row + c + h * d).update(from: kp + r * kvc + g * d, count: d)
                                    (row + 2 * c + h * d).update(from: vp + r * kvc + g * d, count: d)
                                }
                            } else {
                                for h in 0..<heads {
                                    for e in 0..<d {
                                        row[h * d + e] = qp[r * c + h * d + e]
                                        row[c + h * d + e] = kp[r * kvc + (h / group) * d + e]
                                        row[2 * c + h * d + e] = vp[r * kvc + (h / group) * d + e]
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return qkv
    }

    /// The backward of `assemble`: dq [rows, H·d], and dk, dv [rows, H_kv·d]
    /// where each shared head's gradient sums those of its group's query heads.
    public static func split<T: TensorScalar>(_ dqkv: [T], rows: Int, heads: Int, kvHeads: Int, headWidth d: Int,
                                              backend: Backend) -> (dq: [T], dk: [T], dv: [T]) {
        let c = heads * d, kvc = kvHeads * d, group = heads / kvHeads
        var dq = T.buffer(count: rows * c, uninitialized: backend == .simd)          // SIMD: every element written;
        var dk = T.buffer(count: rows * kvc, uninitialized: backend == .simd)           // naive: sums into zeros
        var dv = T.buffer(count: rows * kvc, uninitialized: backend == .simd)
        dqkv.withUnsafeBufferPointer { pin in
            dq.withUnsafeMutableBufferPointer { pq in
                dk.withUnsafeMutableBufferPointer { pk in
                    dv.withUnsafeMutableBufferPointer { pv in
                        let (src, qp, kp, vp) = (pin.baseAddress!, pq.baseAddress!, pk.baseAddress!, pv.baseAddress!)
                        for r in 0..<rows {
                            let row = src + r * 3 * c
                            if backend == .simd {
                                (qp + r * c).update(from: row, count: c)
                                for g in 0..<kvHeads {
                                    sumGroup(row + c + g * group * d, count: group, stride: d, width: d, into: kp + r * kvc + g * d)
                                    sumGroup(row + 2 * c + g * group * d, count: group, stride: d, width: d, into: vp + r * kvc + g * d)
                                }
                            } else {
                                for h in 0..<heads {
                                    for e in 0..<d {
                                        qp[r * c + h * d + e] = row[h * d + e]
                                        kp[r * kvc + (h / group) * d + e] += row[c + h * d + e]
                                        vp[r * kvc + (h / group) * d + e] += row[2 * c + h * d + e]
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return (dq, dk, dv)
    }

    /// out[0..<width] = Σ_{m < count} src[m·stride ..< m·stride + width], in
    /// vectors, the terms added in order m = 0, 1, … (as the naive twin).
    @inline(__always)
    static func sumGroup<T: TensorScalar>(_ src: UnsafePointer<T>, count: Int, stride: Int, width: Int, into out: UnsafeMutablePointer<T>) {
        let w = T.Vector.scalarCount, full = width - width % w
        var e = 0
        while e < full {
            var acc = SIMDKernels.load(src, e)
            for m in 1..<max(count, 1) { acc += SIMDKernels.load(src + m * stride, e) }
            SIMDKernels.store(acc, out, e)
            e += w
        }
        while e < width {
            var acc = src[e]
            for m in 1..<max(count, 1) { acc += src[m * stride + e] }
            out[e] = acc
            e += 1
        }
    }
}
