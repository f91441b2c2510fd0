// RecurrentGEMM: the per-step products of the SIMD twin, C[m×n] (+)= A[m×k]·B,
// with B (a weight matrix, the same for all T steps) packed once per
// forward or backward sweep instead of once per step.
//
// Why: the core GEMM (BackpropCore/Kernels/SIMDMatmul.swift) packs both
// operands on every call. In a recurrence the product is small in m (the
// batch, 32) and the weight W_hh [G·H, H] is large (1 MiB for the LSTM), so
// repacking it 64 times per sweep cost about 15% of a training step.
//
// Layout: B [k, n] is stored in NR = 16-wide column panels, panel q holding
// B[p, 16q + j] at q·16k + 16p + j (zero-padded past column n). A is packed
// per call into MR = 6-row panels (A[6i + r, p] at 6ik + 6p + r). The
// micro-kernel keeps a 6×16 tile of C in twelve SIMD8<Float> registers (the
// design of the core GEMM, written again here for a pre-packed B). With
// m·n·k ≥ 2²⁰ the column panels are split over the cores, one chunk each.
// Float only: Double (gradient checks) uses the kernel set's matmul.

import BackpropCore
import Dispatch
import Foundation

/// A weight matrix packed as the right operand of many products.
final class PackedWeight: @unchecked Sendable {
    static let nr = 16, mr = 6
    static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
    let k: Int, n: Int, panels: Int
    let data: UnsafeMutablePointer<Float>

