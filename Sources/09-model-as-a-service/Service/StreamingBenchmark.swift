// StreamingBenchmark: `backprop bench serve`'s generation rows for
// continuous batching. The baby GPT (4 layers, width 128, context 64,
// randomly initialised: speed does not depend on the weights' values)
// behind /v1/generate, streamed, at 1, 8, 32 and 128 closed-loop clients each
// asking for N tokens at a time (1,024; 256 with --quick):
//
//   off         one request per slot (one per core), each its own decoding loop
//   continuous  every running stream in one batched step (ContinuousBatcher)
//
// Reported: total tokens per second, and the time to first token (from
// sending the request to reading its first event) at the median and the
// 99th percentile, over every request of the run; and tokens per CPU
// second of the whole process (server and clients), which on a machine
// shared with other jobs says what the run cost when wall time cannot. All clients start at
// once, so the first requests meet the whole burst. Each row is one run
// of `seconds` (at least one request per client).

import BackpropCore
import Dispatch
import Foundation
import RecurrentNetworks
import Transformer

extension ServingBenchmark {
    /// The baby GPT of `languageModels`, with its KV cache.
    static func babyGPT(seed: UInt64 = 707) throws -> GPTGenerator {
        let vocabulary = try CharacterVocabulary(characters: Array(shakespeareCharacters))
        return GPTGenerator(model: try GPT<Float>(config: GPTConfig(vocabulary: vocabulary, context: 64, layers: 4, heads: 4, width: 128),
                                                  seed: seed))
    }

    /// Streamed generation, batching off and continuous, at `concurrencies` clients.
    public static func streams(quick: Bool, concurrencies: [Int] = [1, 8, 32, 128], tokens: Int? = nil) throws -> [ServingBenchRow] {
        let n = tokens ?? (quick ? 256 : 1024)
        let gpt = try babyGPT()
        var rows: [ServingBenchRow] = []
        for mode in [GenerationBatching.off, .continuous] {
            for concurrency in concurrencies {
                var configuration = ModelServerConfiguration()
                // Continuous: the server's 64 places, or one per stream beyond 64; off: one slot per core.
                // Every client's request may wait (off at 128 streams waits for ~60 generations of the slots).
                configuration.maxActiveGenerations = mode == .continuous ? max(64, concurrency) : configuration.maxActiveGenerations
                configuration.maxWaitingGenerations = max(configuration.maxWaitingGenerations, concurrency)
                configuration.http.queueTimeout = max(configuration.http.queueTimeout, 120)
                let generator = mode.apply(to: gpt, maxActive: configuration.maxActiveGenerations)
                let server = ModelServer(generator: generator, configuration: configuration)
                let port = try server.start()
                defer { server.stop() }
                let body = "{\"prompt\":\"ROMEO:\",\"max_tokens\":\(n),\"temperature\":0.8,\"top_k\":20,\"seed\":7,\"stream\":true}"
                let firstTokens = LockedValue<[Double]>([])
                let cpu0 = processCPUSeconds()
                let load = LoadGenerator.run(port: port, concurrency: concurrency, seconds: quick ? 0.5 : 2, timeout: 120) { client, _ in
                    let t0 = DispatchTime.now()
                    let response = try client.post("/v1/generate", json: body)
                    guard response.status == 200, let first = response.firstChunkAt,
                          serverSentEventCount(response.body) == n + 1 else { return false }
                    firstTokens.update { $0.append(Double(first.uptimeNanoseconds - t0.uptimeNanoseconds) / 1e9) }
                    return true
                }
                let cpu = processCPUSeconds() - cpu0
                let ttft = firstTokens.get().sorted()
                let stats = (generator as? any ContinuouslyBatching)?.batchingStatistics
                let tokensPerSecond = Double(load.requests * n) / load.seconds
                var extra: [(String, JSONValue)] = [
                    ("concurrency", .integer(concurrency)), ("requests", .integer(load.requests)), ("errors", .integer(load.errors)),
                    ("tokens_per_second", .number(tokensPerSecond.rounded())),
                    ("ttft_p50_ms", .number(percentile(ttft, 0.5))), ("ttft_p99_ms", .number(percentile(ttft, 0.99))),
                    // Server and clients together (one process): tokens per CPU second of all its threads.
                    ("tokens_per_cpu_second", .number((Double(load.requests * n) / cpu).rounded())),
                ]
                if let stats, stats.steps > 0 {
                    extra.append(("mean_batch", .number((Double(stats.rows) / Double(stats.steps) * 10).rounded() / 10)))
                }
                rows.append(ServingBenchRow(kernel: "serve_stream", shape: "gpt 4×128 ctx 64, \(n) tokens/request",
                                            variant: mode.rawValue, concurrency: concurrency, load: load,
                                            tokensPerSecond: tokensPerSecond, extra: extra))
            }
        }
        return rows
    }

