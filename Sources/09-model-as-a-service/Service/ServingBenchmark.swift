// ServingBenchmark: `backprop bench serve`. The digits MLP behind the
// service, loaded by closed-loop clients (LoadGenerator):
// - predict, one row per request, at concurrency 1, 8 and 64, with dynamic
//   batching (max 64 rows, 2 ms) and without (one request per forward pass):
//   requests/s, p50 and p99 latency;
// - generate with the toy generator and with chapter 6's char-LSTM (hidden
//   256) and chapter 7's baby GPT (4 layers, width 128, context 64), both
//   randomly initialised (speed does not depend on the weights' values), the
//   GPT with and without its KV cache: tokens/s at 1 and 8 clients, JSON and
//   streamed;
// - predict for 8 busy clients among 64 and 1,024 open, mostly idle
//   connections, and the memory held by 1,024 idle ones (IdleConnectionBenchmark);
// - a sweep of the maximum batch size 1…64 at concurrency 64 for the
//   chapter's figure 09-batching.svg (ServingFigures).
// Every answer is checked against the classifier called directly; wrong or
// failed requests are counted in `errors` (expected 0). Each setting is
// measured three times for a second; the run with the highest throughput is
// reported (the machine's other work only ever lowers it).

import BackpropCore
import Foundation
import RecurrentNetworks
import Transformer

/// One line of `bench serve` output.
public struct ServingBenchRow: Sendable {
    public var kernel: String
    public var shape: String
    public var variant: String
    public var concurrency: Int
    public var load: LoadResult
    /// Tokens per second, for generate rows.
    public var tokensPerSecond: Double?
    /// Mean rows per forward pass, for batched predict rows.
    public var meanBatch: Double?
    /// Further figures (the idle-connection memory row's).
    public var extra: [(String, JSONValue)] = []

    public var json: String {
        func r(_ x: Double, _ digits: Double = 1000) -> JSONValue { x.isFinite ? .number((x * digits).rounded() / digits) : .string("nan") }
        var fields: [(String, JSONValue)] = [
            ("kernel", .string(kernel)), ("shape", .string(shape)), ("variant", .string(variant)),
            ("concurrency", .integer(concurrency)), ("requests", .integer(load.requests)), ("errors", .integer(load.errors)),
            ("rps", r(load.requestsPerSecond, 10)), ("p50_ms", r(load.percentileMs(0.5))), ("p99_ms", r(load.percentileMs(0.99))),
        ]
        if let t = tokensPerSecond { fields.append(("tokens_per_second", .number(t.rounded()))) }
        if let b = meanBatch { fields.append(("mean_batch", r(b, 100))) }
        if !extra.isEmpty { fields = Array(fields.prefix(3)) + extra }
        return JSONValue.object(fields).rendered
    }

    public var tableRow: [String] {
        [kernel, shape, variant, String(concurrency), String(format: "%.0f", load.requestsPerSecond),
         String(format: "%.3f", load.percentileMs(0.5)), String(format: "%.3f", load.percentileMs(0.99)),
         tokensPerSecond.map { String(format: "%.0f", $0) + firstTokenNote } ?? (meanBatch.map { String(format: "batch %.1f", $0) }
            ?? extra.map { "\($0.0) \($0.1.rendered)" }.joined(separator: ", ")),
         String(load.errors)]
    }

    /// ", first token p50/p99 … ms" for the streaming rows; ", … per CPU s" (tokens per CPU second) where measured.
    var firstTokenNote: String {
        let fields = Dictionary(extra.map { ($0.0, $0.1) }, uniquingKeysWith: { a, _ in a })
        let cpu = fields["tokens_per_cpu_second"].map { ", \($0.rendered) per CPU s" } ?? ""
        guard let p50 = fields["ttft_p50_ms"], let p99 = fields["ttft_p99_ms"] else { return cpu }
        return ", first token \(p50.rendered)/\(p99.rendered) ms" + (fields["mean_batch"].map { ", batch \($0.rendered)" } ?? "") + cpu
    }

