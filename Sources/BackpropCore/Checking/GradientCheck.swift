// Gradient checking: every backward pass in the book is tested against
// centered finite differences in Double.
//
// For a scalar function f and each coordinate xᵢ,
//     ∂f/∂xᵢ ≈ (f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h,
// whose truncation error is O(h²) (the odd terms of the Taylor series cancel)
// and whose rounding error is about ε·|f|/h. With ε ≈ 1.1e-16 in Double, the
// two balance near h ≈ ε^(1/3) ≈ 5e-6; we use h = 1e-6 by default.
//
// The comparison is the relative error of the worst element,
//     maxᵢ |aᵢ − nᵢ| / max(1e-8, |aᵢ| + |nᵢ|),
// which is ~1e-7 or smaller for a correct gradient of a smooth function and
// ~1 for a wrong one. The 1e-8 floor keeps coordinates whose true gradient is
// zero from dividing by zero.

/// The outcome of comparing an analytic gradient with a numerical one.
public struct GradientCheckReport: Sendable, CustomStringConvertible {
    /// The largest relative error over all elements.
    public let maxRelativeError: Double
    /// The flat index of the worst element.
    public let worstIndex: Int
    /// The analytic and numerical values at the worst element.
    public let analytic: Double
    public let numeric: Double
    /// The numerical gradient for every element (same shape as the input).
    public let numericGradient: Tensor<Double>

    /// True when the worst relative error is at most `tolerance`.
    public func passes(_ tolerance: Double = 1e-6) -> Bool { maxRelativeError <= tolerance }

    public var description: String {
        "max relative error \(maxRelativeError) at element \(worstIndex): "
            + "analytic \(analytic), numeric \(numeric)"
    }
}

/// Centered finite differences in Double.
public enum GradientCheck {
    /// The numerical gradient of `f` at `x` by centered differences.
    /// `f` is evaluated 2·x.count times; each perturbation is undone exactly
    /// by restoring the saved value (not by subtracting h).
    public static func numericalGradient(
        of f: (Tensor<Double>) throws -> Double, at x: Tensor<Double>, step h: Double = 1e-6
    ) rethrows -> Tensor<Double> {
        var probe = x
        var grad = Tensor<Double>(uncheckedShape: x.shape, scalars: Array(repeating: 0, count: x.count))
        for i in 0..<x.count {
            let saved = probe.scalars[i]
            probe.scalars[i] = saved + h
            let plus = try f(probe)
            probe.scalars[i] = saved - h
            let minus = try f(probe)
            probe.scalars[i] = saved
            grad.scalars[i] = (plus - minus) / (2 * h)
        }
        return grad
    }

    /// Compares an analytic gradient with the numerical gradient of `f` at `x`.
    /// - Throws: `TensorError.shapeMismatch` if the analytic gradient's shape
    ///   is not the input's.
    public static func check(
        _ f: (Tensor<Double>) throws -> Double, at x: Tensor<Double>,
        analytic: Tensor<Double>, step h: Double = 1e-6
    ) throws -> GradientCheckReport {
        try x.requireSameShape(analytic, "GradientCheck.check")
        let numeric = try numericalGradient(of: f, at: x, step: h)
        return compare(analytic: analytic, numeric: numeric)
    }

    /// The worst-element relative error between two gradients of equal shape.
    public static func compare(analytic: Tensor<Double>, numeric: Tensor<Double>) -> GradientCheckReport {
        precondition(analytic.shape == numeric.shape, "compare: shapes differ")
        var worst = 0.0, worstIndex = 0
        for i in 0..<analytic.count {
            let a = analytic.scalars[i], n = numeric.scalars[i]
            let err = abs(a - n) / max(1e-8, abs(a) + abs(n))
            if err > worst || err.isNaN { worst = err; worstIndex = i }
        }
        let a = analytic.count > 0 ? analytic.scalars[worstIndex] : 0
        let n = numeric.count > 0 ? numeric.scalars[worstIndex] : 0
        return GradientCheckReport(
            maxRelativeError: worst, worstIndex: worstIndex, analytic: a, numeric: n,
            numericGradient: numeric)
    }
}
