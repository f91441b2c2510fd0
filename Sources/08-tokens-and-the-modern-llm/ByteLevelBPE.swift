// The machinery both of the chapter's tokenizers share: a byte-level BPE.
//
// A vocabulary of byte strings, numbered: first one token for each of the
// 256 bytes (so any input can be encoded, whatever its language or even if
// it is not text), then one token per merge, then the special tokens.
// Encoding a text:
//
//   1. cut out the special tokens it is allowed to contain (`<|endoftext|>`):
//      each becomes its id, never split and never merged with its neighbours;
//   2. cut the rest into words (GPT-2's pre-tokenization), or keep it whole;
//   3. map each byte of a word to its byte token and apply the merges in
//      rank order (BytePairMerger), looking each word up in a cache first.
//
// Decoding concatenates the tokens' bytes. Bytes are the exact inverse of
// encoding; a String from them is lossy where the ids cut a UTF-8 sequence
// (a lone half of an emoji), which becomes U+FFFD, as tiktoken's `decode`
// does with errors="replace".

/// Something that turns text into token ids and back.
public protocol TextTokenizer: Sendable {
    /// Tokens in the vocabulary, special tokens included.
    var vocabularySize: Int { get }
    /// The ids of `text`; special tokens named in `allowedSpecial` found in the
    /// text become their ids, all other text (special-looking or not) is encoded as text.
    func encode(_ text: String, allowedSpecial: Set<String>) -> [Int]
    /// The bytes the ids stand for. Throws `TokenizerError.unknownToken` for an id outside the vocabulary.
    func decodeBytes(_ ids: [Int]) throws -> [UInt8]
}

extension TextTokenizer {
    /// The ids of `text` with no special tokens: `<|endoftext|>` in the text is plain text.
    public func encode(_ text: String) -> [Int] { encode(text, allowedSpecial: []) }

    /// The text the ids stand for; byte sequences that are not UTF-8 (ids that cut
    /// a character) become U+FFFD, one for each maximal invalid subsequence.
    public func decode(_ ids: [Int]) throws -> String { String(decoding: try decodeBytes(ids), as: UTF8.self) }
}

/// A byte-level BPE: its vocabulary, merges, special tokens, and whether it pre-tokenizes.
public struct ByteLevelBPE: Sendable {
    /// The token of each byte value (the identity for a trained BPE; GPT-2 numbers them differently).
    public let byteTokens: [UInt32]
    /// Pair → merged token, whose id is its rank.
    public let merges: MergeTable
    /// Special tokens and their ids.
    public let specialTokens: [(text: String, id: UInt32)]
    /// Cut text into words by GPT-2's pattern before merging.
    public let preTokenize: Bool
    private let tokenStarts: [Int]
    private let tokenArena: [UInt8]

    /// - Parameter tokenBytes: the bytes of every token, by id (specials included).
    public init(tokenBytes: [[UInt8]], byteTokens: [UInt32], merges: MergeTable,
                specialTokens: [(text: String, id: UInt32)], preTokenize: Bool) {
        precondition(byteTokens.count == 256)
        self.byteTokens = byteTokens
        self.merges = merges
        self.specialTokens = specialTokens
        self.preTokenize = preTokenize
        var starts = [0]
        starts.reserveCapacity(tokenBytes.count + 1)
        for t in tokenBytes { starts.append(starts.last! + t.count) }
        tokenStarts = starts
        tokenArena = tokenBytes.flatMap { $0 }
    }

    public var vocabularySize: Int { tokenStarts.count - 1 }

    /// The bytes of one token.
    public func bytes(of id: Int) throws -> ArraySlice<UInt8> {
        guard id >= 0, id < vocabularySize else { throw TokenizerError.unknownToken(id: id, vocabularySize: vocabularySize) }
        return tokenArena[tokenStarts[id]..<tokenStarts[id + 1]]
    }

