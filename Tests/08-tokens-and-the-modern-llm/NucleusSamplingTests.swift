// Top-p (nucleus) sampling from its definition: the smallest set of the
// most probable tokens whose probability reaches p, renormalised; with
// temperature and top-k before it; seeded draws.

import BackpropCore
import Foundation
import RecurrentNetworks
import TestSupport
import Testing
@testable import TokensAndTheModernLLM

@Suite struct NucleusSamplingTests {
    let probabilities = [0.05, 0.5, 0.15, 0.2, 0.1]
    var logits: [Double] { probabilities.map { log($0) } }

    @Test("A worked example: p = 0.45, 0.6, 0.8, 0.9 and 1 keep 1, 2, 3, 4 and 5 tokens, renormalised")
    func workedExample() throws {
        func q(_ top: Double) throws -> [Double] { NucleusSampler.probabilities(logits, options: try LlamaSampling(topP: top)) }
        func close(_ a: [Double], _ b: [Double]) -> Bool { zip(a, b).allSatisfy { abs($0 - $1) < 1e-12 } }
        #expect(close(try q(0.45), [0, 1, 0, 0, 0]))                           // 0.5 reaches 0.45
        #expect(close(try q(0.6), [0, 0.5 / 0.7, 0, 0.2 / 0.7, 0]))            // 0.5 < 0.6 ≤ 0.7
        #expect(close(try q(0.8), [0, 0.5 / 0.85, 0.15 / 0.85, 0.2 / 0.85, 0]))
        #expect(close(try q(0.9), [0, 0.5 / 0.95, 0.15 / 0.95, 0.2 / 0.95, 0.1 / 0.95]))
        #expect(close(try q(1), probabilities))
        #expect(close(try q(0.01), [0, 1, 0, 0, 0]))
    }

    @Test("On random logits the kept set is the smallest prefix of the sorted probabilities reaching p", arguments: [0.3, 0.7, 0.95])
    func definition(top: Double) throws {
        var rng = SeededRandom(seed: 900)
        for _ in 0..<50 {
            let z = (0..<12).map { _ in rng.normal(mean: 0, std: 2) }
            let full = TokenSampler.probabilities(z, options: try SamplingOptions(temperature: 1))
            let q = NucleusSampler.probabilities(z, options: try LlamaSampling(topP: top))
            let kept = q.indices.filter { q[$0] > 0 }
            let mass = kept.reduce(0.0) { $0 + full[$1] }
            #expect(mass >= top)                                                          // reaches p
            let smallest = kept.map { full[$0] }.min()!
            #expect(mass - smallest < top)                                                // and is the smallest such set
            for i in q.indices where q[i] == 0 { #expect(full[i] <= smallest) }            // the most probable ones
            for i in kept { #expect(abs(q[i] - full[i] / mass) < 1e-12) }                 // renormalised
        }
    }

    @Test("Temperature and top-k come first; T = 0 stays greedy")
    func order() throws {
        // top-k 3 leaves 0.5, 0.2, 0.15 → 0.588, 0.235, 0.176; top-p 0.8 then keeps the first two
        let q = NucleusSampler.probabilities(logits, options: try LlamaSampling(topK: 3, topP: 0.8))
        #expect(abs(q[1] - 0.5 / 0.7) < 1e-12 && abs(q[3] - 0.2 / 0.7) < 1e-12 && q[0] == 0 && q[2] == 0 && q[4] == 0)
        // T = 2 flattens: √p normalised = 0.107, 0.340, 0.186, 0.215, 0.152; p = 0.5 keeps 1 and 3 (0.555),
        // p = 0.6 needs 2 as well (0.741); at T = 1 p = 0.6 keeps 1 and 3 (0.7)
        let flat = NucleusSampler.probabilities(logits, options: try LlamaSampling(temperature: 2, topP: 0.5))
        #expect(flat.indices.filter { flat[$0] > 0 } == [1, 3])
        let flatter = NucleusSampler.probabilities(logits, options: try LlamaSampling(temperature: 2, topP: 0.6))
        #expect(flatter.indices.filter { flatter[$0] > 0 } == [1, 2, 3])
        #expect(NucleusSampler.probabilities(logits, options: try LlamaSampling(temperature: 0, topP: 0.9)) == [0, 1, 0, 0, 0])
    }

    @Test("Seeded draws land only in the nucleus, with its frequencies, and repeat with the seed")
    func draws() throws {
        let options = try LlamaSampling(topP: 0.8)
        var rng = SeededRandom(seed: 901)
        var counts = [Int](repeating: 0, count: 5)
        let n = 20_000
        for _ in 0..<n { counts[NucleusSampler.sample(logits, options: options, rng: &rng)] += 1 }
        #expect(counts[0] == 0 && counts[4] == 0)
        for (i, p) in [(1, 0.5 / 0.85), (2, 0.15 / 0.85), (3, 0.2 / 0.85)] { #expect(abs(Double(counts[i]) / Double(n) - p) < 0.015) }
        var a = SeededRandom(seed: 7), b = SeededRandom(seed: 7)
        #expect((0..<50).map { _ in NucleusSampler.sample(logits, options: options, rng: &a) }
                == (0..<50).map { _ in NucleusSampler.sample(logits, options: options, rng: &b) })
    }

    @Test("top-p outside (0, 1] is a typed error; generation is seeded")
    func errorsAndGeneration() throws {
        #expect(throws: TrainingError.self) { try LlamaSampling(topP: 0) }
        #expect(throws: TrainingError.self) { try LlamaSampling(topP: 1.5) }
        #expect(throws: TrainingError.self) { try LlamaSampling(temperature: -1) }
        let model = try Llama<Float>(config: try LlamaConfig(vocabularySize: 20, context: 8, layers: 1, width: 16, heads: 2, kvHeads: 1), seed: 902)
        let options = try LlamaSampling(temperature: 0.9, topP: 0.9)
        var r1 = SeededRandom(seed: 3), r2 = SeededRandom(seed: 3)
        let a = try model.generateTokens(prompt: [1, 2], count: 12, sampling: options, rng: &r1)
        let b = try model.generateTokens(prompt: [1, 2], count: 12, sampling: options, rng: &r2, useKVCache: false)
        #expect(a.count == 12 && a == b)
        #expect(throws: (any Error).self) { try model.generateTokens(prompt: [], count: 3, sampling: options, rng: &r1) }
    }
}
