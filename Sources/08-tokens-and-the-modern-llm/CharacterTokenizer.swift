// Characters as tokens: chapter 6 and 7's vocabulary behind the tokenizer
// interface of this chapter, so the Llama can be trained on characters
// (the ablation's `--tokens chars`) and compared with itself on BPE tokens.
//
// One id per distinct character of the text (chapter 6's
// `CharacterVocabulary`, sorted). `encode` cannot fail in the protocol, so a
// character outside the vocabulary is left out (a prompt's; every part of
// the corpus is encoded with the vocabulary of the whole text, as chapter 7
// does, so none is left out there). `decodeBytes` gives the characters'
// UTF-8 bytes.

import RecurrentNetworks

/// A tokenizer with one token per character of a fixed vocabulary.
public struct CharacterTokenizer: TextTokenizer, Equatable {
    public let vocabulary: CharacterVocabulary
    private let index: [Character: Int]

    public init(vocabulary: CharacterVocabulary) {
        self.vocabulary = vocabulary
        index = Dictionary(uniqueKeysWithValues: vocabulary.characters.enumerated().map { ($1, $0) })
    }

    public var vocabularySize: Int { vocabulary.count }

    /// The ids of the characters of `text` that are in the vocabulary (no special tokens).
    public func encode(_ text: String, allowedSpecial: Set<String>) -> [Int] {
        text.compactMap { index[$0] }
    }

    /// - Throws: `TokenizerError.unknownToken` for an id outside the vocabulary.
    public func decodeBytes(_ ids: [Int]) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(ids.count)
        for id in ids {
            guard id >= 0, id < vocabulary.count else { throw TokenizerError.unknownToken(id: id, vocabularySize: vocabulary.count) }
            out += Array(String(vocabulary.characters[id]).utf8)
        }
        return out
    }

    public static func == (a: Self, b: Self) -> Bool { a.vocabulary == b.vocabulary }
}