    /// Rows of several runs of `streams`, one per mode and concurrency, with
    /// the median over the runs of tokens per second, of the time to first
    /// token's p50 and of tokens per CPU second (the figure's three panels).
    public static func medians(_ runs: [[ServingBenchRow]]) -> [ServingBenchRow] {
        func median(_ xs: [Double]) -> Double {
            let s = xs.filter(\.isFinite).sorted()
            return s.isEmpty ? .nan : s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        }
        func field(_ name: String, _ row: ServingBenchRow) -> Double {
            for (key, value) in row.extra where key == name { if case .number(let x) = value { return x } }
            return .nan
        }
        guard let first = runs.first else { return [] }
        return first.map { row in
            let same = runs.compactMap { $0.first { $0.variant == row.variant && $0.concurrency == row.concurrency } }
            var out = row
            out.tokensPerSecond = median(same.compactMap(\.tokensPerSecond))
            out.extra = [("concurrency", .integer(row.concurrency)), ("runs", .integer(same.count)),
                         ("tokens_per_second", .number(out.tokensPerSecond!.rounded())),
                         ("ttft_p50_ms", .number(median(same.map { field("ttft_p50_ms", $0) }))),
                         ("tokens_per_cpu_second", .number(median(same.map { field("tokens_per_cpu_second", $0) })))]
            return out
        }
    }

    /// The q-quantile (nearest rank) of sorted seconds, in milliseconds to 0.1.
    static func percentile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let rank = min(max(Int((q * Double(sorted.count)).rounded(.up)) - 1, 0), sorted.count - 1)
        return (sorted[rank] * 10_000).rounded() / 10
    }

    /// Events in a server-sent-event body (blank-line separated).
    static func serverSentEventCount(_ body: [UInt8]) -> Int {
        String(decoding: body, as: UTF8.self).components(separatedBy: "\n\n").filter { !$0.isEmpty }.count
    }
}

extension ServingBenchmark {
    /// Decoding steps without HTTP: B sequences advanced by B one-row
    /// `decodeStep`s, by one batched step on the calling thread, or by one
    /// batched step split between the two cores (BatchedStepSplit, from 8
    /// rows); tokens per second of the model alone (windows sliding as in
    /// generation: every sequence starts at once, so all slide together).
    public static func decodeSteps(quick: Bool, batches: [Int] = [1, 8, 32, 128]) throws -> [ServingBenchRow] {
        let model = try babyGPT().model
        var rows: [ServingBenchRow] = []
        let split = BatchedStepSplit.minimumRows
        defer { BatchedStepSplit.minimumRows = split }
        for b in batches {
            let variants = b >= split ? ["one by one", "batched, one core", "batched"] : ["one by one", "batched"]
            for variant in variants {
                BatchedStepSplit.minimumRows = variant == "batched" ? split : Int.max
                var decoders = (0..<b).map { _ in GPTDecoder(model: model) }
                for i in 0..<b { _ = try decoders[i].append(contentsOf: [1 + i % 7]) }
                let steps = (quick ? 64 : 256) * max(1, 32 / b)
                let t0 = DispatchTime.now().uptimeNanoseconds, cpu0 = threadCPUSeconds()
                for s in 0..<steps {
                    let tokens = (0..<b).map { (s * 7 + $0 * 3) % 60 }
                    if variant == "one by one" {
                        for i in 0..<b { _ = try decoders[i].append(tokens[i]) }
                    } else {
                        _ = try GPTDecoder.append(tokens, to: &decoders)
                    }
                }
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9, cpu = threadCPUSeconds() - cpu0
                let load = LoadResult(requests: steps, errors: 0, seconds: seconds, latencies: [seconds / Double(steps)])
                let tokensPerSecond = Double(steps * b) / seconds
                // The stepping thread's own CPU time: on a shared machine, wall time also counts the
                // time other processes held the core. (The split step's helper is not counted.)
                let extra: [(String, JSONValue)] = [
                    ("concurrency", .integer(b)), ("steps", .integer(steps)), ("tokens_per_second", .number(tokensPerSecond.rounded())),
                    ("tokens_per_cpu_second", .number((Double(steps * b) / cpu).rounded())),
                ]
                rows.append(ServingBenchRow(kernel: "decode_step", shape: "gpt 4×128 ctx 64, \(b) sequences",
                                            variant: variant, concurrency: b, load: load,
                                            tokensPerSecond: tokensPerSecond, extra: extra))
            }
        }
        return rows
    }
}

/// CPU seconds of all the process's threads (CLOCK_PROCESS_CPUTIME_ID).
func processCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

/// CPU seconds the calling thread has run (CLOCK_THREAD_CPUTIME_ID).
func threadCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}
