// A seam for an LSTM cell written outside the library (exercise 6.7): an
// LSTM layer can unroll any `LSTMCellStep` in place of its own elementwise
// step (LSTMCell.swift). The matrix products, the time loop and BPTT stay
// the layer's; only the arithmetic between the gate pre-activations and
// (h′, c′), forward and backward, is the cell's.
//
//   forward   for t = 1 … T:  z_t = x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh    [B, 4H]
//                            (h_t, c_t) = cell.forward(z_t, c_{t−1}), row by row
//   backward  dh ← ∂L/∂h_T, dc ← ∂L/∂c_T
//             for t = T … 1: dh += dy_t
//                            (dz_t, dc) = cell.backward(z_t, c_{t−1}, dh, dc), row by row
//                            dW_ih += dz_tᵀ x_t,  dW_hh += dz_tᵀ h_{t−1},  db_ih, db_hh += Σ_b dz_t
//                            dx_t = dz_t W_ih,    dh = dz_t W_hh
// The same sweep as RecurrentLayer+Unroll.swift, written plainly with the
// backend's kernels; the cell sees one sequence's row at a time, in Double
// (the layer converts), so a cell written with plain arrays plugs in as it is.

import BackpropCore

/// The elementwise part of an LSTM step (PyTorch's gate order i, f, g, o)
/// for one sequence, forward and backward, which an LSTM `RecurrentLayer`
/// unrolls in place of its own when given one with `useCell(_:)`.
public protocol LSTMCellStep {
    /// (h′, c′), H entries each, from the pre-activations
    /// z = W_ih x + b_ih + W_hh h + b_hh (4H entries: the blocks of i, f, g, o)
    /// and the previous cell state c (H entries).
    func forward(z: [Double], c: [Double]) throws -> (h: [Double], c: [Double])

    /// (∂L/∂z, ∂L/∂c): 4H and H entries, from the z and c the forward pass was
    /// given and the gradients dh = ∂L/∂h′ and dc = ∂L/∂c′ reaching its outputs.
    func backward(z: [Double], c: [Double], dh: [Double], dc: [Double]) throws -> (dz: [Double], dc: [Double])
}

/// A cell that breaks the shapes the layer relies on.
public struct CellShapeError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

extension RecurrentLayer {
    /// Unrolls `cell` in place of the built-in LSTM arithmetic from the next
    /// forward pass on (nil restores the built-in cell). The parameters stay
    /// the layer's: a checkpoint of a model with a custom cell is an ordinary one.
    /// - Throws: `TrainingError.invalidOption` unless this is an LSTM layer.
    public func useCell(_ cell: (any LSTMCellStep)?) throws {
        guard cell == nil || kind == .lstm else {
            throw TrainingError.invalidOption(name: "cell", value: "\(kind.displayName)", reason: "a custom cell replaces an LSTM's step only")
        }
        customCell = cell
    }

    /// Forward over x [T·B, I] (time-major) with `cell`.
    func customForward(_ cell: any LSTMCellStep, _ x: [Scalar], batch B: Int, h0: [Scalar]?, c0: [Scalar]?) throws -> SequenceCache<Scalar> {
        let (I, H, GH) = (inputSize, hiddenSize, gateWidth)
        let T = x.count / (B * I)
        var hs = [Scalar](repeating: 0, count: (T + 1) * B * H), cs = hs
        if let h0 { hs.replaceSubrange(0..<(B * H), with: h0) }
        if let c0 { cs.replaceSubrange(0..<(B * H), with: c0) }
        var z = [Scalar](repeating: 0, count: T * B * GH)
        let k = backend.kernels
        // z = X·W_ihᵀ + b_ih for all steps, then + h_{t−1}·W_hhᵀ + b_hh step by step
        x.withUnsafeBufferPointer { px in
            weightIH.value.scalars.withUnsafeBufferPointer { w in
                z.withUnsafeMutableBufferPointer { pz in
                    k.matmul(.nt, m: T * B, n: GH, k: I, px.baseAddress!, w.baseAddress!, pz.baseAddress!, accumulate: false)
                    biasIH.value.scalars.withUnsafeBufferPointer { k.addRowVector(rows: T * B, cols: GH, $0.baseAddress!, pz.baseAddress!) }
                }
            }
        }
        for t in 0..<T {
            hs.withUnsafeBufferPointer { ph in
                weightHH.value.scalars.withUnsafeBufferPointer { w in
                    z.withUnsafeMutableBufferPointer { pz in
                        let zt = pz.baseAddress! + t * B * GH
                        k.matmul(.nt, m: B, n: GH, k: H, ph.baseAddress! + t * B * H, w.baseAddress!, zt, accumulate: true)
                        biasHH.value.scalars.withUnsafeBufferPointer { k.addRowVector(rows: B, cols: GH, $0.baseAddress!, zt) }
                    }
                }
            }
            for b in 0..<B {
                let row = t * B + b
                let (h, c) = try cell.forward(z: Self.doubles(z, row * GH, GH), c: Self.doubles(cs, row * H, H))
                guard h.count == H, c.count == H else {
                    throw CellShapeError(description: "\(type(of: cell)).forward returned h and c of \(h.count) and \(c.count) entries; H = \(H)")
                }
                for j in 0..<H {
                    hs[(row + B) * H + j] = Scalar(h[j])
                    cs[(row + B) * H + j] = Scalar(c[j])
                }
            }
        }
        return SequenceCache(batch: B, steps: T, x: x, hs: hs, cs: cs, gates: z, tanhC: [], hwn: [], customCell: cell)
    }

