// The optimizers' kernel twins (OptimizerKernels.swift,
// SIMDOptimizerKernels.swift): the SIMD update agrees with the naive one
// over three steps, for Adam and AdamW and every SGD variant, in Float and
// Double, on sizes that leave vector tails.

import Backpropagation
import BackpropCore
import TestSupport
import Testing

@Suite("Optimizer kernel twins: SIMDOptimizerKernels agrees with NaiveOptimizerKernels")
struct OptimizerKernelTests {
    static let oddCounts = [1, 7, 33, 65, 129]

    /// Relative tolerance of the optimizer twins: FMAs and the reciprocal
    /// bias corrections change a few roundings per step (each ≤ ε/2 of a
    /// term), and the differences carry over to the next step: 1e-6 (8.4ε)
    /// for Float, 1e-14 (45ε) for Double, times the magnitude of the terms
    /// each quantity is built from.
    static func optimizerTolerance<T: TensorScalar>(_: T.Type) -> T {
        T.self == Float.self ? 1e-6 : 1e-14
    }

    @Test("adamStep (Adam and AdamW, weight decay, steps 1–3)", arguments: Self.oddCounts)
    func adamTwins(_ count: Int) {
        for decoupled in [true, false] {
            adamTwins(Float.self, count, decoupled: decoupled)
            adamTwins(Double.self, count, decoupled: decoupled)
        }
    }

    func adamTwins<T: TensorScalar>(_: T.Type, _ count: Int, decoupled: Bool) {
        var rng = TwinRandom(state: UInt64(count) &+ (decoupled ? 1000 : 2000))
        let tol = Self.optimizerTolerance(T.self)
        var p1 = rng.array(T.self, count), m1 = [T](repeating: 0, count: count), v1 = m1
        var p2 = p1, m2 = m1, v2 = v1
        for t in 1...3 {
            let g = rng.array(T.self, count, scale: 2)
            let s = AdamStep<T>(learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8,
                                weightDecay: 0.05, decoupled: decoupled, step: t)
            let pPrev = p1, mPrev = m1, vPrev = v1
            NaiveOptimizerKernels.adamStep(count: count, s, parameter: &p1, gradient: g, m: &m1, v: &v1)
            SIMDOptimizerKernels.adamStep(count: count, s, parameter: &p2, gradient: g, m: &m2, v: &v2)
            for i in 0..<count {
                let gEff = abs(g[i]) + (decoupled ? 0 : s.weightDecay * abs(pPrev[i]))
                let mScale = abs(m1[i]) + s.beta1 * abs(mPrev[i]) + (1 - s.beta1) * gEff
                let vScale = v1[i] + s.beta2 * vPrev[i] + (1 - s.beta2) * gEff * gEff
                // The step η·m̂/(√v̂ + ε) and its sensitivity to m's error.
                let stepScale = s.learningRate * (abs(m1[i]) + mScale) / s.correction1
                    / ((v1[i] / s.correction2).squareRoot() + s.epsilon)
                let pScale = abs(pPrev[i]) + abs(p1[i]) + stepScale
                let ctx = "\(T.self) n=\(count) decoupled=\(decoupled) t=\(t) i=\(i)"
                #expect(abs(m1[i] - m2[i]) <= tol * mScale, "m \(ctx): \(m1[i]) vs \(m2[i])")
                #expect(abs(v1[i] - v2[i]) <= tol * vScale, "v \(ctx): \(v1[i]) vs \(v2[i])")
                #expect(abs(p1[i] - p2[i]) <= tol * pScale, "θ \(ctx): \(p1[i]) vs \(p2[i])")
            }
        }
    }

    /// (momentum, dampening, weight decay, Nesterov) for `sgdTwins`.
    static let sgdConfigs: [(Double, Double, Double, Bool)] = [
        (0, 0, 0, false), (0, 0, 0.01, false),  // plain, plain with decay
        (0.9, 0, 0.01, false), (0.9, 0.1, 0.01, false),  // momentum, dampening
        (0.9, 0, 0.01, true), (0.8, 0, 0, true),  // Nesterov
    ]

    @Test("sgdStep (plain, momentum, dampening, Nesterov, weight decay; first step then later)",
          arguments: Self.oddCounts)
    func sgdTwins(_ count: Int) {
        for c in Self.sgdConfigs {
            sgdTwins(Float.self, count, c)
            sgdTwins(Double.self, count, c)
        }
    }

    func sgdTwins<T: TensorScalar>(_: T.Type, _ count: Int, _ c: (Double, Double, Double, Bool)) {
        var rng = TwinRandom(state: UInt64(count) &* 7 &+ UInt64(c.0 * 10 + c.1 * 100 + c.2 * 1000))
        let tol = Self.optimizerTolerance(T.self)
        var p1 = rng.array(T.self, count), b1 = [T](repeating: 0, count: count)
        var p2 = p1, b2 = b1
        for t in 1...3 {
            let g = rng.array(T.self, count, scale: 2)
            let s = SGDStep<T>(learningRate: 0.05, momentum: T(c.0), dampening: T(c.1), weightDecay: T(c.2),
                               nesterov: c.3, firstStep: t == 1)
            let pPrev = p1, bPrev = b1
            NaiveOptimizerKernels.sgdStep(count: count, s, parameter: &p1, gradient: g, buffer: &b1)
            SIMDOptimizerKernels.sgdStep(count: count, s, parameter: &p2, gradient: g, buffer: &b2)
            for i in 0..<count {
                // Magnitude of every term of b and of the direction d.
                let terms = abs(g[i]) + s.weightDecay * abs(pPrev[i]) + s.momentum * (abs(bPrev[i]) + abs(b1[i]))
                let bScale = abs(b1[i]) + terms
                let pScale = abs(pPrev[i]) + abs(p1[i]) + s.learningRate * (terms + abs(b1[i]))
                let ctx = "\(T.self) n=\(count) \(c) t=\(t) i=\(i)"
                #expect(abs(b1[i] - b2[i]) <= tol * bScale, "b \(ctx): \(b1[i]) vs \(b2[i])")
                #expect(abs(p1[i] - p2[i]) <= tol * pScale, "θ \(ctx): \(p1[i]) vs \(p2[i])")
            }
        }
        if c.0 == 0 { #expect(b2.allSatisfy { $0 == 0 }, "the buffer is untouched without momentum") }
    }
}
