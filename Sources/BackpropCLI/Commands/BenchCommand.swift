// `backprop bench [name…]`: kernel speed, naive against SIMD, and against this
// CPU's FMA peak measured in the same run: the core kernels, then each
// chapter's benchmarks. Those too long for the no-argument run (`serve`,
// about a minute of HTTP load) run only when named.

import BackpropCore
import Foundation

enum BenchCommand {
    /// The core kernels (matmul, axpy, softmax), then the chapters' benchmarks in book order.
    static var benchmarks: [Benchmark] {
        KernelBenchmarks.names.map { name in
            Benchmark(name) { KernelBenchmarks.run(name, peakGflops: $0.peakGflops, quick: $0.quick) }
        } + Book.chapters.flatMap(\.benchmarks)
    }

    static var names: [String] { benchmarks.map(\.name) }

    /// The benchmarks a command line asks for: the named ones, or all that run by default.
    static func selection(_ positionals: [String]) -> [String] {
        positionals.isEmpty ? benchmarks.filter(\.runsByDefault).map(\.name) : positionals
    }

    static let command = Command(
        "bench", summary: "benchmark kernels naive vs SIMD against this CPU's FMA peak",
        positionals: "[\(names.joined(separator: "|"))…]",
        flags: [
            Flag(name: "json", value: nil, help: "one JSON object per line instead of a table"),
            Flag(name: "quick", value: nil, help: "small shapes and short timings (a smoke test)"),
            Flag(name: "figure", value: nil, help: "with serve: also sweep the batch size and write chapters/figures/09-batching.svg; "
                 + "with serve-stream: three runs of the streams and chapters/figures/09-continuous-batching.svg"),
            Flag(name: "compare", value: "FILE", help: "also print each SIMD row's time against the same kernel and shape in FILE (JSON lines, e.g. from bench/pytorch_reference.py)"),
        ],
        details: "Build with -c release. With no names, runs all but "
            + benchmarks.filter { !$0.runsByDefault }.map(\.name).joined(separator: ", ")
            + " (about a minute of HTTP load): run those by name, e.g. `backprop bench serve`."
    ) { args in
        for n in args.positionals where !names.contains(n) {
            throw args.error("unknown benchmark '\(n)'; benchmarks are \(names.joined(separator: ", "))")
        }
        #if DEBUG
        FileHandle.standardError.write("warning: this is a debug build; run `swift run -c release backprop bench` for real figures\n".data(using: .utf8)!)
        #endif
        let references = try args.string("compare").map(BenchComparison.load)
        let threads = ProcessInfo.processInfo.activeProcessorCount
        let quick = args.has("quick"), json = args.has("json")
        let peak = Peak.bestFMAGflops(threads: threads, trials: quick ? 1 : 5, secondsEach: quick ? 0.02 : 0.1)
        let peak1 = Peak.bestFMAGflops(threads: 1, trials: quick ? 1 : 3, secondsEach: quick ? 0.02 : 0.1)
        if json {
            print(JSONValue.object([("kernel", .string("fma_peak")), ("shape", .string("\(threads) threads")),
                                    ("variant", .string("peak")), ("gflops", .number((peak * 10).rounded() / 10)),
                                    ("single_thread_gflops", .number((peak1 * 10).rounded() / 10))]).rendered)
        } else {
            print(String(format: "FMA peak of this CPU: %.1f GFLOP/s on %d threads (%.1f on one)\n", peak, threads, peak1))
        }
        printHandOff("start", json: json)
        defer { printHandOff("end", json: json) }
        let settings = BenchSettings(peakGflops: peak, quick: quick, json: json, figure: args.has("figure"))
        var rows: [[String]] = [], measured: [BenchRow] = []
        for name in selection(args.positionals) {
            let benchmark = benchmarks.first(where: { $0.name == name })!
            let bytes = try benchmark.bytesPerCall?(settings)
            for row in try benchmark.run(settings) {
                let mbps = megabytesPerSecond(row, bytes: bytes)
                if json { print(jsonLine(row, megabytesPerSecond: mbps)) } else { rows.append(tableRow(row, megabytesPerSecond: mbps)) }
                measured.append(row)
            }
        }
        if !json && !rows.isEmpty {
            print(TextTable.render(header: ["kernel", "shape", "variant", "GFLOP/s", "vs naive", "vs peak"], rows: rows))
        }
        if let references {
            let text = BenchComparison.render(measured, references, json: json)
            print(json || text.isEmpty ? text : "\n" + text)
        }
    }

    /// MB/s of a row that processed `bytes` in its time per call.
    /// The spin team's measured round trip between the cores (SpinTeam.roundTripNanoseconds):
    /// where the host had put the two cores when the benchmarks began and
    /// ended. On a virtual machine it changes every few seconds, and with it
    /// everything that hands work between the cores every few microseconds
    /// (generation); "near" and "far" tell the rounds of a comparison apart.
    /// At the end, also the placement during the runs whose times were
    /// reported (`Benchmark.bestRunRoundTrips`): "near" or "far" if every
    /// best run had it, else "mixed", with the largest round trip seen.
    static func printHandOff(_ when: String, json: Bool) {
        guard let team = SpinTeam.shared, let ns = team.measureRoundTrip() else { return }
        printPlacement(when, ns: ns, placement: ns <= SpinTeam.cheapRoundTripNanoseconds ? "near" : "far", json: json)
        if when == "end" {
            let trips = BackpropCore.Benchmark.takeBestRunRoundTrips()
            guard let worst = trips.max() else { return }
            let near = trips.filter { $0 <= SpinTeam.cheapRoundTripNanoseconds }.count
            printPlacement("best runs", ns: worst, placement: near == trips.count ? "near" : near == 0 ? "far" : "mixed", json: json)
        }
    }

    static func printPlacement(_ when: String, ns: Int, placement: String, json: Bool) {
        if json {
            print(JSONValue.object([("kernel", .string("core_round_trip")), ("shape", .string(when)),
                                    ("variant", .string(placement)), ("ns", .number(Double(ns)))]).rendered)
        } else {
            print("round trip between the cores \(when == "best runs" ? "during" : "at") the \(when): \(ns) ns (\(placement))")
        }
    }

    static func megabytesPerSecond(_ row: BenchRow, bytes: Int?) -> Double? {
        guard let bytes, let ms = row.msPerStep, ms > 0 else { return nil }
        return Double(bytes) / (ms / 1000) / 1e6
    }

    /// The row's JSON, with `mb_per_second` after its fields when it has one.
    static func jsonLine(_ row: BenchRow, megabytesPerSecond mbps: Double?) -> String {
        guard let mbps else { return row.json }
        return String(row.json.dropLast()) + ",\"mb_per_second\":" + JSONValue.number((mbps * 100).rounded() / 100).rendered + "}"
    }

    static func tableRow(_ row: BenchRow, megabytesPerSecond mbps: Double? = nil) -> [String] {
        [row.kernel, row.shape, row.variant,
         (row.gflops.map { String(format: "%.2f", $0) } ?? "—") + (row.msPerStep.map { String(format: " (%.3f ms/step)", $0) } ?? "")
             + (mbps.map { String(format: " (%.1f MB/s)", $0) } ?? "")
             + (row.wordsPerSecond.map { String(format: " (%.0f words/s)", $0) } ?? "")
             + (row.tokensPerSecond.map { String(format: " (%.0f tokens/s)", $0) } ?? ""),
         row.vsNaive.map { String(format: "%.1f×", $0) } ?? "—", row.vsPeak.map { String(format: "%.1f%%", $0 * 100) } ?? "—"]
    }
}
