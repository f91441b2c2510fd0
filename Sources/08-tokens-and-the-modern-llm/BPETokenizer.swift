// A byte-level BPE trained by BPETrainer: its merges in rank order, its
// special tokens and its pre-tokenization, over ByteLevelBPE.
//
// Ids: 0–255 the bytes themselves, 256 + k the token made by merge k, then
// the special tokens in order. Merges only ever make ids below the first
// special token, and special tokens are cut out of the text before any merge
// runs, so a special token is never split and never produced by merging
// (the text "<|endoftext|>" is ordinary text unless the caller allows it).

/// How text is cut into words before merging.
public enum PreTokenization: String, Sendable, CaseIterable {
    /// GPT-2's pattern: merges never cross a word boundary.
    case gpt2
    /// None: the text is one sequence, and tokens may span words and spaces.
    case none
}

/// A byte-level BPE learned from text (see `BPETrainer`).
public struct BPETokenizer: TextTokenizer, Equatable {
    /// One merge: the ids of the left and right token; merge k makes token 256 + k.
    public struct Merge: Equatable, Sendable, CustomStringConvertible {
        public let left: Int, right: Int
        public init(left: Int, right: Int) { self.left = left; self.right = right }
        public var description: String { "(\(left), \(right))" }
    }

    public let merges: [Merge]
    public let specialTokens: [String]
    public let preTokenization: PreTokenization
    public let bpe: ByteLevelBPE

    public var vocabularySize: Int { 256 + merges.count + specialTokens.count }

    /// - Throws: `TokenizerError.invalid` if a merge names a token not yet made
    ///   (merge k may use only ids below 256 + k) or a special token is empty,
    ///   repeated or holds a line break.
    public init(merges: [Merge], specialTokens: [String] = [], preTokenization: PreTokenization = .gpt2) throws {
        var table = MergeTable(capacity: merges.count)
        var tokens: [[UInt8]] = (0..<256).map { [UInt8($0)] }
        for (k, m) in merges.enumerated() {
            guard (0..<(256 + k)).contains(m.left), (0..<(256 + k)).contains(m.right) else {
                throw TokenizerError.invalid("merge \(k) \(m) uses a token that does not exist before it (ids 0…\(255 + k))")
            }
            if let earlier = table.merged(UInt32(m.left), UInt32(m.right)) {
                throw TokenizerError.invalid("merge \(k) \(m) repeats merge \(Int(earlier) - 256)")
            }
            table.insert(UInt32(m.left), UInt32(m.right), merged: UInt32(256 + k))
            tokens.append(tokens[m.left] + tokens[m.right])
        }
        try Self.validate(specialTokens: specialTokens)
        let first = 256 + merges.count
        self.merges = merges
        self.specialTokens = specialTokens
        self.preTokenization = preTokenization
        bpe = ByteLevelBPE(tokenBytes: tokens + specialTokens.map { Array($0.utf8) },
                           byteTokens: (0..<256).map { UInt32($0) }, merges: table,
                           specialTokens: specialTokens.enumerated().map { ($0.element, UInt32(first + $0.offset)) },
                           preTokenize: preTokenization == .gpt2)
    }

    static func validate(specialTokens: [String]) throws {
        guard Set(specialTokens).count == specialTokens.count else { throw TokenizerError.invalid("special tokens must differ: \(specialTokens)") }
        for s in specialTokens where s.isEmpty || s.contains(where: \.isNewline) {
            throw TokenizerError.invalid("a special token must be non-empty and on one line, got \(s.debugDescription)")
        }
    }

    /// The id of a special token.
    public func id(ofSpecial text: String) -> Int? { specialTokens.firstIndex(of: text).map { 256 + merges.count + $0 } }

    public func encode(_ text: String, allowedSpecial: Set<String>) -> [Int] { bpe.encode(text, allowedSpecial: allowedSpecial) }
    public func decodeBytes(_ ids: [Int]) throws -> [UInt8] { try bpe.decodeBytes(ids) }

    /// The bytes of one token.
    public func bytes(of id: Int) throws -> [UInt8] { Array(try bpe.bytes(of: id)) }

    public static func == (a: BPETokenizer, b: BPETokenizer) -> Bool {
        a.merges == b.merges && a.specialTokens == b.specialTokens && a.preTokenization == b.preTokenization
    }
}
