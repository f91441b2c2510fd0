// CheckpointFuzz: corrupts valid checkpoints in many seeded ways and checks
// that every corrupted file ends in one of two outcomes: a load that
// succeeds and round-trips exactly, or a typed `CheckpointError`. Anything
// else (another error type, a loaded checkpoint that does not re-encode to
// itself) is recorded as a failure; a crash would end the run.
//
// Mutations (chosen at random per case):
//   flip       flip 1–8 random bits anywhere (the checksum should notice)
//   overwrite  overwrite a random run of bytes with random bytes
//   truncate   cut the file at a random length
//   extend     append random bytes
//   splice     the start of one valid file joined to the end of another
//   header     change bytes inside the JSON header, then fix the checksum,
//              so the header parser and the table checks are exercised
//   table      edit one field of the tensor table (offset, bytes, shape,
//              dtype, name) to a random or extreme value, re-assemble the
//              file and fix the checksum: bounds, overlap and size checks
//   config     replace, drop or retype one config value (a width, a list of
//              class names, the activation…), re-assemble, fix the
//              checksum: the model loaders' checks are exercised
//   preamble   set the header or data length to a random value, fix the checksum
//   data       overwrite tensor bytes and fix the checksum (NaNs appear)
// `backprop fuzz-checkpoint` runs many more cases than `swift test` does.

import BackpropCore
import Foundation
import Storage

public struct CheckpointFuzzReport: Sendable {
    public var cases = 0
    /// Cases that loaded (and re-encoded to an identical checkpoint).
    public var loaded = 0
    /// Typed errors by kind (`CheckpointError.kind`).
    public var errors: [String: Int] = [:]
    /// Cases per mutation.
    public var mutations: [String: Int] = [:]
    /// Descriptions of cases that ended any other way (should be empty).
    public var failures: [String] = []
    public var seconds = 0.0

