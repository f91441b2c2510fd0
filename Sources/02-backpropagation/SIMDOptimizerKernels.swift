// The SIMD twin of the optimizers' kernels (OptimizerKernels.swift has the
// contract and the naive twin): one pass over the buffers, eight Float (or
// four Double) lanes at a time, every product-sum one FMA.

import BackpropCore

/// Adam/AdamW and SGD updates with SIMD vectors.
public enum SIMDOptimizerKernels: OptimizerKernels {
    /// Adam/AdamW, one pass:
    ///   AdamW: θ ← θ·(1 − ηλ);  Adam: g ← g + λθ (FMA)
    ///   m ← β₁m + (1 − β₁)g;  v ← β₂v + ((1 − β₂)g)·g   (one FMA each)
    ///   θ ← θ − (η/c₁)·m / (√(v·(1/c₂)) + ε)            (one FMA)
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func adamStep<T: TensorScalar>(
        count: Int, _ s: AdamStep<T>, parameter p: UnsafeMutablePointer<T>, gradient g: UnsafePointer<T>,
        m: UnsafeMutablePointer<T>, v: UnsafeMutablePointer<T>
    ) {
        typealias V = T.Vector
        let w = V.scalarCount
        let b1 = V(repeating: s.beta1), a1 = V(repeating: 1 - s.beta1)
        let b2 = V(repeating: s.beta2), a2 = V(repeating: 1 - s.beta2)
        let stepSize = V(repeating: -(s.learningRate / s.correction1))
        let inverseC2 = V(repeating: 1 / s.correction2), eps = V(repeating: s.epsilon)
        let decay = V(repeating: s.decoupled ? 1 - s.learningRate * s.weightDecay : 1)
        let l2 = V(repeating: s.decoupled ? 0 : s.weightDecay)
        let useDecay = s.decoupled && s.weightDecay != 0, useL2 = !s.decoupled && s.weightDecay != 0

        @inline(__always) func update(_ i: Int, _ n: Int) {
            var theta: V = n == w ? SIMDKernels.load(p, i) : SIMDKernels.loadPartial(p + i, n)
            var grad: V = n == w ? SIMDKernels.load(g, i) : SIMDKernels.loadPartial(g + i, n)
            var mi: V = n == w ? SIMDKernels.load(m, i) : SIMDKernels.loadPartial(m + i, n)
            var vi: V = n == w ? SIMDKernels.load(v, i) : SIMDKernels.loadPartial(v + i, n)
            if useDecay { theta = theta * decay }
            if useL2 { grad = grad.addingProduct(l2, theta) }
            mi = (b1 * mi).addingProduct(a1, grad)
            vi = (b2 * vi).addingProduct(a2 * grad, grad)
            theta = theta.addingProduct(stepSize, mi / ((vi * inverseC2).squareRoot() + eps))
            if n == w {
                SIMDKernels.store(theta, p, i); SIMDKernels.store(mi, m, i); SIMDKernels.store(vi, v, i)
            } else {
                SIMDKernels.storePartial(theta, p + i, n); SIMDKernels.storePartial(mi, m + i, n); SIMDKernels.storePartial(vi, v + i, n)
            }
        }
        // Large parameters in two halves on the two cores (ParallelFor): the
        // update is elementwise, so the split changes no number; halves start
        // at a multiple of the vector width, so only the last one has a tail.
        let half = count >= 1 << 15 ? count / 2 / w * w : count
        ParallelFor.run(iterations: half < count ? 2 : 1) { part in
            var i = part == 0 ? 0 : half
            let end = part == 0 ? half : count
            while i + w <= end { update(i, w); i += w }
            if i < end { update(i, end - i) }
        }
    }

    /// SGD, one pass (branches hoisted):
    ///   d ← g + λθ;  b ← d (first step) or μb + (1 − τ)d;
    ///   d ← d + μb (Nesterov) or b;  θ ← θ − ηd      (each one FMA)
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func sgdStep<T: TensorScalar>(
        count: Int, _ s: SGDStep<T>, parameter p: UnsafeMutablePointer<T>, gradient g: UnsafePointer<T>,
        buffer b: UnsafeMutablePointer<T>
    ) {
        typealias V = T.Vector
        let w = V.scalarCount
        let lambda = V(repeating: s.weightDecay), mu = V(repeating: s.momentum)
        let keep = V(repeating: 1 - s.dampening), minusLR = V(repeating: -s.learningRate)
        let hasMomentum = s.momentum != 0, first = s.firstStep, nesterov = s.nesterov

        @inline(__always) func update(_ i: Int, _ n: Int) {
            var theta: V = n == w ? SIMDKernels.load(p, i) : SIMDKernels.loadPartial(p + i, n)
            var d: V = n == w ? SIMDKernels.load(g, i) : SIMDKernels.loadPartial(g + i, n)
            d = d.addingProduct(lambda, theta)
            if hasMomentum {
                var buf: V
                if first {
                    buf = d
                } else {
                    buf = n == w ? SIMDKernels.load(b, i) : SIMDKernels.loadPartial(b + i, n)
                    buf = (mu * buf).addingProduct(keep, d)
                }
                if n == w { SIMDKernels.store(buf, b, i) } else { SIMDKernels.storePartial(buf, b + i, n) }
                d = nesterov ? d.addingProduct(mu, buf) : buf
            }
            theta = theta.addingProduct(minusLR, d)
            if n == w { SIMDKernels.store(theta, p, i) } else { SIMDKernels.storePartial(theta, p + i, n) }
        }
        var i = 0
        if hasMomentum {
            if first {
                if nesterov { while i + w <= count { update(i, w); i += w } }
                else { while i + w <= count { update(i, w); i += w } }
            } else {
                if nesterov { while i + w <= count { update(i, w); i += w } }
                else { while i + w <= count { update(i, w); i += w } }
            }
        } else {
            while i + w <= count { update(i, w); i += w }
        }
        if i < count { update(i, count - i) }
    }
}
