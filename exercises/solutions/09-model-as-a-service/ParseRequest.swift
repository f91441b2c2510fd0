// Reference solution of exercise 9.5 (exercises/09-model-as-a-service/ParseRequest.swift).

import ExerciseKit
import ModelAsAService

/// Visible ASCII other than the delimiters: the bytes of a token (RFC 9110 tchar).
private func isTokenByte(_ b: UInt8) -> Bool {
    b >= 33 && b <= 126 && !Array("\"(),/:;<=>?@[\\]{}".utf8).contains(b)
}

private func isToken(_ bytes: ArraySlice<UInt8>) -> Bool { !bytes.isEmpty && bytes.allSatisfy(isTokenByte) }

public func parseRequest(_ buffer: [UInt8], limits: HTTPLimits) throws -> (request: HTTPRequest, consumed: Int)? {
    // 1. The end of the head: the first CRLF CRLF, which must start at an
    //    index ≤ maxHeaderBytes. Once the buffer is long enough to hold one
    //    starting there, its absence is final.
    let latestStart = limits.maxHeaderBytes
    var headEnd: Int?
    var i = 0
    while i + 3 < buffer.count && i <= latestStart {
        if buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
            headEnd = i
            break
        }
        i += 1
    }
    guard let end = headEnd else {
        if buffer.count >= latestStart + 4 {
            throw HTTPError(431, "the request head is longer than \(limits.maxHeaderBytes) bytes")
        }
        return nil
    }
    // 2. Lines, each ending in CRLF; no CR or LF alone.
    let head = buffer[0..<end]
    var lines: [ArraySlice<UInt8>] = []
    var start = 0
    var j = 0
    while j < end {
        switch buffer[j] {
        case 13:
            // The head is followed by CRLF CRLF, so index j + 1 exists.
            guard buffer[j + 1] == 10 else { throw HTTPError(400, "a CR without LF in the head") }
            lines.append(buffer[start..<j])
            j += 2
            start = j
        case 10:
            throw HTTPError(400, "an LF without CR in the head (lines end in CRLF)")
        default:
            j += 1
        }
    }
    lines.append(head[start..<end])
    // 3. The request line.
    let parts = lines[0].split(separator: 32, omittingEmptySubsequences: false)
    guard parts.count == 3 else { throw HTTPError(400, "the request line is not 'METHOD /target HTTP/1.1'") }
    guard isToken(parts[0]) else { throw HTTPError(400, "the method is not a token") }
    guard parts[1].first == 47, parts[1].allSatisfy({ $0 >= 33 && $0 <= 126 }) else {
        throw HTTPError(400, "the target must be a path starting with '/'")
    }
    let version = parts[2]
    guard version.starts(with: Array("HTTP/".utf8)) else { throw HTTPError(400, "the protocol is not HTTP") }
    let minor: Int
    if version.elementsEqual(Array("HTTP/1.1".utf8)) {
        minor = 1
    } else if version.elementsEqual(Array("HTTP/1.0".utf8)) {
        minor = 0
    } else {
        throw HTTPError(505, "only HTTP/1.0 and HTTP/1.1 are supported")
    }
    // 4. Header lines.
    var headers: [(name: String, value: String)] = []
    for line in lines.dropFirst() {
        if let first = line.first, first == 32 || first == 9 { throw HTTPError(400, "obsolete line folding") }
        guard let colon = line.firstIndex(of: 58) else { throw HTTPError(400, "a header line without ':'") }
        let name = line[line.startIndex..<colon]
        guard isToken(name) else { throw HTTPError(400, "a header name that is not a token") }
        var value = line[(colon + 1)...]
        while let b = value.first, b == 32 || b == 9 { value.removeFirst() }
        while let b = value.last, b == 32 || b == 9 { value.removeLast() }
        guard !value.contains(where: { ($0 < 32 && $0 != 9) || $0 == 127 }) else {
            throw HTTPError(400, "a control character in a header value")
        }
        headers.append((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
    }
    func values(_ name: String) -> [String] {
        headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }
    // 5–8.
    if minor == 1 && values("Host").isEmpty { throw HTTPError(400, "HTTP/1.1 needs a Host header") }
    if !values("Transfer-Encoding").isEmpty { throw HTTPError(411, "send Content-Length, not Transfer-Encoding") }
    let lengths = values("Content-Length")
    var length = 0
    if let first = lengths.first {
        guard lengths.allSatisfy({ $0 == first }) else { throw HTTPError(400, "Content-Length headers disagree") }
        guard (1...18).contains(first.utf8.count), first.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
              let n = Int(first)
        else { throw HTTPError(400, "Content-Length must be a number of bytes") }
        length = n
    } else if parts[0].elementsEqual(Array("POST".utf8)) {
        throw HTTPError(411, "a POST needs Content-Length")
    }
    // 9–10.
    guard length <= limits.maxBodyBytes else {
        throw HTTPError(413, "a body of \(length) bytes is over the limit of \(limits.maxBodyBytes)")
    }
    let total = end + 4 + length
    guard buffer.count >= total else { return nil }
    let request = HTTPRequest(method: String(decoding: parts[0], as: UTF8.self),
                              target: String(decoding: parts[1], as: UTF8.self), minorVersion: minor,
                              headers: headers, body: Array(buffer[(end + 4)..<total]))
    return (request, total)
}
