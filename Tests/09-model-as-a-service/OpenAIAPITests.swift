// The OpenAI wire format over loopback (issue 20, item 6): /v1/models (and /v1/models/{id}),
// /v1/completions and /v1/chat/completions, plain and streamed, with usage,
// max_tokens, temperature, top_p, stop, seed, n and OpenAI's error object.
// The answers are checked against the models called directly.

import BackpropCore
import Foundation
import RecurrentNetworks
import TokensAndTheModernLLM
import Testing
@testable import ModelAsAService

@Suite struct OpenAIAPITests {
    /// What the toy generator gives for a prompt and seed, called directly.
    func toy(_ prompt: String, _ n: Int, temperature: Double = 1, seed: UInt64) throws -> String {
        var rng = SeededRandom(seed: seed)
        return try ToyTextGenerator().generate(prompt: prompt, maxTokens: n, sampling: SamplingOptions(temperature: temperature),
                                               rng: &rng) { _ in }
    }

    /// The `data:` payloads of a server-sent event stream, in order.
    func dataLines(_ text: String) -> [String] {
        text.components(separatedBy: "\n\n").compactMap { block in
            block.hasPrefix("data: ") ? String(block.dropFirst(6)) : nil
        }
    }

    func object(_ text: String) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }

    func error(_ r: HTTPClientResponse) -> [String: Any]? { r.json?["error"] as? [String: Any] }

    @Test func modelsListsTheTextModel() throws {
        let (server, port) = try startServer { $0.modelName = "shakespeare" }
        defer { server.stop() }
        let r = try HTTPClient(port: port).get("/v1/models")
        #expect(r.status == 200 && r.json?["object"] as? String == "list")
        let data = try #require(r.json?["data"] as? [[String: Any]])
        #expect(data.count == 1 && data[0]["id"] as? String == "shakespeare" && data[0]["object"] as? String == "model")
        #expect(data[0]["owned_by"] as? String == "backprop" && (data[0]["created"] as? Int ?? 0) > 1_700_000_000)
        // Retrieve model: GET /v1/models/{id}, the same object; another id is OpenAI's 404 model_not_found.
        let one = try HTTPClient(port: port).get("/v1/models/shakespeare")
        #expect(one.status == 200 && one.json?["id"] as? String == "shakespeare" && one.json?["object"] as? String == "model")
        let other = try HTTPClient(port: port).get("/v1/models/gpt-4")
        let error = other.json?["error"] as? [String: Any]
        #expect(other.status == 404 && error?["code"] as? String == "model_not_found" && error?["param"] as? String == "model")
        #expect((error?["message"] as? String)?.contains("'shakespeare'") == true)
        #expect(try HTTPClient(port: port).request("DELETE", "/v1/models/shakespeare").status == 405)
    }

    @Test func completionIsTheModelsTextWithUsage() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let client = try HTTPClient(port: port)
        let r = try client.post("/v1/completions", json: #"{"model": "toy-bigram", "prompt": "ab", "max_tokens": 12, "temperature": 0.9, "seed": 5}"#)
        #expect(r.status == 200, "\(r.text)")
        let json = try #require(r.json)
        #expect(json["object"] as? String == "text_completion" && (json["id"] as? String)?.hasPrefix("cmpl-") == true)
        #expect(json["model"] as? String == "toy-bigram")
        let choice = try #require((json["choices"] as? [[String: Any]])?.first)
        #expect(choice["text"] as? String == (try toy("ab", 12, temperature: 0.9, seed: 5)))
        #expect(choice["finish_reason"] as? String == "length" && choice["index"] as? Int == 0 && choice["logprobs"] is NSNull)
        let usage = try #require(json["usage"] as? [String: Any])
        #expect(usage["prompt_tokens"] as? Int == 2 && usage["completion_tokens"] as? Int == 12 && usage["total_tokens"] as? Int == 14)
        // The same seed, the same text; the array form of prompt with one string is the same request.
        let again = try client.post("/v1/completions", json: #"{"model": "toy-bigram", "prompt": ["ab"], "max_tokens": 12, "temperature": 0.9, "seed": 5}"#)
        #expect(((again.json?["choices"] as? [[String: Any]])?.first?["text"] as? String) == choice["text"] as? String)
    }

    @Test func stopEndsTheTextBeforeTheSequenceStreamedOrNot() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let client = try HTTPClient(port: port)
        let full = try toy("c", 40, seed: 21)
        let stop = String(full.dropFirst(10).prefix(3))
        let expected = String(full[..<full.range(of: stop)!.lowerBound])
        for stopField in [#""\#(stop)""#, #"["zzzz", "\#(stop)"]"#] {
            let body = #"{"model": "toy-bigram", "prompt": "c", "max_tokens": 40, "seed": 21, "stop": \#(stopField)"#
            let plain = try client.post("/v1/completions", json: body + "}")
            let choice = try #require((plain.json?["choices"] as? [[String: Any]])?.first)
            #expect(choice["text"] as? String == expected && choice["finish_reason"] as? String == "stop")
            let streamed = try client.post("/v1/completions", json: body + #", "stream": true}"#)
            let data = dataLines(streamed.text)
            #expect(data.last == "[DONE]")
            let chunks = data.dropLast().compactMap(object)
            let pieces = chunks.compactMap { ($0["choices"] as? [[String: Any]])?.first?["text"] as? String }
            #expect(pieces.joined() == expected && !pieces.contains { $0.contains(stop) })
            #expect((chunks.last?["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String == "stop")
        }
    }

    @Test func streamedCompletionChunksAndUsage() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let body = #"{"model": "toy-bigram", "prompt": "h", "max_tokens": 7, "seed": 9, "stream": true, "stream_options": {"include_usage": true}}"#
        let r = try HTTPClient(port: port).post("/v1/completions", json: body)
        #expect(r.status == 200 && r.header("Content-Type") == "text/event-stream")
        let data = dataLines(r.text)
        #expect(data.last == "[DONE]" && data.count == 7 + 1 + 1 + 1)  // 7 tokens, the finish chunk, usage, [DONE]
        let chunks = data.dropLast().compactMap(object)
        #expect(chunks.allSatisfy { $0["object"] as? String == "text_completion" })
        let text = chunks.compactMap { ($0["choices"] as? [[String: Any]])?.first?["text"] as? String }.joined()
        #expect(text == (try toy("h", 7, seed: 9)))
        let usage = try #require(chunks.last?["usage"] as? [String: Any])
        #expect((chunks.last?["choices"] as? [Any])?.isEmpty == true && usage["completion_tokens"] as? Int == 7)
    }

    /// A tiny char-LSTM whose vocabulary holds the chat template's characters.
    static func chatModel() throws -> CharRNNGenerator {
        let vocabulary = try CharacterVocabulary(text: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz:\n ,.!?")
        var rng = SeededRandom(seed: 77)
        return CharRNNGenerator(model: try CharRNN(CharRNNConfig(cell: .lstm, embeddingSize: 4, hiddenSize: 8), vocabulary: vocabulary, rng: &rng))
    }

    @Test func chatRendersTheTemplateAndStopsAtTheEndOfTheSpeech() throws {
        let generator = try Self.chatModel()
        let (server, port) = try startServer(generator: generator) { $0.modelName = "lstm" }
        defer { server.stop() }
        let prompt = ChatTemplate.render([("system", "A room.", nil), ("user", "Hello there", nil), ("assistant", "Good day", "ROMEO"),
                                          ("user", "How now?", nil)])
        #expect(prompt == "A room.\n\nUSER:\nHello there\n\nROMEO:\nGood day\n\nUSER:\nHow now?\n\nASSISTANT:\n")
        var rng = SeededRandom(seed: 8)
        let raw = try generator.model.generate(prompt: prompt, maxTokens: 60, sampling: SamplingOptions(temperature: 1), rng: &rng)
        let expected = raw.range(of: "\n\n").map { String(raw[..<$0.lowerBound]) } ?? raw
        let messages = #"[{"role": "system", "content": "A room."}, {"role": "user", "content": "Hello there"}, "#
            + #"{"role": "assistant", "content": "Good day", "name": "ROMEO"}, {"role": "user", "content": [{"type": "text", "text": "How now?"}]}]"#
        let body = #"{"model": "lstm", "messages": \#(messages), "max_tokens": 60, "seed": 8"#
        let client = try HTTPClient(port: port)
        let r = try client.post("/v1/chat/completions", json: body + "}")
        #expect(r.status == 200, "\(r.text)")
        #expect(r.json?["object"] as? String == "chat.completion" && (r.json?["id"] as? String)?.hasPrefix("chatcmpl-") == true)
        let choice = try #require((r.json?["choices"] as? [[String: Any]])?.first)
        let message = try #require(choice["message"] as? [String: Any])
        #expect(message["role"] as? String == "assistant" && message["content"] as? String == expected)
        #expect(choice["finish_reason"] as? String == (expected == raw ? "length" : "stop"))
        #expect((r.json?["usage"] as? [String: Any])?["prompt_tokens"] as? Int == prompt.count)

        let streamed = try client.post("/v1/chat/completions", json: body + #", "stream": true}"#)
        let data = dataLines(streamed.text)
        #expect(data.last == "[DONE]")
        let chunks = data.dropLast().compactMap(object)
        #expect(chunks.allSatisfy { $0["object"] as? String == "chat.completion.chunk" })
        let deltas = chunks.compactMap { ($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any] }
        #expect(deltas.first?["role"] as? String == "assistant")
        #expect(deltas.compactMap { $0["content"] as? String }.joined() == expected)
        #expect((chunks.last?["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String == choice["finish_reason"] as? String)
    }

    @Test func topPIsNucleusSampling() throws {
        // Unit: logits whose softmax is (0.5, 0.25, 0.125, 0.125): top_p 0.7 keeps the first two, renormalised.
        let logits: [Float] = [3, 2, 1, 1].map { Float(Double($0) * log(2.0)) }
        let p = NucleusSampler.probabilities(logits, options: try LlamaSampling(temperature: 1, topP: 0.7))
        #expect(abs(p[0] - 2.0 / 3) < 1e-6 && abs(p[1] - 1.0 / 3) < 1e-6 && p[2] == 0 && p[3] == 0)
        #expect(NucleusSampler.probabilities(logits, options: try LlamaSampling(temperature: 1, topP: 0.01)) == [1, 0, 0, 0])
        // Over the wire: a tiny nucleus is greedy decoding; a seed makes top_p sampling repeatable.
        let (server, port) = try startServer()
        defer { server.stop() }
        let client = try HTTPClient(port: port)
        func text(_ body: String) throws -> String? {
            let r = try client.post("/v1/completions", json: body)
            return (r.json?["choices"] as? [[String: Any]])?.first?["text"] as? String
        }
        let tiny = try text(#"{"model": "toy-bigram", "prompt": "a", "max_tokens": 15, "top_p": 0.000001, "seed": 3}"#)
        #expect(tiny == (try toy("a", 15, temperature: 0, seed: 0)))
        let once = try text(#"{"model": "toy-bigram", "prompt": "a", "max_tokens": 30, "top_p": 0.8, "seed": 4}"#)
        let twice = try text(#"{"model": "toy-bigram", "prompt": "a", "max_tokens": 30, "top_p": 0.8, "seed": 4}"#)
        #expect(once != nil && once == twice)
    }

    @Test("bad requests are OpenAI error objects with the right status", arguments: [
        (#"{"model": "toy-bigram", "prompt": "a", "n": 2}"#, 400, "n", "invalid_request_error"),
        (#"{"model": "gpt-4", "prompt": "a"}"#, 404, "model", "invalid_request_error"),
        (#"{"prompt": "a"}"#, 400, "model", "invalid_request_error"),
        (#"{"model": "toy-bigram", "prompt": "a", "temperature": 2.5}"#, 400, "temperature", "invalid_request_error"),
        (#"{"model": "toy-bigram", "prompt": "a", "top_p": 0}"#, 400, "top_p", "invalid_request_error"),
        (#"{"model": "toy-bigram", "prompt": "a", "max_tokens": 0}"#, 400, "max_tokens", "invalid_request_error"),
        (#"{"model": "toy-bigram", "prompt": "a", "stop": 3}"#, 400, "stop", "invalid_request_error"),
        (#"{"model": "toy-bigram", "prompt": "a", "best_of": 2}"#, 400, "best_of", "invalid_request_error"),
        (#"{"model": "toy-bigram", "prompt": "xyz"}"#, 400, "prompt", "invalid_request_error"),
        (#"{"model": "toy-bigram", "prompt": "a",}"#, 400, "", "invalid_request_error"),
    ])
    func errors(body: String, status: Int, param: String, type: String) throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let r = try HTTPClient(port: port).post("/v1/completions", json: body)
        #expect(r.status == status, "\(r.text)")
        let e = try #require(error(r), "\(r.text)")
        #expect(e["type"] as? String == type && (e["message"] as? String)?.isEmpty == false)
        #expect((e["param"] as? String ?? "") == param)
        if status == 404 { #expect(e["code"] as? String == "model_not_found") }
        #expect(e.keys.sorted() == ["code", "message", "param", "type"])
    }

    @Test func overloadIsA503ErrorObjectBeforeAnyStream() throws {
        let (server, port) = try startServer(generator: ToyTextGenerator(tokenDelay: 0.01)) {
            $0.maxActiveGenerations = 1
            $0.maxWaitingGenerations = 0
        }
        defer { server.stop() }
        let body = #"{"model": "toy-bigram", "messages": [{"role": "user", "content": "a"}], "max_tokens": 20, "stream": true}"#
        // The chat template needs characters the toy lacks: first a 400 naming them, before any stream.
        let refused = try HTTPClient(port: port).post("/v1/chat/completions", json: body)
        #expect(refused.status == 400 && error(refused)?["param"] as? String == "messages")
        let completion = #"{"model": "toy-bigram", "prompt": "a", "max_tokens": 20, "stream": true}"#
        let responses = try concurrently(5) { _ in try HTTPClient(port: port).post("/v1/completions", json: completion) }
        #expect(responses.contains { $0.status == 200 } && responses.contains { $0.status == 503 })
        for r in responses where r.status == 503 {
            #expect(r.header("Retry-After") == "1" && error(r)?["code"] as? String == "overloaded")
        }
        for r in responses where r.status == 200 { #expect(!r.text.contains("\"error\"") && dataLines(r.text).last == "[DONE]") }
    }

    @Test func stopSequenceFilterHoldsBackPossibleStarts() {
        var filter = StopSequenceFilter(["lo w"])
        let out = "hello world".map { filter.feed(String($0)) }
        #expect(out == ["h", "e", "", "l", "", "", "", "", "", "", ""] && filter.stopped && out.joined() == "hel")
        var open = StopSequenceFilter(["xyz"])
        #expect(["a", "x", "y", "b"].map { open.feed($0) }.joined() + open.flush() == "axyb")
        var last = StopSequenceFilter(["zz"])
        #expect(last.feed("az") == "a" && last.flush() == "z" && !last.stopped)
    }
}
