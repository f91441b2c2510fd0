// The time loop of RecurrentLayer (RecurrentLayer.swift has the contract):
// the forward sweep t = 1 … T and the BPTT sweep t = T … 1, time-major.
//
//   forward   for t:  p_t = x_t W_ihᵀ + b_ih   [B, G·H]   (all t at once in the SIMD twin)
//                     q_t = h_{t−1} W_hhᵀ + b_hh [B, G·H]
//                     cell(p_t, q_t, h_{t−1}, c_{t−1}) → h_t, c_t
//   backward  dh ← ∂L/∂h_T (given), dc ← ∂L/∂c_T
//             for t = T … 1:  dh += dy_t                      (h_t feeds the output and step t+1)
//                             cell backward → ∂L/∂p_t, ∂L/∂q_t, dc
//                             dh ← (∂L/∂q_t)·W_hh  (+ dh ⊙ z for the GRU)
//             dW_ih = Σ_t (∂L/∂p_t)ᵀ x_t,    db_ih = Σ_t Σ_b ∂L/∂p_t
//             dW_hh = Σ_t (∂L/∂q_t)ᵀ h_{t−1}, db_hh = Σ_t Σ_b ∂L/∂q_t
//             dx_t = (∂L/∂p_t)·W_ih;  dh, dc at the end are ∂L/∂h₀, ∂L/∂c₀

import BackpropCore
import Dispatch

