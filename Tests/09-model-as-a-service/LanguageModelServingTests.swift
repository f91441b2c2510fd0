// Chapters 6 and 7's language models behind the service: a char-rnn and a GPT
// checkpoint go through the registry into a server, and /v1/generate answers
// (plain and streamed) exactly what the model itself generates with the same
// seed; a prompt character outside the vocabulary is a 400 naming it;
// concurrent requests each keep their own state; and the registry's model
// computes bit for bit what the saved one did.

import BackpropCore
import Foundation
import Storage
import RecurrentNetworks
import Testing
import Transformer
@testable import ModelAsAService

@Suite struct LanguageModelServingTests {
    static let vocabulary = try! CharacterVocabulary(text: "\nabcdefgh .,!")

    /// A tiny seeded model of `kind`, and its own generate (not the adapter's).
    static func model(_ kind: String) throws -> (checkpoint: Checkpoint, generate: @Sendable (String, Int, SamplingOptions, UInt64) throws -> String) {
        if kind == "char-rnn" {
            var rng = SeededRandom(seed: 711)
            let m = try CharRNN(CharRNNConfig(cell: .lstm, embeddingSize: 4, hiddenSize: 8), vocabulary: vocabulary, rng: &rng)
            return (m.checkpoint(), { prompt, n, sampling, seed in
                var r = SeededRandom(seed: seed)
                return try m.generate(prompt: prompt, maxTokens: n, sampling: sampling, rng: &r) { _ in }
            })
        }
        let m = try GPT<Float>(config: GPTConfig(vocabulary: vocabulary, context: 8, layers: 2, heads: 2, width: 8), seed: 712)
        return (m.checkpoint(), { prompt, n, sampling, seed in
            var r = SeededRandom(seed: seed)
            return try m.generate(prompt: prompt, maxTokens: n, sampling: sampling, rng: &r) { _ in }
        })
    }

    /// The checkpoint, through the file format and the registry, as a generator.
    static func served(_ checkpoint: Checkpoint) throws -> any TextGenerating {
        guard case .generator(let g) = try ModelRegistry.decodeAndLoad(try checkpoint.encoded()) else {
            throw CheckpointError.malformed(path: "", reason: "not a generator")
        }
        return g
    }

    /// A server of the checkpoint alone, as `backprop serve --model` runs it, on an ephemeral loopback port.
    static func serve(_ checkpoint: Checkpoint) throws -> (ModelServer, Int) {
        let server = try ModelServer(model: ModelRegistry.decodeAndLoad(try checkpoint.encoded()))
        return (server, try server.start(host: "127.0.0.1", port: 0))
    }

