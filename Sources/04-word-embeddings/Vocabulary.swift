// Vocabulary: the words kept for training, their counts, and word ↔ id maps.
//
// Contract
// - Words seen fewer than `minCount` times are dropped (they have too few
//   contexts to learn from, and dropping them shrinks the embedding tables).
// - Ids run 0..<count in order of decreasing count; ties are broken
//   alphabetically, so the same corpus always gives the same ids.
// - `encode` maps a token stream to ids, skipping words not in the
//   vocabulary (as word2vec does: they are removed before windows are formed).

/// Why a corpus or vocabulary cannot be used.
public enum CorpusError: Error, CustomStringConvertible, Equatable, Sendable {
    /// No word occurs at least `minCount` times.
    case emptyVocabulary(minCount: Int, tokens: Int)
    /// A corpus file that cannot be read.
    case unreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case let .emptyVocabulary(m, t):
            return "no word occurs at least \(m) times in the corpus (\(t) tokens); lower --min-count or use a longer text"
        case let .unreadable(path, reason):
            return "cannot read corpus \(path): \(reason)"
        }
    }
}

/// The training vocabulary.
public struct Vocabulary: Sendable {
    /// Words by id.
    public let words: [String]
    /// Occurrences of each word in the corpus, by id (non-increasing).
    public let counts: [Int]
    /// The minimum count a word needed to be kept.
    public let minCount: Int
    private let ids: [String: Int]

    /// Counts `tokens` and keeps the words seen at least `minCount` times.
    /// - Throws: `CorpusError.emptyVocabulary` if no word qualifies.
    public init(tokens: [String], minCount: Int) throws {
        precondition(minCount >= 1, "minCount must be at least 1")
        var tally: [String: Int] = [:]
        for t in tokens { tally[t, default: 0] += 1 }
        let kept = tally.filter { $0.value >= minCount }.sorted {
            $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key
        }
        guard !kept.isEmpty else { throw CorpusError.emptyVocabulary(minCount: minCount, tokens: tokens.count) }
        words = kept.map(\.key)
        counts = kept.map(\.value)
        self.minCount = minCount
        var ids: [String: Int] = [:]
        for (i, w) in words.enumerated() { ids[w] = i }
        self.ids = ids
    }

    /// The number of distinct words kept.
    public var count: Int { words.count }

    /// The number of corpus tokens that are in the vocabulary (Σ counts).
    public var tokenCount: Int { counts.reduce(0, +) }

    /// The id of `word`, or nil if it is not in the vocabulary.
    public func id(of word: String) -> Int? { ids[word] }

    /// The ids of the tokens that are in the vocabulary, in order.
    public func encode(_ tokens: [String]) -> [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(tokens.count)
        for t in tokens { if let i = ids[t] { out.append(Int32(i)) } }
        return out
    }
}
