// Training a byte-level BPE: a corpus worked by hand, the tie-break rule,
// the incremental counts against recounting from scratch, and what the
// trained tokenizer guarantees (round trips, special tokens, word boundaries).

import Datasets
import Testing
@testable import TokensAndTheModernLLM

@Suite struct BPETrainerTests {
    /// The corpus "aaabdaaabac" (a = 97, b = 98, c = 99, d = 100), without
    /// pre-tokenization, worked by hand:
    ///
    ///   text        a a a b d a a a b a c
    ///   pairs       aa ×4 (it overlaps itself: "aaa" holds two), ab ×2,
    ///               bd, da, ba, ac ×1
    ///   merge 0     (97, 97) "aa" → 256 = Z. Left to right, "aaa" becomes Z a:
    ///   text        Z a b d Z a b a c
    ///   pairs       Za ×2, ab ×2, bd, dZ, ba, ac ×1
    ///   merge 1     a tie at 2: (256, 97) and (97, 98). The rule: the smaller
    ///               ids, left id first, so (97, 98) "ab" → 257 = Y:
    ///   text        Z Y d Z Y a c
    ///   pairs       ZY ×2, Yd, dZ, Ya, ac ×1
    ///   merge 2     (256, 257) "aaab" → 258 = X:
    ///   text        X d X a c
    ///   pairs       all ×1: no pair is seen twice, so training stops at 3 merges.
    ///
    /// The text ends as 5 tokens: 258 100 258 97 99.
    @Test("a corpus worked by hand gives the hand-derived merges, tie-break included")
    func handWorked() throws {
        let (bpe, report) = try BPETrainer.train("aaabdaaabac", options: BPETrainingOptions(vocabularySize: 300, preTokenization: .none))
        #expect(bpe.merges == [.init(left: 97, right: 97), .init(left: 97, right: 98), .init(left: 256, right: 257)])
        #expect(report.mergeCounts == [4, 2, 2])
        #expect(report.tokens == 5)
        #expect(bpe.encode("aaabdaaabac") == [258, 100, 258, 97, 99])
        #expect(try bpe.bytes(of: 258) == Array("aaab".utf8))
        // The vocabulary size caps the merges.
        let (two, _) = try BPETrainer.train("aaabdaaabac", options: BPETrainingOptions(vocabularySize: 258, preTokenization: .none))
        #expect(two.merges.count == 2)
    }

    @Test("ties go to the smaller ids, left id first")
    func tieBreak() throws {
        let (bpe, _) = try BPETrainer.train("ab.ba.cd ab.ba.cd", options: BPETrainingOptions(vocabularySize: 257, preTokenization: .none))
        // Every pair but "d " and " a" occurs twice; "." (46) is the smallest left id, and ".b" < ".c".
        #expect(bpe.merges == [.init(left: 46, right: 98)])
    }

    /// Recounts every pair after every merge: slow, plainly correct.
    static func referenceMerges(_ text: String, merges count: Int, preTokenization: PreTokenization) -> [BPETokenizer.Merge] {
        var words: [[Int]] = preTokenization == .gpt2 ? GPT2PreTokenizer.pieces(text).map { $0.utf8.map(Int.init) } : [text.utf8.map(Int.init)]
        var merges: [BPETokenizer.Merge] = []
        while merges.count < count {
            var counts: [[Int]: Int] = [:]
            for w in words where w.count > 1 { for i in 0..<(w.count - 1) { counts[[w[i], w[i + 1]], default: 0] += 1 } }
            guard let best = counts.max(by: { a, b in a.value < b.value || (a.value == b.value && (a.key[0], a.key[1]) > (b.key[0], b.key[1])) }),
                  best.value >= 2 else { break }
            let z = 256 + merges.count
            merges.append(.init(left: best.key[0], right: best.key[1]))
            words = words.map { w in
                var out: [Int] = [], i = 0
                while i < w.count {
                    if i + 1 < w.count && w[i] == best.key[0] && w[i + 1] == best.key[1] { out.append(z); i += 2 } else { out.append(w[i]); i += 1 }
                }
                return out
            }
        }
        return merges
    }

    @Test("incremental pair counts give the same merges as recounting", arguments: PreTokenization.allCases)
    func incrementalMatchesRecount(mode: PreTokenization) throws {
        let text = String(try BundledData.shakespeare().prefix(3000)) + " aaaa aaaaaa abababab"
        let (bpe, _) = try BPETrainer.train(text, options: BPETrainingOptions(vocabularySize: 256 + 60, preTokenization: mode))
        #expect(bpe.merges == Self.referenceMerges(text, merges: 60, preTokenization: mode))
    }

    @Test("encoding the training text replays training: the same token count")
    func encodingReplaysTraining() throws {
        let text = String(try BundledData.shakespeare().prefix(20_000))
        for mode in PreTokenization.allCases {
            let (bpe, report) = try BPETrainer.train(text, options: BPETrainingOptions(vocabularySize: 400, preTokenization: mode))
            #expect(bpe.merges.count == 144)
            #expect(bpe.encode(text).count == report.tokens, "\(mode)")
            #expect(report.tokens < text.utf8.count * 3 / 5, "\(mode): \(report.tokens) tokens")
        }
    }

