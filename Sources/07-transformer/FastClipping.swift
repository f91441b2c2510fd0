// Global-norm gradient clipping, as Backpropagation' GradientClipping
// (torch.nn.utils.clip_grad_norm_) computes it:
//   N = √(Σ over every parameter of ‖g‖²);  if N > c, every g ← g · c/(N + 10⁻⁶),
// but specialised for Float and Double with vector partial sums: the generic
// version converts each element to Double through protocol calls, which cost
// more than the whole AdamW update for the baby GPT's 810k parameters.
// Partial sums of 4,096 squares are accumulated in the scalar type, then
// added in Double.

import BackpropCore
import Backpropagation

enum FastClipping {
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    @discardableResult
    static func clipGlobalNorm<T: TensorScalar>(_ parameters: [Parameter<T>], maxNorm: Double, kernels: any KernelSet.Type) -> Double {
        var sum = 0.0
        for p in parameters {
            p.grad.scalars.withUnsafeBufferPointer { g in
                let n = g.count, w = T.Vector.scalarCount
                var start = 0
                while start < n {
                    let end = min(n, start + 4096)
                    var a = T.Vector(), b = T.Vector(), i = start
                    while i + 2 * w <= end {
                        let x = SIMDKernels.load(g.baseAddress!, i), y = SIMDKernels.load(g.baseAddress!, i + w)
                        a.addProduct(x, x); b.addProduct(y, y)
                        i += 2 * w
                    }
                    var partial = (a + b).sum()
                    while i < end { partial += g[i] * g[i]; i += 1 }
                    sum += Double(partial)
                    start = end
                }
            }
        }
        let norm = sum.squareRoot()
        let coefficient = maxNorm / (norm + 1e-6)
        if coefficient < 1 {
            for p in parameters {
                p.grad.scalars.withUnsafeMutableBufferPointer { g in
                    kernels.scale(count: g.count, alpha: T(coefficient), g.baseAddress!)
                }
            }
        }
        return norm
    }
}
