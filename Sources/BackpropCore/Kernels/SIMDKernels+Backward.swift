// PLACEHOLDER (being written): SIMD twins of the backward and optimizer kernels.

extension SIMDKernels {
    public static func mapBackward<T: TensorScalar>(
        _ f: UnaryFunction, count: Int, x: UnsafePointer<T>, y: UnsafePointer<T>,
        dy: UnsafePointer<T>, dx: UnsafeMutablePointer<T>
    ) { Naive.mapBackward(f, count: count, x: x, y: y, dy: dy, dx: dx) }

    public static func softmaxRowsBackward<T: TensorScalar>(
        rows: Int, cols: Int, y: UnsafePointer<T>, dy: UnsafePointer<T>, dx: UnsafeMutablePointer<T>
    ) { Naive.softmaxRowsBackward(rows: rows, cols: cols, y: y, dy: dy, dx: dx) }

    public static func adamStep<T: TensorScalar>(
        count: Int, _ s: AdamStep<T>, parameter: UnsafeMutablePointer<T>, gradient: UnsafePointer<T>,
        m: UnsafeMutablePointer<T>, v: UnsafeMutablePointer<T>
    ) { Naive.adamStep(count: count, s, parameter: parameter, gradient: gradient, m: m, v: v) }

    public static func sgdStep<T: TensorScalar>(
        count: Int, _ s: SGDStep<T>, parameter: UnsafeMutablePointer<T>, gradient: UnsafePointer<T>,
        buffer: UnsafeMutablePointer<T>
    ) { Naive.sgdStep(count: count, s, parameter: parameter, gradient: gradient, buffer: buffer) }
}
