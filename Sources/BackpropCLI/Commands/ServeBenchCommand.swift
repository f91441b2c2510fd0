// `backprop bench serve`: the service's throughput and latency (see
// ModelAsAService/Service/ServingBenchmark.swift), as a table or JSON lines,
// and with --figure the measured chapters/figures/09-batching.svg.

import BackpropCore
import Figures
import Foundation
import ModelAsAService

enum ServeBenchCommand {
    static func show(_ rows: [ServingBenchRow], json: Bool) {
        if json {
            for row in rows { print(row.json) }
        } else {
            print(TextTable.render(header: ServingBenchRow.tableHeader, rows: rows.map(\.tableRow)) + "\n")
        }
    }

    /// Streamed generation of the baby GPT at 1, 8, 32 and 128 clients, batching off and continuous
    /// (`bench serve-stream` alone; also the end of `bench serve`); with --figure
    /// three runs of the streams and chapters/figures/09-continuous-batching.svg
    /// from each point's median (one two-second run is too noisy on a shared machine).
    static func streams(quick: Bool, json: Bool, figure: Bool = false) throws {
        var runs = [try ServingBenchmark.streams(quick: quick)]
        show(try ServingBenchmark.decodeSteps(quick: quick) + runs[0], json: json)
        guard figure else { return }
        for _ in 1..<3 {
            runs.append(try ServingBenchmark.streams(quick: quick))
            show(runs[runs.count - 1], json: json)
        }
        let streamed = ServingBenchmark.medians(runs)
        // A --quick run is too short to publish: it goes to the temporary folder.
        let url = quick ? FileManager.default.temporaryDirectory.appendingPathComponent("09-continuous-batching.svg")
                        : URL(fileURLWithPath: "chapters/figures/09-continuous-batching.svg")
        try ServingFigures.continuousBatching(streamed).write(to: url)
        if !json { print("wrote \(url.path)") }
    }

    static func run(quick: Bool, json: Bool, figure: Bool) throws {
        // The chapter's digits MLP, and a wider one (8 MB of weights, beyond the
        // L2 cache) where reading the weights once per batch matters more.
        let digits = try DemoModels.digits(epochs: quick ? 1 : 10)
        let wide = try DemoModels.digits(hidden: [1024, 1024], epochs: quick ? 1 : 3)
        let rows = try ServingBenchmark.run(quick: quick, models: [digits, wide])
        show(rows, json: json)
        try streams(quick: quick, json: json)
        guard figure else { return }
        var sweeps: [(model: String, points: [BatchSweepPoint])] = []
        for model in [digits, wide] {
            let sweep = try ServingBenchmark.batchSweep(quick: quick, digits: model)
            sweeps.append(("MLP \(model.architecture)", sweep))
            for p in sweep where json {
                print(JSONValue.object([("kernel", .string("serve_batch_sweep")), ("shape", .string("digits MLP \(model.architecture), 64 clients")),
                                        ("variant", .string("max_batch=\(p.maxBatch)")), ("rps", .number((p.requestsPerSecond * 10).rounded() / 10)),
                                        ("p50_ms", .number((p.p50Ms * 1000).rounded() / 1000)), ("p99_ms", .number((p.p99Ms * 1000).rounded() / 1000))]).rendered)
            }
        }
        // A --quick sweep is too short to publish: it goes to the temporary folder.
        let url = quick ? FileManager.default.temporaryDirectory.appendingPathComponent("09-batching.svg")
                        : URL(fileURLWithPath: "chapters/figures/09-batching.svg")
        try ServingFigures.batching(sweeps).write(to: url)
        if !json { print("wrote \(url.path)") }
    }
}