    /// Packs B = Wᵀ from W stored [n, k] (`transposed`), or B = W from W stored [k, n].
    init(_ w: UnsafePointer<Float>, k: Int, n: Int, transposed: Bool) {
        self.k = k
        self.n = n
        panels = (n + Self.nr - 1) / Self.nr
        let count = panels * k * Self.nr
        data = UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64).bindMemory(to: Float.self, capacity: count)
        data.initialize(repeating: 0, count: count)
        for q in 0..<panels {
            let panel = data + q * k * Self.nr
            for j in 0..<min(Self.nr, n - q * Self.nr) {
                let col = q * Self.nr + j
                if transposed {
                    let src = w + col * k  // B[p, col] = W[col, p]
                    for p in 0..<k { panel[p * Self.nr + j] = src[p] }
                } else {
                    for p in 0..<k { panel[p * Self.nr + j] = w[p * n + col] }
                }
            }
        }
    }

    deinit { data.deallocate() }

    /// C[m×n] (+)= A[m×k]·B, then C[r, j] += bias[j] if a bias is given (the
    /// same c + b as a separate addRowVector, done while the tile is still in
    /// registers, so the results are bit-identical). `threads` overrides the
    /// automatic choice (1 when the caller already runs on every core).
    func multiply(_ a: UnsafePointer<Float>, m: Int, _ c: UnsafeMutablePointer<Float>, accumulate: Bool,
                  bias: UnsafePointer<Float>? = nil, threads: Int? = nil) {
        let (k, n, nr, mr) = (self.k, self.n, Self.nr, Self.mr)
        let rowPanels = (m + mr - 1) / mr
        let aPack = UnsafeMutablePointer<Float>.allocate(capacity: rowPanels * mr * k)
        defer { aPack.deallocate() }
        for i in 0..<rowPanels {
            let dst = aPack + i * mr * k
            for r in 0..<mr {
                let row = i * mr + r
                if row < m {
                    let src = a + row * k
                    for p in 0..<k { dst[p * mr + r] = src[p] }
                } else {
                    for p in 0..<k { dst[p * mr + r] = 0 }
                }
            }
        }
        let threads = threads ?? (m * n * k >= 1 << 20 ? min(2, Self.cores, panels) : 1)
        let job = Job(a: UnsafePointer(aPack), b: UnsafePointer(data), c: c, bias: bias, m: m, n: n, k: k, panels: panels,
                      rowPanels: rowPanels, threads: threads, accumulate: accumulate)
        if threads == 1 { job.run(0) } else { DispatchQueue.concurrentPerform(iterations: threads) { job.run($0) } }
    }

    struct Job: @unchecked Sendable {
        let a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?
        let m: Int, n: Int, k: Int, panels: Int, rowPanels: Int, threads: Int, accumulate: Bool

        /// Thread t's contiguous share of the column panels, all rows.
        func run(_ t: Int) {
            let (nr, mr) = (PackedWeight.nr, PackedWeight.mr)
            let tile = UnsafeMutablePointer<Float>.allocate(capacity: mr * nr)
            defer { tile.deallocate() }
            for q in (panels * t / threads)..<(panels * (t + 1) / threads) {
                let bp = b + q * k * nr, cols = min(nr, n - q * nr), bq = bias.map { $0 + q * nr }
                for i in 0..<rowPanels {
                    let rows = min(mr, m - i * mr)
                    let cp = c + i * mr * n + q * nr
                    if rows == mr && cols == nr {
                        kernel(k, a + i * mr * k, bp, cp, n, accumulate, bq)
                    } else {
                        kernel(k, a + i * mr * k, bp, tile, nr, false, nil)
                        for r in 0..<rows {
                            for j in 0..<cols {
                                let v = accumulate ? cp[r * n + j] + tile[r * nr + j] : tile[r * nr + j]
                                cp[r * n + j] = bq.map { v + $0[j] } ?? v
                            }
                        }
                    }
                }
            }
        }
    }

    /// C[6×16] (+)= Σₚ a[6p + r]·b[16p + j], then C[r, j] += bias[j] if given.
    @inline(never)
    static func kernel(_ k: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                       _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool,
                       _ bias: UnsafePointer<Float>?) {
        typealias V = SIMD8<Float>
        var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V()
        var c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V()
        var pa = a, pb = UnsafeRawPointer(b)
        for _ in 0..<k {
            let b0 = pb.loadUnaligned(as: V.self), b1 = pb.loadUnaligned(fromByteOffset: 32, as: V.self)
            var x = V(repeating: pa[0]); c00.addProduct(x, b0); c01.addProduct(x, b1)
            x = V(repeating: pa[1]); c10.addProduct(x, b0); c11.addProduct(x, b1)
            x = V(repeating: pa[2]); c20.addProduct(x, b0); c21.addProduct(x, b1)
            x = V(repeating: pa[3]); c30.addProduct(x, b0); c31.addProduct(x, b1)
            x = V(repeating: pa[4]); c40.addProduct(x, b0); c41.addProduct(x, b1)
            x = V(repeating: pa[5]); c50.addProduct(x, b0); c51.addProduct(x, b1)
            pa += 6
            pb += 64
        }
        if let bias {
            let raw = UnsafeRawPointer(bias)
            let b0 = raw.loadUnaligned(as: V.self), b1 = raw.loadUnaligned(fromByteOffset: 32, as: V.self)
            @inline(__always) func put(_ x0: V, _ x1: V, _ p: UnsafeMutablePointer<Float>) {
                let raw = UnsafeMutableRawPointer(p)
                if accumulate {
                    raw.storeBytes(of: raw.loadUnaligned(as: V.self) + x0 + b0, as: V.self)
                    raw.storeBytes(of: raw.loadUnaligned(fromByteOffset: 32, as: V.self) + x1 + b1, toByteOffset: 32, as: V.self)
                } else {
                    raw.storeBytes(of: x0 + b0, as: V.self)
                    raw.storeBytes(of: x1 + b1, toByteOffset: 32, as: V.self)
                }
            }
            put(c00, c01, c); put(c10, c11, c + ldc); put(c20, c21, c + 2 * ldc)
            put(c30, c31, c + 3 * ldc); put(c40, c41, c + 4 * ldc); put(c50, c51, c + 5 * ldc)
            return
        }
        @inline(__always) func put(_ x0: V, _ x1: V, _ p: UnsafeMutablePointer<Float>) {
            let raw = UnsafeMutableRawPointer(p)
            if accumulate {
                raw.storeBytes(of: raw.loadUnaligned(as: V.self) + x0, as: V.self)
                raw.storeBytes(of: raw.loadUnaligned(fromByteOffset: 32, as: V.self) + x1, toByteOffset: 32, as: V.self)
            } else {
                raw.storeBytes(of: x0, as: V.self)
                raw.storeBytes(of: x1, toByteOffset: 32, as: V.self)
            }
        }
        put(c00, c01, c); put(c10, c11, c + ldc); put(c20, c21, c + 2 * ldc)
        put(c30, c31, c + 3 * ldc); put(c40, c41, c + 4 * ldc); put(c50, c51, c + 5 * ldc)
    }
}