    /// A few lines for the terminal.
    public var summary: String {
        var lines = [String(format: "%d cases in %.2f s: %d loaded, %d typed errors, %d failures",
                            cases, seconds, loaded, errors.values.reduce(0, +), failures.count)]
        lines.append("mutations: " + mutations.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        lines.append("errors:    " + errors.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        lines += failures.prefix(10).map { "FAILURE: " + $0 }
        return lines.joined(separator: "\n")
    }
}

public enum CheckpointFuzz {
    public static let mutationNames = ["flip", "overwrite", "truncate", "extend", "splice", "header", "table", "config", "preamble", "data"]

    /// Runs `cases` seeded corruptions of `seeds` through `load`, which must
    /// either succeed or throw `CheckpointError`. The default `load` decodes
    /// and checks that the result re-encodes to the same checkpoint.
    public static func run(
        seeds: [Data], cases: Int, seed: UInt64,
        load: (Data) throws -> Void = CheckpointFuzz.decodeAndRoundTrip
    ) -> CheckpointFuzzReport {
        precondition(!seeds.isEmpty, "CheckpointFuzz needs at least one valid checkpoint")
        var rng = SeededRandom(seed: seed)
        var report = CheckpointFuzzReport()
        let start = Date()
        for c in 0..<cases {
            let name = mutationNames[rng.integer(below: mutationNames.count)]
            let original = seeds[rng.integer(below: seeds.count)]
            let other = seeds[rng.integer(below: seeds.count)]
            let bytes = mutate(Array(original), other: Array(other), how: name, rng: &rng)
            report.cases += 1
            report.mutations[name, default: 0] += 1
            do {
                try load(Data(bytes))
                report.loaded += 1
            } catch let error as CheckpointError {
                report.errors[error.kind, default: 0] += 1
            } catch {
                report.failures.append("case \(c) (\(name)): untyped error \(type(of: error)): \(error)")
            }
        }
        report.seconds = Date().timeIntervalSince(start)
        return report
    }

    /// Decodes, re-encodes, decodes again and requires the same tensors.
    /// - Throws: `CheckpointError` from decoding; a `RoundTripFailure` if the
    ///   loaded checkpoint does not survive a save (a reader bug).
    public static func decodeAndRoundTrip(_ data: Data) throws {
        let first = try Checkpoint.decode(data)
        let again = try Checkpoint.decode(try first.encoded())
        guard first.kind == again.kind, first.tensors.count == again.tensors.count,
              zip(first.tensors, again.tensors).allSatisfy({ $0.name == $1.name && $0.tensor.shape == $1.tensor.shape
                  && $0.tensor.scalars.map(\.bitPattern) == $1.tensor.scalars.map(\.bitPattern) })
        else { throw RoundTripFailure() }
    }

    public struct RoundTripFailure: Error, CustomStringConvertible {
        public var description: String { "a loaded checkpoint did not survive a save and load unchanged" }
    }

    /// Recomputes the trailing CRC-32 so that a deliberate edit passes the checksum.
    public static func reseal(_ bytes: inout [UInt8]) {
        guard bytes.count >= 4 else { return }
        let crc = bytes.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<(bytes.count - 4)])) }
        for i in 0..<4 { bytes[bytes.count - 4 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
    }

    static func randomBytes(_ count: Int, _ rng: inout SeededRandom) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    }

    /// One corrupted copy of `bytes`.
    static func mutate(_ input: [UInt8], other: [UInt8], how: String, rng: inout SeededRandom) -> [UInt8] {
        var b = input
        let n = b.count
        let pre = CheckpointFormat.preambleSize
        let headerLength = n >= pre ? Int(UInt32(b[12]) | UInt32(b[13]) << 8 | UInt32(b[14]) << 16 | UInt32(b[15]) << 24) : 0
        switch how {
        case "flip":
            for _ in 0..<(1 + rng.integer(below: 8)) {
                b[rng.integer(below: n)] ^= UInt8(1) << UInt8(rng.integer(below: 8))
            }
        case "overwrite":
            let at = rng.integer(below: n)
            let length = min(n - at, 1 + rng.integer(below: 16))
            b.replaceSubrange(at..<(at + length), with: randomBytes(length, &rng))
        case "truncate":
            b = Array(b.prefix(rng.integer(below: n)))
            if rng.integer(below: 2) == 0 { reseal(&b) }
        case "extend":
            b += randomBytes(1 + rng.integer(below: 100), &rng)
            if rng.integer(below: 2) == 0 { reseal(&b) }
        case "splice":
            b = Array(b.prefix(rng.integer(below: n + 1))) + Array(other.suffix(rng.integer(below: other.count + 1)))
            if rng.integer(below: 2) == 0 { reseal(&b) }
        case "header":
            let alphabet = Array("{}[]\":,.-+eE0123456789 aflnrstu\\x".utf8) + [0, 0xFF, 0xC3]
            for _ in 0..<(1 + rng.integer(below: 4)) where headerLength > 0 {
                b[pre + rng.integer(below: headerLength)] = alphabet[rng.integer(below: alphabet.count)]
            }
            reseal(&b)
        case "table":
            b = editTable(b, headerLength: headerLength, rng: &rng)
        case "config":
            b = editConfig(b, headerLength: headerLength, rng: &rng)
        case "preamble":
            let field = rng.integer(below: 3)
            let extremes: [UInt64] = [0, 1, 63, 64, UInt64(n), UInt64(UInt32.max), UInt64.max, UInt64(Int.max), UInt64(Int.max) - 3]
            let v = rng.integer(below: 2) == 0 ? extremes[rng.integer(below: extremes.count)] : rng.next() % UInt64(2 * n + 1)
            if field == 0 { for i in 0..<4 { b[12 + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) } }
            if field == 1 { for i in 0..<8 { b[16 + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) } }
            if field == 2 { for i in 0..<4 { b[8 + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) } }
            reseal(&b)
        default:  // "data"
            let dataStart = CheckpointFormat.aligned(pre + headerLength)
            if dataStart < n - 4 {
                for _ in 0..<(1 + rng.integer(below: 4)) {
                    let at = dataStart + rng.integer(below: n - 4 - dataStart)
                    b[at] = rng.integer(below: 3) == 0 ? 0xFF : UInt8(truncatingIfNeeded: rng.next())
                }
            }
            reseal(&b)
        }
        return b
    }

    /// Replaces, drops or retypes one config value and re-assembles the file.
    static func editConfig(_ b: [UInt8], headerLength: Int, rng: inout SeededRandom) -> [UInt8] {
        let pre = CheckpointFormat.preambleSize
        guard b.count >= pre + headerLength + 4,
              case .object(var root) = (try? JSONParser.parse(Array(b[pre..<(pre + headerLength)]))) ?? .bool(false),
              let configIndex = root.firstIndex(where: { $0.0 == "config" }),
              case .object(var config) = root[configIndex].1, !config.isEmpty
        else { return b }
        let k = rng.integer(below: config.count)
        let values: [JSONValue] = [
            .integer(0), .integer(-1), .integer(1), .integer(3), .integer(1 << 40), .integer(Int.max), .number(0.5), .number(-2),
            .number(1e300), .string("tanh"), .string("standardize"), .string("scale"), .string(""), .bool(true),
            .array([]), .array([.integer(1 << 30), .integer(1 << 30)]), .array([.string("a"), .string("a")]),
            .array([.integer(2), .integer(3)]), .object([]),
        ]
        switch rng.integer(below: 4) {
        case 0: config.remove(at: k)
        case 1: config.append(("unexpected", values[rng.integer(below: values.count)]))
        default: config[k].1 = values[rng.integer(below: values.count)]
        }
        if rng.integer(below: 8) == 0, let m = root.firstIndex(where: { $0.0 == "model" }) {
            root[m].1 = [.string("gpt"), .string("mlp"), .string("cnn"), .string("logistic"), .string("")][rng.integer(below: 5)]
        }
        root[configIndex].1 = .object(config)
        return reassemble(b, root: root, headerLength: headerLength)
    }

    /// The file with a new header and the old data section, checksum fixed.
    static func reassemble(_ b: [UInt8], root: [(String, JSONValue)], headerLength: Int) -> [UInt8] {
        let pre = CheckpointFormat.preambleSize
        let header = Array(JSONValue.object(root).rendered.utf8)
        let oldDataStart = CheckpointFormat.aligned(pre + headerLength)
        var out = Array(b[0..<12])
        let h = UInt32(header.count)
        out += (0..<4).map { UInt8(truncatingIfNeeded: h >> (8 * UInt32($0))) }
        out += b[16..<24]
        out += header
        out += [UInt8](repeating: 0, count: CheckpointFormat.aligned(out.count) - out.count)
        out += b[min(oldDataStart, b.count)...]
        reseal(&out)
        return out
    }

    /// Rewrites one field of one tensor-table entry and re-assembles the file.
    static func editTable(_ b: [UInt8], headerLength: Int, rng: inout SeededRandom) -> [UInt8] {
        let pre = CheckpointFormat.preambleSize
        guard b.count >= pre + headerLength + 4,
              case .object(var root) = (try? JSONParser.parse(Array(b[pre..<(pre + headerLength)]))) ?? .bool(false),
              let tableIndex = root.firstIndex(where: { $0.0 == "tensors" }),
              case .array(var table) = root[tableIndex].1, !table.isEmpty
        else { return b }
        let t = rng.integer(below: table.count)
        guard case .object(var entry) = table[t] else { return b }
        let extremes: [JSONValue] = [.integer(0), .integer(1), .integer(-1), .integer(63), .integer(64), .integer(4096),
                                     .integer(Int.max), .integer(Int.max / 4 + 1), .integer(1 << 40), .number(1.5), .string("x")]
        let pick = extremes[rng.integer(below: extremes.count)]
        switch rng.integer(below: 6) {
        case 0: set(&entry, "offset", rng.integer(below: 2) == 0 ? pick : .integer(64 * rng.integer(below: 8)))
        case 1: set(&entry, "bytes", rng.integer(below: 2) == 0 ? pick : .integer(4 * rng.integer(below: 64)))
        case 2:
            let dims = (0..<rng.integer(below: 4)).map { _ in rng.integer(below: 3) == 0 ? pick : .integer(rng.integer(below: 9)) }
            set(&entry, "shape", .array(dims))
        case 3: set(&entry, "dtype", [.string("f16"), .string("f64"), .string("f32"), .integer(4)][rng.integer(below: 4)])
        case 4:
            // Copy another entry's name, offset or both: duplicates and overlaps.
            if case .object(let o) = table[rng.integer(below: table.count)] {
                for key in ["name", "offset"] where rng.integer(below: 2) == 0 { if let v = o.first(where: { $0.0 == key })?.1 { set(&entry, key, v) } }
            }
        default: entry.removeAll { $0.0 == ["name", "dtype", "shape", "offset", "bytes"][rng.integer(below: 5)] }
        }
        table[t] = .object(entry)
        root[tableIndex].1 = .array(table)
        return reassemble(b, root: root, headerLength: headerLength)
    }

    static func set(_ entry: inout [(String, JSONValue)], _ key: String, _ value: JSONValue) {
        if let i = entry.firstIndex(where: { $0.0 == key }) { entry[i].1 = value } else { entry.append((key, value)) }
    }
}
