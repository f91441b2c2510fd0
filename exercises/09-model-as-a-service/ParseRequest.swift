// Exercise 9.5 — the server's HTTP/1.1 request parser, plugged into the real
// server (chapters/09-model-as-a-service.md, "HTTP/1.1 in one page", "The
// server's structure" and "Failure handling").
//
// Plug in and run. HTTPServer reads bytes from a connection into a buffer and,
// after every read, asks a parser whether a whole request has arrived. The
// parser is a seam, `HTTPServerConfiguration.parser` (the server's default,
// `HTTPParser.parseRequest`, also decodes chunked bodies and absolute-form
// targets; this exercise keeps a smaller rule set, below). Write your own;
// the grader first checks it on its own, then
// starts the chapter's ModelServer on a loopback port with YOUR parser plugged
// in and talks HTTP to it.
//
// `buffer` holds the bytes received so far on one connection, starting at the
// first byte of a request: part of a request, a whole one, or a whole one
// followed by the start of the next (a client may pipeline). Return
//
//   • nil while the request is incomplete (the server reads more and calls
//     you again with a longer buffer: a request may arrive a byte at a time);
//   • (request, consumed) once it is complete, where `consumed` counts its
//     bytes (head, the blank line, body); the next request starts there;
//   • or throw HTTPError(status, message): the server sends that status with
//     the message as {"error": …} and closes the connection.
//
// A request is  request-line CRLF *( header-line CRLF ) CRLF [ body ]  where
// CRLF is the two bytes 13, 10. The HEAD is everything before the first
// CRLF CRLF. The rules, from RFC 9112 and the chapter (decide them in this
// order; each input the grader refuses breaks one rule, plus rules 6 and 7
// together in one case, where rule 6 decides):
//
//  1. The head may be at most limits.maxHeaderBytes bytes (CRLF CRLF not
//     counted), else 431. Decide as soon as it is certain, without waiting
//     for a CRLF CRLF that may never come, but never earlier: a head of
//     exactly maxHeaderBytes must be accepted however its bytes arrive.
//     Until the head is complete (and not too long), return nil.
//  2. Lines end in CRLF. A CR not followed by LF, or an LF not preceded by
//     CR, anywhere in the head: 400. (So a client using bare LF line ends
//     never ends its head with CRLF CRLF: that is rule 1's business.)
//  3. The request line is exactly  method SP target SP version  (single
//     spaces; anything else is 400). The method is a token: one or more
//     bytes, each visible ASCII (33…126) and none of  "(),/:;<=>?@[\]{}
//     (else 400). The target starts with "/" and is visible ASCII (else 400).
//     The version must start with "HTTP/" (case-sensitive; else 400) and be
//     "HTTP/1.1" or "HTTP/1.0" (else 505).
//  4. Each header line is  name ":" value. A line starting with a space or
//     tab (obsolete line folding), a line without ":", or a name that is not
//     a token (empty, or with a space before the colon, say): 400. The value
//     is what follows the first colon with spaces and tabs removed at both
//     ends; a control byte in it (0…31 other than tab, or 127): 400. Keep the
//     headers in order, names as sent, values as UTF-8 text.
//  5. HTTP/1.1 requires a Host header (names compare case-insensitively,
//     here and below): 400 without one.
//  6. Any Transfer-Encoding header: 411 (this server reads bodies framed by
//     Content-Length only; chunked bodies are a classic smuggling hazard).
//  7. Content-Length: every Content-Length header must carry the same value
//     (else 400: two lengths that disagree are how requests get smuggled),
//     and that value must be 1 to 18 ASCII digits (else 400: no sign, no
//     spaces inside, no lists, nothing that would not fit an Int).
//  8. A POST without Content-Length: 411.
//  9. A length above limits.maxBodyBytes: 413, as soon as the head is
//     complete, without waiting for a body the client may never send.
// 10. Otherwise the body is the `length` bytes after the blank line (0 when
//     there is no Content-Length); return nil until they have all arrived.
//     The body is counted, never searched: it may contain CRLF CRLF.
//
// HTTPRequest(method:target:minorVersion:headers:body:) holds the result;
// minorVersion is 1 for HTTP/1.1 and 0 for HTTP/1.0. Messages are yours, but
// make them name the problem (the client reads them). Never crash, whatever
// the bytes: the buffer comes from the network.
//
// Worked example: with the default limits, the 62 bytes
//   "POST /v1/generate HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}GE"
// give method "POST", target "/v1/generate", minorVersion 1, headers
// [("Host", "a"), ("Content-Length", "2")], body "{}" and consumed 60: "GE" is
// the start of the next request. Their first 59 bytes give nil.
//
// The library's HTTPParser.parse follows exactly these rules (the smaller
// set; parseRequest is the server's RFC 9112 parser); write yours without
// copying it. Replace the `throw` with your code, then run:
//   swift test --package-path exercises/09-model-as-a-service --filter Chapter09Exercises/parseRequest

import ExerciseKit
import ModelAsAService

public func parseRequest(_ buffer: [UInt8], limits: HTTPLimits) throws -> (request: HTTPRequest, consumed: Int)? {
    throw NotAttempted()
}