    public func decodeBytes(_ ids: [Int]) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(ids.count * 4)
        for id in ids { out.append(contentsOf: try bytes(of: id)) }
        return out
    }

    public func encode(_ text: String, allowedSpecial: Set<String> = []) -> [Int] {
        encode(bytes: Array(text.utf8), allowedSpecial: allowedSpecial)
    }

    /// The ids of any byte sequence, UTF-8 or not: byte-level BPE has a token
    /// for every byte, so `decodeBytes(encode(bytes: b)) == b` always.
    public func encode(bytes input: [UInt8], allowedSpecial: Set<String> = []) -> [Int] {
        var input = input
        var cache = WordCache()
        return input.withUnsafeMutableBufferPointer { buffer -> [Int] in
            let bytes = UnsafeBufferPointer(buffer)
            let specials = specialTokens.filter { allowedSpecial.contains($0.text) }
            var out: [UInt32] = []
            out.reserveCapacity(bytes.count / 3)
            var merger = BytePairMerger(merges: merges)
            var start = 0
            for (range, id) in SpecialTokenMatcher.matches(of: specials, in: bytes) {
                encodeOrdinary(bytes, start..<range.lowerBound, into: &out, cache: &cache, merger: &merger)
                out.append(id)
                start = range.upperBound
            }
            encodeOrdinary(bytes, start..<bytes.count, into: &out, cache: &cache, merger: &merger)
            return out.map { Int($0) }
        }
    }

    /// Encodes `bytes[range]`, which holds no special token, appending to `out`.
    public func encodeOrdinary(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, into out: inout [UInt32],
                               cache: inout WordCache, merger: inout BytePairMerger) {
        guard !range.isEmpty else { return }
        var symbols: [UInt32] = []
        guard preTokenize else {
            symbols = bytes[range].map { byteTokens[Int($0)] }
            merger.merge(&symbols)
            out.append(contentsOf: symbols)
            return
        }
        byteTokens.withUnsafeBufferPointer { byteTokens in
            var words = GPT2PreTokenizer(bytes, range: range)
            while let word = words.next() {
                if word.count == 1 {
                    out.append(byteTokens[Int(bytes[word.lowerBound])])
                    continue
                }
                let key = UnsafeBufferPointer(rebasing: bytes[word])
                let h = WordCache.hash(key)
                if cache.lookUp(key, hash: h, into: &out) { continue }
                symbols.removeAll(keepingCapacity: true)
                for b in key { symbols.append(byteTokens[Int(b)]) }
                merger.merge(&symbols)
                let first = out.count
                out.append(contentsOf: symbols)
                cache.insert(key, hash: h, value: out[first...])
            }
        }
    }
}

/// Where special tokens occur in a text: leftmost first; at one position the longest.
enum SpecialTokenMatcher {
    static func matches(of specials: [(text: String, id: UInt32)], in bytes: UnsafeBufferPointer<UInt8>) -> [(Range<Int>, UInt32)] {
        let patterns = specials.map { (Array($0.text.utf8), $0.id) }.filter { !$0.0.isEmpty }.sorted { $0.0.count > $1.0.count }
        guard !patterns.isEmpty else { return [] }
        var firstBytes = [Bool](repeating: false, count: 256)
        for (p, _) in patterns { firstBytes[Int(p[0])] = true }
        var found: [(Range<Int>, UInt32)] = []
        var i = 0
        let n = bytes.count
        while i < n {
            if firstBytes[Int(bytes[i])], let (p, id) = patterns.first(where: { p, _ in
                i + p.count <= n && p.withUnsafeBufferPointer { memcmpBytes(bytes.baseAddress! + i, $0.baseAddress!, p.count) }
            }) {
                found.append((i..<(i + p.count), id))
                i += p.count
            } else {
                i += 1
            }
        }
        return found
    }
}

/// Errors of the tokenizers: the message names the problem (and the file and line).
public enum TokenizerError: Error, CustomStringConvertible, Equatable, Sendable {
    case unknownToken(id: Int, vocabularySize: Int)
    case malformed(path: String, line: Int, reason: String)
    case unreadable(path: String, reason: String)
    case invalid(String)

    public var description: String {
        switch self {
        case let .unknownToken(id, size): return "token id \(id) is not in the vocabulary (ids 0…\(size - 1))"
        case let .malformed(path, line, reason): return "\(path), line \(line): \(reason)"
        case let .unreadable(path, reason): return "cannot read \(path): \(reason)"
        case let .invalid(reason): return reason
        }
    }
}
