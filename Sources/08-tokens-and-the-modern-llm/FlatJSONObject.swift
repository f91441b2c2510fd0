// A reader for one shape of JSON only: a flat object of strings to whole
// numbers, such as GPT-2's encoder.json ({"!": 0, "\u0120the": 262, …}).
// One pass over the bytes, with JSON's string escapes (\" \\ \/ \b \f \n \r
// \t and \uXXXX, surrogate pairs included), and errors naming the line.

/// Parses `{"key": integer, …}`.
enum FlatJSONObject {
    /// The entries in file order, each with the line it starts on.
    static func parse(_ bytes: [UInt8], path: String) throws -> [(key: String, value: Int, line: Int)] {
        var i = 0, line = 1
        let n = bytes.count
        func fail(_ why: String) -> TokenizerError { .malformed(path: path, line: line, reason: why) }
        func skipSpace() {
            while i < n, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) {
                if bytes[i] == 0x0A { line += 1 }
                i += 1
            }
        }
        func expect(_ c: UInt8) throws {
            skipSpace()
            guard i < n, bytes[i] == c else {
                throw fail("expected '\(Character(Unicode.Scalar(c)))'" + (i < n ? " at byte \(i)" : " before the end of the file"))
            }
            i += 1
        }
        func hex4() throws -> UInt32 {
            guard i + 4 <= n, let v = UInt32(String(decoding: bytes[i..<(i + 4)], as: UTF8.self), radix: 16) else {
                throw fail("bad \\u escape at byte \(i)")
            }
            i += 4
            return v
        }
        func string() throws -> String {
            try expect(0x22)
            var out: [UInt8] = []
            while true {
                guard i < n else { throw fail("unterminated string") }
                let c = bytes[i]
                i += 1
                if c == 0x22 { break }
                if c < 0x20 { throw fail("control character in a string at byte \(i - 1)") }
                guard c == 0x5C else { out.append(c); continue }
                guard i < n else { throw fail("unterminated escape") }
                let e = bytes[i]
                i += 1
                switch e {
                case 0x22, 0x5C, 0x2F: out.append(e)
                case 0x62: out.append(0x08)
                case 0x66: out.append(0x0C)
                case 0x6E: out.append(0x0A)
                case 0x72: out.append(0x0D)
                case 0x74: out.append(0x09)
                case 0x75:
                    var v = try hex4()
                    if (0xD800..<0xDC00).contains(v) {
                        guard i + 2 <= n, bytes[i] == 0x5C, bytes[i + 1] == 0x75 else { throw fail("lone surrogate \\u\(String(v, radix: 16))") }
                        i += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw fail("bad surrogate pair") }
                        v = 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(v) else { throw fail("\\u\(String(v, radix: 16)) is not a character") }
                    out.append(contentsOf: Array(String(scalar).utf8))
                default:
                    throw fail("unknown escape \\\(Character(Unicode.Scalar(e)))")
                }
            }
            let s = String(decoding: out, as: UTF8.self)
            guard s.utf8.elementsEqual(out) else { throw fail("string is not valid UTF-8") }
            return s
        }
        func integer() throws -> Int {
            skipSpace()
            let start = i
            if i < n, bytes[i] == 0x2D { i += 1 }
            while i < n, (0x30...0x39).contains(bytes[i]) { i += 1 }
            guard i > start, let v = Int(String(decoding: bytes[start..<i], as: UTF8.self)) else { throw fail("expected an integer") }
            return v
        }
        var entries: [(key: String, value: Int, line: Int)] = []
        try expect(0x7B)
        skipSpace()
        if i < n, bytes[i] == 0x7D {
            i += 1
        } else {
            while true {
                skipSpace()
                let at = line
                let key = try string()
                try expect(0x3A)
                entries.append((key, try integer(), at))
                skipSpace()
                guard i < n else { throw fail("unterminated object") }
                if bytes[i] == 0x2C { i += 1; continue }
                if bytes[i] == 0x7D { i += 1; break }
                throw fail("expected ',' or '}' at byte \(i)")
            }
        }
        skipSpace()
        guard i == n else { throw fail("unexpected text after the object at byte \(i)") }
        return entries
    }
}
