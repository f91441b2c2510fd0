// The sum of squares Σᵢ xᵢ², returned in Double: the reduction behind
// global-norm gradient clipping (chapter 2, "Gradient clipping"), whose
// √(Σ over every parameter of ‖g‖²) must not lose precision on models with
// millions of parameters.
//
// Floating-point reasoning. The naive twin squares and adds each element in
// Double, in order: with n terms the relative error is at most about n·ε_64
// (ε_64 ≈ 1.1e-16), far below anything clipping can notice. The SIMD twin
// squares in the scalar type with two vector accumulators over chunks of
// 4,096 elements and adds each chunk's partial sum in Double: within a chunk
// the error is about 4096/16·ε_32 ≈ 3e-5 relative in Float at worst (much
// less in practice, since the terms are all positive and the bound is
// pessimistic), and the chunks do not compound it. Converting every element
// to Double would make the reduction as slow as the whole AdamW update of
// chapter 7's GPT.

extension Naive {
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func sumOfSquares<T: TensorScalar>(count: Int, _ x: UnsafePointer<T>) -> Double {
        var sum = 0.0
        for i in 0..<count { sum += Double(x[i]) * Double(x[i]) }
        return sum
    }
}

extension SIMDKernels {
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func sumOfSquares<T: TensorScalar>(count n: Int, _ x: UnsafePointer<T>) -> Double {
        let w = T.Vector.scalarCount
        var sum = 0.0, start = 0
        while start < n {
            let end = min(n, start + 4096)
            var a = T.Vector(), b = T.Vector(), i = start
            while i + 2 * w <= end {
                let u = load(x, i), v = load(x, i + w)
                a.addProduct(u, u)
                b.addProduct(v, v)
                i += 2 * w
            }
            var partial = (a + b).sum()  // once per chunk, outside the inner loop
            while i < end { partial += x[i] * x[i]; i += 1 }
            sum += Double(partial)
            start = end
        }
        return sum
    }
}
