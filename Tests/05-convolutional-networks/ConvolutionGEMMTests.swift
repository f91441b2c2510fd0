// ConvolutionGEMMTests: the unpacked products behind Im2colConvolution,
// against plain loops in the naive order.
//
// Contract
// - `ConvolutionGEMM.run` equals C = A·B (+ bias) or C += A·B for every
//   m, n, k around its tile sizes (m around the 6- and 4-row panels, n around the
//   16/8-column strip, k from 0), with A read as a matrix and as a
//   transpose, in Float and Double, within (k + 2)·ε·Σ|terms| (the bound in
//   ConvolutionGEMM.swift), and never writes outside C's m×n block.
// - `ConvolutionGEMM.weightGradient` equals dW += dY·X̂ᵀ for C_out and K
//   around its 3×4 tile and n (pixels) around the vector width, from 0, with
//   the same bound (t = n terms plus the old dW), writing nothing past dW.

@testable import ConvolutionalNetworks
import BackpropCore
import Testing

@Suite struct ConvolutionGEMMTests {
    static func values<T: TensorScalar>(_: T.Type, _ count: Int, seed: UInt64) -> [T] {
        var rng = SeededRandom(seed: seed)
        return (0..<count).map { _ in T(rng.uniform(-1, 1)) }
    }

    func checkRun<T: TensorScalar>(_: T.Type, m: Int, n: Int, k: Int, transposed: Bool, accumulate: Bool, bias: Bool) {
        let a = Self.values(T.self, m * k, seed: 1), b = Self.values(T.self, k * n, seed: 2)
        let bv = Self.values(T.self, m, seed: 3), c0 = Self.values(T.self, m * n + 7, seed: 4)  // 7 guard elements
        // A(i, p): row-major [m, k], or the transpose of a row-major [k, m].
        func A(_ i: Int, _ p: Int) -> T { transposed ? a[p * m + i] : a[i * k + p] }
        var expected = c0, magnitude = [T](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s: T = 0, mag: T = 0
                for p in 0..<k { s += A(i, p) * b[p * n + j]; mag += abs(A(i, p) * b[p * n + j]) }
                if accumulate { s = c0[i * n + j] + s; mag += abs(c0[i * n + j]) }
                else if bias { s += bv[i]; mag += abs(bv[i]) }
                expected[i * n + j] = s
                magnitude[i * n + j] = mag
            }
        }
        var c = c0
        c.withUnsafeMutableBufferPointer { pc in
            ConvolutionGEMM.run(m: m, n: n, k: k, a, rowStride: transposed ? 1 : k, columnStride: transposed ? m : 1,
                                b, ldb: n, pc.baseAddress!, ldc: n, bias: bias ? UnsafePointer(bv) : nil, accumulate: accumulate)
        }
        let bound = T(k + 2) * T.ulpOfOne
        let bad = (0..<(m * n)).first { !(abs(c[$0] - expected[$0]) <= bound * magnitude[$0]) }
        #expect(bad == nil, "\(T.self) m\(m) n\(n) k\(k) t\(transposed) acc\(accumulate) bias\(bias) at \(bad ?? -1)")
        #expect(Array(c[(m * n)...]) == Array(c0[(m * n)...]), "wrote past C")
    }

    @Test("run equals the naive product around the tile edges", arguments: [1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 13, 14, 16, 17, 32])
    func run(m: Int) {
        for n in [1, 4, 8, 15, 16, 17, 33] {
            for k in [0, 1, 9, 25] {
                for (transposed, accumulate, bias) in [(false, false, true), (false, false, false), (true, false, false), (true, true, false), (false, true, true)] {
                    checkRun(Float.self, m: m, n: n, k: k, transposed: transposed, accumulate: accumulate, bias: bias)
                    checkRun(Double.self, m: m, n: n, k: k, transposed: transposed, accumulate: accumulate, bias: bias)
                }
            }
        }
    }

    func checkWeight<T: TensorScalar>(_: T.Type, m: Int, k: Int, n: Int) {
        let dy = Self.values(T.self, m * n, seed: 5), cols = Self.values(T.self, k * n, seed: 6)
        let dw0 = Self.values(T.self, m * k + 5, seed: 7)  // 5 guard elements
        var expected = dw0, magnitude = dw0.map(abs)
        for o in 0..<m {
            for r in 0..<k {
                var s: T = 0
                for q in 0..<n {
                    let term = dy[o * n + q] * cols[r * n + q]
                    s += term
                    magnitude[o * k + r] += abs(term)
                }
                expected[o * k + r] += s
            }
        }
        var dw = dw0
        dw.withUnsafeMutableBufferPointer { pw in
            ConvolutionGEMM.weightGradient(outChannels: m, k: k, n: n, dy: dy, cols: cols, dw: pw.baseAddress!)
        }
        let bound = T(n + 2) * T.ulpOfOne
        let bad = (0..<(m * k)).first { !(abs(dw[$0] - expected[$0]) <= bound * magnitude[$0]) }
        #expect(bad == nil, "\(T.self) C_out \(m) K \(k) n \(n) at \(bad ?? -1)")
        #expect(Array(dw[(m * k)...]) == Array(dw0[(m * k)...]), "wrote past dW")
    }

    @Test("weightGradient equals the naive sums around the tile edges", arguments: [1, 2, 3, 4, 6, 7])
    func weightGradient(m: Int) {
        for k in [1, 3, 4, 5, 9, 25] {
            for n in [0, 1, 7, 8, 9, 64, 100, 300] {
                checkWeight(Float.self, m: m, k: k, n: n)
                checkWeight(Double.self, m: m, k: k, n: n)
            }
        }
    }
}
