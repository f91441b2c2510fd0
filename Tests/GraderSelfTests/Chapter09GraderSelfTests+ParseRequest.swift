// Exercise 9.5's grader is tested too: it accepts the reference solution and
// the library's own HTTPParser.parse, and rejects parsers with one rule
// broken, saying why; its second part (the real server with the parser
// plugged in) rejects parsers that miscount or never refuse.

#if canImport(Solutions09)
import ExerciseKit
import Foundation
@testable import Graders09
import ModelAsAService
import Solutions09
import Testing

@Suite struct Chapter09ParseRequestGraderSelfTests {
    @Test func graderAcceptsTheSolution() throws {
        let report = try Chapter09Graders.parseRequest(Solutions09.parseRequest)
        #expect(report.passed, "\(report.failures)")
    }

    /// The library's parser follows the same rules: the server's default
    /// passes the grader that checks a student's replacement.
    @Test func graderAcceptsTheLibrarysParser() throws {
        let report = try Chapter09Graders.parseRequest(HTTPParser.parse)
        #expect(report.passed, "\(report.failures)")
    }

    /// The worked example of the stub, as the grader builds it.
    @Test func theWorkedExampleHasTheStatedSizes() throws {
        let c = Chapter09Graders.validRequestCases[1]
        #expect(c.bytes.count == 62 && c.expected.consumed == 60)
        #expect(try HTTPParser.parse(Array(c.bytes[0..<59]), limits: HTTPLimits()) == nil)
    }

    enum Flaw: CaseIterable {
        case bareLF, firstLength, headLimitAtEnd, headLimitEarly, head413, consumedShort, bodyLimitLate, trimmedName,
             signedLength, valueNotTrimmedAtEnd, returnsNilForErrors
    }

