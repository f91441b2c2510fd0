// Elementwise functions: the activations of chapter 2, exp, log and powers.
//
//   forward               backward (g = ∂L/∂y)
//   y = f(x), f one of    ∂x = g ⊙ f′(x), by the kernels' `mapBackward`, which
//   relu, sigmoid, tanh,  reads f′ from x (relu, leaky) or from y (σ′ = y(1−y),
//   exp, leaky relu       tanh′ = 1−y², exp′ = y) — both are saved
//   y = gelu(x)           ∂x = g ⊙ f′(x), with f′ computed in the forward pass
//                         (`mapWithDerivative`: Φ and φ are shared with f),
//                         exactly as chapter 2's Activation layer
//   y = log x             ∂x = g ⊘ x
//   y = xᵖ                ∂x = g ⊙ p·xᵖ⁻¹
// Every function runs on the backend's kernels, so the engine computes the
// same numbers as the hand-written layers (GELU is chapter 2's exact GELU,
// x·Φ(x); `.geluTanh` is its tanh approximation).

import BackpropCore
import Foundation

extension Variable {
    /// f(x) elementwise, for any of the kernels' functions.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func map(_ f: UnaryFunction) -> Variable {
        let k = backend.kernels, n = node, x = value
        if f.derivativeInForward {
            var derivative: Tensor<Scalar>?
            let y = x.freshOutput { px, py, count in
                derivative = Tensor.filled(x.shape) { pd in k.mapWithDerivative(f, count: count, px, py, pd) }
            }
            let d = derivative!
            return tape.record(f.name, y, inputs: [self], saved: [d]) { tape, g in
                try tape.accumulate(n, g.multiplying(d, backend: tape.backend))
            }
        }
        let y = x.mapped(f, backend: backend)
        return tape.record(f.name, y, inputs: [self], saved: [x, y]) { tape, g in
            guard n != nil else { return }
            let kernels = tape.backend.kernels
            let dx = x.withUnsafeBufferPointer { px in
                y.withUnsafeBufferPointer { py in
                    g.freshOutput { pg, pdx, count in
                        kernels.mapBackward(f, count: count, x: px.baseAddress!, y: py.baseAddress!, dy: pg, dx: pdx)
                    }
                }
            }
            try tape.accumulate(n, dx)
        }
    }

    /// max(0, x)
    public func relu() -> Variable { map(.relu) }
    /// 1/(1 + e⁻ˣ)
    public func sigmoid() -> Variable { map(.sigmoid) }
    /// tanh x
    public func tanh() -> Variable { map(.tanh) }
    /// eˣ
    public func exp() -> Variable { map(.exp) }
    /// x·Φ(x), chapter 2's exact GELU
    public func gelu() -> Variable { map(.gelu) }

    /// ln x (−∞ at 0, NaN below, as in IEEE arithmetic).
    public func log() -> Variable {
        let x = value, n = node
        let y = x.freshOutput { px, py, count in for i in 0..<count { py[i] = Scalar.log(px[i]) } }
        return tape.record("log", y, inputs: [self], saved: [x]) { tape, g in
            try tape.accumulate(n, g.freshOutput { pg, o, count in
                x.withUnsafeBufferPointer { px in for i in 0..<count { o[i] = pg[i] / px[i] } }
            })
        }
    }

    /// xᵖ elementwise for a constant p.
    public func power(_ p: Scalar) -> Variable {
        let x = value, n = node
        let y = x.freshOutput { px, py, count in for i in 0..<count { py[i] = Scalar(Foundation.pow(Double(px[i]), Double(p))) } }
        return tape.record("power", y, inputs: [self], saved: [x]) { tape, g in
            try tape.accumulate(n, g.freshOutput { pg, o, count in
                x.withUnsafeBufferPointer { px in
                    for i in 0..<count { o[i] = pg[i] * p * Scalar(Foundation.pow(Double(px[i]), Double(p - 1))) }
                }
            })
        }
    }
}
