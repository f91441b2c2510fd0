// ChunkedBody: a request body in HTTP/1.1's chunked transfer coding
// (RFC 9112 §7.1), decoded from a connection's buffer.
//
//   chunked-body = *chunk last-chunk trailer-section CRLF
//   chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//   chunk-size   = 1*HEXDIG
//   last-chunk   = 1*("0") [ chunk-ext ] CRLF
//   chunk-ext    = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-value ] )
//
// Contract
// - `decode` returns nil while the body is incomplete, or the decoded bytes
//   and the index just past the final CRLF. Extensions and trailer fields
//   are ignored (nothing in them changes how this server answers).
// - Bounded: the decoded size may not exceed `maxBodyBytes` (413, decided
//   at the chunk-size line that would pass it, before its data arrives); a
//   size or extension line longer than `maxLineBytes` is 400, trailers
//   longer than `maxHeaderBytes` are 431. A size that is not hex digits,
//   data not followed by CRLF, or a bare LF is 400.

enum ChunkedBody {
    static let maxLineBytes = 1024

    static func isHex(_ b: UInt8) -> Bool { (48...57).contains(b) || (65...70).contains(b) || (97...102).contains(b) }

    static func hexValue(_ b: UInt8) -> Int {
        switch b {
        case 48...57: return Int(b) - 48
        case 65...70: return Int(b) - 55
        default: return Int(b) - 87
        }
    }

    /// The index of the CRLF ending the line that starts at `start`; nil if
    /// it has not arrived. Throws for a bare LF or a line over `limit` bytes.
    static func lineEnd(_ buffer: [UInt8], from start: Int, limit: Int, what: String, status: Int = 400) throws -> Int? {
        var i = start
        while i < buffer.count {
            if buffer[i] == 10 { throw HTTPError(400, "bare LF in the \(what) of a chunked body (lines end in CRLF)") }
            if buffer[i] == 13 {
                guard i + 1 < buffer.count else { return nil }
                guard buffer[i + 1] == 10 else { throw HTTPError(400, "bare CR in the \(what) of a chunked body") }
                return i
            }
            if i - start >= limit { throw HTTPError(status, "\(what) of a chunked body longer than \(limit) bytes") }
            i += 1
        }
        if i - start > limit { throw HTTPError(status, "\(what) of a chunked body longer than \(limit) bytes") }
        return nil
    }

    /// The chunked body starting at `start`: nil while incomplete, else the
    /// decoded bytes and the index just past it.
    static func decode(_ buffer: [UInt8], from start: Int, limits: HTTPLimits) throws -> (body: [UInt8], end: Int)? {
        var body: [UInt8] = []
        var i = start
        while true {
            // chunk-size [ chunk-ext ] CRLF
            guard let eol = try lineEnd(buffer, from: i, limit: maxLineBytes, what: "chunk-size line") else { return nil }
            let line = buffer[i..<eol]
            let digits = line.prefix(while: isHex)
            guard !digits.isEmpty else {
                throw HTTPError(400, "invalid chunk size '\(HTTPParser.text(line, limit: 20))' (expected hexadecimal digits)")
            }
            let rest = line[digits.endIndex...].drop { $0 == 32 || $0 == 9 }
            guard rest.isEmpty || rest.first == UInt8(ascii: ";") else {
                throw HTTPError(400, "invalid chunk size '\(HTTPParser.text(line, limit: 20))' (expected hexadecimal digits)")
            }
            let significant = digits.drop { $0 == 48 }
            let room = limits.maxBodyBytes - body.count
            var size = 0
            if significant.count > 15 {
                size = Int.max
            } else {
                for d in significant { size = size * 16 + hexValue(d) }
            }
            guard size <= room else {
                throw HTTPError(413, "chunked request body exceeds the limit of \(limits.maxBodyBytes) bytes")
            }
            i = eol + 2
            if size == 0 { break }
            // chunk-data CRLF
            guard buffer.count >= i + size + 2 else { return nil }
            guard buffer[i + size] == 13, buffer[i + size + 1] == 10 else {
                throw HTTPError(400, "chunk data of \(size) bytes is not followed by CRLF (wrong chunk size?)")
            }
            body.append(contentsOf: buffer[i..<(i + size)])
            i += size + 2
        }
        // trailer-section CRLF: header lines, ignored, then an empty line.
        let trailerStart = i
        while true {
            let remaining = limits.maxHeaderBytes - (i - trailerStart)
            guard let eol = try lineEnd(buffer, from: i, limit: max(remaining, 0), what: "trailer section", status: 431) else { return nil }
            if eol == i { return (body, i + 2) }
            i = eol + 2
            if i - trailerStart > limits.maxHeaderBytes {
                throw HTTPError(431, "trailer section of a chunked body exceeds \(limits.maxHeaderBytes) bytes")
            }
        }
    }
}
