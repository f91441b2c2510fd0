// Shared pieces of the server tests: a tiny classifier, a classifier that
// records or delays its batches, a server started on an ephemeral loopback
// port, and threads that run clients at the same time.

import BackpropCore
import Foundation
import Storage
import Backpropagation
@testable import ModelAsAService

/// An 8-16-4 ReLU MLP (seeded) with classes "w"…"z", loaded from its checkpoint.
func tinyClassifier() throws -> NetworkClassifier {
    let model: Sequential<Float> = try MultilayerPerceptron.make(inputs: 8, hidden: [16], outputs: 4, seed: 701)
    return try NetworkClassifier.mlp(MLPClassifier(
        model: model, inputs: 8, hidden: [16], outputs: 4, activation: .relu, dropout: 0, classNames: ["w", "x", "y", "z"],
        preprocessing: .none).checkpoint())
}

/// Seeded random input rows of width 8.
func randomRows(_ count: Int, seed: UInt64) -> [[Double]] {
    var rng = SeededRandom(seed: seed)
    return (0..<count).map { _ in (0..<8).map { _ in rng.uniform(-2, 2) } }
}

/// `{"inputs": rows}`
func predictBody(_ rows: [[Double]]) -> String {
    JSONValue.object([("inputs", .array(rows.map { .array($0.map { .number($0) }) }))]).rendered
}

/// Wraps a classifier: records each batch's row count, optionally sleeps per
/// batch, and signals `started` when a batch begins.
final class InstrumentedClassifier: Classifier, @unchecked Sendable {
    let inner: any Classifier
    let delay: Double
    let batchSizes = LockedValue<[Int]>([])
    let started = DispatchSemaphore(value: 0)

    init(_ inner: any Classifier, delay: Double = 0) {
        self.inner = inner
        self.delay = delay
    }

    var inputWidth: Int { inner.inputWidth }
    var info: ModelInfo { inner.info }
    var classNames: [String] { inner.classNames }

    func predict(_ batch: [[Double]]) throws -> [ClassPrediction] {
        batchSizes.update { $0.append(batch.count) }
        started.signal()
        if delay > 0 { Thread.sleep(forTimeInterval: delay) }
        return try inner.predict(batch)
    }
}

/// A server on 127.0.0.1 with an ephemeral port; call `stop()` when done.
func startServer(classifier: (any Classifier)? = nil, generator: (any TextGenerating)? = ToyTextGenerator(),
                 configure: (inout ModelServerConfiguration) -> Void = { _ in }) throws -> (ModelServer, Int) {
    var configuration = ModelServerConfiguration()
    configuration.http.readTimeout = 2
    configuration.http.drainTimeout = 5
    configure(&configuration)
    let server = ModelServer(classifier: try classifier ?? tinyClassifier(), generator: generator, configuration: configuration)
    let port = try server.start(host: "127.0.0.1", port: 0)
    return (server, port)
}

/// Runs `body(i)` for i in 0..<count on `count` threads at once; returns the
/// results in order (or the first error), waiting at most `timeout` seconds.
func concurrently<T: Sendable>(_ count: Int, timeout: Double = 20, _ body: @escaping @Sendable (Int) throws -> T) throws -> [T] {
    let results = LockedValue<[Int: Result<T, Error>]>([:])
    let group = DispatchGroup()
    for i in 0..<count {
        group.enter()
        let thread = Thread {
            let r = Result { try body(i) }
            results.update { $0[i] = r }
            group.leave()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
    guard group.wait(timeout: .now() + timeout) == .success else { throw HTTPClientError.timeout(timeout) }
    let all = results.get()
    return try (0..<count).map { try all[$0]!.get() }
}

/// The server-sent events in a body: (event name or "message", data JSON).
func serverSentEvents(_ text: String) -> [(event: String, data: [String: Any])] {
    text.components(separatedBy: "\n\n").compactMap { block in
        guard !block.isEmpty else { return nil }
        var event = "message"
        var data = ""
        for line in block.split(separator: "\n") {
            if line.hasPrefix("event: ") { event = String(line.dropFirst(7)) }
            if line.hasPrefix("data: ") { data = String(line.dropFirst(6)) }
        }
        guard let json = (try? JSONSerialization.jsonObject(with: Data(data.utf8))) as? [String: Any] else { return nil }
        return (event, json)
    }
}

/// The probabilities of an output object.
func probabilities(_ output: [String: Any]) -> [Double] {
    (output["probabilities"] as? [Any] ?? []).compactMap { ($0 as? NSNumber)?.doubleValue }
}

/// Each output's probabilities in a predict response, read with the
/// checkpoints' JSON parser, which reads every number exactly
/// (JSONSerialization may be off in the last digit).
func exactProbabilities(_ response: HTTPClientResponse) throws -> [[Double]] {
    let outputs = try JSONParser.parse(response.body)["outputs"]?.arrayValue ?? []
    return outputs.map { ($0["probabilities"]?.arrayValue ?? []).compactMap(\.doubleValue) }
}