    /// The reference solution with one rule broken.
    static func flawed(_ flaw: Flaw) -> ParseRequest {
        { buffer, limits in
            var bytes = buffer
            if flaw == .bareLF, let end = Chapter09Graders.firstBlankLine(bytes) {
                // Reads lines ending in LF alone as if they ended in CRLF.
                var head: [UInt8] = []
                for (i, b) in bytes[0..<end].enumerated() {
                    if b == 10 && (i == 0 || bytes[i - 1] != 13) { head.append(13) }
                    head.append(b)
                }
                let fixed = head + bytes[end...]
                guard let (r, used) = try Solutions09.parseRequest(fixed, limits: limits) else { return nil }
                return (r, used - (fixed.count - bytes.count))
            }
            if flaw == .headLimitAtEnd || flaw == .headLimitEarly || flaw == .head413 {
                let end = Chapter09Graders.firstBlankLine(bytes)
                let tooLong = flaw == .headLimitAtEnd ? (end.map { $0 > limits.maxHeaderBytes } ?? false)
                    : flaw == .headLimitEarly ? (end.map { $0 > limits.maxHeaderBytes } ?? (bytes.count > limits.maxHeaderBytes))
                    : (end.map { $0 > limits.maxHeaderBytes } ?? (bytes.count >= limits.maxHeaderBytes + 4))
                if tooLong { throw HTTPError(flaw == .head413 ? 413 : 431, "head too long") }
                if end == nil { return nil }
                let roomy = HTTPLimits(maxHeaderBytes: Int.max - 8, maxBodyBytes: limits.maxBodyBytes)
                return try Solutions09.parseRequest(bytes, limits: roomy)
            }
            if flaw == .firstLength || flaw == .signedLength || flaw == .trimmedName || flaw == .valueNotTrimmedAtEnd
                || flaw == .bodyLimitLate, let end = Chapter09Graders.firstBlankLine(bytes)
            {
                // Rewrites the head so that the solution sees what the flawed parser would.
                var text = String(decoding: bytes[0..<end], as: UTF8.self)
                var lines = text.components(separatedBy: "\r\n")
                if flaw == .trimmedName {
                    lines = lines.map { $0.replacingOccurrences(of: " :", with: ":") }
                }
                if flaw == .firstLength || flaw == .signedLength {
                    var seen = false
                    lines = lines.compactMap { line in
                        guard line.lowercased().hasPrefix("content-length:") else { return line }
                        if flaw == .firstLength { defer { seen = true }; return seen ? nil : line }
                        let value = line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)
                        if let n = Int(value), n >= 0 { return "Content-Length: \(n)" }
                        return line
                    }
                }
                text = lines.joined(separator: "\r\n")
                let head = Array(text.utf8)
                let rest = Array(bytes[end...])
                if flaw == .bodyLimitLate {
                    // Reads the whole body before comparing its length with the limit.
                    let roomy = HTTPLimits(maxHeaderBytes: limits.maxHeaderBytes, maxBodyBytes: Int.max / 2)
                    guard let (r, used) = try Solutions09.parseRequest(head + rest, limits: roomy) else { return nil }
                    if r.body.count > limits.maxBodyBytes { throw HTTPError(413, "body too long") }
                    return (r, used)
                }
                bytes = head + rest
                guard var (r, used) = try Solutions09.parseRequest(bytes, limits: limits) else { return nil }
                used += buffer.count - bytes.count
                if flaw == .valueNotTrimmedAtEnd {
                    // Keeps the spaces and tabs after a value.
                    let original = String(decoding: buffer[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
                    r.headers = zip(r.headers, original.dropFirst()).map { h, line in
                        let raw = line.drop { $0 != ":" }.dropFirst().drop { $0 == " " || $0 == "\t" }
                        return (h.name, String(raw))
                    }
                }
                return (r, used)
            }
            if flaw == .returnsNilForErrors {
                do { return try Solutions09.parseRequest(bytes, limits: limits) } catch { return nil }
            }
            guard let (r, used) = try Solutions09.parseRequest(bytes, limits: limits) else { return nil }
            // consumedShort: forgets the blank line's two CRLFs beyond the first.
            return (r, flaw == .consumedShort ? used - 2 : used)
        }
    }

    @Test("the request-parser grader rejects parsers with one rule broken and says why", arguments: [
        (Flaw.bareLF, "a bare LF is refused"),
        (.firstLength, "request smuggling"),
        (.headLimitAtEnd, "decide as soon as it is certain"),
        (.headLimitEarly, "it is not too long yet"),
        (.head413, "431 Request Header Fields Too Large"),
        (.consumedShort, "consumed counts the head"),
        (.bodyLimitLate, "refuse on the declared length"),
        (.trimmedName, "RFC 9112 §5.1"),
        (.signedLength, "Int(\"+5\") is 5"),
        (.valueNotTrimmedAtEnd, "without spaces and tabs at either end"),
        (.returnsNilForErrors, "expected HTTPError"),
    ])
    func graderRejects(flaw: Flaw, hint: String) throws {
        let report = try Chapter09Graders.parseRequest(Self.flawed(flaw))
        #expect(!report.passed, "grader accepted: \(flaw)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
        #expect(report.failures.last?.contains("not plugged into the server") == true)
    }

    /// Part 2 alone, on parsers part 1 would already reject: the live server
    /// notices a miscounted request and a parser that never refuses.
    @Test func theLiveServerPartRejectsAMiscountingParser() {
        var report = GradeReport()
        Chapter09Graders.serve(with: Self.flawed(.consumedShort), &report)
        #expect(report.failures.contains { $0.contains("pipelined") || $0.contains("keep-alive") }, "\(report.failures)")
    }

    @Test func theLiveServerPartRejectsAParserThatNeverRefuses() {
        var report = GradeReport()
        Chapter09Graders.serve(with: Self.flawed(.returnsNilForErrors), &report)
        #expect(report.failures.contains { $0.contains("kept returning nil") }, "\(report.failures)")
        #expect(report.failures.count >= 8, "\(report.failures)")
    }
}
#endif