    /// BPTT over a forward pass made with `cell` (see the equations above).
    func customBackward(_ cell: any LSTMCellStep, _ dOutputs: [Scalar]?, dFinalH: [Scalar]?, dFinalC: [Scalar]?,
                        cache: SequenceCache<Scalar>, observe: ((Int, [Scalar]) -> Void)?) throws
        -> (dx: [Scalar], dh0: [Scalar], dc0: [Scalar]?) {
        let (B, T, I, H, GH) = (cache.batch, cache.steps, inputSize, hiddenSize, gateWidth)
        var dh = dFinalH ?? [Scalar](repeating: 0, count: B * H)
        var dc = dFinalC ?? [Scalar](repeating: 0, count: B * H)
        var dz = [Scalar](repeating: 0, count: T * B * GH)
        var dx = [Scalar](repeating: 0, count: T * B * I)
        let k = backend.kernels
        for t in stride(from: T - 1, through: 0, by: -1) {
            if let dOutputs { for i in 0..<(B * H) { dh[i] += dOutputs[t * B * H + i] } }
            observe?(t + 1, dh)
            for b in 0..<B {
                let row = t * B + b
                let g = try cell.backward(z: Self.doubles(cache.gates, row * GH, GH), c: Self.doubles(cache.cs, row * H, H),
                                          dh: Self.doubles(dh, b * H, H), dc: Self.doubles(dc, b * H, H))
                guard g.dz.count == GH, g.dc.count == H else {
                    throw CellShapeError(description: "\(type(of: cell)).backward returned dz and dc of \(g.dz.count) and \(g.dc.count) entries; 4H = \(GH), H = \(H)")
                }
                for u in 0..<GH { dz[row * GH + u] = Scalar(g.dz[u]) }
                for j in 0..<H { dc[b * H + j] = Scalar(g.dc[j]) }
            }
            // dh ← dz_t·W_hh
            dz.withUnsafeBufferPointer { pz in
                weightHH.value.scalars.withUnsafeBufferPointer { w in
                    dh.withUnsafeMutableBufferPointer { pdh in
                        k.matmul(.nn, m: B, n: H, k: GH, pz.baseAddress! + t * B * GH, w.baseAddress!, pdh.baseAddress!, accumulate: false)
                    }
                }
            }
        }
        // dW_ih += DZᵀ·X, dW_hh += DZᵀ·H_{0…T−1}, db_ih, db_hh += Σ rows of DZ, dX = DZ·W_ih
        dz.withUnsafeBufferPointer { pz in
            let pz = pz.baseAddress!
            cache.x.withUnsafeBufferPointer { px in
                weightIH.grad.withUnsafeMutableBufferPointer {
                    k.matmul(.tn, m: GH, n: I, k: T * B, pz, px.baseAddress!, $0.baseAddress!, accumulate: true)
                }
            }
            cache.hs.withUnsafeBufferPointer { ph in
                weightHH.grad.withUnsafeMutableBufferPointer {
                    k.matmul(.tn, m: GH, n: H, k: T * B, pz, ph.baseAddress!, $0.baseAddress!, accumulate: true)
                }
            }
            biasIH.grad.withUnsafeMutableBufferPointer { k.columnSum(rows: T * B, cols: GH, pz, $0.baseAddress!, accumulate: true) }
            biasHH.grad.withUnsafeMutableBufferPointer { k.columnSum(rows: T * B, cols: GH, pz, $0.baseAddress!, accumulate: true) }
            weightIH.value.scalars.withUnsafeBufferPointer { w in
                dx.withUnsafeMutableBufferPointer { k.matmul(.nn, m: T * B, n: I, k: GH, pz, w.baseAddress!, $0.baseAddress!, accumulate: false) }
            }
        }
        return (dx, dh, dc)
    }

    /// v[start ..< start + count] in Double.
    static func doubles(_ v: [Scalar], _ start: Int, _ count: Int) -> [Double] {
        (start..<(start + count)).map { Double(v[$0]) }
    }
}
