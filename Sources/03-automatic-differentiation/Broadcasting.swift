// Broadcasting, and the sum that is its backward.
//
// NumPy's rule: align two shapes from the right; each pair of dimensions
// must be equal or one of them 1 (a missing dimension counts as 1); the
// result takes the larger. A bias b [C] added to x [N, C] is broadcast to
// [N, C]: every row gets the same b.
//
// Backward: an element of b was *used* N times, once per row, so its
// gradient is the sum of the N gradients it fed — ∂L/∂b_c = Σₙ ∂L/∂y_nc.
// In general the gradient of a broadcast operand is the output gradient
// summed over every axis along which the operand was repeated (the axes it
// lacked, and those where it had size 1), then reshaped to the operand.
// This is the same sum as the bias gradient of chapter 1, found here by a
// rule instead of by hand.
//
// Fast paths use the backend's kernels: equal shapes (no reduction), a row
// vector [C] against [N, C] (`columnSum`), a column [N, 1] against [N, C]
// (`rowSum`). Every other pattern goes through the general strided loop.

import BackpropCore

enum Broadcast {
    /// The broadcast shape of a and b.
    /// - Throws: `AutodiffError.broadcastFailure` naming both shapes.
    static func shape(_ a: [Int], _ b: [Int], _ operation: String) throws -> [Int] {
        let rank = max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for axis in 0..<rank {  // from the right
            let da = AutodiffError.dimension(a, axis), db = AutodiffError.dimension(b, axis)
            guard da == db || da == 1 || db == 1 else {
                throw AutodiffError.broadcastFailure(operation: operation, lhs: a, rhs: b, axis: axis)
            }
            out[rank - 1 - axis] = da == 1 ? db : da
        }
        return out
    }

    /// The strides with which to read a tensor of `shape` as if it had the
    /// (larger) shape `target`: 0 along repeated axes.
    static func strides(of shape: [Int], in target: [Int]) -> [Int] {
        let own = Tensor<Float>.strides(shape)
        let offset = target.count - shape.count
        return (0..<target.count).map { i in
            i < offset || shape[i - offset] == 1 ? 0 : own[i - offset]
        }
    }

    /// Calls body(outIndex, aIndex, bIndex) for every element of `shape`,
    /// with the flat offsets into a and b read through broadcast strides.
    @inline(__always)
    static func forEach(_ shape: [Int], _ sa: [Int], _ sb: [Int], _ body: (Int, Int, Int) -> Void) {
        let n = shape.reduce(1, *)
        guard n > 0 else { return }
        let rank = shape.count
        if rank == 0 { body(0, 0, 0); return }
        var index = [Int](repeating: 0, count: rank)
        var ia = 0, ib = 0
        for flat in 0..<n {
            body(flat, ia, ib)
            // Odometer increment from the last axis.
            var axis = rank - 1
            while axis >= 0 {
                index[axis] += 1
                ia += sa[axis]; ib += sb[axis]
                if index[axis] < shape[axis] { break }
                ia -= sa[axis] * shape[axis]; ib -= sb[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }

    /// Σ of `g` (shape `from`) over the broadcast axes, to shape `to`.
    static func sum<Scalar: TensorScalar>(_ g: Tensor<Scalar>, to shape: [Int], backend: Backend) -> Tensor<Scalar> {
        if g.shape == shape { return g }
        let from = g.shape, k = backend.kernels
        // [N, C] → [C] or [1, C]: column sums.
        if from.count == 2, shape.last == from[1], shape.dropLast().allSatisfy({ $0 == 1 }) {
            return Tensor.filled(shape) { out in
                g.withUnsafeBufferPointer { k.columnSum(rows: from[0], cols: from[1], $0.baseAddress!, out, accumulate: false) }
            }
        }
        // [N, C] → [N, 1]: row sums.
        if from.count == 2, shape == [from[0], 1] {
            return Tensor.filled(shape) { out in
                g.withUnsafeBufferPointer { k.rowSum(rows: from[0], cols: from[1], $0.baseAddress!, out) }
            }
        }
        // General: add each element of g into the element of the small tensor it came from.
        var out = [Scalar](repeating: 0, count: shape.reduce(1, *))
        let so = strides(of: shape, in: from)
        g.withUnsafeBufferPointer { pg in
            out.withUnsafeMutableBufferPointer { po in
                forEach(from, so, so) { flat, io, _ in po[io] += pg[flat] }
            }
        }
        return try! Tensor(shape: shape, scalars: out)  // the count is the shape's by construction
    }
}
