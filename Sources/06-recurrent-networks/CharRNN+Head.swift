// The output head of the character model in the SIMD twin: the same
// Linear(H → V) as `CharRNN.head`, computed with the products of
// BackpropCore/Kernels/PackedWeight.swift instead of the core GEMM.
//
//   forward   logits = h·Wᵀ + b        [T·B, H]·[H, V] + [V]  → [T·B, V]
//   backward  dh     = dlogits·W       [T·B, V]·[V, H]        → [T·B, H]
//             dW    += dlogitsᵀ·h      [V, T·B]·[T·B, H]      → [V, H]
//             db    += Σ_rows dlogits                          → [V]
//
// Why: the head is thin (V = 65 characters). The core GEMM packs both
// operands, and here the operand it packs for nothing is the big one: all
// T·B = 2048 rows of h (2 MiB) to multiply by a 65 × 256 matrix, then the
// same again for the backward products. PackedWeight packs only the small
// weight and reads h or dlogits where they lie (the forward and dh) or
// packs h once for dW. With the core GEMM the head's forward and backward
// took 0.7 and 0.95 ms of a char-LSTM step (2048 rows).
// Rows are split into two halves, one per core (the 5 column panels of
// V = 65 would split unevenly).
//
// Floating point: each output is the same fused sum over the inner index
// as in the core GEMM, in the same order; the bias is added last, as
// Linear does. The twin tests compare the SIMD step with the naive one.

import BackpropCore
import Dispatch
import Backpropagation

extension CharRNN {
    /// logits [rows, V] = h·Wᵀ + b for h [rows, H] (Float, SIMD twin).
    static func packedHeadForward(_ h: UnsafePointer<Float>, rows: Int, head: Linear<Float>) throws -> Tensor<Float> {
        let (v, hidden) = (head.outputs, head.inputs)
        var logits = [Float](unsafeUninitializedCapacity: rows * v) { _, n in n = rows * v }
        let packed = head.weight.value.scalars.withUnsafeBufferPointer {
            PackedWeight($0.baseAddress!, k: hidden, n: v, transposed: true)
        }
        head.bias.value.scalars.withUnsafeBufferPointer { pb in
        logits.withUnsafeMutableBufferPointer { pl in
            let p = Unchecked((h, head.hasBias ? pb.baseAddress! : nil, pl.baseAddress!))
            inRowHalves(rows) { r0, n in
                let (h, b, out) = p.value
                packed.multiply(h + r0 * hidden, m: n, out + r0 * v, accumulate: false, bias: b, threads: 1)
            }
        }}
        return try Tensor(shape: [rows, v], scalars: logits)
    }

    /// dh [rows, H] = dlogits·W; adds dlogitsᵀ·h into ∂L/∂W and the column
    /// sums of dlogits into ∂L/∂b.
    static func packedHeadBackward(_ dLogits: Tensor<Float>, h: UnsafePointer<Float>, rows: Int, head: Linear<Float>,
                                   backend: Backend) -> [Float] {
        let (v, hidden) = (head.outputs, head.inputs)
        var dh = [Float](unsafeUninitializedCapacity: rows * hidden) { _, n in n = rows * hidden }
        let packedW = head.weight.value.scalars.withUnsafeBufferPointer {
            PackedWeight($0.baseAddress!, k: v, n: hidden, transposed: false)
        }
        let packedH = PackedWeight(h, k: rows, n: hidden, transposed: false)
        dLogits.scalars.withUnsafeBufferPointer { pd in
        dh.withUnsafeMutableBufferPointer { pdh in
        head.weight.grad.withUnsafeMutableBufferPointer { pgw in
        head.bias.grad.withUnsafeMutableBufferPointer { pgb in
            let (d, out) = (pd.baseAddress!, pdh.baseAddress!)
            let p = Unchecked((d, out))
            inRowHalves(rows) { r0, n in
                let (d, out) = p.value
                packedW.multiply(d + r0 * v, m: n, out + r0 * hidden, accumulate: false, threads: 1)
            }
            packedH.multiplyTransposed(d, lda: v, m: v, pgw.baseAddress!, accumulate: true)
            if head.hasBias { backend.kernels.columnSum(rows: rows, cols: v, d, pgb.baseAddress!, accumulate: true) }
        }}}}
        return dh
    }

    /// body(r0, n) for the two halves of 0 ..< rows, one per core.
    static func inRowHalves(_ rows: Int, _ body: @Sendable (Int, Int) -> Void) {
        let parts = rows >= 64 ? min(2, PackedWeight.cores) : 1
        if parts == 1 { return body(0, rows) }
        DispatchQueue.concurrentPerform(iterations: parts) { i in
            let r0 = rows * i / parts
            body(r0, rows * (i + 1) / parts - r0)
        }
    }
}
