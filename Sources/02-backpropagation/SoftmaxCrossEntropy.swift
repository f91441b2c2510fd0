// Softmax cross-entropy, fused with its gradient.
//
// For logits z [n, C], integer labels yᵢ and label smoothing ε, the target
// distribution of row i is qᵢⱼ = (1 − ε)·[j = yᵢ] + ε/C, and
//   L = −(1/n) Σᵢ Σⱼ qᵢⱼ log pᵢⱼ,   pᵢ = softmax(zᵢ)
//     = (1/n) Σᵢ [ lseᵢ − Σⱼ qᵢⱼ zᵢⱼ ],   lseᵢ = mᵢ + log Σⱼ e^(zᵢⱼ − mᵢ)
// (using Σⱼ qᵢⱼ = 1). Its gradient is the famous
//   ∂L/∂zᵢⱼ = (pᵢⱼ − qᵢⱼ)/n,
// derived in chapters/02-backpropagation.md, "Softmax and cross-entropy
// together". Computing log p through lse never takes log 0, so the loss
// stays finite for any finite logits; mᵢ = maxⱼ zᵢⱼ keeps e^(·) ≤ 1.

import BackpropCore

/// Cross-entropy on logits, with the softmax folded in.
public enum SoftmaxCrossEntropy {
    /// The mean loss and ∂L/∂logits.
    /// - Throws: `TensorError` if logits is not [n, C] with n = labels.count,
    ///   a label is outside 0..<C, or ε is outside [0, 1].
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func lossAndGradient<T: TensorScalar>(
        logits z: Tensor<T>, labels: [Int], labelSmoothing: Double = 0,
        backend: Backend = .simd
    ) throws -> (loss: T, gradient: Tensor<T>) {
        let (n, c) = try z.matrixShape("SoftmaxCrossEntropy")
        guard n == labels.count, n > 0, c > 0 else {
            throw TensorError.shapeMismatch(
                operation: "SoftmaxCrossEntropy", lhs: z.shape, rhs: [labels.count],
                reason: "one label per row of logits is needed")
        }
        if let bad = labels.first(where: { $0 < 0 || $0 >= c }) {
            throw TensorError.invalidValue(operation: "SoftmaxCrossEntropy", reason: "label \(bad) is outside 0..<\(c)")
        }
        guard labelSmoothing >= 0, labelSmoothing <= 1 else {
            throw TensorError.invalidValue(operation: "SoftmaxCrossEntropy", reason: "label smoothing \(labelSmoothing) is outside [0, 1]")
        }
        let p = try z.softmaxRows(backend: backend)
        let off = labelSmoothing / Double(c), on = 1 - labelSmoothing + off
        var total = 0.0
        var grad = p
        let scale = 1 / Double(n)
        // lseᵢ from the softmax already computed: at the row's largest logit
        // mᵢ, pᵢⱼ = e⁰/Σₖ e^(zᵢₖ − mᵢ), so lseᵢ = mᵢ − log pᵢ,argmax. That
        // probability is at least 1/C, so its log is well conditioned (error
        // about one rounding of p), and a row costs one log instead of C
        // exps (for the char models' 2,048 × 65 logits, ~0.5 ms a step).
        // (through buffer pointers: indexing the arrays in this loop cost
        // ~10 ns an element in bounds and uniqueness checks)
        z.scalars.withUnsafeBufferPointer { zb in
        p.scalars.withUnsafeBufferPointer { pb in
        labels.withUnsafeBufferPointer { lb in
        grad.scalars.withUnsafeMutableBufferPointer { gb in
            let (z, p, g) = (zb.baseAddress!, pb.baseAddress!, gb.baseAddress!)
            for i in 0..<n {
                let row = i * c, label = lb[i]
                var m = z[row], top = row
                for j in 1..<c where z[row + j] > m { m = z[row + j]; top = row + j }
                var qz = 0.0
                for j in 0..<c {
                    let q = j == label ? on : off
                    qz += q * Double(z[row + j])
                    g[row + j] = T((Double(p[row + j]) - q) * scale)
                }
                total += Double(m) - Foundation_log(Double(p[top])) - qz
            }
        }}}}
        return (T(total * scale), grad)
    }

    /// The mean loss alone (for evaluation).
    public static func loss<T: TensorScalar>(
        logits: Tensor<T>, labels: [Int], labelSmoothing: Double = 0, backend: Backend = .simd
    ) throws -> T {
        try lossAndGradient(logits: logits, labels: labels, labelSmoothing: labelSmoothing, backend: backend).loss
    }
}

import Foundation
private func Foundation_log(_ x: Double) -> Double { Foundation.log(x) }
