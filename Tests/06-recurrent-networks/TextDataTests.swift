// Tests for the text plumbing shared by chapters 6 and 7: the character
// vocabulary, the 90/5/5 corpus split, both batchers, sampling and the
// embedding lookup.

import BackpropCore
import Foundation
import Testing
import TestSupport
@testable import Datasets
@testable import RecurrentNetworks

@Suite struct CharacterVocabularyTests {
    @Test func sortedDistinctCharactersRoundTrip() throws {
        let v = try CharacterVocabulary(text: "hello, world")
        #expect(v.string == " ,dehlorw")
        let ids = try v.encode("held")
        #expect(ids == [4, 3, 5, 2])
        #expect(try v.decode(ids) == "held")
    }

    @Test func unknownCharactersAndIdsAreTypedErrors() throws {
        let v = try CharacterVocabulary(text: "abc")
        #expect(throws: TextError.unknownCharacter("z", vocabularySize: 3)) { try v.encode("abz") }
        #expect(throws: TextError.tokenOutOfRange(3, vocabularySize: 3)) { try v.decode([0, 3]) }
        #expect(throws: TextError.emptyText("the training text")) { try CharacterVocabulary(text: "") }
        #expect(throws: TensorError.self) { try CharacterVocabulary(characters: ["a", "a"]) }
    }

    @Test func shakespeareHas65CharactersAndA90_5_5Split() throws {
        let corpus = try CharacterCorpus.shakespeare()
        #expect(corpus.vocabulary.count == 65)
        let n = 1_115_394  // the bundled file's length in characters (all ASCII)
        #expect(corpus.train.count + corpus.validation.count + corpus.test.count == n)
        #expect(corpus.train.count == 1_003_854)   // ⌊0.9 n⌋
        #expect(corpus.test.count == n - 1_059_624)  // from ⌊0.95 n⌋ to the end
        // In the text's order: the parts are consecutive slices of the whole.
        let all = try corpus.vocabulary.encode(try BundledData.shakespeare())
        #expect(Array(all[1_003_854..<1_059_624]) == corpus.validation)
        #expect(Array(all.suffix(corpus.test.count)) == corpus.test)
    }

    @Test func splitFractionsAreCheckedAndTheTestPartIsOptional() throws {
        let text = String(repeating: "abcdefghij", count: 10)   // 100 characters
        let plain = try CharacterCorpus(text: text)
        #expect(plain.train.count == 90 && plain.validation.count == 10 && plain.test.isEmpty)
        let three = try CharacterCorpus(text: text, trainFraction: 0.8, testFraction: 0.1)
        #expect(three.train.count == 80 && three.validation.count == 10 && three.test.count == 10)
        #expect(throws: TrainingError.self) { try CharacterCorpus(text: text, trainFraction: 0.9, testFraction: 0.1) }
        #expect(throws: TrainingError.self) { try CharacterCorpus(text: text, testFraction: -0.1) }
        #expect(throws: TrainingError.self) { try CharacterCorpus(text: "abcd", trainFraction: 0.5, testFraction: 0.25) }
    }
}

@Suite struct BatchingTests {
    @Test func streamBatchesContinueEachStreamWindowByWindow() throws {
        let tokens = Array(0..<41)   // 2 streams of 20 tokens, windows of 5: 4 per epoch
        var batches = try StreamBatches(tokens, batch: 2, length: 5)
        #expect(batches.windowsPerEpoch == 4)
        let first = batches.next()
        #expect(first.startsEpoch)
        #expect(first.inputs == [0, 1, 2, 3, 4, 20, 21, 22, 23, 24])
        #expect(first.targets == first.inputs.map { $0 + 1 })
        let second = batches.next()
        #expect(!second.startsEpoch)
        #expect(second.inputs == [5, 6, 7, 8, 9, 25, 26, 27, 28, 29])
        _ = batches.next(); _ = batches.next()
        #expect(batches.next().startsEpoch)
    }

    @Test func randomWindowsAreShiftedByOne() throws {
        var rng = SeededRandom(seed: 7)
        let tokens = Array(100..<200)
        let (x, y) = try CharacterCorpus.randomWindows(tokens, batch: 3, length: 8, rng: &rng)
        #expect(x.count == 24 && y == x.map { $0 + 1 })
        #expect(throws: TrainingError.self) { try CharacterCorpus.randomWindows(Array(0..<8), batch: 1, length: 8, rng: &rng) }
        #expect(throws: TrainingError.self) { try StreamBatches(Array(0..<10), batch: 4, length: 5) }
    }
}

