// JSONParser: reads JSON text into a `JSONValue`, keeping the order of
// object keys (so a checkpoint's config reads back as it was written) and
// telling integers (no fraction, no exponent) from other numbers.
//
// It reads untrusted bytes (a checkpoint header may be corrupted), so it is
// strict and bounded: RFC 8259 grammar only, valid UTF-8 only, nesting at
// most `maximumDepth` deep, and every failure is a `JSONParseError` with the
// byte offset — never a trap, never unbounded recursion.
//
// Chapter 9 explains it (chapters/09-model-as-a-service.md,
// "Validating a load").

import BackpropCore
import Foundation

/// Why JSON text could not be parsed.
public struct JSONParseError: Error, CustomStringConvertible, Sendable {
    public let offset: Int
    public let reason: String
    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

public enum JSONParser {
    /// Parses one JSON value filling all of `bytes` (whitespace around it allowed).
    public static func parse(_ bytes: [UInt8], maximumDepth: Int = 64) throws -> JSONValue {
        var reader = Reader(bytes: bytes, maximumDepth: maximumDepth)
        reader.skipWhitespace()
        let value = try reader.value(depth: 0)
        reader.skipWhitespace()
        guard reader.position == bytes.count else { throw reader.error("unexpected text after the value") }
        return value
    }

    /// Parses JSON text.
    public static func parse(_ text: String, maximumDepth: Int = 64) throws -> JSONValue {
        try parse(Array(text.utf8), maximumDepth: maximumDepth)
    }

    private struct Reader {
        let bytes: [UInt8]
        let maximumDepth: Int
        var position = 0

        func error(_ reason: String) -> JSONParseError { JSONParseError(offset: position, reason: reason) }

        var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

        mutating func skipWhitespace() {
            while let b = peek, b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { position += 1 }
        }

        mutating func expect(_ literal: String) throws {
            for b in literal.utf8 {
                guard peek == b else { throw error("expected '\(literal)'") }
                position += 1
            }
        }

        mutating func value(depth: Int) throws -> JSONValue {
            guard depth < maximumDepth else { throw error("nested deeper than \(maximumDepth) levels") }
            guard let b = peek else { throw error("unexpected end of text") }
            switch b {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try expect("true"); return .bool(true)
            case UInt8(ascii: "f"): try expect("false"); return .bool(false)
            case UInt8(ascii: "n"): throw error("null is not allowed here")
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
            default: throw error("unexpected byte 0x\(String(b, radix: 16))")
            }
        }

        mutating func object(depth: Int) throws -> JSONValue {
            position += 1  // {
            var fields: [(String, JSONValue)] = []
            var keys: Set<String> = []
            skipWhitespace()
            if peek == UInt8(ascii: "}") { position += 1; return .object(fields) }
            while true {
                skipWhitespace()
                guard peek == UInt8(ascii: "\"") else { throw error("expected a quoted key") }
                let key = try string()
                guard keys.insert(key).inserted else { throw error("key \"\(key)\" appears twice") }
                skipWhitespace()
                try expect(":")
                skipWhitespace()
                fields.append((key, try value(depth: depth + 1)))
                skipWhitespace()
                if peek == UInt8(ascii: ",") { position += 1; continue }
                if peek == UInt8(ascii: "}") { position += 1; return .object(fields) }
                throw error("expected ',' or '}'")
            }
        }

        mutating func array(depth: Int) throws -> JSONValue {
            position += 1  // [
            var items: [JSONValue] = []
            skipWhitespace()
            if peek == UInt8(ascii: "]") { position += 1; return .array(items) }
            while true {
                skipWhitespace()
                items.append(try value(depth: depth + 1))
                skipWhitespace()
                if peek == UInt8(ascii: ",") { position += 1; continue }
                if peek == UInt8(ascii: "]") { position += 1; return .array(items) }
                throw error("expected ',' or ']'")
            }
        }

        mutating func hex4() throws -> UInt32 {
            var v: UInt32 = 0
            for _ in 0..<4 {
                guard let b = peek else { throw error("unfinished \\u escape") }
                let digit: UInt8
                switch b {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
                default: throw error("bad hex digit in \\u escape")
                }
                v = v * 16 + UInt32(digit)
                position += 1
            }
            return v
        }

        mutating func string() throws -> String {
            position += 1  // "
            var out: [UInt8] = []
            while true {
                guard let b = peek else { throw error("unterminated string") }
                position += 1
                switch b {
                case UInt8(ascii: "\""):
                    guard let s = String(bytes: out, encoding: .utf8) else { throw error("string is not valid UTF-8") }
                    return s
                case UInt8(ascii: "\\"):
                    guard let e = peek else { throw error("unterminated escape") }
                    position += 1
                    switch e {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        var code = try hex4()
                        if (0xD800...0xDBFF).contains(code) {  // a surrogate pair
                            try expect("\\u")
                            let low = try hex4()
                            guard (0xDC00...0xDFFF).contains(low) else { throw error("unpaired surrogate") }
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let scalar = Unicode.Scalar(code) else { throw error("invalid code point") }
                        out.append(contentsOf: Array(String(Character(scalar)).utf8))
                    default: throw error("unknown escape")
                    }
                case 0..<0x20: throw error("control character in string")
                default: out.append(b)
                }
            }
        }

        mutating func number() throws -> JSONValue {
            let start = position
            var isInteger = true
            if peek == UInt8(ascii: "-") { position += 1 }
            func digits(_ r: inout Reader) -> Int {
                var n = 0
                while let b = r.peek, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) { r.position += 1; n += 1 }
                return n
            }
            let intStart = position
            guard digits(&self) > 0 else { throw error("expected digits") }
            if bytes[intStart] == UInt8(ascii: "0"), position - intStart > 1 { throw error("leading zero in a number") }
            if peek == UInt8(ascii: ".") {
                position += 1
                isInteger = false
                guard digits(&self) > 0 else { throw error("expected digits after '.'") }
            }
            if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
                position += 1
                isInteger = false
                if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { position += 1 }
                guard digits(&self) > 0 else { throw error("expected digits in the exponent") }
            }
            let text = String(decoding: bytes[start..<position], as: UTF8.self)
            if isInteger, let i = Int(text) { return .integer(i) }
            guard let x = Double(text), x.isFinite else { throw error("number \(text.prefix(40)) is out of range") }
            return .number(x)
        }
    }
}

extension JSONValue {
    /// The value of `key` in an object, or nil.
    public subscript(key: String) -> JSONValue? {
        if case .object(let fields) = self { return fields.first { $0.0 == key }?.1 }
        return nil
    }

    /// An integer (or a number with an integral value that fits an Int).
    public var intValue: Int? {
        switch self {
        case .integer(let i): return i
        case .number(let x) where x == x.rounded() && abs(x) < 9.0e15: return Int(x)
        default: return nil
        }
    }

    /// Any number as a Double.
    public var doubleValue: Double? {
        switch self {
        case .integer(let i): return Double(i)
        case .number(let x): return x
        default: return nil
        }
    }

    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    public var objectValue: [(String, JSONValue)]? { if case .object(let o) = self { return o } else { return nil } }
}
