// GPT-2's byte-to-unicode mapping. GPT-2 works on bytes but stores its
// vocabulary (`encoder.json`, `vocab.bpe`) as text, one character per byte.
// Printable bytes stand for themselves; the others — control codes, space,
// DEL, and the bytes 0x7F–0xA0 and 0xAD, which would be invisible, break a
// line, or be mangled by a text editor — are moved to the characters
// U+0100, U+0101, … in byte order. So space (0x20) is written "Ġ" (U+0120)
// and line feed (0x0A) "Ċ" (U+010A), which is why GPT-2's tokens look like
// "Ġthe". The mapping is a bijection between the 256 bytes and 256
// characters, each one UTF-8 character, so a token string in the files maps
// back to its bytes unambiguously.
//
// The mapping also fixes the numbering of the 256 byte tokens: GPT-2 gives
// ids 0–255 to the byte characters in code point order, so "!" (0x21) is
// id 0 and the space byte, written U+0120, is id 220.

/// GPT-2's bijection between bytes and printable characters.
public enum GPT2ByteMapping {
    /// The character that stands for each byte, indexed by byte.
    public static let characters: [Unicode.Scalar] = {
        var printable = Set<Int>(0x21...0x7E)  // "!" … "~"
        printable.formUnion(0xA1...0xAC)        // "¡" … "¬"
        printable.formUnion(0xAE...0xFF)        // "®" … "ÿ"
        var table = [Unicode.Scalar](repeating: "\0", count: 256)
        var shifted = 0
        for byte in 0..<256 {
            if printable.contains(byte) {
                table[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                table[byte] = Unicode.Scalar(UInt32(256 + shifted))!
                shifted += 1
            }
        }
        return table
    }()

    /// The byte each of the 256 characters stands for.
    public static let bytes: [Unicode.Scalar: UInt8] = {
        Dictionary(uniqueKeysWithValues: characters.enumerated().map { ($0.element, UInt8($0.offset)) })
    }()

    /// A token as GPT-2's files write it: "Ġthe" for the bytes of " the".
    public static func string(_ bytes: some Sequence<UInt8>) -> String {
        var s = ""
        for b in bytes { s.unicodeScalars.append(characters[Int(b)]) }
        return s
    }

    /// The bytes a token string from GPT-2's files stands for, or nil if it
    /// holds a character outside the mapping.
    public static func bytes(_ token: some StringProtocol) -> [UInt8]? {
        var out: [UInt8] = []
        for scalar in token.unicodeScalars {
            guard let b = bytes[scalar] else { return nil }
            out.append(b)
        }
        return out
    }
}
