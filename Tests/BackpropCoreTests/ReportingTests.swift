// Benchmark rows and run summaries: the JSON lines other tools read.

import BackpropCore
import Foundation
import Testing

@Suite struct ReportingTests {
    @Test func benchRowsComeInNaiveSIMDPairsWithTheAgreedKeys() throws {
        let rows = KernelBenchmarks.run("axpy", peakGflops: 100, quick: true)
        #expect(rows.map(\.variant) == ["naive", "simd"])
        #expect(rows[0].vsNaive == 1)
        let g0 = try #require(rows[0].gflops), g1 = try #require(rows[1].gflops)
        #expect(abs(rows[1].vsNaive! - g1 / g0) < 1e-9 && abs(rows[1].vsPeak! - g1 / 100) < 1e-9)
        let object = try JSONSerialization.jsonObject(with: Data(rows[1].json.utf8)) as! [String: Any]
        #expect(Set(object.keys) == ["kernel", "shape", "variant", "gflops", "vs_naive", "vs_peak"])
        #expect(KernelBenchmarks.run("no-such-kernel", peakGflops: 1).isEmpty)
    }

    @Test func peakIsPositiveAndFinite() {
        let p = Peak.measureFMAGflops(threads: 1, seconds: 0.01)
        #expect(p > 0 && p.isFinite)
    }

    @Test func summaryJSONIsOneValidObjectInOrder() throws {
        let s = RunSummary(chapter: 1, model: "m\"x", dataset: "d\n", metrics: [("test_accuracy", 0.5), ("loss", .nan)],
                           seconds: 1.23456, details: [("epochs", .integer(3)), ("ok", .bool(true))])
        #expect(s.json.hasPrefix(#"{"model":"m\"x","dataset":"d\n","test_accuracy":0.5,"loss":null,"#))
        let object = try JSONSerialization.jsonObject(with: Data(s.json.utf8)) as! [String: Any]
        #expect(object["seconds"] as? Double == 1.235 && object["epochs"] as? Int == 3)
    }

    @Test func textTableAlignsColumns() {
        let t = TextTable.render(header: ["a", "bb"], rows: [["long", "1"]])
        #expect(t == "a     bb\n----  --\nlong  1")
    }
}
