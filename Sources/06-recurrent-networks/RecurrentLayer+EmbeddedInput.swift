// A recurrent layer fed by an embedding table: the input projection folded
// into the table (the SIMD twin of the language model, CharRNN.swift).
//
// When the input rows are rows of a table, x_r = E[id_r] with E [V, I], the
// input projection of every step is a row of one small product:
//
//   forward   p_r = E[id_r]·W_ihᵀ + b_ih = Q[id_r],   Q = E·W_ihᵀ + b_ih  [V, G·H]
//   backward  with S[v] = Σ_{r : id_r = v} ∂L/∂p_r      [V, G·H]  (scatter-add)
//             dW_ih += Σ_r (∂L/∂p_r)ᵀ E[id_r] = Sᵀ·E     [G·H, V]·[V, I]
//             db_ih += Σ_r ∂L/∂p_r = Σ_v S[v]
//             dE    += S·W_ih                           [V, G·H]·[G·H, I]
//
// Why: the char-LSTM has T·B = 2048 rows but only V = 65 characters, so the
// three products over all rows (X·W_ihᵀ, Daᵀ·X and Da·W_ih, 2·T·B·I·G·H
// multiply-adds each, ~0.8 GFLOP per step, a fifth of the step) become three
// products over V rows (~0.03 GFLOP) plus a gather and a scatter-add. No
// [T·B, I] input or dx is ever formed.
//
// Floating point: Q[v] is computed by the same GEMM and bias add as the
// unfolded projection, so the forward pass is bit-identical to it. The
// gradients are the same sums grouped differently (first over the rows
// sharing a token, then over tokens), within the tolerance of the twin tests.
//
// The naive twin and a custom cell (RecurrentLayer+CustomCell.swift) keep the
// unfolded path: the language model only takes this one with the SIMD
// kernels and the built-in cell.

import BackpropCore
import Backpropagation
import Dispatch

extension RecurrentLayer {
    /// Forward over the inputs E[tokens] (time-major ids [T·B]) from h₀, c₀
    /// [B, H] (zeros if nil), without forming them. The cache remembers the
    /// ids and the table: `backwardTimeMajor` then adds ∂L/∂E into
    /// `embedding.weight.grad` and returns an empty dx.
    /// - Throws: `TensorError.shapeMismatch` for a table of the wrong width or
    ///   a wrong state; `TextError.tokenOutOfRange` for an id outside 0..<V.
    @_specialize(where Scalar == Float)
    func forwardTimeMajor(tokens: [Int], embedding: Embedding<Scalar>, batch B: Int,
                          h0: [Scalar]? = nil, c0: [Scalar]? = nil) throws -> SequenceCache<Scalar> {
        precondition(backend == .simd && customCell == nil, "the folded input is the SIMD twin's, with the built-in cell")
        let (I, GH, V) = (inputSize, gateWidth, embedding.count)
        guard embedding.dimension == I, B > 0, !tokens.isEmpty, tokens.count % B == 0 else {
            throw TensorError.shapeMismatch(operation: "\(summary).forward", lhs: [tokens.count, embedding.dimension], rhs: [-1, I],
                                            reason: "needs [steps·batch] ids and a table of width \(I)")
        }
        if let bad = tokens.first(where: { $0 < 0 || $0 >= V }) { throw TextError.tokenOutOfRange(bad, vocabularySize: V) }
        try checkState(h0, batch: B, "h₀")
        try checkState(c0, batch: B, "c₀")
        let T = tokens.count / B, k = backend.kernels
        // Q = E·W_ihᵀ + b_ih [V, G·H]; the sweep reads p_r = Q[id_r]
        var q: [Scalar] = uninitialized(V * GH)
        embedding.weight.value.withUnsafeBufferPointer { e in
        weightIH.value.withUnsafeBufferPointer { w in
        biasIH.value.withUnsafeBufferPointer { b in
        q.withUnsafeMutableBufferPointer { q in
            k.matmul(.nt, m: V, n: GH, k: I, e.baseAddress!, w.baseAddress!, q.baseAddress!, accumulate: false)
            k.addRowVector(rows: V, cols: GH, b.baseAddress!, q.baseAddress!)
        }}}}
        var gates: [Scalar] = uninitialized(T * B * GH)
        let s = tokens.withUnsafeBufferPointer { ids in
            q.withUnsafeBufferPointer { q in
                sweepForward(&gates, steps: T, batch: B, h0: h0, c0: c0, gather: (ids.baseAddress!, q.baseAddress!))
            }
        }
        return SequenceCache(batch: B, steps: T, x: [], hs: s.hs, cs: s.cs, gates: gates, tanhC: s.tanhC, hwn: s.hwn,
                             tokens: tokens, table: embedding.weight)
    }

    /// The input side of BPTT for a folded forward pass (equations above):
    /// dW_ih += Sᵀ·E, db_ih += Σ_v S[v], E.grad += S·W_ih, from ∂L/∂p
    /// `dPre` [T·B, G·H]. `gih` and `gbih` point into W_ih's and b_ih's
    /// gradients (which the caller holds open); `gbhh`, if given, receives
    /// Σ_v S[v] too (db_hh when ∂L/∂q = ∂L/∂p: every cell but the GRU).
    func embeddedInputGradients(tokens: [Int], table: Parameter<Scalar>, dPre: UnsafePointer<Scalar>, wih: UnsafePointer<Scalar>,
                                gih: UnsafeMutablePointer<Scalar>, gbih: UnsafeMutablePointer<Scalar>,
                                gbhh: UnsafeMutablePointer<Scalar>?) {
        let (I, GH, V) = (inputSize, gateWidth, table.value.shape[0])
        let k = backend.kernels
        // S[v] = Σ of the rows of ∂L/∂p whose id is v, rows in order; the
        // columns split in two halves, one per core
        let s = UnsafeMutablePointer<Scalar>.allocate(capacity: V * GH)
        defer { s.deallocate() }
        s.initialize(repeating: 0, count: V * GH)
        let half = GH / 16 * 8, job = Unchecked((s, dPre))
        tokens.withUnsafeBufferPointer { ids in
            let ids = Unchecked(ids.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: 2) { part in
                let (s, dPre) = job.value
                let (j0, count) = part == 0 ? (0, half) : (half, GH - half)
                for r in 0..<tokens.count {
                    let id = ids.value[r]
                    k.add(count: count, s + id * GH + j0, dPre + r * GH + j0, s + id * GH + j0)
                }
            }
        }
        table.value.withUnsafeBufferPointer { e in
            k.matmul(.tn, m: GH, n: I, k: V, UnsafePointer(s), e.baseAddress!, gih, accumulate: true)
        }
        k.columnSum(rows: V, cols: GH, UnsafePointer(s), gbih, accumulate: true)
        if let gbhh { k.columnSum(rows: V, cols: GH, UnsafePointer(s), gbhh, accumulate: true) }
        table.grad.withUnsafeMutableBufferPointer { de in
            k.matmul(.nn, m: V, n: I, k: GH, UnsafePointer(s), wih, de.baseAddress!, accumulate: true)
        }
    }
}
