// Continuous batching (ContinuousBatcher.swift): requests that join and
// leave the batch at different steps each get exactly the text the GPT's
// own `generate` gives alone for their prompt, options and seed; a client
// that leaves is retired without disturbing the others; and the served
// routes answer the same text as without batching.

import BackpropCore
import Foundation
import RecurrentNetworks
import Testing
import Transformer
@testable import ModelAsAService

@Suite struct ContinuousBatchingTests {
    static let vocabulary = try! CharacterVocabulary(text: "\nabcdefgh .,!")

    /// Width 16 with heads of 8: the SIMD attention kernel; context 8, so long generations slide their windows.
    static let model = try! GPT<Float>(config: GPTConfig(vocabulary: vocabulary, context: 8, layers: 2, heads: 2, width: 16), seed: 721)

    /// The model's own text, alone.
    static func alone(_ prompt: String, _ n: Int, _ sampling: SamplingOptions, _ seed: UInt64) throws -> String {
        var rng = SeededRandom(seed: seed)
        return try model.generate(prompt: prompt, maxTokens: n, sampling: sampling, rng: &rng) { _ in }
    }

    struct Job: Sendable {
        let prompt: String, tokens: Int, sampling: SamplingOptions, seed: UInt64
    }

    /// Seven requests with different prompts (one empty, one longer than the
    /// context), lengths (0 to 40 tokens) and sampling, against a batcher of
    /// at most 3 sequences that reads one prompt per step: they are admitted
    /// as others retire, one per step, and leave at different steps.
    static let jobs: [Job] = [
        Job(prompt: "ab c", tokens: 30, sampling: try! SamplingOptions(temperature: 1.1, topK: 6), seed: 1),
        Job(prompt: "", tokens: 12, sampling: .greedy, seed: 2),
        Job(prompt: "had a bad egg, cab!", tokens: 40, sampling: try! SamplingOptions(temperature: 0.7), seed: 3),
        Job(prompt: "a", tokens: 1, sampling: try! SamplingOptions(temperature: 1), seed: 4),
        Job(prompt: "deaf", tokens: 0, sampling: try! SamplingOptions(temperature: 1), seed: 5),
        Job(prompt: "h", tokens: 25, sampling: try! SamplingOptions(temperature: 1.3, topK: 3), seed: 6),
        Job(prompt: "cabbage", tokens: 17, sampling: try! SamplingOptions(temperature: 0.9), seed: 7),
    ]

    @Test("Requests admitted and retired at different steps each get the text the model generates alone")
    func sameTextAsAlone() throws {
        let generator = ContinuousGPTGenerator(GPTGenerator(model: Self.model),
                                               policy: .init(maxActive: 3, prefillTokensPerStep: 1))
        let results = LockedValue<[Int: (String, String, SeededRandom)]>([:])
        DispatchQueue.concurrentPerform(iterations: Self.jobs.count) { i in
            let job = Self.jobs[i]
            var rng = SeededRandom(seed: job.seed)
            var streamed = ""
            let text = (try? generator.generate(prompt: job.prompt, maxTokens: job.tokens, sampling: job.sampling, rng: &rng) {
                streamed += $0
            }) ?? "failed"
            results.update { $0[i] = (text, streamed, rng) }
        }
        let got = results.get()
        for (i, job) in Self.jobs.enumerated() {
            var rng = SeededRandom(seed: job.seed)
            let expected = try Self.model.generate(prompt: job.prompt, maxTokens: job.tokens, sampling: job.sampling, rng: &rng) { _ in }
            #expect(got[i]?.0 == expected && got[i]?.1 == expected, "request \(i)")
            var after = try #require(got[i]).2
            #expect(after.next() == rng.next(), "request \(i): the rng continues where generation alone leaves it")
        }
        let stats = generator.batchingStatistics
        #expect(stats.admitted == Self.jobs.count && stats.active == 0 && stats.waiting == 0)
        // Every sampled token but each request's last is one row of a step.
        #expect(stats.rows == Self.jobs.map { max(0, $0.tokens - 1) }.reduce(0, +))
    }

    /// One wake-up per token, and (almost) none: 1,000 tokens per wake-up
    /// and 10 s of delay, so after the first token the client's thread
    /// takes its tokens only when it looks by itself (every 50 ms) or at the end.
    @Test("However rarely the client's thread is woken, it receives every token, in order", arguments: [1, 1000])
    func wakeUps(tokensPerWake: Int) throws {
        let batcher = ContinuousBatcher(model: Self.model, policy: .init(maxActive: 4, tokensPerWake: tokensPerWake, maxWakeDelay: 10))
        let job = Self.jobs[2]
        var rng = SeededRandom(seed: job.seed)
        var streamed: [Int] = [], pausedAfter: [Int] = []
        let tokens = try batcher.generate(prompt: try Self.vocabulary.encode(job.prompt), maxTokens: job.tokens, sampling: job.sampling,
                                          rng: &rng, onToken: { streamed.append($0) }, onPause: { pausedAfter.append(streamed.count) })
        #expect(try Self.vocabulary.decode(tokens) == (try Self.alone(job.prompt, job.tokens, job.sampling, job.seed)))
        #expect(streamed == tokens)
        // A pause follows each group handed over (the caller's cue to send it): never
        // an empty group, and the last one after the last token.
        #expect((pausedAfter.first ?? 0) >= 1)
        #expect(zip(pausedAfter, pausedAfter.dropFirst()).allSatisfy { $0 < $1 })
        #expect(pausedAfter.last == tokens.count)
    }

