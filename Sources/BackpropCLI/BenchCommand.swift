// `backprop bench [name…]`: kernel speed, naive against SIMD, and against this
// CPU's FMA peak measured in the same run. `serve` (about a minute of HTTP
// load, see ServeBenchCommand) runs only when named.

import BackpropCore
import Foundation
import Backpropagation
import ConvolutionalNetworks
import WordEmbeddings
import RecurrentNetworks
import Transformer

enum BenchCommand {
    static let flags = [
        Flag(name: "json", value: nil, help: "one JSON object per line instead of a table"),
        Flag(name: "quick", value: nil, help: "small shapes and short timings (a smoke test)"),
        Flag(name: "figure", value: nil, help: "with serve: also sweep the batch size and write chapters/figures/09-batching.svg"),
    ]

    static let names = KernelBenchmarks.names + ["mlp", "conv", "word2vec", "rnn", "gpt", "serve"]
    /// Benchmarks too long for the no-argument run (`serve` takes about a minute).
    static let onlyByName = ["serve"]

    /// The benchmarks a command line asks for: the named ones, or all but `onlyByName`.
    static func selection(_ positionals: [String]) -> [String] {
        positionals.isEmpty ? names.filter { !onlyByName.contains($0) } : positionals
    }

    static func run(_ words: [String]) throws {
        let args = try Arguments(command: "bench", words: words, flags: flags)
        if args.wantsHelp {
            print(helpText(usage: "backprop bench [\(names.joined(separator: "|"))…] [--json] [--quick]",
                           summary: "Benchmark kernels naive vs SIMD (build with -c release). With no names, runs all "
                               + "but serve (about a minute of HTTP load): run `backprop bench serve` by name.",
                           flags: flags))
            return
        }
        for n in args.positionals where !names.contains(n) {
            throw UsageError("backprop bench: unknown benchmark '\(n)'; benchmarks are \(names.joined(separator: ", "))")
        }
        #if DEBUG
        FileHandle.standardError.write("warning: this is a debug build; run `swift run -c release backprop bench` for real figures\n".data(using: .utf8)!)
        #endif
        let selected = selection(args.positionals)
        let threads = ProcessInfo.processInfo.activeProcessorCount
        let quick = args.has("quick")
        let peak = Peak.bestFMAGflops(threads: threads, trials: quick ? 1 : 5, secondsEach: quick ? 0.02 : 0.1)
        let peak1 = Peak.bestFMAGflops(threads: 1, trials: quick ? 1 : 3, secondsEach: quick ? 0.02 : 0.1)
        let json = args.has("json")
        if json {
            print(JSONValue.object([("kernel", .string("fma_peak")), ("shape", .string("\(threads) threads")),
                                    ("variant", .string("peak")), ("gflops", .number((peak * 10).rounded() / 10)),
                                    ("single_thread_gflops", .number((peak1 * 10).rounded() / 10))]).rendered)
        } else {
            print(String(format: "FMA peak of this CPU: %.1f GFLOP/s on %d threads (%.1f on one)\n", peak, threads, peak1))
        }
        var rows: [[String]] = []
        for name in selected {
            if name == "serve" {
                try ServeBenchCommand.run(quick: quick, json: json, figure: args.has("figure"))
                continue
            }
            let results: [BenchRow]
            switch name {
            case "mlp": results = try MLPBenchmark.run(peakGflops: peak, quick: quick)
            case "conv": results = try CNNBenchmark.run(peakGflops: peak, quick: quick)
            case "word2vec": results = try Word2VecBenchmark.run(peakGflops: peak, quick: quick)
            case "rnn": results = try RNNBenchmark.run(peakGflops: peak, quick: quick)
            case "gpt": results = try GPTBenchmark.run(peakGflops: peak, quick: quick)
            default: results = KernelBenchmarks.run(name, peakGflops: peak, quick: quick)
            }
            for row in results {
                if json { print(row.json) } else {
                    rows.append([row.kernel, row.shape, row.variant,
                                 String(format: "%.2f", row.gflops ?? 0) + (row.msPerStep.map { String(format: " (%.3f ms/step)", $0) } ?? "")
                                     + (row.wordsPerSecond.map { String(format: " (%.0f words/s)", $0) } ?? ""),
                                 row.vsNaive.map { String(format: "%.1f×", $0) } ?? "—", String(format: "%.1f%%", (row.vsPeak ?? 0) * 100)])
                }
            }
        }
        if !json && !rows.isEmpty {
            print(TextTable.render(header: ["kernel", "shape", "variant", "GFLOP/s", "vs naive", "vs peak"], rows: rows))
        }
    }
}
