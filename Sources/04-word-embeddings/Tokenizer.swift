// Tokenizer: raw text → lower-case words.
//
// Contract
// - A word is a maximal run of letters (Unicode alphabetic scalars), lower-
//   cased, that may contain apostrophes *between* letters: "o'er", "ne'er",
//   "i'll", "king's" stay one word.
// - An apostrophe that does not sit between two letters is dropped: "'tis"
//   becomes "tis", "lords'" becomes "lords". The typographic apostrophe ’
//   (U+2019) counts as ' and is written as '.
// - Every other character (digits, punctuation, hyphens, whitespace)
//   separates words and is discarded: "well-a-day" → "well", "a", "day";
//   "2d" → "d".
// - For ASCII text this equals the regular expression [a-z]+('[a-z]+)* run
//   over the lower-cased text, which is how the corpus handed to the original
//   C word2vec in the benchmark comparison was made.

/// Splits text into lower-case words (see the file's contract).
public enum Tokenizer {
    /// The words of `text`, in order.
    public static func words(in text: String) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        var pendingApostrophe = false
        func flush() {
            if !current.isEmpty { words.append(String(current).lowercased()) }
            current = String.UnicodeScalarView()
            pendingApostrophe = false
        }
        for s in text.unicodeScalars {
            if isLetter(s) {
                if pendingApostrophe { current.append("'"); pendingApostrophe = false }
                current.append(s)
            } else if (s == "'" || s == "\u{2019}") && !current.isEmpty && !pendingApostrophe {
                pendingApostrophe = true  // kept only if a letter follows
            } else {
                flush()
            }
        }
        flush()
        return words
    }

    /// ASCII letters on a fast path, Unicode's Alphabetic property otherwise.
    @inline(__always)
    static func isLetter(_ s: Unicode.Scalar) -> Bool {
        if s.value < 128 { return (s.value | 0x20) >= 97 && (s.value | 0x20) <= 122 }
        return s.properties.isAlphabetic
    }
}
