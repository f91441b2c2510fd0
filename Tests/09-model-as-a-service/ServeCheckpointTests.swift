// Serving checkpoints: every classifier the registry loads is served on
// /v1/predict as it is, kinds with nothing to serve are refused by name, and
// a saved digits-like MLP (standardised inputs) answers raw rows over HTTP
// exactly as the registry's classifier and the model in memory do.

import BackpropCore
import Datasets
import Foundation
import Backpropagation
import Testing
@testable import ModelAsAService

@Suite struct ServeCheckpointTests {
    @Test func everyRegistryClassifierIsServedAndOtherKindsAreRefusedByName() throws {
        for (kind, checkpoint) in try SampleCheckpoints.all() {
            let model = try ModelRegistry.load(checkpoint)
            if case .generator = model { continue }  // LanguageModelServingTests
            guard case .classifier(let classifier) = model else {
                let error = #expect(throws: UnservableModelError.self) { try ModelServer(model: model) }
                #expect(error?.description.contains("'\(kind)' checkpoint holds") == true)
                #expect(error?.description.contains("classifiers (POST /v1/predict)") == true)
                continue
            }
            let server = try ModelServer(model: model)
            defer { server.stop() }
            let port = try server.start(host: "127.0.0.1", port: 0)
            var rng = SeededRandom(seed: 760)
            let rows = (0..<3).map { _ in (0..<classifier.inputWidth).map { _ in rng.uniform(0, 16) } }
            let client = try HTTPClient(port: port)
            let response = try client.post("/v1/predict", json: predictBody(rows))
            #expect(response.status == 200, "\(kind): \(response.status)")
            let outputs = try #require(response.json?["outputs"] as? [[String: Any]])
            let expected = try classifier.predict(rows)
            for (output, p) in zip(outputs, expected) {
                #expect(output["class"] as? Int == p.class && output["label"] as? String == p.label, "\(kind)")
            }
            #expect(try exactProbabilities(response) == expected.map(\.probabilities), "\(kind)")
            let description = try #require(try client.get("/v1/model").json)
            #expect(description["kind"] as? String == kind)
            #expect(description["parameters"] as? Int == classifier.info.parameterCount)
            #expect((description["config"] as? [String: Any])?.count == checkpoint.config.count)
        }
    }

    @Test func savedDigitsMLPServesRawRowsExactlyLikeTheRegistryAndTheModelInMemory() throws {
        let digits = try BundledData.digits()
        let scaler = try Standardizer(fitting: digits.features.rows(0..<200))
        let model: Sequential<Float> = try MultilayerPerceptron.make(inputs: 64, hidden: [16], outputs: 10, activation: .tanh,
                                                                     dropout: 0.2, seed: 761)
        let names = (0..<10).map(String.init)
        let inMemory = NetworkClassifier(model: model, info: ModelInfo(kind: "mlp", parameterCount: model.parameterCount),
                                         inputWidth: 64, classNames: names, preprocessing: .standardize(scaler))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("serve-digits-\(UUID().uuidString).ckpt")
        defer { try? FileManager.default.removeItem(at: url) }
        try MLPClassifier(model: model, inputs: 64, hidden: [16], outputs: 10, activation: .tanh, dropout: 0.2,
                          classNames: names, preprocessing: .standardize(scaler)).save(to: url)

        // Raw pixel values 0…16, as a client sends them.
        let x = digits.features.rows(200..<212)
        let rows = (0..<12).map { i in (0..<64).map { Double(x.scalars[i * 64 + $0]) } }
        let expected = try inMemory.predict(rows)
        let registry = try ModelRegistry.open(url)
        guard case .classifier(let loaded) = registry else { Issue.record("expected a classifier"); return }
        #expect(try loaded.predict(rows) == expected)

        // The in-memory model's answer is the softmax of the forward pass on
        // standardised rows, and not the one on raw rows.
        let standardised = try model.forward(try scaler.transform(x), mode: .inference).output
        let unstandardised = try model.forward(x, mode: .inference).output
        var differs = false
        for (i, p) in expected.enumerated() {
            let z = standardised.scalars[(i * 10)..<((i + 1) * 10)].map(Double.init)
            let e = z.map { exp($0 - z.max()!) }
            #expect(zip(p.probabilities, e).allSatisfy { abs($0 - $1 / e.reduce(0, +)) < 1e-12 })
            #expect(p.class == z.indices.max { z[$0] < z[$1] } && p.label == names[p.class])
            let raw = unstandardised.scalars[(i * 10)..<((i + 1) * 10)].map(Double.init)
            let r = raw.map { exp($0 - raw.max()!) }
            differs = differs || zip(p.probabilities, r).contains { abs($0 - $1 / r.reduce(0, +)) > 1e-3 }
        }
        #expect(differs, "standardisation should change the answers")

        let server = try ModelServer(model: registry)
        defer { server.stop() }
        let client = try HTTPClient(port: try server.start(host: "127.0.0.1", port: 0))
        let response = try client.post("/v1/predict", json: predictBody(rows))
        #expect(response.status == 200)
        let outputs = try #require(response.json?["outputs"] as? [[String: Any]])
        #expect(outputs.count == 12)
        for (output, p) in zip(outputs, expected) {
            #expect(output["class"] as? Int == p.class && output["label"] as? String == p.label)
        }
        #expect(try exactProbabilities(response) == expected.map(\.probabilities))  // bit-exact through JSON
        let description = try #require(try client.get("/v1/model").json)
        let config = try #require(description["config"] as? [String: Any])
        #expect(description["kind"] as? String == "mlp" && description["parameters"] as? Int == model.parameterCount)
        #expect(config["hidden"] as? [Int] == [16] && config["input_preprocessing"] as? String == "standardize")
    }
}
