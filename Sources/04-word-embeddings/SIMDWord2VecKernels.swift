// SIMDWord2VecKernels: the same operations as NaiveWord2VecKernels with
// 8-lane vectors (one AVX register) and fused multiply-adds.
//
// - dot: four independent SIMD8 accumulators over blocks of 32, so four FMA
//   chains are in flight (an FMA has a latency of about 4 cycles and two
//   issue ports); then single blocks of 8, one horizontal sum, and a scalar
//   tail. For D = 100 that is 3 blocks of 32 and a tail of 4.
// - step: one pass over u, h and e: e += g·u_old and u += g·h per block of 8,
//   instead of the naive twin's two passes over u.
// - Results differ from the naive twin only by rounding (the sum is
//   reassociated and FMA rounds once); tests check agreement within 1e-5.

/// The SIMD twin.
public enum SIMDWord2VecKernels: Word2VecKernels {
    public static let name = "simd"

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD8<Float> {
        UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
        UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: SIMD8<Float>.self)
    }

    @inline(__always)
    public static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
        var i = 0
        while i + 32 <= count {
            a0.addProduct(load(x, i), load(y, i))
            a1.addProduct(load(x, i + 8), load(y, i + 8))
            a2.addProduct(load(x, i + 16), load(y, i + 16))
            a3.addProduct(load(x, i + 24), load(y, i + 24))
            i += 32
        }
        while i + 8 <= count {
            a0.addProduct(load(x, i), load(y, i))
            i += 8
        }
        var s = ((a0 + a1) + (a2 + a3)).sum()
        while i < count {
            s = s.addingProduct(x[i], y[i])
            i += 1
        }
        return s
    }

    @inline(__always)
    public static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        let av = SIMD8<Float>(repeating: a)
        var i = 0
        while i + 8 <= count {
            store(load(UnsafePointer(y), i).addingProduct(av, load(x, i)), y, i)
            i += 8
        }
        while i < count {
            y[i] = y[i].addingProduct(a, x[i])
            i += 1
        }
    }

    @inline(__always)
    public static func step(_ g: Float, hidden: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                            error: UnsafeMutablePointer<Float>, count: Int) {
        let gv = SIMD8<Float>(repeating: g)
        var i = 0
        while i + 8 <= count {
            let u = load(UnsafePointer(output), i)
            store(load(UnsafePointer(error), i).addingProduct(gv, u), error, i)
            store(u.addingProduct(gv, load(hidden, i)), output, i)
            i += 8
        }
        while i < count {
            let u = output[i]
            error[i] = error[i].addingProduct(g, u)
            output[i] = u.addingProduct(g, hidden[i])
            i += 1
        }
    }
}
