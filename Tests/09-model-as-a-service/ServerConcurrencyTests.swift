// Many clients at once: dynamic batching merges their rows, every request
// gets its own correct answer, and a graceful stop finishes what is in flight.

import BackpropCore
import Foundation
import RecurrentNetworks
import Testing
@testable import ModelAsAService

@Suite struct ServerConcurrencyTests {
    @Test func concurrentRequestsShareForwardPasses() throws {
        let recorder = InstrumentedClassifier(try tinyClassifier(), delay: 0.05)
        let (server, port) = try startServer(classifier: recorder) {
            $0.batching = DynamicBatcher.Policy(maxBatchRows: 64, maxWait: 0.05, workers: 1)
        }
        defer { server.stop() }
        let rows = randomRows(16, seed: 709)
        let expected = try recorder.inner.predict(rows)
        let classes = try concurrently(16) { i -> Int in
            let r = try HTTPClient(port: port).post("/v1/predict", json: predictBody([rows[i]]))
            return (r.json?["outputs"] as? [[String: Any]])?.first?["class"] as? Int ?? -1
        }
        #expect(classes == expected.map(\.class))
        let sizes = recorder.batchSizes.get()
        #expect(sizes.reduce(0, +) == 16 && sizes.count < 16)
        #expect((sizes.max() ?? 0) > 1, "batch sizes \(sizes)")
        #expect(server.batcher!.statistics.largestBatch == sizes.max())
    }

