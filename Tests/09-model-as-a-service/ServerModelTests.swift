// The pieces around the server: the network classifier against the model
// called directly, the toy generator's contract, the batching figure, and
// the load generator's percentiles. (Serving checkpoints: ServeCheckpointTests.)

import BackpropCore
import Figures
import Foundation
import Storage
import Backpropagation
import RecurrentNetworks
import Testing
@testable import ModelAsAService

@Suite struct ServerModelTests {
    @Test func classifierIsSoftmaxOfTheInferenceForwardPass() throws {
        let classifier = try tinyClassifier()
        let rows = randomRows(3, seed: 740)
        let logits = try classifier.model.forward(Tensor<Float>(rows: rows.map { $0.map { Float($0) } }), mode: .inference).output
        for (i, p) in try classifier.predict(rows).enumerated() {
            let z = logits.scalars[(i * 4)..<((i + 1) * 4)].map { Double($0) }
            let m = z.max()!
            let e = z.map { exp($0 - m) }
            let expected = e.map { $0 / e.reduce(0, +) }
            #expect(zip(p.probabilities, expected).allSatisfy { abs($0 - $1) < 1e-5 })
            #expect(p.class == z.indices.max { z[$0] < z[$1] })
        }
        // A checkpoint whose input width does not fit the weights is refused.
        let wrongWidth = MLPClassifier(model: classifier.model, inputs: 7, hidden: [16], outputs: 4, activation: .relu,
                                       dropout: 0, classNames: ["w", "x", "y", "z"], preprocessing: .none).checkpoint()
        #expect(throws: CheckpointError.self) { try NetworkClassifier.mlp(wrongWidth) }
    }

    @Test func toyGeneratorIsSeededAndFollowsItsLogits() throws {
        var a = SeededRandom(seed: 743), b = SeededRandom(seed: 743)
        var streamed: [String] = []
        let generator = ToyTextGenerator()
        let sampling = try SamplingOptions(temperature: 0.7)
        let first = try generator.generate(prompt: "e", maxTokens: 30, sampling: sampling, rng: &a) { streamed.append($0) }
        let second = try generator.generate(prompt: "e", maxTokens: 30, sampling: sampling, rng: &b) { _ in }
        #expect(first == second && first.count == 30 && streamed.joined() == first)
        // Greedy: each character is the argmax of the logits after the previous one.
        var rng = SeededRandom(seed: 1)
        let greedy = Array(try generator.generate(prompt: "a", maxTokens: 8, sampling: .greedy, rng: &rng) { _ in })
        var previous = ToyTextGenerator.alphabet.firstIndex(of: "a")!
        for c in greedy {
            let z = ToyTextGenerator.logits(after: previous)
            let best = z.indices.max { z[$0] < z[$1] }!
            #expect(c == ToyTextGenerator.alphabet[best])
            previous = best
        }
        #expect(throws: InferenceError.self) { try generator.validate(prompt: "xyz") }
    }

    @Test func batchingFigureStacksTwoPanels() {
        let points = [1, 2, 4].map { BatchSweepPoint(maxBatch: $0, requestsPerSecond: Double(100 * $0), p50Ms: 1, p99Ms: 2) }
        let figure = ServingFigures.batching([("A", points), ("B", points)])
        let svg = figure.render()
        #expect(svg.contains("Predict throughput") && svg.contains("Median latency") && svg.contains("Tail latency"))
        #expect(figure.document().height == 3 * 280)
        // The second panel's elements are moved down by the first panel's height.
        let line = SVGElement.line(x1: 0, y1: 5, x2: 1, y2: 6)
        #expect(StackedFigure.shift(.group([line]), dy: 320) == .group([.line(x1: 0, y1: 325, x2: 1, y2: 326)]))
    }

    @Test func percentilesUseTheNearestRank() {
        let load = LoadResult(requests: 100, errors: 0, seconds: 2, latencies: (1...100).map { Double($0) / 1000 })
        #expect(load.percentileMs(0.5) == 50 && load.percentileMs(0.99) == 99 && load.percentileMs(1) == 100)
        #expect(load.requestsPerSecond == 50)
    }
}
