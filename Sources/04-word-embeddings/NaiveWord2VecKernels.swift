// NaiveWord2VecKernels: word2vec's inner-loop operations as plain loops that
// mirror the formulas of Word2VecKernels.swift, one element at a time.
// (The compiler may still vectorise the axpy loops; the dot product stays a
// serial chain because floating-point addition is not reassociated.)

/// The naive twin.
public enum NaiveWord2VecKernels: Word2VecKernels {
    public static let name = "naive"

    @inline(__always)
    public static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        var s: Float = 0
        for i in 0..<count { s += x[i] * y[i] }
        return s
    }

    @inline(__always)
    public static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { y[i] += a * x[i] }
    }

    @inline(__always)
    public static func step(_ g: Float, hidden: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                            error: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { error[i] += g * output[i] }
        for i in 0..<count { output[i] += g * hidden[i] }
    }
}
