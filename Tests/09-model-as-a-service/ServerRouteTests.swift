// Every route of the service over real HTTP on 127.0.0.1, and the 400 / 404
// / 405 answers for bad requests.

import BackpropCore
import Foundation
import RecurrentNetworks
import Testing
@testable import ModelAsAService

@Suite struct ServerRouteTests {
    @Test func healthAndModelDescription() throws {
        let classifier = try tinyClassifier()
        let (server, port) = try startServer(classifier: classifier)
        defer { server.stop() }
        let client = try HTTPClient(port: port)
        let health = try client.get("/healthz")
        #expect(health.status == 200 && health.json?["status"] as? String == "ok")
        #expect(health.header("Content-Type") == "application/json")
        let model = try client.get("/v1/model")
        #expect(model.status == 200)
        let json = try #require(model.json)
        #expect(json["kind"] as? String == "mlp")
        #expect(json["parameters"] as? Int == 8 * 16 + 16 + 16 * 4 + 4)
        #expect(json["input_width"] as? Int == 8)
        #expect((json["config"] as? [String: Any])?["outputs"] as? Int == 4)
        #expect((json["generator"] as? [String: Any])?["kind"] as? String == "toy-bigram")
    }

    @Test func predictAnswersEveryRowLikeTheModel() throws {
        let classifier = try tinyClassifier()
        let (server, port) = try startServer(classifier: classifier)
        defer { server.stop() }
        let rows = randomRows(5, seed: 702)
        let direct = try classifier.predict(rows)
        let response = try HTTPClient(port: port).post("/v1/predict", json: predictBody(rows))
        #expect(response.status == 200)
        let outputs = try #require(response.json?["outputs"] as? [[String: Any]])
        #expect(outputs.count == 5)
        for (output, expected) in zip(outputs, direct) {
            #expect(output["class"] as? Int == expected.class)
            #expect(output["label"] as? String == expected.label && expected.label == ["w", "x", "y", "z"][expected.class])
            let p = probabilities(output)
            #expect(p.count == 4 && abs(p.reduce(0, +) - 1) < 1e-5)
            #expect(zip(p, expected.probabilities).allSatisfy { abs($0 - $1) < 1e-6 })
        }
    }