    @Test("with GPT-2's pre-tokenization no token crosses a word boundary; without, some do")
    func wordBoundaries() throws {
        let text = String(try BundledData.shakespeare().prefix(20_000))
        let (words, _) = try BPETrainer.train(text, options: BPETrainingOptions(vocabularySize: 500))
        let (raw, _) = try BPETrainer.train(text, options: BPETrainingOptions(vocabularySize: 500, preTokenization: .none))
        func crossing(_ bpe: BPETokenizer) throws -> [String] {
            try (256..<(256 + bpe.merges.count)).map { String(decoding: try bpe.bytes(of: $0), as: UTF8.self) }
                .filter { GPT2PreTokenizer.pieces($0).count > 1 }
        }
        #expect(try crossing(words).isEmpty)
        #expect(try crossing(raw).count > 10)
    }

    @Test("any byte sequence round-trips (seeded random bytes, and text)", arguments: PreTokenization.allCases)
    func roundTrip(mode: PreTokenization) throws {
        let (bpe, _) = try BPETrainer.train(String(try BundledData.shakespeare().prefix(20_000)),
                                            options: BPETrainingOptions(vocabularySize: 400, preTokenization: mode))
        var rng = SplitMixForTests(seed: 11)
        for trial in 0..<200 {
            // Random bytes, often invalid UTF-8, biased to ASCII so merges fire.
            let bytes = (0..<rng.below(200)).map { _ in rng.below(3) == 0 ? UInt8(rng.below(256)) : Array("the king, \n'".utf8)[rng.below(12)] }
            let ids = bpe.bpe.encode(bytes: bytes)
            #expect(try bpe.decodeBytes(ids) == bytes, "trial \(trial)")
            #expect(ids.allSatisfy { $0 < 256 + bpe.merges.count })
        }
        let gpt2 = try Shared.gpt2()
        for _ in 0..<50 {
            let bytes = (0..<rng.below(100)).map { _ in UInt8(rng.below(256)) }
            #expect(try gpt2.decodeBytes(gpt2.bpe.encode(bytes: bytes)) == bytes)
        }
    }

    @Test("special tokens: never split, never produced by merges, ordinary text unless allowed")
    func specialTokens() throws {
        let eot = GPT2Tokenizer.endOfText
        let text = String(repeating: "to be or not to be\(eot)", count: 50)
        let (bpe, _) = try BPETrainer.train(text, options: BPETrainingOptions(vocabularySize: 300, specialTokens: [eot, "<|pad|>"]))
        let eotID = try #require(bpe.id(ofSpecial: eot))
        #expect(eotID == 256 + bpe.merges.count && bpe.id(ofSpecial: "<|pad|>") == eotID + 1)
        #expect(bpe.vocabularySize == eotID + 2)
        // Training never saw the special token's bytes: no merge spells part of it.
        for id in 256..<eotID { #expect(!String(decoding: try bpe.bytes(of: id), as: UTF8.self).contains("|")) }
        let allowed = bpe.encode("be\(eot)\(eot)or<|pad|>", allowedSpecial: [eot, "<|pad|>"])
        #expect(allowed.filter { $0 == eotID }.count == 2 && allowed.contains(eotID + 1))
        #expect(try bpe.decode(allowed) == "be\(eot)\(eot)or<|pad|>")
        // Not allowed: the same characters are plain text, and no id is special.
        let plain = bpe.encode("be\(eot)")
        #expect(plain.allSatisfy { $0 < eotID })
        #expect(try bpe.decode(plain) == "be\(eot)")
        // An ordinary tokenizer cannot produce a special id from any text.
        #expect(bpe.encode(String(repeating: eot, count: 3)).allSatisfy { $0 < eotID })
    }

    @Test("the scan and the heap merge words the same way")
    func scanMatchesHeap() throws {
        let (bpe, _) = try BPETrainer.train(String(try BundledData.shakespeare().prefix(20_000)),
                                            options: BPETrainingOptions(vocabularySize: 500, preTokenization: .none))
        var rng = SplitMixForTests(seed: 5)
        let text = Array(String(try BundledData.shakespeare().prefix(5_000)).utf8)
        var scan = BytePairMerger(merges: bpe.bpe.merges), heap = BytePairMerger(merges: bpe.bpe.merges)
        scan.scanLimit = .max
        heap.scanLimit = 1
        for _ in 0..<100 {
            let start = rng.below(text.count - 300)
            var a = text[start..<(start + 2 + rng.below(250))].map(UInt32.init), b = a
            scan.merge(&a)
            heap.merge(&b)
            #expect(a == b)
        }
        // "aaaa…": equal ranks everywhere; the leftmost pair merges first in both.
        let (runs, _) = try BPETrainer.train("aaaaaaa aaaaaaa", options: BPETrainingOptions(vocabularySize: 260, preTokenization: .none))
        var a = [UInt32](repeating: 97, count: 7), b = a
        var s = BytePairMerger(merges: runs.bpe.merges), h = BytePairMerger(merges: runs.bpe.merges)
        s.scanLimit = .max
        h.scanLimit = 1
        s.merge(&a)
        h.merge(&b)
        #expect(a == b)
    }

    @Test("bad options are errors naming the problem")
    func badOptions() {
        #expect(throws: TokenizerError.invalid("the vocabulary size must be between 256 and 16,777,216, got 100")) {
            try BPETrainer.train("abc", options: BPETrainingOptions(vocabularySize: 100))
        }
        #expect(throws: TokenizerError.self) { try BPETrainer.train("abc", options: BPETrainingOptions(specialTokens: ["<a>", "<a>"])) }
        #expect(throws: TokenizerError.self) { try BPETokenizer(merges: [.init(left: 256, right: 97)]) }
    }
}
