// TensorScalar: the element types a Tensor may hold.
//
// Every layer in the book is written once, generic over its scalar, and runs
// in `Float` for training and in `Double` for gradient checks. The protocol
// names the SIMD vector each scalar is processed in: eight `Float`s or four
// `Double`s fill one 256-bit AVX register.

/// A floating-point type a `Tensor` can hold: `Float` or `Double`.
public protocol TensorScalar: BinaryFloatingPoint, SIMDScalar, Sendable, Codable
where Self.RawSignificand: FixedWidthInteger {
    /// The SIMD vector that fills one 256-bit register with this scalar.
    associatedtype Vector: SIMD where Vector.Scalar == Self

    /// The scalar's natural exponential, `e^x` (Glibc `expf`/`exp`).
    static func exp(_ x: Self) -> Self
    /// The natural logarithm (`logf`/`log`).
    static func log(_ x: Self) -> Self
    /// The hyperbolic tangent (`tanhf`/`tanh`).
    static func tanh(_ x: Self) -> Self
    /// `log(1 + x)`, accurate for small `x` (`log1pf`/`log1p`).
    static func log1p(_ x: Self) -> Self

    /// `count` copies of `value`. Generic code that is not specialised (a
    /// layer's method called through a protocol) would otherwise build the
    /// array through value witnesses, one call per element (~7 instructions
    /// a scalar, measured with callgrind); each conformance fills it in
    /// concrete code instead (a vector fill).
    static func array(repeating value: Self, count: Int) -> [Self]
    /// Sets `count` scalars from `p` to `value`, in concrete code (see `array`).
    static func fill(_ p: UnsafeMutablePointer<Self>, count: Int, with value: Self)
}

import Foundation

extension Float: TensorScalar {
    public typealias Vector = SIMD8<Float>
    @inlinable public static func exp(_ x: Float) -> Float { Foundation.expf(x) }
    @inlinable public static func log(_ x: Float) -> Float { Foundation.logf(x) }
    @inlinable public static func tanh(_ x: Float) -> Float { Foundation.tanhf(x) }
    @inlinable public static func log1p(_ x: Float) -> Float { Foundation.log1pf(x) }
    public static func array(repeating value: Float, count: Int) -> [Float] { [Float](repeating: value, count: count) }
    public static func fill(_ p: UnsafeMutablePointer<Float>, count: Int, with value: Float) { p.update(repeating: value, count: count) }
}

extension Double: TensorScalar {
    public typealias Vector = SIMD4<Double>
    @inlinable public static func exp(_ x: Double) -> Double { Foundation.exp(x) }
    @inlinable public static func log(_ x: Double) -> Double { Foundation.log(x) }
    @inlinable public static func tanh(_ x: Double) -> Double { Foundation.tanh(x) }
    @inlinable public static func log1p(_ x: Double) -> Double { Foundation.log1p(x) }
    public static func array(repeating value: Double, count: Int) -> [Double] { [Double](repeating: value, count: count) }
    public static func fill(_ p: UnsafeMutablePointer<Double>, count: Int, with value: Double) { p.update(repeating: value, count: count) }
}
