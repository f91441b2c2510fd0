// Softmax, log-softmax and cross-entropy over the last axis.
//
// A tensor [..., C] is seen as rows of C (features last, as every layer of
// the book). For a row x with softmax p = eˣ/Σeˣ:
//
//   forward                                   backward (g = ∂L/∂y)
//   y = softmax(x)                            ∂x = y ⊙ (g − Σⱼ gⱼyⱼ)        (softmaxRowsBackward)
//   y = log softmax(x) = x − lse(x)           ∂x = g − p·Σⱼ gⱼ,  p = eʸ
//   L = (1/N) Σₙ [lse(xₙ) − xₙ,tₙ]            ∂xₙ = g·(pₙ − onehot(tₙ))/N
//   lse(x) = m + log Σⱼ e^(xⱼ − m), m = maxⱼ xⱼ
//
// Stability: subtracting the row maximum m makes every exponent ≤ 0, so
// e^(·) never overflows and the largest term is exactly 1, so the sum is
// ≥ 1 and its log never meets log 0. Cross-entropy is fused — it never
// forms log p for all classes, only lse and the target's logit — so a
// confident wrong prediction costs a large finite loss instead of
// log(0) = −∞, and the backward is the famous p − onehot.

import BackpropCore
import Foundation

extension Variable {
    /// The rows of a tensor of rank ≥ 1: (rows, columns) with columns the last axis.
    func rowsAndColumns(_ operation: String) throws -> (Int, Int) {
        guard let c = shape.last, c > 0 else {
            throw AutodiffError.invalidShape(operation: operation, shape: shape, reason: "needs a non-empty last axis")
        }
        return (value.count / c, c)
    }

    /// softmax over the last axis.
    public func softmax() throws -> Variable {
        let (rows, cols) = try rowsAndColumns("softmax"), k = backend.kernels, n = node
        let y = value.freshOutput { px, py, _ in k.softmaxRows(rows: rows, cols: cols, px, py) }
        return tape.record("softmax", y, inputs: [self], saved: [y]) { tape, g in
            let kernels = tape.backend.kernels
            try tape.accumulate(n, y.withUnsafeBufferPointer { py in
                g.freshOutput { pg, pdx, _ in kernels.softmaxRowsBackward(rows: rows, cols: cols, y: py.baseAddress!, dy: pg, dx: pdx) }
            })
        }
    }

    /// log softmax over the last axis: x − lse(x), each row.
    public func logSoftmax() throws -> Variable {
        let (rows, cols) = try rowsAndColumns("logSoftmax"), n = node
        let y = value.freshOutput { px, py, _ in
            for r in 0..<rows {
                let x = px + r * cols, out = py + r * cols
                var m = x[0]
                for j in 1..<cols where x[j] > m { m = x[j] }
                var s = 0.0
                for j in 0..<cols { s += Foundation.exp(Double(x[j] - m)) }
                let lse = m + Scalar(Foundation.log(s))
                for j in 0..<cols { out[j] = x[j] - lse }
            }
        }
        return tape.record("logSoftmax", y, inputs: [self], saved: [y]) { tape, g in
            try tape.accumulate(n, y.withUnsafeBufferPointer { py in
                g.freshOutput { pg, pdx, _ in
                    for r in 0..<rows {
                        let base = r * cols
                        var total: Scalar = 0
                        for j in 0..<cols { total += pg[base + j] }
                        for j in 0..<cols { pdx[base + j] = pg[base + j] - Scalar.exp(py[base + j]) * total }
                    }
                }
            })
        }
    }

    /// The mean cross-entropy of logits [..., C] against one integer target
    /// per row (softmax fused in): a tensor of shape [].
    /// - Throws: `AutodiffError` if there is not one target per row, or a
    ///   target is outside 0..<C.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func crossEntropy(targets: [Int]) throws -> Variable {
        let (rows, cols) = try rowsAndColumns("crossEntropy"), k = backend.kernels, n = node
        guard targets.count == rows, rows > 0 else {
            throw AutodiffError.shapeMismatch(operation: "crossEntropy", lhs: shape, rhs: [targets.count],
                                              reason: "one target per row of logits is needed")
        }
        if let bad = targets.first(where: { $0 < 0 || $0 >= cols }) {
            throw AutodiffError.indexOutOfRange(operation: "crossEntropy target", index: bad, count: cols)
        }
        // p = softmax(x) by the kernel; lse = m − log p[argmax]: at the row's
        // largest logit p = 1/Σⱼ e^(xⱼ − m) ≥ 1/C, so its log is well
        // conditioned and a row costs one log instead of C exps.
        let p = value.freshOutput { px, pp, _ in k.softmaxRows(rows: rows, cols: cols, px, pp) }
        var total = 0.0
        value.withUnsafeBufferPointer { px in
            p.withUnsafeBufferPointer { pp in
                for r in 0..<rows {
                    let base = r * cols
                    var top = base
                    for j in 1..<cols where px[base + j] > px[top] { top = base + j }
                    total += Double(px[top]) - Foundation.log(Double(pp[top])) - Double(px[base + targets[r]])
                }
            }
        }
        // In Double, rounded once: (1/N)·Σ, and g·(p − onehot)/N per element —
        // chapter 2's `SoftmaxCrossEntropy` to the bit for g = 1.
        let y = try! Tensor<Scalar>(shape: [], scalars: [Scalar(total * (1 / Double(rows)))])
        return tape.record("crossEntropy", y, inputs: [self], saved: [p]) { tape, g in
            guard n != nil else { return }
            let scale = Double(g.scalars[0]) * (1 / Double(rows))
            let dx = p.freshOutput { pp, d, _ in
                for r in 0..<rows {
                    for j in 0..<cols {
                        let q: Double = j == targets[r] ? 1 : 0
                        d[r * cols + j] = Scalar((Double(pp[r * cols + j]) - q) * scale)
                    }
                }
            }
            try tape.accumulate(n, dx)
        }
    }
}
