// Training a byte-level BPE. Start from the text as bytes (one token per byte
// value, ids 0–255), then repeat: count every pair of adjacent tokens, take
// the most frequent pair (a, b), give it the next id z = 256 + k, and replace
// every occurrence of a b by z, left to right. The list of merges, in the
// order they were made, is the tokenizer.
//
// Tie-break: among pairs equally frequent, the one with the smaller ids,
// comparing the left id first (for two bytes: the first in byte order). Any
// fixed rule would do; a stated one makes training reproducible by hand.
//
// Recounting every pair after every merge costs O(text) per merge, 4,000
// passes over tinyshakespeare for a 4,352-token vocabulary. Instead we count
// once and then update: a merge of a b at one place, between neighbours x
// and y (x a b y → x z y), changes exactly the pairs around it,
//
//     (x, a) −1   (a, b) −1   (b, y) −1      (x, z) +1   (z, y) +1,
//
// so we keep, for each pair, its count and the places it occurs (positions
// in a linked list of symbols), and a max-heap of pairs by count. A merge
// visits only its own occurrences. Counts in the heap go stale as neighbours
// change; a popped entry whose count is no longer current is pushed back
// with the current one (if it fell) or dropped (if it rose: a fresher entry
// is already queued).
//
// With GPT-2's pre-tokenization the text is first cut into words and merges
// never cross a word boundary; identical words are merged once, weighted by
// how often they occur (tinyshakespeare: ~250,000 words, ~15,000 distinct).
// Without it the whole text is one sequence and merges cross spaces.

import Foundation

/// How to train a BPE.
public struct BPETrainingOptions: Sendable {
    /// Byte tokens plus merges: 256 + the number of merges. Special tokens come on top.
    public var vocabularySize = 512
    public var preTokenization: PreTokenization = .gpt2
    /// Tokens that are never split nor merged; cut out of the training text.
    public var specialTokens = [GPT2Tokenizer.endOfText]

    public init(vocabularySize: Int = 512, preTokenization: PreTokenization = .gpt2,
                specialTokens: [String] = [GPT2Tokenizer.endOfText]) {
        self.vocabularySize = vocabularySize
        self.preTokenization = preTokenization
        self.specialTokens = specialTokens
    }
}

/// What a training run did.
public struct BPETrainingReport: Sendable {
    /// How often each merge's pair occurred when it was chosen.
    public var mergeCounts: [Int]
    /// Distinct words (sequences) trained on, and bytes in the training text.
    public var words: Int, bytes: Int
    public var seconds: Double
    /// Tokens of the training text after all merges.
    public var tokens: Int
}

public enum BPETrainer {
    /// Learns `options.vocabularySize − 256` merges from `text` (fewer if no
    /// pair occurs twice any more: merging a pair seen once only memorises the text).
    /// - Throws: `TokenizerError.invalid` for a vocabulary smaller than 256 or bad special tokens.
    public static func train(_ text: String, options: BPETrainingOptions) throws -> (tokenizer: BPETokenizer, report: BPETrainingReport) {
        guard options.vocabularySize >= 256, options.vocabularySize <= 1 << 24 else {
            throw TokenizerError.invalid("the vocabulary size must be between 256 and 16,777,216, got \(options.vocabularySize)")
        }
        try BPETokenizer.validate(specialTokens: options.specialTokens)
        let start = Date()
        var pairs = PairStatistics(words: WordCounts(text, options: options))
        let wordCount = pairs.words.sequences, byteCount = pairs.words.totalBytes
        var merges: [BPETokenizer.Merge] = [], counts: [Int] = []
        while 256 + merges.count < options.vocabularySize, let (pair, count) = pairs.mostFrequent(), count >= 2 {
            let a = UInt32(truncatingIfNeeded: pair >> 32), b = UInt32(truncatingIfNeeded: pair)
            pairs.merge(a, b, into: UInt32(256 + merges.count))
            merges.append(.init(left: Int(a), right: Int(b)))
            counts.append(count)
        }
        let tokenizer = try BPETokenizer(merges: merges, specialTokens: options.specialTokens, preTokenization: options.preTokenization)
        let report = BPETrainingReport(mergeCounts: counts, words: wordCount, bytes: byteCount,
                                       seconds: Date().timeIntervalSince(start), tokens: pairs.tokenCount)
        return (tokenizer, report)
    }
}

/// The training text as distinct sequences of bytes with their counts.
struct WordCounts {
    var bytes: [UInt8] = []
    var starts: [Int] = [0]
    var counts: [Int] = []
    /// Bytes of the training text, special tokens excluded (repeated words counted each time).
    var totalBytes = 0
    var sequences: Int { counts.count }

    init(_ text: String, options: BPETrainingOptions) {
        var utf8 = Array(text.utf8)
        let specials = options.specialTokens.enumerated().map { (text: $0.element, id: UInt32($0.offset)) }
        var index = WordCache()
        utf8.withUnsafeMutableBufferPointer { buffer in
            let all = UnsafeBufferPointer(buffer)
            var segments: [Range<Int>] = []
            var from = 0
            for (range, _) in SpecialTokenMatcher.matches(of: specials, in: all) {
                segments.append(from..<range.lowerBound)
                from = range.upperBound
            }
            segments.append(from..<all.count)
            totalBytes = segments.reduce(0) { $0 + $1.count }
            for segment in segments where !segment.isEmpty {
                guard options.preTokenization == .gpt2 else { add(all[segment]); continue }
                var words = GPT2PreTokenizer(all, range: segment)
                var found: [UInt32] = []
                while let word = words.next() {
                    let key = UnsafeBufferPointer(rebasing: all[word])
                    let h = WordCache.hash(key)
                    found.removeAll(keepingCapacity: true)
                    if index.lookUp(key, hash: h, into: &found) {
                        counts[Int(found[0])] += 1
                    } else {
                        index.insert(key, hash: h, value: [UInt32(counts.count)][...])
                        add(key[...])
                    }
                }
            }
        }
    }

    private mutating func add(_ word: Slice<UnsafeBufferPointer<UInt8>>) {
        bytes.append(contentsOf: word)
        starts.append(bytes.count)
        counts.append(1)
    }
}
