// The three character classes GPT-2's pre-tokenization pattern is written in:
// letters (`\p{L}`), numbers (`\p{N}`) and white space (`\s`); everything else
// is "other". The pattern is a regular expression run by the Rust `regex`
// crate inside tiktoken, which defines them by Unicode properties:
//
//   \p{L}  General_Category Letter: Lu, Ll, Lt, Lm, Lo
//   \p{N}  General_Category Number: Nd, Nl, No  (so "²", "Ⅻ" and "½" count)
//   \s     the White_Space property (space, tab, newlines, NBSP, U+3000, …)
//
// Swift's `Unicode.Scalar.Properties` exposes the same two properties
// (`generalCategory`, `isWhitespace`), so we ask them directly. We do not use
// `Character.isLetter` or `Character.isNumber`: those look at whole grapheme
// clusters (an "e" followed by a combining accent is one Character), while
// the regex looks at one scalar at a time, and the accent (Mn, a mark) is
// "other" to it. The two libraries may differ only on scalars assigned in a
// Unicode version one knows and the other does not.
//
// Text arrives as UTF-8 bytes. ASCII (all of tinyshakespeare) is looked up in
// a 128-entry table; other scalars are decoded and classified by property.

/// What GPT-2's pattern sees in one Unicode scalar.
public enum CharacterClass: UInt8, Sendable {
    case letter, number, whitespace, other

    /// The class of a Unicode scalar, by its General_Category and White_Space properties.
    public init(_ scalar: Unicode.Scalar) {
        self = scalar.isASCII ? CharacterClass.ascii[Int(scalar.value)] : CharacterClass(properties: scalar)
    }

    init(properties scalar: Unicode.Scalar) {
        let p = scalar.properties
        if p.isWhitespace { self = .whitespace; return }
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            self = .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            self = .number
        default:
            self = .other
        }
    }

    /// The class of each ASCII code, from the same properties: letters A–Z
    /// a–z, digits 0–9, white space tab through carriage return (0x09–0x0D)
    /// and space. (The separators 0x1C–0x1F, white space to Python's
    /// `str.isspace`, are not White_Space, so not `\s`.)
    static let ascii: [CharacterClass] = (0..<128).map { CharacterClass(properties: Unicode.Scalar(UInt8($0))) }
}

/// One decoded scalar: its class and how many UTF-8 bytes it takes.
struct ClassifiedScalar {
    var characterClass: CharacterClass
    var length: Int
}

extension UnsafeBufferPointer where Element == UInt8 {
    /// The class and byte length of the scalar starting at `i` (valid UTF-8,
    /// as every Swift String is). ASCII takes one table look-up.
    @inline(__always)
    func classifiedScalar(at i: Int) -> ClassifiedScalar {
        let b0 = self[i]
        if b0 < 0x80 { return ClassifiedScalar(characterClass: CharacterClass.ascii[Int(b0)], length: 1) }
        return classifiedNonASCII(at: i)
    }

    @inline(never)
    func classifiedNonASCII(at i: Int) -> ClassifiedScalar {
        let b0 = UInt32(self[i])
        var value: UInt32, length: Int
        if b0 >= 0xF0 {
            length = 4; value = b0 & 0x07
        } else if b0 >= 0xE0 {
            length = 3; value = b0 & 0x0F
        } else {
            length = 2; value = b0 & 0x1F
        }
        length = Swift.min(length, count - i)  // only malformed input is cut short
        for k in 1..<Swift.max(length, 1) { value = value << 6 | UInt32(self[i + k] & 0x3F) }
        let scalar = Unicode.Scalar(value) ?? "\u{FFFD}"
        return ClassifiedScalar(characterClass: CharacterClass(scalar), length: Swift.max(length, 1))
    }
}
