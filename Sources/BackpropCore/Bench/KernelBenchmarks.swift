// The kernel benchmarks: each compares Naive and SIMDKernels on one shape.
// Flop counts follow the formulas: matmul 2·m·n·k; axpy 2 per element;
// softmax counts 1 max + 1 subtract + 1 exp + 1 add + 1 divide = 5 per
// element (an exp is many instructions, so this understates the work).

/// The benchmarks `backprop bench` knows by name.
public enum KernelBenchmarks {
    /// Names accepted on the command line.
    public static let names = ["matmul", "axpy", "softmax"]

    /// Runs the named benchmark and returns one row per (shape, variant).
    /// - Parameter quick: smaller shapes and shorter timings (for tests).
    public static func run(_ name: String, peakGflops: Double, quick: Bool = false) -> [BenchRow] {
        switch name {
        case "matmul":
            var rows: [BenchRow] = []
            let big = quick ? 128 : 1024
            for layout in MatmulLayout.allCases {
                rows += matmul(m: big, n: big, k: big, layout: layout, peak: peakGflops, quick: quick)
            }
            rows += matmul(m: 64, n: 256, k: 256, layout: .nt, peak: peakGflops, quick: quick)
            return rows
        case "axpy":
            return elementwise("axpy", count: quick ? 4096 : 1 << 20, flopsPerElement: 2, peak: peakGflops) { k, x, y, n in
                k.axpy(count: n, alpha: 0.5, x, y)
            }
        case "softmax":
            return elementwise("softmax", count: quick ? 4096 : 256 * 1024, flopsPerElement: 5, peak: peakGflops) { k, x, y, n in
                k.softmaxRows(rows: n / 1024 == 0 ? 1 : n / 1024, cols: min(n, 1024), x, y)
            }
        default:
            return []
        }
    }

    static func pair(kernel: String, shape: String, flops: Double, peak: Double,
                     naive: Double, simd: Double) -> [BenchRow] {
        let gN = flops / naive / 1e9, gS = flops / simd / 1e9
        return [
            BenchRow(kernel: kernel, shape: shape, variant: "naive", gflops: gN, vsNaive: 1, vsPeak: gN / peak),
            BenchRow(kernel: kernel, shape: shape, variant: "simd", gflops: gS, vsNaive: gS / gN, vsPeak: gS / peak),
        ]
    }

    static func matmul(m: Int, n: Int, k: Int, layout: MatmulLayout, peak: Double, quick: Bool) -> [BenchRow] {
        var rng = SeededRandom(seed: 7)
        let a = (0..<(m * k)).map { _ in Float(rng.uniform(-1, 1)) }
        let b = (0..<(k * n)).map { _ in Float(rng.uniform(-1, 1)) }
        var c = [Float](repeating: 0, count: m * n)
        func time(_ backend: Backend, minSeconds: Double) -> Double {
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        Benchmark.bestTime(minSeconds: minSeconds, minRuns: quick ? 1 : 2) {
                            backend.kernels.matmul(layout, m: m, n: n, k: k, pa.baseAddress!, pb.baseAddress!,
                                           pc.baseAddress!, accumulate: false)
                        }
                    }
                }
            }
        }
        let naive = time(.naive, minSeconds: quick ? 0 : 0.2)
        let simd = time(.simd, minSeconds: quick ? 0 : 1)
        return pair(kernel: "matmul", shape: "\(m)x\(n)x\(k) \(layout.rawValue)",
                    flops: 2 * Double(m) * Double(n) * Double(k), peak: peak, naive: naive, simd: simd)
    }

    static func elementwise(
        _ name: String, count: Int, flopsPerElement: Double, peak: Double,
        _ body: @escaping (any KernelSet.Type, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void
    ) -> [BenchRow] {
        var rng = SeededRandom(seed: 11)
        let x = (0..<count).map { _ in Float(rng.uniform(-4, 4)) }
        var y = [Float](repeating: 0, count: count)
        func time(_ backend: Backend) -> Double {
            x.withUnsafeBufferPointer { px in
                y.withUnsafeMutableBufferPointer { py in
                    Benchmark.bestTime(minSeconds: 0.2) { body(backend.kernels, px.baseAddress!, py.baseAddress!, count) }
                }
            }
        }
        let naive = time(.naive), simd = time(.simd)
        return pair(kernel: name, shape: "\(count)", flops: flopsPerElement * Double(count), peak: peak,
                    naive: naive, simd: simd)
    }
}