    public static let tableHeader = ["kernel", "shape", "variant", "clients", "req/s", "p50 ms", "p99 ms", "tok/s | batch", "errors"]
}

/// One point of the batch-size sweep.
public struct BatchSweepPoint: Sendable {
    public var maxBatch: Int
    public var requestsPerSecond: Double
    public var p50Ms: Double
    public var p99Ms: Double
}

public enum ServingBenchmark {
    /// Seconds of load per measurement.
    static func seconds(quick: Bool) -> Double { quick ? 0.3 : 1 }
    /// Measurements per setting; the one with the most requests is kept
    /// (other programs on the machine only ever take throughput away).
    static func repeats(quick: Bool) -> Int { quick ? 1 : 3 }

    /// Pre-rendered predict bodies and the class the classifier gives each.
    struct PredictWorkload: Sendable {
        let bodies: [String]
        let expected: [Int]

        init(_ digits: DemoModels.Digits, count: Int = 256) throws {
            let rows = Array(digits.testInputs.prefix(count))
            bodies = rows.map { JSONValue.object([("inputs", .array([.array($0.map { .number($0) })]))]).rendered }
            expected = try digits.classifier.predict(rows).map(\.class)
        }

        func send(_ client: HTTPClient, _ i: Int) throws -> Bool {
            let k = i % bodies.count
            let response = try client.post("/v1/predict", json: bodies[k])
            guard response.status == 200, let outputs = response.json?["outputs"] as? [[String: Any]],
                  outputs.count == 1, outputs[0]["class"] as? Int == expected[k] else { return false }
            return true
        }
    }

    /// Serves `digits` with `policy`, runs the load, stops the server.
    static func measurePredict(_ digits: DemoModels.Digits, workload: PredictWorkload, policy: DynamicBatcher.Policy,
                               concurrency: Int, seconds: Double, repeats: Int) throws -> (LoadResult, DynamicBatcher.Statistics) {
        var configuration = ModelServerConfiguration()
        configuration.batching = policy
        let server = ModelServer(classifier: digits.classifier, configuration: configuration)
        let port = try server.start()
        defer { server.stop() }
        _ = LoadGenerator.run(port: port, concurrency: concurrency, seconds: min(0.2, seconds)) { try workload.send($0, $1) }  // warm-up
        var best: (LoadResult, DynamicBatcher.Statistics)?
        for _ in 0..<repeats {
            let before = server.batcher!.statistics
            let load = LoadGenerator.run(port: port, concurrency: concurrency, seconds: seconds) { try workload.send($0, $1) }
            var stats = server.batcher!.statistics
            stats.batches -= before.batches
            stats.rows -= before.rows
            if best == nil || load.requestsPerSecond > best!.0.requestsPerSecond { best = (load, stats) }
        }
        return best!
    }

    /// The predict rows for the chapter's digits MLP (and any other models
    /// given, e.g. a wider one whose weights no longer fit in cache), then
    /// the generate rows.
    public static func run(quick: Bool, models given: [DemoModels.Digits]? = nil) throws -> [ServingBenchRow] {
        let models = try given ?? [DemoModels.digits(epochs: quick ? 1 : 10)]
        var rows: [ServingBenchRow] = []
        for digits in models { rows += try predict(quick: quick, digits: digits) }
        if let digits = models.first { rows += try idleConnections(quick: quick, digits: digits) }
        rows += try generate(quick: quick)
        for (label, generator) in try languageModels() {
            rows += try generate(quick: quick, generator: generator, label: label)
        }
        return rows
    }

    /// tinyshakespeare's 65 characters.
    static let shakespeareCharacters = "\n !$&',-.3:;?" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + "abcdefghijklmnopqrstuvwxyz"