    @Test func aLoneClientDoesNotWaitForABatch() throws {
        let (server, port) = try startServer {
            $0.batching = DynamicBatcher.Policy(maxBatchRows: 64, maxWait: 2, workers: 1)  // would wait 2 s for company
        }
        defer { server.stop() }
        let client = try HTTPClient(port: port)
        let start = Date()
        for seed in 0..<3 { #expect(try client.post("/v1/predict", json: predictBody(randomRows(1, seed: UInt64(730 + seed)))).status == 200) }
        #expect(Date().timeIntervalSince(start) < 1.5)  // every open connection had its request queued: no wait
    }

    @Test func batchesRespectTheRowBoundAndKeepRequestsWhole() throws {
        let recorder = InstrumentedClassifier(try tinyClassifier(), delay: 0.01)
        let (server, port) = try startServer(classifier: recorder) {
            $0.batching = DynamicBatcher.Policy(maxBatchRows: 5, maxWait: 0.05, workers: 1)
        }
        defer { server.stop() }
        // Requests of 3 rows: at most one fits with another 3 in 5 rows, so every batch is 3 rows;
        // a request of 7 rows is larger than the bound and runs alone.
        let requests = (0..<6).map { randomRows(3, seed: 710 + UInt64($0)) } + [randomRows(7, seed: 720)]
        let answers = try concurrently(requests.count) { i -> [Int] in
            let r = try HTTPClient(port: port).post("/v1/predict", json: predictBody(requests[i]))
            return (r.json?["outputs"] as? [[String: Any]] ?? []).map { $0["class"] as? Int ?? -1 }
        }
        for (request, answer) in zip(requests, answers) {
            #expect(answer == (try recorder.inner.predict(request)).map(\.class))
        }
        #expect(Set(recorder.batchSizes.get()) == [3, 7])
    }

    @Test(.timeLimit(.minutes(1)))
    func sixtyFourClientsTimesSixteenRequestsAllAnsweredCorrectly() throws {
        let classifier = try tinyClassifier()
        let (server, port) = try startServer(classifier: classifier)
        defer { server.stop() }
        let rows = randomRows(64 * 16, seed: 711)
        let expected = try classifier.predict(rows).map(\.class)
        let answers = try concurrently(64, timeout: 50) { c -> [Int] in
            let client = try HTTPClient(port: port, timeout: 20)
            return try (0..<16).map { k in
                let r = try client.post("/v1/predict", json: predictBody([rows[c * 16 + k]]))
                guard r.status == 200 else { return -r.status }
                return (r.json?["outputs"] as? [[String: Any]])?.first?["class"] as? Int ?? -1
            }
        }
        #expect(answers.flatMap { $0 } == expected)
        #expect(server.statistics.requests == 64 * 16)
        let stats = server.batcher!.statistics
        #expect(stats.rows == 64 * 16 && stats.rejected == 0)
    }

    @Test func concurrentGenerationsKeepTheirOwnState() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let texts = try concurrently(8) { i -> String in
            let stream = i % 2 == 0
            let r = try HTTPClient(port: port).post(
                "/v1/generate", json: #"{"prompt": "d", "max_tokens": 20, "temperature": 1, "seed": \#(800 + i), "stream": \#(stream)}"#)
            if stream { return serverSentEvents(r.text).last?.data["text"] as? String ?? "?" }
            return r.json?["text"] as? String ?? "?"
        }
        for (i, text) in texts.enumerated() {
            var rng = SeededRandom(seed: UInt64(800 + i))
            let expected = try ToyTextGenerator().generate(prompt: "d", maxTokens: 20, sampling: SamplingOptions(temperature: 1),
                                                           rng: &rng) { _ in }
            #expect(text == expected)
        }
    }

    @Test func gracefulStopFinishesRequestsInFlight() throws {
        let slow = InstrumentedClassifier(try tinyClassifier(), delay: 0.3)
        let (server, port) = try startServer(classifier: slow, generator: ToyTextGenerator(tokenDelay: 0.02))
        let rows = randomRows(1, seed: 712)
        let expected = try slow.inner.predict(rows)[0].class
        let idle = try HTTPClient(port: port)
        #expect(try idle.get("/healthz").status == 200)
        let results = LockedValue<[String: HTTPClientResponse]>([:])
        let done = DispatchGroup()
        done.enter()
        Thread {
            if let r = try? HTTPClient(port: port).post("/v1/predict", json: predictBody(rows)) { results.update { $0["predict"] = r } }
            done.leave()
        }.start()
        done.enter()
        Thread {
            let body = #"{"prompt": "a", "max_tokens": 15, "seed": 9, "stream": true}"#
            if let r = try? HTTPClient(port: port).post("/v1/generate", json: body) { results.update { $0["stream"] = r } }
            done.leave()
        }.start()
        #expect(slow.started.wait(timeout: .now() + 5) == .success)  // the predict is in the model now
        for _ in 0..<500 where server.statistics.requests < 3 { Thread.sleep(forTimeInterval: 0.01) }  // and the generate arrived
        #expect(server.statistics.requests == 3)
        server.stop()
        #expect(done.wait(timeout: .now() + 5) == .success)
        let predict = try #require(results.get()["predict"])
        #expect(predict.status == 200 && predict.header("Connection") == "close")
        #expect((predict.json?["outputs"] as? [[String: Any]])?.first?["class"] as? Int == expected)
        let stream = try #require(results.get()["stream"])
        #expect(serverSentEvents(stream.text).last?.event == "done")
        #expect(serverSentEvents(stream.text).count == 16)
        #expect(idle.serverClosed(within: 1))
        #expect(throws: SocketError.self) { try HTTPClient(port: port) }
    }

    @Test func shutdownSignalReturnsTheSignalReceived() throws {
        signal(SIGUSR2, SIG_IGN)  // a stray signal after the test must not kill the test process
        let got = LockedValue<Int32>(0)
        let finished = DispatchSemaphore(value: 0)
        Thread {
            got.set(ShutdownSignal.wait(for: [SIGUSR2]))
            finished.signal()
        }.start()
        var delivered = false
        for _ in 0..<100 where !delivered {  // the source may not be installed yet: retry
            kill(getpid(), SIGUSR2)
            delivered = finished.wait(timeout: .now() + 0.02) == .success
        }
        #expect(delivered && got.get() == SIGUSR2)
    }
}

/// A classifier that answers one prediction too few (a bug the server must survive).
struct ShortClassifier: Classifier {
    var inputWidth: Int { 8 }
    var classNames: [String] { ["only"] }
    var info: ModelInfo { ModelInfo(kind: "broken", parameterCount: 0) }
    func predict(_ batch: [[Double]]) throws -> [ClassPrediction] {
        Array(repeating: ClassPrediction(class: 0, label: "only", probabilities: [1]), count: batch.count - 1)
    }
}

@Suite struct ServerFaultTests {
    @Test func aBrokenClassifierIsA500NotACrash() throws {
        let (server, port) = try startServer(classifier: ShortClassifier())
        defer { server.stop() }
        let client = try HTTPClient(port: port)
        let response = try client.post("/v1/predict", json: predictBody(randomRows(2, seed: 750)))
        #expect(response.status == 500)
        #expect((response.json?["error"] as? String)?.contains("returned 1 predictions for 2 rows") == true)
        #expect(try client.get("/healthz").status == 200)
    }
}
