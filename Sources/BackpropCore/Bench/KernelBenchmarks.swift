// The kernel benchmarks: each compares Naive and SIMDKernels on one shape.
// Flop counts follow the formulas: matmul 2·m·n·k; axpy 2 per element;
// softmax counts 1 max + 1 subtract + 1 exp + 1 add + 1 divide = 5 per
// element (an exp is many instructions, so this understates the work).

/// The benchmarks `backprop bench` knows by name.
public enum KernelBenchmarks {
    /// Names accepted on the command line.
    public static let names = ["matmul", "matmul-models", "axpy", "softmax"]

    /// The products the models actually run (m, n, k, layout, what it is):
    /// thin in k or m, where packing, edges and thread hand-offs weigh more
    /// than at 1024³. GPT rows: B·T = 12·64 = 768, C = 128; LSTM rows:
    /// batch 32, hidden 256, four gates (G·H = 1024), T·B = 2048.
    public static let modelShapes: [(m: Int, n: Int, k: Int, layout: MatmulLayout, what: String)] = [
        (768, 384, 128, .nt, "gpt qkv forward"),
        (768, 512, 128, .nt, "gpt mlp expand forward"),
        (768, 128, 512, .nt, "gpt mlp contract forward"),
        (768, 128, 512, .nn, "gpt input gradient dY·W"),
        (512, 128, 768, .tn, "gpt weight gradient dYᵀ·X"),
        (64, 64, 32, .nt, "gpt attention scores, one head"),
        (32, 1024, 256, .nt, "lstm step h·W_hhᵀ"),
        (32, 256, 1024, .nn, "lstm backward step dPre·W_hh"),
        (1024, 256, 2048, .tn, "lstm weight gradient dPreᵀ·H"),
    ]

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
        case "matmul-models":
            let peak1 = Peak.bestFMAGflops(threads: 1, trials: quick ? 1 : 3, secondsEach: quick ? 0.02 : 0.1)
            return modelShapes.flatMap { m, n, k, layout, what in
                matmulThreads(m: m, n: n, k: k, layout: layout, what: what, peak: peakGflops, peak1: peak1, quick: quick)
            }
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

    /// A model's product in SIMD on every core and on one thread: GFLOP/s,
    /// the ratio to the naive twin, and the fraction of the peak of the
    /// threads used (`peak1` is the one-thread FMA peak measured in this run).
    static func matmulThreads(m: Int, n: Int, k: Int, layout: MatmulLayout, what: String,
                              peak: Double, peak1: Double, quick: Bool) -> [BenchRow] {
        var rng = SeededRandom(seed: 7)
        let a = (0..<(m * k)).map { _ in Float(rng.uniform(-1, 1)) }
        let b = (0..<(k * n)).map { _ in Float(rng.uniform(-1, 1)) }
        var c = [Float](repeating: 0, count: m * n)
        func time(_ backend: Backend, threads: Int?) -> Double {
            a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
                Benchmark.bestTime(minSeconds: quick || backend == .naive ? 0 : 0.3, minRuns: quick ? 1 : 3) {
                    if backend == .naive {
                        Naive.matmul(layout, m: m, n: n, k: k, pa.baseAddress!, pb.baseAddress!, pc.baseAddress!, accumulate: false)
                    } else {
                        PackedGEMM.run(layout, m: m, n: n, k: k, pa.baseAddress!, pb.baseAddress!, pc.baseAddress!,
                                       accumulate: false, threads: threads)
                    }
                }
            }}}
        }
        let flops = 2 * Double(m) * Double(n) * Double(k)
        let naive = time(.naive, threads: 1), all = time(.simd, threads: nil), one = time(.simd, threads: 1)
        let shape = "\(m)x\(n)x\(k) \(layout.rawValue) (\(what))"
        let (gn, ga, g1) = (flops / naive / 1e9, flops / all / 1e9, flops / one / 1e9)
        return [
            BenchRow(kernel: "matmul", shape: shape, variant: "naive", gflops: gn, vsNaive: 1, vsPeak: gn / peak1),
            BenchRow(kernel: "matmul", shape: shape, variant: "simd", gflops: ga, vsNaive: ga / gn, vsPeak: ga / peak),
            BenchRow(kernel: "matmul", shape: shape, variant: "simd 1 thread", gflops: g1, vsNaive: g1 / gn, vsPeak: g1 / peak1),
        ]
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