    @Test("checkpoint → registry → /v1/generate gives the model's own text; streamed tokens concatenate to it",
          arguments: ["char-rnn", "gpt"])
    func generateMatchesTheModel(kind: String) throws {
        let (checkpoint, generate) = try Self.model(kind)
        let (server, port) = try Self.serve(checkpoint)
        defer { server.stop() }
        let client = try HTTPClient(port: port)
        let body = #"{"prompt": "ab c", "max_tokens": 14, "temperature": 1.1, "top_k": 6, "seed": 713}"#
        let response = try client.post("/v1/generate", json: body)
        #expect(response.status == 200)
        let text = try #require(response.json?["text"] as? String)
        let expected = try generate("ab c", 14, SamplingOptions(temperature: 1.1, topK: 6), 713)
        #expect(text == expected && text.count == 14)
        #expect(text != (try generate("ab c", 14, SamplingOptions(temperature: 1.1, topK: 6), 714)))  // the seed matters

        let streamed = try client.post("/v1/generate", json: body.replacingOccurrences(of: "}", with: #", "stream": true}"#))
        let events = serverSentEvents(streamed.text)
        #expect(events.count == 15 && events.last?.event == "done")
        #expect(events.dropLast().map { $0.data["token"] as? String ?? "?" }.joined() == expected)
        #expect(events.last?.data["text"] as? String == expected)

        let greedy = try client.post("/v1/generate", json: #"{"prompt": "", "max_tokens": 5, "temperature": 0}"#)
        #expect(greedy.json?["text"] as? String == (try generate("", 5, .greedy, 0)))

        let description = try #require(try client.get("/v1/model").json)
        #expect(description["kind"] as? String == kind)
        #expect((description["config"] as? [String: Any])?["vocabulary"] as? String == Self.vocabulary.string)
        #expect(description["parameters"] as? Int == checkpoint.tensors.reduce(0) { $0 + $1.tensor.count })
    }

    @Test("a prompt character outside the vocabulary is a 400 naming it, plain or streamed", arguments: ["char-rnn", "gpt"])
    func unknownCharacter(kind: String) throws {
        let (server, port) = try Self.serve(try Self.model(kind).checkpoint)
        defer { server.stop() }
        let client = try HTTPClient(port: port)
        for stream in [false, true] {
            let response = try client.post("/v1/generate", json: #"{"prompt": "abZc", "max_tokens": 3, "stream": \#(stream)}"#)
            #expect(response.status == 400)
            let message = try #require(response.json?["error"] as? String)
            #expect(message.contains(#""Z""#) && message.contains("vocabulary"), "\(message)")
        }
        #expect(try client.post("/v1/generate", json: #"{"prompt": "abc", "max_tokens": 3}"#).status == 200)
    }

    @Test("concurrent generate requests each keep their own state", arguments: ["char-rnn", "gpt"])
    func concurrentRequests(kind: String) throws {
        let (checkpoint, generate) = try Self.model(kind)
        let (server, port) = try Self.serve(checkpoint)
        defer { server.stop() }
        let texts = try concurrently(8) { i in
            let r = try HTTPClient(port: port).post(
                "/v1/generate", json: #"{"prompt": "\#(["a", "bc", "h.", "d e"][i % 4])", "max_tokens": 12, "temperature": 1, "seed": \#(720 + i), "stream": \#(i % 2 == 1)}"#)
            if i % 2 == 1 { return serverSentEvents(r.text).last?.data["text"] as? String ?? "?" }
            return r.json?["text"] as? String ?? "?"
        }
        for (i, text) in texts.enumerated() {
            #expect(text == (try generate(["a", "bc", "h.", "d e"][i % 4], 12, SamplingOptions(temperature: 1), UInt64(720 + i))))
        }
    }

    @Test("the registry's models compute bit for bit what the saved ones did; GPT without the cache gives the same text")
    func loadedModelsAreBitExact() throws {
        let (rnnCheckpoint, _) = try Self.model("char-rnn")
        let rnn = try #require(try Self.served(rnnCheckpoint) as? CharRNNGenerator)
        let original = try CharRNN(checkpoint: rnnCheckpoint)
        for (a, b) in zip(rnn.model.parameters, original.parameters) { #expect(a.value.scalars == b.value.scalars) }
        #expect(rnn.model.parameters.count == original.parameters.count)

        let (gptCheckpoint, generate) = try Self.model("gpt")
        let gpt = try #require(try Self.served(gptCheckpoint) as? GPTGenerator)
        let saved = try GPT<Float>(checkpoint: gptCheckpoint)
        let tokens = try Self.vocabulary.encode("abc defgh,!")
        #expect(try gpt.model.logitsAfterEachToken(tokens, useKVCache: true) == saved.logitsAfterEachToken(tokens, useKVCache: true))
        var uncached = gpt
        uncached.usesKVCache = false
        var rng = SeededRandom(seed: 730)
        let text = try uncached.generate(prompt: "ab", maxTokens: 12, sampling: SamplingOptions(temperature: 1), rng: &rng) { _ in }
        #expect(text == (try generate("ab", 12, SamplingOptions(temperature: 1), 730)))
    }

    @Test("the char-LSTM reads a long prompt in chunks: the model's own text, and a cancel stops the reading")
    func charRNNReadsLongPromptsInChunks() throws {
        let (checkpoint, generate) = try Self.model("char-rnn")
        let rnn = try #require(try Self.served(checkpoint) as? CharRNNGenerator)
        let prompt = String(repeating: "abc defgh,!\n", count: 70)  // 910 characters: four chunks of at most 256
        var rng = SeededRandom(seed: 731)
        let text = try rnn.generate(prompt: prompt, maxTokens: 20, sampling: SamplingOptions(temperature: 1), rng: &rng,
                                    isCancelled: { false }) { _ in }
        #expect(text == (try generate(prompt, 20, SamplingOptions(temperature: 1), 731)))
        var asked = 0
        #expect(throws: ServingError.cancelled) {
            try rnn.generate(prompt: prompt, maxTokens: 20, sampling: SamplingOptions(temperature: 1), rng: &rng,
                             isCancelled: { asked += 1; return asked > 2 }) { _ in }
        }
        #expect(asked == 3)  // stopped before the third chunk
    }

    @Test("a config that disagrees with the tensors is refused before the model is built")
    func inconsistentConfigs() throws {
        for (kind, key, value) in [("gpt", "width", JSONValue.integer(1_000_000)), ("gpt", "layers", .integer(50_000)),
                                   ("char-rnn", "hidden", .integer(1_000_000)), ("gpt", "heads", .integer(3))] {
            var c = try Self.model(kind).checkpoint
            c.config.removeAll { $0.0 == key }
            c.config.append((key, value))
            let error = #expect(throws: CheckpointError.self) { try ModelRegistry.load(c, path: "m.ckpt") }
            #expect(error?.description.contains("m.ckpt") == true || key == "heads", "\(String(describing: error))")
        }
    }
}