/// Pointers shared by the chunks of a sweep, which touch disjoint rows.
struct Unchecked<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// An array of `count` elements whose values are unspecified (the caller
/// writes every one before reading it).
@inline(__always)
func uninitialized<T: TensorScalar>(_ count: Int) -> [T] {
    [T](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
}

/// The start of a buffer, or nil if it is empty (an empty array's buffer
/// may still have a non-nil base address).
@inline(__always)
func nonEmpty<T>(_ b: UnsafeBufferPointer<T>) -> UnsafePointer<T>? { b.isEmpty ? nil : b.baseAddress }
@inline(__always)
func nonEmpty<T>(_ b: UnsafeMutableBufferPointer<T>) -> UnsafeMutablePointer<T>? { b.isEmpty ? nil : b.baseAddress }

@inline(__always)
func asFloat<T>(_ p: UnsafePointer<T>) -> UnsafePointer<Float> { UnsafeRawPointer(p).assumingMemoryBound(to: Float.self) }
@inline(__always)
func asMutableFloat<T>(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<Float> { UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self) }

extension RecurrentLayer {
    /// Forward over x [T·B, I] (time-major) from h₀, c₀ [B, H] (zeros if nil).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forwardTimeMajor(_ x: [Scalar], batch: Int, h0: [Scalar]? = nil, c0: [Scalar]? = nil) throws -> SequenceCache<Scalar> {
        let (B, I, H, GH) = (batch, inputSize, hiddenSize, gateWidth)
        guard B > 0, x.count > 0, x.count % (B * I) == 0 else {
            throw TensorError.shapeMismatch(operation: "\(summary).forward", lhs: [x.count], rhs: [-1, B, I], reason: "x must be [steps·batch, \(I)]")
        }
        try checkState(h0, batch: B, "h₀")
        try checkState(c0, batch: B, "c₀")
        if let customCell { return try customForward(customCell, x, batch: B, h0: h0, c0: c0) }
        let T = x.count / (B * I)
        var gates: [Scalar] = uninitialized(T * B * GH)
        let naive = backend == .naive, k = backend.kernels, kind = self.kind
        // p = X·W_ihᵀ + b_ih for every step
        x.withUnsafeBufferPointer { px in
        weightIH.value.scalars.withUnsafeBufferPointer { pwih in
        biasIH.value.scalars.withUnsafeBufferPointer { pbih in
        gates.withUnsafeMutableBufferPointer { pg in
            let (x, wih, bih, g) = (px.baseAddress!, pwih.baseAddress!, pbih.baseAddress!, pg.baseAddress!)
            if naive {
                Self.naiveProjection(rows: T * B, gates: kind.gateCount, hidden: H, inputs: I, x, wih, bih, g)
            } else {
                k.matmul(.nt, m: T * B, n: GH, k: I, x, wih, g, accumulate: false)
                k.addRowVector(rows: T * B, cols: GH, bih, g)
            }
        }}}}
        let s = sweepForward(&gates, steps: T, batch: B, h0: h0, c0: c0)
        return SequenceCache(batch: B, steps: T, x: x, hs: s.hs, cs: s.cs, gates: gates, tanhC: s.tanhC, hwn: s.hwn)
    }

    /// The forward recurrence t = 1 … T from the input projections
    /// `gates` = p [T·B, G·H] (overwritten with the activated gates), h₀ and
    /// c₀ (zeros if nil): h₀ … h_T, c₀ … c_T (LSTM), tanh c_t (LSTM), q_n (GRU).
    /// With `gather` = (ids [T·B], Q [V, G·H]), p is not given but read by
    /// the cell as p_r = Q[id_r], straight from the table (copying the rows
    /// into `gates` first cost 8 MiB of writes per LSTM step).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func sweepForward(_ gates: inout [Scalar], steps T: Int, batch B: Int, h0: [Scalar]?, c0: [Scalar]?,
                      gather: (ids: UnsafePointer<Int>, table: UnsafePointer<Scalar>)? = nil)
        -> (hs: [Scalar], cs: [Scalar], tanhC: [Scalar], hwn: [Scalar]) {
        let (H, GH) = (hiddenSize, gateWidth)
        // Buffers every element of which the sweep writes start uninitialised
        // (zero-filling ~30 MB per LSTM training step showed in profiles).
        var hs: [Scalar] = uninitialized((T + 1) * B * H)
        hs.replaceSubrange(0..<(B * H), with: h0 ?? [Scalar](repeating: 0, count: B * H))
        var cs = [Scalar](), tanhC = [Scalar](), hwn = [Scalar]()
        if kind == .lstm {
            cs = uninitialized((T + 1) * B * H)
            cs.replaceSubrange(0..<(B * H), with: c0 ?? [Scalar](repeating: 0, count: B * H))
            tanhC = uninitialized(T * B * H)
        }
        if kind == .gru { hwn = uninitialized(T * B * H) }
        var hw: [Scalar] = uninitialized(B * GH)
        let naive = backend == .naive, k = backend.kernels, kind = self.kind
        let whh = weightHH.value.scalars, bhh = biasHH.value.scalars
        whh.withUnsafeBufferPointer { pwhh in
        bhh.withUnsafeBufferPointer { pbhh in
        gates.withUnsafeMutableBufferPointer { pg in
        hw.withUnsafeMutableBufferPointer { phw in
        hs.withUnsafeMutableBufferPointer { phs in
        cs.withUnsafeMutableBufferPointer { pcs in
        tanhC.withUnsafeMutableBufferPointer { ptc in
        hwn.withUnsafeMutableBufferPointer { phwn in
            let (whh, bhh) = (pwhh.baseAddress!, pbhh.baseAddress!)
            let (g, q, hs) = (pg.baseAddress!, phw.baseAddress!, phs.baseAddress!)
            // W_hhᵀ packed once for all T steps (Float, SIMD twin; BackpropCore/Kernels/PackedWeight.swift)
            let packed = !naive && Scalar.self == Float.self && B >= 4
                ? PackedWeight(asFloat(whh), k: H, n: GH, transposed: true) : nil
            let chunks = Self.chunkCount(naive: naive, batch: B, observed: false)
            let p = Unchecked((hs, g, q, nonEmpty(pcs), nonEmpty(ptc), nonEmpty(phwn), whh, bhh, gather))
            // Steps 1 … T for the sequences b0 ..< b0 + n (rows are independent).
            let sweep: @Sendable (Int, Int) -> Void = { b0, n in
                let (hs, g, q, cs, tanhC, hwn, whh, bhh, gather) = p.value
                let qRows = q + b0 * GH
                for t in 0..<T {
                    let r = t * B + b0  // this chunk's first row at step t
                    let hPrev = hs + r * H
                    // q = h_{t−1}·W_hhᵀ + b_hh
                    if naive {
                        Self.naiveProjection(rows: n, gates: kind.gateCount, hidden: H, inputs: H, hPrev, whh, bhh, qRows)
                    } else if let packed {
                        // the bias added in the product's epilogue (the same c + b as addRowVector)
                        packed.multiply(asFloat(UnsafePointer(hPrev)), m: n, asMutableFloat(qRows), accumulate: false,
                                        bias: asFloat(UnsafePointer(bhh)), threads: chunks > 1 ? 1 : nil)
                    } else {
                        k.matmul(.nt, m: n, n: GH, k: H, hPrev, whh, qRows, accumulate: false)
                        k.addRowVector(rows: n, cols: GH, bhh, qRows)
                    }
                    Self.cellForward(kind, naive: naive, rows: n, hidden: H, pre: g + r * GH,
                                     gather: gather.map { (ids: $0.ids + r, table: $0.table) }, hw: qRows, hPrev: hPrev,
                                     h: hs + (r + B) * H, cPrev: cs.map { $0 + r * H }, c: cs.map { $0 + (r + B) * H },
                                     tanhC: tanhC.map { $0 + r * H }, hwn: hwn.map { $0 + r * H })
                }
            }
            Self.inChunks(chunks, of: B, sweep)
        }}}}}}}}
        return (hs, cs, tanhC, hwn)
    }

    /// BPTT over a cached forward pass. dOutputs [T·B, H] time-major (nil:
    /// zero), dFinalH/dFinalC [B, H] (nil: zero). Adds into the parameters'
    /// gradients and returns dx [T·B, I], ∂L/∂h₀ and ∂L/∂c₀ (LSTM).
    /// `observeHiddenGradient(t, ∂L/∂h_t)` is called for t = T … 1 if given.
    /// After a forward pass from token ids (`forwardTimeMajor(tokens:…)`) dx
    /// is empty: ∂L/∂E is added into the embedding table's gradient instead.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backwardTimeMajor(
        _ dOutputs: [Scalar]?, dFinalH: [Scalar]? = nil, dFinalC: [Scalar]? = nil, cache: SequenceCache<Scalar>,
        observeHiddenGradient: ((Int, [Scalar]) -> Void)? = nil
    ) throws -> (dx: [Scalar], dh0: [Scalar], dc0: [Scalar]?) {
        let (B, T, I, H, GH) = (cache.batch, cache.steps, inputSize, hiddenSize, gateWidth)
        if let d = dOutputs, d.count != T * B * H {
            throw TensorError.shapeMismatch(operation: "\(summary).backward", lhs: [d.count], rhs: [T * B, H], reason: "dy must be [steps·batch, hidden]")
        }
        try checkState(dFinalH, batch: B, "∂L/∂h_T")
        try checkState(dFinalC, batch: B, "∂L/∂c_T")
        if let cell = cache.customCell {
            return try customBackward(cell, dOutputs, dFinalH: dFinalH, dFinalC: dFinalC, cache: cache, observe: observeHiddenGradient)
        }
        var dh = dFinalH ?? [Scalar](repeating: 0, count: B * H)
        var dc = kind == .lstm ? (dFinalC ?? [Scalar](repeating: 0, count: B * H)) : []
        let dOut = dOutputs ?? []
        var dPre: [Scalar] = uninitialized(T * B * GH)
        var dPreH: [Scalar] = kind == .gru ? uninitialized(T * B * GH) : []
        var dhDirect: [Scalar] = kind == .gru ? uninitialized(B * H) : []
        var dx: [Scalar] = uninitialized(cache.table == nil ? T * B * I : 0)
        let naive = backend == .naive, k = backend.kernels, kind = self.kind
        let wih = weightIH.value.scalars, whh = weightHH.value.scalars
        let (x, hs, cs, gates, tanhC, hwn) = (cache.x, cache.hs, cache.cs, cache.gates, cache.tanhC, cache.hwn)
        let (pIH, pHH, pBIH, pBHH) = (weightIH, weightHH, biasIH, biasHH)
        x.withUnsafeBufferPointer { px in
        wih.withUnsafeBufferPointer { pwih in
        whh.withUnsafeBufferPointer { pwhh in
        hs.withUnsafeBufferPointer { phs in
        cs.withUnsafeBufferPointer { pcs in
        gates.withUnsafeBufferPointer { pg in
        tanhC.withUnsafeBufferPointer { ptc in
        hwn.withUnsafeBufferPointer { phwn in
        dOut.withUnsafeBufferPointer { pdy in
        dh.withUnsafeMutableBufferPointer { pdh in
        dc.withUnsafeMutableBufferPointer { pdc in
        dPre.withUnsafeMutableBufferPointer { pdp in
        dPreH.withUnsafeMutableBufferPointer { pdq in
        dhDirect.withUnsafeMutableBufferPointer { pdd in
        dx.withUnsafeMutableBufferPointer { pdx in
        pIH.grad.withUnsafeMutableBufferPointer { pgih in
        pHH.grad.withUnsafeMutableBufferPointer { pghh in
        pBIH.grad.withUnsafeMutableBufferPointer { pgbih in
        pBHH.grad.withUnsafeMutableBufferPointer { pgbhh in
            let (x, wih, whh, hs, dh, dPre) = (nonEmpty(px), pwih.baseAddress!, pwhh.baseAddress!, phs.baseAddress!, pdh.baseAddress!, pdp.baseAddress!)
            let dPreH = nonEmpty(pdq) ?? dPre  // ∂L/∂q = ∂L/∂p except in the GRU
            let (gih, ghh, gbih, gbhh) = (pgih.baseAddress!, pghh.baseAddress!, pgbih.baseAddress!, pgbhh.baseAddress!)
            let packed = !naive && Scalar.self == Float.self && B >= 4
                ? PackedWeight(asFloat(whh), k: GH, n: H, transposed: false) : nil
            let chunks = Self.chunkCount(naive: naive, batch: B, observed: observeHiddenGradient != nil)
            let p = Unchecked((x, wih, whh, hs, dh, dPre, dPreH, nonEmpty(pdy), nonEmpty(pdc), nonEmpty(pdd), pg.baseAddress!,
                               nonEmpty(pcs), nonEmpty(ptc), nonEmpty(phwn), nonEmpty(pdx), (gih, ghh, gbih, gbhh)))
            let observe = observeHiddenGradient.map { f in Unchecked(f) }
            // Steps T … 1 for the sequences b0 ..< b0 + n.
            let sweep: @Sendable (Int, Int) -> Void = { b0, n in
                let (x, wih, whh, hs, dhAll, dPre, dPreH, dy, dcAll, directAll, gates, cs, tanhC, hwn, dx, grads) = p.value
                let (gih, ghh, gbih, gbhh) = grads
                let dh = dhAll + b0 * H, dc = dcAll.map { $0 + b0 * H }, direct = directAll.map { $0 + b0 * H }
                for t in stride(from: T - 1, through: 0, by: -1) {
                    let r = t * B + b0  // this chunk's first row at step t
                    // dh += dy_t: here only for an observer (which must see the sum);
                    // otherwise the cell adds dy_t as it reads dh
                    var stepDy = dy.map { UnsafePointer($0 + r * H) }
                    if let observe {
                        if let d = stepDy { k.add(count: n * H, dh, d, dh); stepDy = nil }
                        observe.value(t + 1, Array(UnsafeBufferPointer(start: dh, count: n * H)))
                    }
                    let hPrev = hs + r * H
                    Self.cellBackward(kind, naive: naive, rows: n, hidden: H, dh: dh, dy: stepDy, act: gates + r * GH,
                                      hPrev: hPrev, h: hs + (r + B) * H, dc: dc, cPrev: cs.map { $0 + r * H },
                                      tanhC: tanhC.map { $0 + r * H }, hwn: hwn.map { $0 + r * H },
                                      dPre: dPre + r * GH, dPreH: dPreH + r * GH, dhDirect: direct)
                    // dh ← (∂L/∂q_t)·W_hh  (+ dh′ ⊙ z for the GRU)
                    if naive {
                        Self.naiveBackStep(rows: n, gates: kind.gateCount, hidden: H, inputs: H, dPreH + r * GH, whh, dh)
                        if let direct { k.add(count: n * H, dh, direct, dh) }
                        // the weight gradients, step by step (one chunk only)
                        Self.naiveWeightGradient(rows: n, outputs: GH, inputs: H, dPreH + r * GH, hPrev, ghh, gbhh)
                        Self.naiveWeightGradient(rows: n, outputs: GH, inputs: I, dPre + r * GH, x! + r * I, gih, gbih)
                        Self.naiveBackStep(rows: n, gates: kind.gateCount, hidden: H, inputs: I, dPre + r * GH, wih, dx! + r * I)
                    } else if let packed {
                        if let direct { dh.update(from: direct, count: n * H) }
                        packed.multiply(asFloat(UnsafePointer(dPreH + r * GH)), m: n, asMutableFloat(dh), accumulate: direct != nil,
                                        threads: chunks > 1 ? 1 : nil)
                    } else if let direct {
                        dh.update(from: direct, count: n * H)
                        k.matmul(.nn, m: n, n: H, k: GH, dPreH + r * GH, whh, dh, accumulate: true)
                    } else {
                        k.matmul(.nn, m: n, n: H, k: GH, dPreH + r * GH, whh, dh, accumulate: false)
                    }
                }
            }
            Self.inChunks(chunks, of: B, sweep)
            if !naive {
                // All steps' weight gradients at once, dW += Σ_t da_tᵀ·v_t = Daᵀ·V,
                // one product each over all T·B rows, accumulated straight into
                // the gradients ([G·H, T·B]·[T·B, ·]). In Float, V is packed once and
                // Da in small blocks as it is used (BackpropCore/Kernels/PackedWeight+Gradient.swift).
                func weightGradient(_ da: UnsafePointer<Scalar>, _ v: UnsafePointer<Scalar>, _ cols: Int, _ dw: UnsafeMutablePointer<Scalar>) {
                    if packed != nil {
                        PackedWeight(asFloat(v), k: T * B, n: cols, transposed: false)
                            .multiplyTransposed(asFloat(da), lda: GH, m: GH, asMutableFloat(dw), accumulate: true)
                    } else {
                        k.matmul(.tn, m: GH, n: cols, k: T * B, da, v, dw, accumulate: true)
                    }
                }
                if let table = cache.table {
                    weightGradient(dPreH, hs, H, ghh)
                    // db_hh = db_ih unless the GRU's ∂L/∂q differs from ∂L/∂p
                    embeddedInputGradients(tokens: cache.tokens, table: table, dPre: dPre, wih: wih, gih: gih, gbih: gbih,
                                           gbhh: kind == .gru ? nil : gbhh)
                    if kind == .gru { k.columnSum(rows: T * B, cols: GH, dPreH, gbhh, accumulate: true) }
                } else {
                    weightGradient(dPreH, hs, H, ghh)
                    weightGradient(dPre, x!, I, gih)
                    k.columnSum(rows: T * B, cols: GH, dPre, gbih, accumulate: true)
                    k.columnSum(rows: T * B, cols: GH, dPreH, gbhh, accumulate: true)
                    // dx = Da·W_ih [T·B, G·H]·[G·H, I]
                    k.matmul(.nn, m: T * B, n: I, k: GH, dPre, wih, pdx.baseAddress!, accumulate: false)
                }
            }
        }}}}}}}}}}}}}}}}}}}
        return (dx, dh, kind == .lstm ? dc : nil)
    }

    // MARK: Splitting the batch over the cores

    /// The sequences of a batch are independent until the weight gradients
    /// are summed (after the sweep), so the SIMD twin runs each time sweep
    /// on two halves of the batch at once: no synchronisation per step, and
    /// the cell arithmetic runs on both cores. The naive twin (which sums
    /// weight gradients inside the sweep) and an observed sweep use one chunk.
    static func chunkCount(naive: Bool, batch: Int, observed: Bool) -> Int {
        naive || observed || batch < 8 ? 1 : min(2, PackedWeight.cores)
    }

    /// Calls body(b0, n) for `chunks` contiguous row ranges covering 0 ..< batch.
    static func inChunks(_ chunks: Int, of batch: Int, _ body: @Sendable (Int, Int) -> Void) {
        if chunks == 1 { return body(0, batch) }
        DispatchQueue.concurrentPerform(iterations: chunks) { i in
            let b0 = batch * i / chunks
            body(b0, batch * (i + 1) / chunks - b0)
        }
    }

    // MARK: The naive twin's loops

    /// out[r, g·H + j] = b[g·H + j] + Σᵢ W[g·H + j, i]·v[r, i], gate by gate.
    static func naiveProjection(
        rows: Int, gates: Int, hidden: Int, inputs: Int,
        _ v: UnsafePointer<Scalar>, _ w: UnsafePointer<Scalar>, _ b: UnsafePointer<Scalar>, _ out: UnsafeMutablePointer<Scalar>
    ) {
        let gh = gates * hidden
        for r in 0..<rows {
            for g in 0..<gates {
                for j in 0..<hidden {
                    let unit = g * hidden + j
                    var s = b[unit]
                    for i in 0..<inputs { s += w[unit * inputs + i] * v[r * inputs + i] }
                    out[r * gh + unit] = s
                }
            }
        }
    }

    /// out[r, i] = Σ_g Σ_j da[r, g·H + j]·W[g·H + j, i]: the gradient reaching
    /// the input of a projection, gate by gate.
    static func naiveBackStep(
        rows: Int, gates: Int, hidden: Int, inputs: Int,
        _ da: UnsafePointer<Scalar>, _ w: UnsafePointer<Scalar>, _ out: UnsafeMutablePointer<Scalar>
    ) {
        let gh = gates * hidden
        for r in 0..<rows {
            for i in 0..<inputs {
                var s: Scalar = 0
                for g in 0..<gates {
                    for j in 0..<hidden { s += da[r * gh + g * hidden + j] * w[(g * hidden + j) * inputs + i] }
                }
                out[r * inputs + i] = s
            }
        }
    }

    /// dW[u, i] += Σ_r da[r, u]·v[r, i];  db[u] += Σ_r da[r, u].
    static func naiveWeightGradient(
        rows: Int, outputs: Int, inputs: Int, _ da: UnsafePointer<Scalar>, _ v: UnsafePointer<Scalar>,
        _ dw: UnsafeMutablePointer<Scalar>, _ db: UnsafeMutablePointer<Scalar>
    ) {
        for u in 0..<outputs {
            for r in 0..<rows {
                let a = da[r * outputs + u]
                db[u] += a
                for i in 0..<inputs { dw[u * inputs + i] += a * v[r * inputs + i] }
            }
        }
    }
}
