// SIMDKernels: PLACEHOLDER — being written by a helper. Delegates to Naive.

public enum SIMDKernels: KernelSet {
    public static let name = "simd"
    public static func matmul<T: TensorScalar>(_ layout: MatmulLayout, m: Int, n: Int, k: Int, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ c: UnsafeMutablePointer<T>, accumulate: Bool) { Naive.matmul(layout, m: m, n: n, k: k, a, b, c, accumulate: accumulate) }
    public static func axpy<T: TensorScalar>(count: Int, alpha: T, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>) { Naive.axpy(count: count, alpha: alpha, x, y) }
    public static func add<T: TensorScalar>(count: Int, _ x: UnsafePointer<T>, _ y: UnsafePointer<T>, _ z: UnsafeMutablePointer<T>) { Naive.add(count: count, x, y, z) }
    public static func multiply<T: TensorScalar>(count: Int, _ x: UnsafePointer<T>, _ y: UnsafePointer<T>, _ z: UnsafeMutablePointer<T>) { Naive.multiply(count: count, x, y, z) }
    public static func scale<T: TensorScalar>(count: Int, alpha: T, _ x: UnsafeMutablePointer<T>) { Naive.scale(count: count, alpha: alpha, x) }
    public static func map<T: TensorScalar>(_ f: UnaryFunction, count: Int, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>) { Naive.map(f, count: count, x, y) }
    public static func addRowVector<T: TensorScalar>(rows: Int, cols: Int, _ v: UnsafePointer<T>, _ m: UnsafeMutablePointer<T>) { Naive.addRowVector(rows: rows, cols: cols, v, m) }
    public static func rowSum<T: TensorScalar>(rows: Int, cols: Int, _ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>) { Naive.rowSum(rows: rows, cols: cols, x, out) }
    public static func rowMax<T: TensorScalar>(rows: Int, cols: Int, _ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>) { Naive.rowMax(rows: rows, cols: cols, x, out) }
    public static func columnSum<T: TensorScalar>(rows: Int, cols: Int, _ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>, accumulate: Bool) { Naive.columnSum(rows: rows, cols: cols, x, out, accumulate: accumulate) }
    public static func softmaxRows<T: TensorScalar>(rows: Int, cols: Int, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>) { Naive.softmaxRows(rows: rows, cols: cols, x, y) }
}
