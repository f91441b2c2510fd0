// GPT-2's pre-tokenization, rule by rule, on pieces worked out from the
// pattern by hand (the fixtures check the ids; these show the cuts).

import Testing
@testable import TokensAndTheModernLLM

@Suite struct PreTokenizerTests {
    @Test("each alternative of the pattern", arguments: [
        ("Hello world", ["Hello", " world"]),
        ("I'm it's we'll they've you're he'd can't", ["I", "'m", " it", "'s", " we", "'ll", " they", "'ve", " you", "'re", " he", "'d", " can", "'t"]),
        // Contractions are lower case, ASCII apostrophe only.
        ("IT'S it’s", ["IT", "'", "S", " it", "’", "s"]),
        // An apostrophe inside a run of punctuation is punctuation.
        ("x.'s 'sup", ["x", ".'", "s", " '", "sup"]),
        ("abc123 4567 3.14", ["abc", "123", " 4567", " 3", ".", "14"]),
        // A run of white space before a word leaves its last space to the word ...
        ("a   b", ["a", "  ", " b"]),
        // ... but a tab or newline cannot join a word, so it stands alone.
        ("a \n\nb", ["a", " \n", "\n", "b"]),
        ("  \t ", ["  \t "]),            // white space at the end: one piece
        ("x\n\n\n", ["x", "\n\n\n"]),
        ("a \tb", ["a", " ", "\t", "b"]), // one space before a non-space: the last rule
        (" ", [" "]),
        ("", []),
        ("café e\u{301}", ["café", " e", "\u{301}"]),  // a combining accent is not a letter (Mn)
        ("👍🏽 hi", ["👍🏽", " hi"]),
        ("Ⅻ ½ ²", ["Ⅻ", " ½", " ²"]),  // letter numbers and other numbers are \p{N}
    ])
    func pieces(text: String, expected: [String]) {
        #expect(GPT2PreTokenizer.pieces(text) == expected)
    }

    @Test("the classes follow the Unicode properties the regex library uses")
    func classes() {
        #expect(CharacterClass("a") == .letter && CharacterClass("ß") == .letter && CharacterClass("日") == .letter)
        #expect(CharacterClass("ʰ") == .letter)            // Lm, a modifier letter
        #expect(CharacterClass("٣") == .number && CharacterClass("Ⅻ") == .number && CharacterClass("½") == .number)
        #expect(CharacterClass("\u{A0}") == .whitespace && CharacterClass("\u{3000}") == .whitespace && CharacterClass("\u{85}") == .whitespace)
        #expect(CharacterClass("\u{1C}") == .other)         // Python's isspace says yes; White_Space says no
        #expect(CharacterClass("\u{200B}") == .other)       // zero-width space is not White_Space
        #expect(CharacterClass("\u{301}") == .other && CharacterClass("😀") == .other && CharacterClass("'") == .other)
        // The ASCII table agrees with the properties for all 128 codes.
        for code in 0..<128 {
            let s = Unicode.Scalar(UInt8(code))
            #expect(CharacterClass.ascii[code] == CharacterClass(properties: s), "code \(code)")
        }
    }

    @Test("pieces cover the text exactly, on seeded random text")
    func coverage() {
        var rng = SplitMixForTests(seed: 3)
        let alphabet: [Character] = Array("ab 1\t\n'sé漢😀\u{A0}.,!") + ["e\u{301}"]
        for _ in 0..<200 {
            let text = String((0..<rng.below(30)).map { _ in alphabet[rng.below(alphabet.count)] })
            #expect(GPT2PreTokenizer.pieces(text).joined() == text)
        }
    }
}

/// A small seeded generator for tests (SplitMix64).
struct SplitMixForTests {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
