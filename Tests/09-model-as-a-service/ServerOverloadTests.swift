// Overload and overflow are decided before the response head (issue 20,
// item 4): a stream that cannot be admitted is a 503 with Retry-After, never
// "200 OK" followed by an error event; finite inputs whose scores overflow
// are a 422 naming the problem, never 200 with null probabilities.

import BackpropCore
import Foundation
import Testing
@testable import ModelAsAService

@Suite struct ServerOverloadTests {
    @Test func streamsBeyondTheGateAre503BeforeAnyHead() throws {
        let (server, port) = try startServer(generator: ToyTextGenerator(tokenDelay: 0.01)) {
            $0.maxActiveGenerations = 1
            $0.maxWaitingGenerations = 0
        }
        defer { server.stop() }
        let body = #"{"prompt": "a", "max_tokens": 20, "seed": 1, "stream": true}"#
        let responses = try concurrently(6) { _ in try HTTPClient(port: port).post("/v1/generate", json: body) }
        #expect(responses.contains { $0.status == 200 })
        #expect(responses.contains { $0.status == 503 })
        for r in responses {
            if r.status == 503 {
                #expect(r.header("Retry-After") == "1" && (r.json?["error"] as? String)?.contains("generation slots") == true)
            } else {
                #expect(r.status == 200)
                let events = serverSentEvents(r.text)
                #expect(!events.contains { $0.event == "error" }, "a 200 stream carried an error: \(r.text)")
                #expect(events.last?.event == "done")
            }
        }
    }

    @Test func overflowingScoresAre422NotNulls() throws {
        let classifier = try tinyClassifier()
        let huge = [Double](repeating: -3.4e38, count: 8)
        #expect(try !classifier.predict([huge])[0].isFinite)  // the model itself overflows on this finite input
        let (server, port) = try startServer(classifier: classifier)
        defer { server.stop() }
        let client = try HTTPClient(port: port)
        let response = try client.post("/v1/predict", json: predictBody([randomRows(1, seed: 9)[0], huge]))
        #expect(response.status == 422, "\(response.status) \(response.text)")
        #expect(!response.text.contains("null"))
        let message = try #require(response.json?["error"] as? String)
        #expect(message.hasPrefix("input 1: the model's scores are not finite"), "\(message)")
        // The connection and the batcher carry on.
        #expect(try client.post("/v1/predict", json: predictBody(randomRows(2, seed: 10))).status == 200)
    }
}
