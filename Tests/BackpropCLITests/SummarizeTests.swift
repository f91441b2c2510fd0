// `backprop summarize`: mean ± sample standard deviation over runs, grouped
// by model and dataset, from the JSON lines of `train --json`. The expected
// statistics are worked by hand from their definitions.

@testable import BackpropCLI
import Foundation
import Testing

@Suite struct SummarizeTests {
    static let output = """
        ch  model  dataset  train acc  test acc
        1   cnn    digits   100.0%     98.0%
        {"model":"cnn","dataset":"digits","test_accuracy":0.98,"test_loss":0.05,"epochs":40,"seconds":6.5}
        progress lines and tables are skipped
        {"model":"cnn","dataset":"digits","test_accuracy":0.99,"test_loss":0.04,"epochs":40,"seconds":6.7}
        {"model":"cnn","dataset":"digits","test_accuracy":1.0,"test_loss":0.03,"epochs":40,"seconds":6.6}
        {"model":"cnn","dataset":"digits","batch_norm":true,"test_accuracy":0.5,"epochs":40,"seconds":1.3}
        {"model":"mlp","dataset":"digits","test_accuracy":0.97,"epochs":40,"seconds":1.3}
        {"model":"mlp","dataset":"digits","test_accuracy":0.98,"epochs":40,"seconds":1.3}
        """

    @Test("groups runs by their text and yes/no fields; mean and sample standard deviation of what varies, the rest listed once")
    func statistics() throws {
        var groups = try RunGroups([("runs.txt", Self.output)])
        #expect(groups.groups.map(\.model) == ["cnn", "cnn", "mlp"])
        #expect(groups.groups.map(\.runs.count) == [3, 1, 2])
        #expect(groups.groups[1].title == "cnn on digits (batch_norm true)")
        groups.groups.remove(at: 1)
        let cnn = groups.groups[0]
        // 0.98, 0.99, 1.00: mean 0.99; squared deviations 1e-4, 0, 1e-4 over n − 1 = 2: std 0.01.
        let accuracy = try #require(cnn.varying.first { $0.name == "test_accuracy" })
        #expect(abs(accuracy.mean - 0.99) < 1e-12)
        #expect(abs(accuracy.standardDeviation - 0.01) < 1e-12)
        #expect(accuracy.minimum == 0.98 && accuracy.maximum == 1.0)
        // 6.5, 6.7, 6.6: mean 6.6, std 0.1.
        let seconds = try #require(cnn.varying.first { $0.name == "seconds" })
        #expect(abs(seconds.mean - 6.6) < 1e-12 && abs(seconds.standardDeviation - 0.1) < 1e-12)
        #expect(cnn.constant.map(\.0) == ["epochs"])
        // The MLP's two runs: 0.97 and 0.98, std √(2 · 0.005²) = 0.00707…
        let mlp = try #require(groups.groups[1].varying.first { $0.name == "test_accuracy" })
        #expect(abs(mlp.standardDeviation - (0.00005 as Double).squareRoot()) < 1e-12)
        #expect(groups.groups[1].constant.map(\.0) == ["epochs", "seconds"])
        #expect(groups.table.contains("cnn on digits: 3 runs"))
        #expect(groups.table.contains("0.99 ± 0.01"), "\(groups.table)")
        #expect(groups.json.split(separator: "\n").count == 2)
        #expect(groups.json.hasPrefix("{\"model\":\"cnn\",\"dataset\":\"digits\",\"runs\":3,"), "\(groups.json)")
    }

    @Test("a line that starts like JSON but does not parse is an error naming the source and line")
    func badLine() {
        let error = #expect(throws: UsageError.self) {
            _ = try RunGroups([("runs.txt", "{\"model\":\"cnn\"}\n{\"model\": oops}\n")])
        }
        #expect(error?.description.contains("runs.txt, line 2") == true, "\(String(describing: error))")
    }

    @Test("input without any train --json line is an error, not an empty table")
    func nothingToSummarize() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("summarize-\(UUID().uuidString).txt")
        try Data("no json here\n".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let error = #expect(throws: UsageError.self) { try BackpropTool.run(["summarize", file.path]) }
        #expect(error?.description.contains("no `train --json` lines") == true, "\(String(describing: error))")
        let missing = #expect(throws: UsageError.self) { try BackpropTool.run(["summarize", "/nonexistent/runs.txt"]) }
        #expect(missing?.description.contains("cannot read /nonexistent/runs.txt") == true)
    }
}