    /// Randomly initialised, book-sized chapter 6–7 models: the char-LSTM
    /// (embedding 64, hidden 256) and the baby GPT with and without the KV cache.
    public static func languageModels(seed: UInt64 = 707) throws -> [(label: String, generator: any TextGenerating)] {
        let vocabulary = try CharacterVocabulary(characters: Array(shakespeareCharacters))
        var rng = SeededRandom(seed: seed)
        let lstm = try CharRNN(CharRNNConfig(cell: .lstm, embeddingSize: 64, hiddenSize: 256), vocabulary: vocabulary, rng: &rng)
        let gpt = try GPT<Float>(config: GPTConfig(vocabulary: vocabulary, context: 64, layers: 4, heads: 4, width: 128), seed: seed)
        return [("char-rnn lstm 256", CharRNNGenerator(model: lstm)),
                ("gpt 4×128 ctx 64, KV cache", GPTGenerator(model: gpt, usesKVCache: true)),
                ("gpt 4×128 ctx 64, no cache", GPTGenerator(model: gpt, usesKVCache: false))]
    }

    /// Predict at concurrency 1, 8 and 64, batched and unbatched.
    public static func predict(quick: Bool, digits: DemoModels.Digits) throws -> [ServingBenchRow] {
        let workload = try PredictWorkload(digits)
        let shape = "digits MLP \(digits.architecture), 1 row/request"
        var rows: [ServingBenchRow] = []
        for concurrency in [1, 8, 64] {
            for (variant, policy) in [("batched", DynamicBatcher.Policy()), ("unbatched", DynamicBatcher.Policy.unbatched())] {
                let (load, stats) = try measurePredict(digits, workload: workload, policy: policy, concurrency: concurrency,
                                                       seconds: seconds(quick: quick), repeats: repeats(quick: quick))
                rows.append(ServingBenchRow(kernel: "serve_predict", shape: shape, variant: variant, concurrency: concurrency,
                                            load: load, meanBatch: Double(stats.rows) / Double(max(stats.batches, 1))))
            }
        }
        return rows
    }

    /// Tokens per second through /v1/generate (by default with the toy generator).
    public static func generate(quick: Bool, generator: any TextGenerating = ToyTextGenerator(), label: String? = nil,
                                maxTokens: Int = 128) throws -> [ServingBenchRow] {
        let server = ModelServer(generator: generator)
        let port = try server.start()
        defer { server.stop() }
        var rows: [ServingBenchRow] = []
        for concurrency in [1, 8] {
            for stream in [false, true] {
                let body = "{\"prompt\":\"a\",\"max_tokens\":\(maxTokens),\"temperature\":0.8,\"seed\":7,\"stream\":\(stream)}"
                let load = (0..<repeats(quick: quick)).map { _ in
                    LoadGenerator.run(port: port, concurrency: concurrency, seconds: seconds(quick: quick)) { client, _ in
                        try client.post("/v1/generate", json: body).status == 200
                    }
                }.max { $0.requests < $1.requests }!
                rows.append(ServingBenchRow(kernel: "serve_generate", shape: "\(label ?? generator.info.kind), \(maxTokens) tokens/request",
                                            variant: stream ? "stream" : "json", concurrency: concurrency, load: load,
                                            tokensPerSecond: Double(load.requests * maxTokens) / load.seconds))
            }
        }
        return rows
    }

    /// Throughput and latency against the maximum batch size, at `concurrency` clients.
    public static func batchSweep(quick: Bool, digits given: DemoModels.Digits? = nil, concurrency: Int = 64,
                                  sizes: [Int] = [1, 2, 4, 8, 16, 32, 64]) throws -> [BatchSweepPoint] {
        let digits = try given ?? DemoModels.digits(epochs: quick ? 1 : 10)
        let workload = try PredictWorkload(digits)
        return try sizes.map { size in
            let (load, _) = try measurePredict(digits, workload: workload, policy: DynamicBatcher.Policy(maxBatchRows: size),
                                               concurrency: concurrency, seconds: seconds(quick: quick),
                                               repeats: repeats(quick: quick))
            return BatchSweepPoint(maxBatch: size, requestsPerSecond: load.requestsPerSecond,
                                   p50Ms: load.percentileMs(0.5), p99Ms: load.percentileMs(0.99))
        }
    }
}