    @Test("A client that leaves is retired with ServingError.cancelled; the others' text is unchanged")
    func cancellation() throws {
        let generator = ContinuousGPTGenerator(GPTGenerator(model: Self.model), policy: .init(maxActive: 4))
        let outcomes = LockedValue<[Int: Result<String, ServingError>]>([:])
        DispatchQueue.concurrentPerform(iterations: 3) { i in
            var rng = SeededRandom(seed: 30 + UInt64(i))
            var count = 0
            do {
                let text = try generator.generate(prompt: "bad", maxTokens: 20, sampling: try SamplingOptions(temperature: 1), rng: &rng,
                                                  isCancelled: { i == 1 && count >= 3 }) { _ in count += 1 }
                outcomes.update { $0[i] = .success(text) }
            } catch let error as ServingError {
                outcomes.update { $0[i] = .failure(error) }
            } catch {
                outcomes.update { $0[i] = .failure(.invalidInput("\(error)")) }
            }
        }
        let got = outcomes.get()
        for i in [0, 2] {
            #expect(got[i] == .success(try Self.alone("bad", 20, try SamplingOptions(temperature: 1), 30 + UInt64(i))))
        }
        #expect(got[1] == .failure(.cancelled))
        // The scheduler retires it before its next step and ends once the others are done.
        let deadline = Date().addingTimeInterval(5)
        while generator.batchingStatistics.active != 0 && Date() < deadline { usleep(1000) }
        #expect(generator.batchingStatistics.active == 0)
    }

    @Test("Served with continuous batching, /v1/generate (plain and streamed) answers the model's own text; /metrics shows the batcher")
    func served() throws {
        let generator = GenerationBatching.continuous.apply(to: GPTGenerator(model: Self.model), maxActive: 8)
        #expect(generator is ContinuousGPTGenerator)
        #expect(GenerationBatching.off.apply(to: GPTGenerator(model: Self.model), maxActive: 8) is GPTGenerator)
        let server = ModelServer(generator: generator)
        let port = try server.start(host: "127.0.0.1", port: 0)
        defer { server.stop() }
        let client = try HTTPClient(port: port)
        let body = #"{"prompt": "ab c", "max_tokens": 14, "temperature": 1.1, "top_k": 6, "seed": 713}"#
        let expected = try Self.alone("ab c", 14, SamplingOptions(temperature: 1.1, topK: 6), 713)
        #expect(try client.post("/v1/generate", json: body).json?["text"] as? String == expected)
        let streamed = try client.post("/v1/generate", json: body.replacingOccurrences(of: "}", with: #", "stream": true}"#))
        let events = serverSentEvents(streamed.text)
        #expect(events.dropLast().map { $0.data["token"] as? String ?? "?" }.joined() == expected)
        #expect(events.last?.event == "done" && events.last?.data["text"] as? String == expected)
        let completion = try client.post("/v1/completions", json: #"{"model": "gpt", "prompt": "ab c", "max_tokens": 14, "temperature": 1.1, "seed": 713}"#)
        let choices = try #require(completion.json?["choices"] as? [[String: Any]])
        #expect(choices.first?["text"] as? String == (try Self.alone("ab c", 14, SamplingOptions(temperature: 1.1), 713)))
        // top_p runs outside the batch, through GPTGenerator's own stepping: the same answer as without batching.
        let nucleus = #"{"model": "gpt", "prompt": "ab c", "max_tokens": 9, "temperature": 1.1, "top_p": 0.8, "seed": 9}"#
        let unbatched = ModelServer(generator: GPTGenerator(model: Self.model))
        let unbatchedPort = try unbatched.start(host: "127.0.0.1", port: 0)
        defer { unbatched.stop() }
        let reference = try HTTPClient(port: unbatchedPort).post("/v1/completions", json: nucleus)
        let viaBatcher = try client.post("/v1/completions", json: nucleus)
        #expect(viaBatcher.status == 200 && reference.status == 200)
        #expect((viaBatcher.json?["choices"] as? [[String: Any]])?.first?["text"] as? String
                == (reference.json?["choices"] as? [[String: Any]])?.first?["text"] as? String)
        let metrics = try client.get("/metrics").text
        #expect(metrics.contains("backprop_batching_admitted_total 3") && metrics.contains("backprop_batching_active_sequences 0"))
    }
}