    @Test func generateMatchesTheGeneratorCalledDirectly() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let client = try HTTPClient(port: port)
        let response = try client.post("/v1/generate", json: #"{"prompt": "ab", "max_tokens": 12, "temperature": 0.9, "top_k": 4, "seed": 703}"#)
        #expect(response.status == 200)
        var rng = SeededRandom(seed: 703)
        let expected = try ToyTextGenerator().generate(prompt: "ab", maxTokens: 12, sampling: SamplingOptions(temperature: 0.9, topK: 4),
                                                       rng: &rng) { _ in }
        #expect(response.json?["text"] as? String == expected)
        #expect(response.json?["tokens"] as? Int == 12 && response.json?["seed"] as? Int == 703)
        // Greedy decoding ignores the seed; sampling with another seed differs.
        let greedy1 = try client.post("/v1/generate", json: #"{"prompt": "a", "max_tokens": 10, "temperature": 0, "seed": 1}"#)
        let greedy2 = try client.post("/v1/generate", json: #"{"prompt": "a", "max_tokens": 10, "temperature": 0, "seed": 2}"#)
        #expect(greedy1.json?["text"] as? String == greedy2.json?["text"] as? String)
        let other = try client.post("/v1/generate", json: #"{"prompt": "ab", "max_tokens": 12, "temperature": 0.9, "top_k": 4, "seed": 704}"#)
        #expect(other.json?["text"] as? String != expected)
        // Without a seed the server picks one and reports it, so the answer can be reproduced.
        let unseeded = try client.post("/v1/generate", json: #"{"prompt": "h", "max_tokens": 8}"#)
        let seed = try #require(unseeded.json?["seed"] as? Int)
        let again = try client.post("/v1/generate", json: #"{"prompt": "h", "max_tokens": 8, "seed": \#(seed)}"#)
        #expect(again.json?["text"] as? String == unseeded.json?["text"] as? String)
    }

    @Test func streamingSendsOneEventPerTokenThenDone() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let client = try HTTPClient(port: port)
        let body = #"{"prompt": "c", "max_tokens": 9, "temperature": 1.2, "seed": 705, "stream": true}"#
        let response = try client.post("/v1/generate", json: body)
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "text/event-stream" && response.header("Transfer-Encoding") == "chunked")
        let events = serverSentEvents(response.text)
        #expect(events.count == 10)
        let tokens = events.dropLast().map { $0.data["token"] as? String ?? "?" }
        #expect(events.dropLast().allSatisfy { $0.event == "message" })
        let plain = try client.post("/v1/generate", json: body.replacingOccurrences(of: "true", with: "false"))
        let text = try #require(plain.json?["text"] as? String)
        #expect(tokens.joined() == text)
        #expect(events.last?.event == "done" && events.last?.data["text"] as? String == text)
        // The connection is still usable after a streamed answer.
        #expect(try client.get("/healthz").status == 200)
    }

    @Test("bad predict bodies are 400 naming the problem", arguments: [
        ("{", "malformed JSON"),
        ("", "body is empty"),
        ("[1, 2]", "must be a JSON object"),
        ("{}", "missing field 'inputs'"),
        (#"{"inputs": [[1,2,3,4,5,6,7,8]], "extra": 1}"#, "unknown field 'extra'"),
        (#"{"inputs": []}"#, "'inputs' is empty"),
        (#"{"inputs": [[1,2,3]]}"#, "inputs[0] has 3 values; the model expects 8"),
        (#"{"inputs": [[1,2,3,4,5,6,7,8],[1]]}"#, "inputs[1] has 1 values"),
        (#"{"inputs": [[1,"a",3,4,5,6,7,8]]}"#, "'inputs[0][1]' must be a number"),
        (#"{"inputs": [[1,null,3,4,5,6,7,8]]}"#, "'inputs[0][1]' must be a number, not null"),
        (#"{"inputs": "x"}"#, "'inputs' must be an array"),
        (#"{"inputs": [[1,2,3,1e39,5,6,7,8]]}"#, "inputs[0][3] is not a finite number (as a 32-bit float)"),
        (#"{"inputs": [[1,2,3,4,5,6,7,8],[1,2,3,4,5,6,7,8],[1,2,3,4,5,6,7,8]]}"#, "at most 2 per request"),
    ])
    func badPredictBodies(body: String, message: String) throws {
        let (server, port) = try startServer { $0.maxRowsPerRequest = 2 }
        defer { server.stop() }
        let response = try HTTPClient(port: port).post("/v1/predict", json: body)
        #expect(response.status == 400)
        let error = response.json?["error"] as? String ?? "(no error field) " + response.text
        #expect(error.contains(message), "\(error)")
    }

    @Test("bad generate parameters are 400 naming the problem", arguments: [
        (#"{"prompt": "a", "temperature": -1}"#, "'temperature' must be a finite number ≥ 0"),
        (#"{"prompt": "a", "top_k": 0}"#, "'top_k' must be at least 1"),
        (#"{"prompt": "a", "max_tokens": 0}"#, "'max_tokens' must be in 1…50"),
        (#"{"prompt": "a", "max_tokens": 51}"#, "'max_tokens' must be in 1…50"),
        (#"{"prompt": "a", "max_tokens": 2.5}"#, "'max_tokens' must be an integer, got 2.5"),
        (#"{"prompt": "a", "seed": -3}"#, "'seed' must be in 0…"),
        (#"{"prompt": "a", "top_k": "3"}"#, "'top_k' must be an integer"),
        (#"{"prompt": "aZ"}"#, "prompt character 'Z' is not in the vocabulary"),
        (#"{"prompt": ""}"#, "'prompt' is empty"),
        (#"{"max_tokens": 3}"#, "missing field 'prompt'"),
        (#"{"prompt": 3}"#, "'prompt' must be a string"),
        (#"{"prompt": "a", "max_token": 3}"#, "unknown field 'max_token'"),
        (#"{"prompt": "a", "stream": "yes"}"#, "'stream' must be true or false"),
        (#"{"prompt": "aZ", "stream": true}"#, "not in the vocabulary"),
    ])
    func badGenerateParameters(body: String, message: String) throws {
        let (server, port) = try startServer { $0.maxGenerateTokens = 50 }
        defer { server.stop() }
        let response = try HTTPClient(port: port).post("/v1/generate", json: body)
        #expect(response.status == 400)
        let error = response.json?["error"] as? String ?? "(no error field) " + response.text
        #expect(error.contains(message), "\(error)")
    }

    @Test func unknownRoutesAndWrongMethods() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let client = try HTTPClient(port: port)
        let missing = try client.get("/v2/predict")
        #expect(missing.status == 404 && (missing.json?["error"] as? String)?.contains("no route /v2/predict") == true)
        let wrongGet = try client.get("/v1/predict")
        #expect(wrongGet.status == 405 && wrongGet.header("Allow") == "POST")
        let wrongDelete = try client.request("DELETE", "/healthz")
        #expect(wrongDelete.status == 405 && wrongDelete.header("Allow") == "GET, HEAD")
        #expect((wrongDelete.json?["error"] as? String)?.contains("not DELETE") == true)
        // Errors from routing keep the connection open.
        #expect(try client.get("/healthz").status == 200)
    }

    @Test func expectContinueGetsAnInterimAnswerBeforeTheBody() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let body = predictBody(randomRows(1, seed: 745))
        let fd = try Socket.connect(host: "127.0.0.1", port: port)
        defer { Socket.close(fd) }
        try Socket.sendAll(fd, Array("POST /v1/predict HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: \(body.utf8.count)\r\n\r\n".utf8))
        var received: [UInt8] = []
        #expect(Socket.waitReadable(fd, seconds: 2) && Socket.receive(fd, into: &received) > 0)
        #expect(String(decoding: received, as: UTF8.self) == "HTTP/1.1 100 Continue\r\n\r\n")
        try Socket.sendAll(fd, Array(body.utf8))
        received = []
        #expect(Socket.waitReadable(fd, seconds: 2) && Socket.receive(fd, into: &received) > 0)
        #expect(String(decoding: received, as: UTF8.self).hasPrefix("HTTP/1.1 200 OK"))
    }

    @Test func aServerWithoutAClassifierSaysSo() throws {
        let server = ModelServer(generator: ToyTextGenerator())
        let port = try server.start()
        defer { server.stop() }
        let response = try HTTPClient(port: port).post("/v1/predict", json: predictBody([[1]]))
        #expect(response.status == 404 && (response.json?["error"] as? String)?.contains("does not classify") == true)
    }

    @Test func keepAliveAndPipelining() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let client = try HTTPClient(port: port)
        let first = try client.get("/healthz")
        let second = try client.post("/v1/predict", json: predictBody(randomRows(1, seed: 706)))
        #expect(first.status == 200 && second.status == 200 && first.header("Connection") == "keep-alive")
        #expect(server.statistics.connectionsAccepted == 1 && server.statistics.requests == 2)
        // Two requests in one write are answered in order.
        try client.send(raw: "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\nGET /v1/nothing HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try client.readResponse().status == 200)
        #expect(try client.readResponse().status == 404)
        // Connection: close is honoured.
        let last = try client.request("GET", "/healthz", headers: [("Connection", "close")])
        #expect(last.status == 200 && last.header("Connection") == "close")
        #expect(client.serverClosed(within: 2))
    }
}
