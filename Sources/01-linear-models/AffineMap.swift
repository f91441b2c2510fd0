// The affine map y = x·Wᵀ + b, forward and backward: the building block of
// every model in chapter 1 and of chapter 2's Linear layer.
//
// Shapes (PyTorch's convention, so fixtures line up):
//   x  [n, in]    a minibatch, one example per row
//   W  [out, in]  one row of weights per output
//   b  [out]
//   y  [n, out]
// Backward, given the upstream gradient dy = ∂L/∂y [n, out]
// (derived in chapters/01-linear-models.md, "The gradient of an affine map"):
//   dx = dy·W      [n, in]
//   dW = dyᵀ·x     [out, in]
//   db = Σᵢ dyᵢ    [out]   (column sums of dy)

import BackpropCore

/// The affine map y = x·Wᵀ + b.
public enum Affine {
    /// y = x·Wᵀ + b.
    /// - Throws: `TensorError` if the shapes of x, W and b do not fit.
    public static func forward<T>(
        _ x: Tensor<T>, weight: Tensor<T>, bias: Tensor<T>,
        backend: Backend = .simd
    ) throws -> Tensor<T> {
        var y = try Tensor.matmul(x, weight, .nt, backend: backend)  // [n, out]
        try y.addRowVector(bias, backend: backend)  // in place: y is not shared
        return y
    }

    /// The gradients of the loss with respect to x, W and b.
    /// - Throws: `TensorError` if dy does not have shape [n, out].
    public static func backward<T>(
        _ dy: Tensor<T>, x: Tensor<T>, weight: Tensor<T>,
        backend: Backend = .simd
    ) throws -> (dx: Tensor<T>, dWeight: Tensor<T>, dBias: Tensor<T>) {
        let (n, _) = try x.matrixShape("Affine.backward")
        let (out, _) = try weight.matrixShape("Affine.backward")
        guard dy.shape == [n, out] else {
            throw TensorError.shapeMismatch(
                operation: "Affine.backward", lhs: dy.shape, rhs: [n, out],
                reason: "the upstream gradient must have the output's shape")
        }
        let dx = try Tensor.matmul(dy, weight, .nn, backend: backend)  // [n, out]·[out, in]
        let dW = try Tensor.matmul(dy, x, .tn, backend: backend)  // [out, n]·[n, in]
        let db = try dy.columnSums(backend: backend)  // [out]
        return (dx, dW, db)
    }
}
