// `backprop bench serve`: the service's throughput and latency (see
// ModelServing/Service/ServingBenchmark.swift), as a table or JSON lines,
// and with --figure the measured chapters/figures/07-batching.svg.

import BackpropCore
import Foundation
import ModelServing

enum ServeBenchCommand {
    static func run(quick: Bool, json: Bool, figure: Bool) throws {
        let digits = try DemoModels.digits(epochs: quick ? 1 : 10)
        let rows = try ServingBenchmark.run(quick: quick, digits: digits)
        if json {
            for row in rows { print(row.json) }
        } else {
            print(TextTable.render(header: ServingBenchRow.tableHeader, rows: rows.map(\.tableRow)) + "\n")
        }
        guard figure else { return }
        let sweep = try ServingBenchmark.batchSweep(quick: quick, digits: digits)
        for p in sweep where json {
            print(JSONValue.object([("kernel", .string("serve_batch_sweep")), ("shape", .string("digits MLP \(digits.architecture), 64 clients")),
                                    ("variant", .string("max_batch=\(p.maxBatch)")), ("rps", .number((p.requestsPerSecond * 10).rounded() / 10)),
                                    ("p50_ms", .number((p.p50Ms * 1000).rounded() / 1000)), ("p99_ms", .number((p.p99Ms * 1000).rounded() / 1000))]).rendered)
        }
        let url = URL(fileURLWithPath: "chapters/figures/07-batching.svg")
        try ServingFigures.batching(sweep).write(to: url)
        if !json { print("wrote \(url.path)") }
    }
}
