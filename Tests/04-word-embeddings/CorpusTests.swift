// Tokenizer, vocabulary, subsampling and the alias table.

import BackpropCore
import Datasets
import Foundation
import Testing
@testable import WordEmbeddings

@Suite struct CorpusTests {
    @Test func tokenizerKeepsLettersAndInWordApostrophes() {
        let text = "KING RICHARD III:\nO'er the hills—'tis my lords' will; I'll go. Well-a-day! 2nd ne’er"
        #expect(Tokenizer.words(in: text) == [
            "king", "richard", "iii", "o'er", "the", "hills", "tis", "my", "lords", "will", "i'll", "go",
            "well", "a", "day", "nd", "ne'er"])
        #expect(Tokenizer.words(in: "") == [])
        #expect(Tokenizer.words(in: "a''b ' -- x'") == ["a", "b", "x"])
        #expect(Tokenizer.words(in: "Éclair café") == ["éclair", "café"])
    }

    @Test func vocabularyCountsOrdersAndFilters() throws {
        let tokens = "b a c a b a d".split(separator: " ").map(String.init)
        let v = try Vocabulary(tokens: tokens, minCount: 2)
        #expect(v.words == ["a", "b"])
        #expect(v.counts == [3, 2])
        #expect(v.id(of: "b") == 1 && v.id(of: "c") == nil)
        #expect(v.encode(tokens) == [1, 0, 0, 1, 0])
        #expect(v.tokenCount == 5)
        // Ties are broken alphabetically, so ids never depend on hashing.
        let tied = try Vocabulary(tokens: ["z", "y", "x"], minCount: 1)
        #expect(tied.words == ["x", "y", "z"])
        let error = #expect(throws: CorpusError.self) { try Vocabulary(tokens: ["a"], minCount: 2) }
        #expect(error?.description.contains("min-count") == true)
    }

    @Test func subsamplingFormula() {
        // p = (√(f/t) + 1)·t/f, capped at 1.
        let t = 1e-3
        #expect(Subsampler.keepProbability(frequency: 0.03, threshold: t) == ((30.0).squareRoot() + 1) / 30)
        #expect(Subsampler.keepProbability(frequency: 0.001, threshold: t) == 1)  // 2·t/f = 2 → capped
        #expect(Subsampler.keepProbability(frequency: 0.5, threshold: 0) == 1)    // switched off
        let f = 0.01
        #expect(abs(Subsampler.keepProbability(frequency: f, threshold: t) - ((10.0).squareRoot() + 1) * 0.1) < 1e-15)
    }

    @Test func subsamplingKeepsTheRightFraction() {
        // Word 0 has frequency ≈ 0.9999: p = (√(f/t) + 1)·t/f ≈ 0.0326.
        // Word 1 has frequency ≈ 1.1e-4 < t: kept always.
        let s = Subsampler(counts: [900_000, 100], threshold: 1e-3)
        let f = 900_000.0 / 900_100
        let p = s.keepProbability[0]
        #expect(abs(p - ((f / 1e-3).squareRoot() + 1) * 1e-3 / f) < 1e-15 && s.keepProbability[1] == 1)
        let n = 200_000
        let ids = [Int32](repeating: 0, count: n) + [Int32](repeating: 1, count: 1000)
        var rng = SeededRandom(seed: 3)
        let kept = s.subsample(ids, rng: &rng)
        let zeros = Double(kept.filter { $0 == 0 }.count)
        let sigma = (Double(n) * p * (1 - p)).squareRoot()
        #expect(abs(zeros - Double(n) * p) < 4 * sigma, "kept \(zeros), expected \(Double(n) * p) ± \(sigma)")
        #expect(kept.filter { $0 == 1 }.count == 1000)
    }

    @Test func aliasTableIsExactForItsWeights() {
        let weights = [5.0, 1, 0, 3, 0.5, 10, 2]
        let table = AliasTable(weights: weights)
        let total = weights.reduce(0, +)
        for (p, w) in zip(table.probabilities(), weights) { #expect(abs(p - w / total) < 1e-8) }
    }

    @Test func aliasTableSamplesTheUnigramToTheThreeQuarters() {
        let counts = [1000, 400, 150, 60, 20, 7, 3, 1]
        let table = AliasTable.unigram(counts: counts)
        let weights = counts.map { Foundation.pow(Double($0), 0.75) }
        let total = weights.reduce(0, +)
        var rng = SeededRandom(seed: 11)
        let n = 400_000
        var hits = [Int](repeating: 0, count: counts.count)
        for _ in 0..<n { hits[table.sample(rng.next())] += 1 }
        for i in counts.indices {
            let p = weights[i] / total
            let sigma = (Double(n) * p * (1 - p)).squareRoot()
            #expect(abs(Double(hits[i]) - Double(n) * p) < 4 * sigma, "word \(i): \(hits[i]) vs \(Double(n) * p)")
        }
    }

    @Test func evaluationWordsOccurAtLeastFiveTimes() throws {
        let tokens = Tokenizer.words(in: try BundledData.shakespeare())
        let v = try Vocabulary(tokens: tokens, minCount: 5)
        let missing = EvaluationSet.words.filter { v.id(of: $0) == nil }.sorted()
        #expect(missing.isEmpty, "below min-count 5: \(missing)")
        #expect(EvaluationSet.analogies.count >= 20 && EvaluationSet.analogies.count <= 40)
    }
}
