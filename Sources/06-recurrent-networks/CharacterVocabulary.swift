// The character vocabulary of chapters 6 and 7: every distinct character of
// the training text, sorted by code point, numbered 0, 1, 2, …
//
// tinyshakespeare has 65 of them. The vocabulary is saved with a model (as
// the string of its characters in order) so that a checkpoint alone can
// encode a prompt and decode a sample.

import BackpropCore

/// Why text could not be encoded.
public enum TextError: Error, CustomStringConvertible, Equatable, Sendable {
    case unknownCharacter(Character, vocabularySize: Int)
    case emptyText(String)
    case tokenOutOfRange(Int, vocabularySize: Int)

    public var description: String {
        switch self {
        case let .unknownCharacter(c, n):
            return "the character \(String(reflecting: String(c))) is not in the model's vocabulary of \(n) characters"
        case let .emptyText(what): return "\(what) is empty"
        case let .tokenOutOfRange(t, n): return "token \(t) is outside the vocabulary 0..<\(n)"
        }
    }
}

/// A bijection between characters and token ids 0..<count.
public struct CharacterVocabulary: Sendable, Equatable {
    /// The characters, in token order.
    public let characters: [Character]
    private let index: [Character: Int]

    /// The distinct characters of `text`, sorted.
    /// - Throws: `TextError.emptyText` for an empty text.
    public init(text: String) throws {
        guard !text.isEmpty else { throw TextError.emptyText("the training text") }
        try self.init(characters: Array(Set(text)).sorted())
    }

    /// A vocabulary with exactly these characters in this order (e.g. read
    /// back from a checkpoint).
    /// - Throws: `TextError.emptyText` if there are none; `TensorError.invalidValue` for a repeat.
    public init(characters: [Character]) throws {
        guard !characters.isEmpty else { throw TextError.emptyText("the vocabulary") }
        var index: [Character: Int] = [:]
        for (i, c) in characters.enumerated() {
            guard index.updateValue(i, forKey: c) == nil else {
                throw TensorError.invalidValue(operation: "CharacterVocabulary", reason: "the character \(String(reflecting: String(c))) appears twice")
            }
        }
        self.characters = characters
        self.index = index
    }

    public var count: Int { characters.count }

    /// The vocabulary as one string (its characters in token order).
    public var string: String { String(characters) }

    /// Token ids of `text`.
    /// - Throws: `TextError.unknownCharacter` naming the first character not in the vocabulary.
    public func encode(_ text: String) throws -> [Int] {
        try text.map { c in
            guard let i = index[c] else { throw TextError.unknownCharacter(c, vocabularySize: count) }
            return i
        }
    }

    /// The text of token ids.
    /// - Throws: `TextError.tokenOutOfRange` for an id outside 0..<count.
    public func decode(_ tokens: [Int]) throws -> String {
        var s = ""
        s.reserveCapacity(tokens.count)
        for t in tokens {
            guard t >= 0 && t < count else { throw TextError.tokenOutOfRange(t, vocabularySize: count) }
            s.append(characters[t])
        }
        return s
    }

    public static func == (a: Self, b: Self) -> Bool { a.characters == b.characters }
}
