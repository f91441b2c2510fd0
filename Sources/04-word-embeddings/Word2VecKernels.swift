// Word2VecKernels: the contract of the two kernel twins of word2vec's inner
// loop (NaiveWord2VecKernels.swift and SIMDWord2VecKernels.swift).
//
// Contract
// - Three operations on rows of the embedding tables, each of `count` floats:
//   a dot product, an axpy, and the fused step applied to every output
//   vector of an example (see `step`).
// - Pointers are valid for `count` elements; `error` never aliases `hidden`
//   or `output`. Kernels trust their arguments (the trainer checks shapes).
// - The trainer is generic over `K: Word2VecKernels` and chooses the twin
//   once, outside the loop (`Word2VecTrainer.train`), so each twin gets its
//   own specialised, inlined copy of the hot loop: no existential calls per
//   word pair.

/// The operations word2vec's inner loop needs, in a naive and a SIMD form.
public protocol Word2VecKernels {
    /// "naive" or "simd".
    static var name: String { get }

    /// x·y = Σᵢ xᵢyᵢ
    static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float

    /// y ← y + a·x
    static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int)

    /// The update for one output vector u with coefficient g = α·(ℓ − σ(u·h)):
    ///     error ← error + g·u     (with u's value before this step)
    ///     u     ← u + g·h
    /// `error` accumulates −α·∂L/∂h over the example's output vectors and is
    /// added to the input vector(s) once the example is done.
    static func step(_ g: Float, hidden: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                     error: UnsafeMutablePointer<Float>, count: Int)
}

import BackpropCore

extension Backend {
    /// This chapter's kernels for the backend: word2vec's inner-loop twins.
    public var word2vec: any Word2VecKernels.Type {
        switch self {
        case .naive: return NaiveWord2VecKernels.self
        case .simd: return SIMDWord2VecKernels.self
        }
    }
}
