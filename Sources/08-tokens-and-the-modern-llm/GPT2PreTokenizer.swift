// GPT-2's pre-tokenization: before any merge, the text is cut into pieces
// ("words") and BPE runs inside each piece only, so no token ever spans
// "dog." or "the cat". GPT-2 defines the pieces by a regular expression,
// tried alternative by alternative at each position, leftmost first:
//
//   's|'t|'re|'ve|'m|'ll|'d     an English contraction (ASCII apostrophe, lower case only)
//   | ?\p{L}+                   letters, with at most one space in front
//   | ?\p{N}+                   numbers, likewise
//   | ?[^\s\p{L}\p{N}]+         anything else (punctuation, emoji, marks), likewise
//   |\s+(?!\S)                  white space not followed by a non-space …
//   |\s+                        … or any white space
//
// Here the pattern is a hand-written scanner over UTF-8 bytes (no regex
// engine), one rule per alternative. Every scalar is matched by some
// alternative, so the pieces cover the text exactly.
//
// The one subtle rule is `\s+(?!\S)`. Greedy `\s+` first takes the whole run
// of white space; if a non-space follows, the look-ahead fails and the regex
// backs off one scalar, where the next scalar is white space and it succeeds.
// So a run of n ≥ 2 white-space scalars before a word becomes the first n − 1
// scalars as one piece, and the last one is left to start the next piece:
// "a   b" is "a", "  ", " b" — the word keeps its leading space, as it would
// after a single space. A run at the end of the text is one piece; a single
// white space before a non-space (the backing off would leave nothing) falls
// to the last alternative. (tiktoken writes the same rules with possessive
// quantifiers, `\s++$|\s+(?!\S)|\s`; they match the same pieces.)

/// Cuts UTF-8 text into GPT-2's pre-tokens: an iterator of byte ranges.
public struct GPT2PreTokenizer: IteratorProtocol {
    let bytes: UnsafeBufferPointer<UInt8>
    var position: Int

    /// Scans `bytes[range]`; the buffer must outlive the scanner.
    public init(_ bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>? = nil) {
        self.bytes = UnsafeBufferPointer(rebasing: bytes[..<(range?.upperBound ?? bytes.count)])
        position = range?.lowerBound ?? 0
    }

    /// The next piece, or nil at the end.
    @inline(__always)
    public mutating func next() -> Range<Int>? {
        let start = position, n = bytes.count
        guard start < n else { return nil }
        let end = pieceEnd(from: start, n: n)
        position = end
        return start..<end
    }

    @inline(__always)
    func pieceEnd(from i: Int, n: Int) -> Int {
        let b = bytes
        let first = b[i]
        // 's 't 'm 'd 're 've 'll
        if first == 0x27, i + 1 < n {
            let c = b[i + 1]
            if c == 0x73 || c == 0x74 || c == 0x6D || c == 0x64 { return i + 2 }  // s t m d
            if i + 2 < n {
                let c2 = b[i + 2]
                if (c == 0x72 && c2 == 0x65) || (c == 0x76 && c2 == 0x65) || (c == 0x6C && c2 == 0x6C) { return i + 3 }  // re ve ll
            }
        }
        var here = b.classifiedScalar(at: i)
        var j = i
        // " ?X+": a space joins the run that follows it, unless white space follows.
        if first == 0x20, i + 1 < n {
            let following = b.classifiedScalar(at: i + 1)
            if following.characterClass != .whitespace {
                here = following
                j = i + 1
            }
        }
        switch here.characterClass {
        case .letter, .number, .other:
            let kind = here.characterClass
            j += here.length
            while j < n {
                let s = b.classifiedScalar(at: j)
                if s.characterClass != kind { break }
                j += s.length
            }
            return j
        case .whitespace:
            // The run of white space, remembering where its last scalar starts.
            var last = j
            j += here.length
            var scalars = 1
            while j < n {
                let s = b.classifiedScalar(at: j)
                if s.characterClass != .whitespace { break }
                last = j
                j += s.length
                scalars += 1
            }
            if j == n || scalars == 1 { return j }  // at the end: all of it; one scalar: `\s+`
            return last  // `\s+(?!\S)` backs off one scalar
        }
    }

    /// The pieces of `text`, as strings (for the chapter and tests; encoding
    /// uses the byte ranges directly).
    public static func pieces(_ text: String) -> [String] {
        var utf8 = Array(text.utf8)
        return utf8.withUnsafeMutableBufferPointer { buffer in
            let bytes = UnsafeBufferPointer(buffer)
            var scanner = GPT2PreTokenizer(bytes)
            var out: [String] = []
            while let r = scanner.next() { out.append(String(decoding: bytes[r], as: UTF8.self)) }
            return out
        }
    }
}