@Suite struct SamplingTests {
    @Test func temperatureScalesLogitsBeforeTheSoftmax() throws {
        let logits: [Double] = [1, 2, 3]
        let p = TokenSampler.probabilities(logits, options: try SamplingOptions(temperature: 0.5))
        // softmax(z / 0.5) = softmax([2, 4, 6]) computed by hand
        let e = [2.0, 4, 6].map { exp($0 - 6) }
        for i in 0..<3 { #expect(abs(p[i] - e[i] / e.reduce(0, +)) < 1e-12) }
        #expect(TokenSampler.probabilities(logits, options: .greedy) == [0, 0, 1])
    }

    @Test func topKKeepsOnlyTheLargestLogits() throws {
        let p = TokenSampler.probabilities([0.5, 3, 1, 2] as [Float], options: try SamplingOptions(temperature: 1, topK: 2))
        #expect(p[0] == 0 && p[2] == 0)
        #expect(abs(p[1] - 1 / (1 + exp(-1))) < 1e-6)
    }

    @Test func topKThresholdIsTheKthValueInDescendingOrder() {
        // Against the definition (sort, take the k-th), on vocabularies with
        // many repeated values (ties at the k-th must all be kept).
        var rng = SeededRandom(seed: 21)
        for trial in 0..<300 {
            let n = 2 + trial % 70
            let z = (0..<n).map { _ in Double(Int(rng.uniform() * 9)) - 4 }
            for k in [1, 2, n / 2, n - 1] where k >= 1 && k < n {
                #expect(TokenSampler.kthLargest(z, k) == z.sorted(by: >)[k - 1], "n \(n) k \(k)")
            }
        }
        let p = TokenSampler.probabilities([1, 3, 3, 2, 3] as [Float], options: try! SamplingOptions(temperature: 1, topK: 2))
        #expect(p[1] > 0 && p[2] > 0 && p[4] > 0 && p[0] == 0 && p[3] == 0, "ties at the k-th value are all kept")
    }

    @Test func samplesFollowTheDistribution() throws {
        var rng = SeededRandom(seed: 1)
        let options = try SamplingOptions(temperature: 1)
        var counts = [0, 0]
        for _ in 0..<20_000 { counts[TokenSampler.sample([0, log(3)] as [Double], options: options, rng: &rng)] += 1 }
        #expect(abs(Double(counts[1]) / 20_000 - 0.75) < 0.015)
    }

    @Test func badOptionsAreRejected() {
        #expect(throws: TrainingError.self) { try SamplingOptions(temperature: -1) }
        #expect(throws: TrainingError.self) { try SamplingOptions(temperature: .nan) }
        #expect(throws: TrainingError.self) { try SamplingOptions(topK: 0) }
    }
}

@Suite struct EmbeddingTests {
    @Test func lookupAndScatterAddMatchTheOneHotProduct() throws {
        var rng = SeededRandom(seed: 3)
        let table = try Embedding<Double>(count: 5, dimension: 3, rng: &rng)
        let tokens = try Embedding<Double>.ids([4, 1, 4])
        let y = try table.forward(tokens, mode: .inference).output
        #expect(y.row(0).scalars == table.weight.value.row(4).scalars)
        #expect(y.row(1).scalars == table.weight.value.row(1).scalars)
        // Gradient of L = Σ R ⊙ y by finite differences on E (and on the ids,
        // where it is zero: the lookup is constant between half-integers).
        let reports = try checkLayer(table, input: tokens, seed: 9)
        #expect(reports["weight"]!.maxRelativeError < 1e-7, "\(reports["weight"]!)")
        #expect(reports["input"]!.numericGradient.scalars.allSatisfy { $0 == 0 })
        #expect(reports["input"]!.passes(1e-7))
        #expect(throws: TextError.tokenOutOfRange(5, vocabularySize: 5)) { try table.forward(try Embedding.ids([5]), mode: .inference) }
        #expect(throws: TextError.tokenOutOfRange(-1, vocabularySize: 5)) { try table.forward(try Embedding.ids([-1]), mode: .inference) }
    }
}
