// The three recurrent cells of chapter 6, in PyTorch's exact formulation and
// gate order, so that a `RecurrentLayer` and `nn.RNN`/`nn.LSTM`/`nn.GRU` with
// the same weights compute the same numbers.
//
// With x [B, I] the input, h [B, H] the previous hidden state and the
// parameters weight_ih [G·H, I], weight_hh [G·H, H], bias_ih, bias_hh [G·H]:
//
//   rnn   (G = 1)  h′ = tanh(W_ih x + b_ih + W_hh h + b_hh)
//   lstm  (G = 4)  i, f, g, o = σ, σ, tanh, σ of the four H-blocks of
//                  W_ih x + b_ih + W_hh h + b_hh;  c′ = f ⊙ c + i ⊙ g;  h′ = o ⊙ tanh(c′)
//   gru   (G = 3)  r, z = σ of the first two blocks of W_ih x + b_ih + W_hh h + b_hh
//                  n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
//                  h′ = (1 − z) ⊙ n + z ⊙ h
//
// The elementwise part of each cell (everything after the two products) is
// in ElmanCell.swift, LSTMCell.swift and GRUCell.swift, forward and backward
// side by side; the products are in RecurrentLayer.swift.

import BackpropCore

/// Which recurrent cell a layer unrolls.
public enum CellKind: String, Sendable, CaseIterable {
    case rnn, lstm, gru

    /// G: how many H-blocks the gate pre-activations have.
    public var gateCount: Int {
        switch self {
        case .rnn: return 1
        case .lstm: return 4
        case .gru: return 3
        }
    }

    /// Whether the cell carries a second state c besides h (the LSTM).
    public var hasCellState: Bool { self == .lstm }

    /// "RNN", "LSTM", "GRU".
    public var displayName: String { rawValue.uppercased() }
}

/// The elementwise arithmetic of a cell, written once for `width` lanes at a
/// time: Float and Double one lane at a time (the naive twin, and the SIMD
/// twin's Double path), `SIMD8<Float>` eight lanes at a time (the SIMD twin).
/// Each cell's forward and backward are generic over this protocol, so both
/// twins run literally the same equations.
protocol GateLanes {
    associatedtype Scalar: TensorScalar
    static var width: Int { get }
    static var one: Self { get }
    static func load(_ p: UnsafePointer<Scalar>) -> Self
    func store(_ p: UnsafeMutablePointer<Scalar>)
    /// σ(x) = 1 / (1 + e^(−x))
    static func sigmoid(_ x: Self) -> Self
    /// tanh(x)
    static func hyperbolicTangent(_ x: Self) -> Self
    static func + (a: Self, b: Self) -> Self
    static func - (a: Self, b: Self) -> Self
    static func * (a: Self, b: Self) -> Self
}

extension Float: GateLanes {
    static var width: Int { 1 }
    static var one: Float { 1 }
    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> Float { p.pointee }
    @inline(__always) func store(_ p: UnsafeMutablePointer<Float>) { p.pointee = self }
    @inline(__always) static func sigmoid(_ x: Float) -> Float { 1 / (1 + Float.exp(-x)) }
    @inline(__always) static func hyperbolicTangent(_ x: Float) -> Float { Float.tanh(x) }
}

extension Double: GateLanes {
    static var width: Int { 1 }
    static var one: Double { 1 }
    @inline(__always) static func load(_ p: UnsafePointer<Double>) -> Double { p.pointee }
    @inline(__always) func store(_ p: UnsafeMutablePointer<Double>) { p.pointee = self }
    @inline(__always) static func sigmoid(_ x: Double) -> Double { 1 / (1 + Double.exp(-x)) }
    @inline(__always) static func hyperbolicTangent(_ x: Double) -> Double { Double.tanh(x) }
}

/// Eight Float lanes with the polynomial sigmoid and tanh of `VectorMath`,
/// in their gate versions (BackpropCore/Kernels/VectorMath+Gates.swift:
/// bit-identical to `VectorMath.sigmoid`/`tanh`, whose error bounds are in
/// VectorMath.swift, except σ(x < −88) = σ(−88) ≈ 6e-39 instead of smaller
/// subnormals; about a fifth fewer vector operations per gate).
extension SIMD8: GateLanes where Scalar == Float {
    static var width: Int { 8 }
    static var one: SIMD8<Float> { SIMD8(repeating: 1) }
    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }
    @inline(__always) func store(_ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: self, as: SIMD8<Float>.self)
    }
    @inline(__always) static func sigmoid(_ x: SIMD8<Float>) -> SIMD8<Float> { VectorMath.gateSigmoid(x) }
    @inline(__always) static func hyperbolicTangent(_ x: SIMD8<Float>) -> SIMD8<Float> { VectorMath.gateTanh(x) }
}
