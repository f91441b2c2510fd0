// Graders for chapter 9's exercises. Expected values come from definitions,
// never from the code being graded: CRC-32 from published check values
// (zlib's crc32 of "123456789" is 0xCBF43926) and a bit-by-bit loop written
// here; the frame reader from frames built here, each mutated in one way;
// the batching policy from hand-worked timelines and a simulation written
// here, plus invariants any answer must satisfy; the KV-cache size from
// hand-worked model sizes.

import BackpropCore
import ExerciseKit
import Foundation

public typealias CRC32 = ([UInt8]) throws -> UInt32
public typealias ReadFrame = ([UInt8]) throws -> [UInt8]
public typealias DynamicBatches = ([Double], Int, Double) throws -> [(dispatchTime: Double, requests: [Int])]
public typealias KVCacheBytes = (Int, Int, Int, Int, Int, Int, Int) throws -> Int

public enum Chapter09Graders {
    static func hex(_ v: UInt32) -> String { "0x" + String(v, radix: 16, uppercase: true) }

    static func hex(_ bytes: [UInt8]) -> String {
        let shown = bytes.prefix(24).map { String(format: "%02x", $0) }.joined(separator: " ")
        return "[" + shown + (bytes.count > 24 ? " … (\(bytes.count) bytes)" : "") + "]"
    }

    // MARK: - 9.1 CRC-32

    /// A CRC-32 bit by bit, with the parameters of the variants the grader
    /// recognises: zlib's is reflected, polynomial 0xEDB88320 (0x04C11DB7
    /// bit-reversed), init and final XOR 0xFFFFFFFF; the non-reflected form
    /// shifts left with 0x04C11DB7 (CRC-32/BZIP2).
    static func crcReference(_ bytes: [UInt8], initial: UInt32 = 0xFFFF_FFFF, finalXor: UInt32 = 0xFFFF_FFFF,
                             reflected: Bool = true) -> UInt32
    {
        var crc = initial
        for b in bytes {
            if reflected {
                crc ^= UInt32(b)
                for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
            } else {
                crc ^= UInt32(b) << 24
                for _ in 0..<8 { crc = crc & 0x8000_0000 != 0 ? (crc << 1) ^ 0x04C1_1DB7 : crc << 1 }
            }
        }
        return crc ^ finalXor
    }

    /// Published check values (zlib.crc32 agrees with each).
    static let crcVectors: [(bytes: [UInt8], crc: UInt32, name: String)] = [
        (Array("123456789".utf8), 0xCBF4_3926, "\"123456789\" (the standard check value)"),
        ([], 0, "the empty input"),
        (Array("a".utf8), 0xE8B7_BE43, "\"a\""),
        (Array("The quick brown fox jumps over the lazy dog".utf8), 0x414F_A339, "\"The quick brown fox …\""),
        ([UInt8](repeating: 0, count: 32), 0x190A_55AD, "32 zero bytes"),
        ([UInt8](repeating: 0xFF, count: 32), 0xFF6C_AB0B, "32 bytes 0xFF"),
    ]

    /// Exercise 9.1: the check values, then random inputs against the
    /// bit-by-bit loop, with hints for a missing final XOR, a zero initial
    /// value, the non-reflected form and signed arithmetic.
    public static func crc32(_ candidate: CRC32) throws -> GradeReport {
        var report = GradeReport()
        var cases = crcVectors
        var rng = SeededRandom(seed: 7101)
        for n in [1, 7, 100, 1000] {
            let bytes = (0..<n).map { _ in UInt8(rng.integer(below: 256)) }
            cases.append((bytes, crcReference(bytes), "\(n) random bytes \(hex(bytes))"))
        }
        for c in cases {
            let got = try candidate(c.bytes)
            var hint = ""
            if got != c.crc, !c.bytes.isEmpty {
                if got == crcReference(c.bytes, finalXor: 0) {
                    hint = " — you left out the final XOR with 0xFFFFFFFF"
                } else if got == crcReference(c.bytes, initial: 0) {
                    hint = " — start from crc = 0xFFFFFFFF, not 0"
                } else if got == crcReference(c.bytes, initial: 0, finalXor: 0) {
                    hint = " — start from 0xFFFFFFFF and XOR the result with 0xFFFFFFFF"
                } else if got == crcReference(c.bytes, reflected: false) {
                    hint = " — this is the non-reflected CRC-32 (BZIP2: shift left, polynomial 0x04C11DB7); zlib's "
                        + "shifts right with the reversed polynomial 0xEDB88320"
                }
            } else if got != c.crc {
                hint = " — the empty input leaves crc = 0xFFFFFFFF, and the final XOR makes it 0"
            }
            report.check(got == c.crc, "CRC-32 of \(c.name): expected \(hex(c.crc)), got \(hex(got))" + hint)
        }
        return report
    }

    // MARK: - 9.2 Frame reader

    static let magic: [UInt8] = [0x42, 0x50, 0x46, 0x31]

    static func littleEndian(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }

    /// A valid frame: magic, length, payload, CRC-32 of all of it (or, for a
    /// broken writer, of the payload alone).
    static func frame(_ payload: [UInt8], checksumOfPayloadOnly: Bool = false) -> [UInt8] {
        let body = magic + littleEndian(UInt32(payload.count)) + payload
        return body + littleEndian(crcReference(checksumOfPayloadOnly ? payload : body))
    }

    /// What reading a frame gave: the payload, a FrameError, or another error.
    enum Outcome: Equatable, CustomStringConvertible {
        case payload([UInt8])
        case error(FrameError)
        case otherError(String)

        var description: String {
            switch self {
            case .payload(let p): return "the payload \(Chapter09Graders.hex(p))"
            case .error(let e): return "FrameError.\(e)"
            case .otherError(let e): return "the error \(e) (throw a FrameError)"
            }
        }
    }

    /// Runs the candidate; NotAttempted passes through so the stub is skipped.
    static func outcome(_ candidate: ReadFrame, _ bytes: [UInt8]) throws -> Outcome {
        do {
            return .payload(try candidate(bytes))
        } catch let e as FrameError {
            return .error(e)
        } catch let e as NotAttempted {
            throw e
        } catch {
            return .otherError(String(describing: error))
        }
    }

    struct FrameCase {
        var bytes: [UInt8]
        var expected: Outcome
        var why: String
    }

    static var frameCases: [FrameCase] {
        var rng = SeededRandom(seed: 7202)
        let hi = frame([0x68, 0x69])
        let big = (0..<300).map { _ in UInt8(rng.integer(below: 256)) }
        var cases = [
            FrameCase(bytes: hi, expected: .payload([0x68, 0x69]), why: "a valid frame with the payload \"hi\""),
            FrameCase(bytes: frame([]), expected: .payload([]), why: "a valid frame with an empty payload"),
            FrameCase(bytes: frame(big), expected: .payload(big),
                      why: "a valid frame with 300 bytes of payload (length bytes 2c 01 00 00: little-endian)"),
            FrameCase(bytes: [], expected: .error(.truncated), why: "no bytes at all"),
            FrameCase(bytes: [0x42, 0x50, 0x46, 0x32] + Array(hi[4...]), expected: .error(.badMagic),
                      why: "the magic is \"BPF2\", not \"BPF1\""),
            FrameCase(bytes: [0x50, 0x4B, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00], expected: .error(.badMagic),
                      why: "a zip file's first bytes"),
            // A wrong magic with fewer bytes than the header or than the
            // length field promises: the magic is compared first (check 2
            // before checks 3 and 4), so these are badMagic, not truncated.
            FrameCase(bytes: [0x50, 0x4B, 0x03, 0x04], expected: .error(.badMagic),
                      why: "the 4 bytes of a zip file's magic alone (the magic is compared as soon as there are 4 "
                        + "bytes: check 2 comes before check 3)"),
            FrameCase(bytes: [0x42, 0x50, 0x46, 0x32, 0x02, 0x00], expected: .error(.badMagic),
                      why: "\"BPF2\" and half a length field (check 2 comes before check 3)"),
            FrameCase(bytes: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A], expected: .error(.badMagic),
                      why: "the first 7 bytes of a PNG file (check 2 comes before check 3)"),
            FrameCase(bytes: [0x42, 0x50, 0x46, 0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00],
                      expected: .error(.badMagic),
                      why: "\"BPF0\" with a length field of 4,294,967,295 (check 2 comes before check 4)"),
            FrameCase(bytes: [0x42, 0x50, 0x46, 0x31, 0xFF, 0xFF, 0xFF, 0xFF, 0x00], expected: .error(.truncated),
                      why: "a length field of 4,294,967,295 with 1 byte after it (do not trust the length, and do not "
                        + "crash)"),
            FrameCase(bytes: hi + [0x00], expected: .error(.trailingBytes), why: "one extra byte after the checksum"),
            FrameCase(bytes: frame(big) + frame([0x68, 0x69]), expected: .error(.trailingBytes),
                      why: "two frames back to back (only one is allowed)"),
            FrameCase(bytes: frame([0x68, 0x69], checksumOfPayloadOnly: true), expected: .error(.checksumMismatch),
                      why: "a checksum of the payload alone (it must cover the magic and length too)"),
        ]
        // Every proper prefix of a valid frame is truncated.
        for length in 0..<hi.count {
            cases.append(FrameCase(bytes: Array(hi[0..<length]), expected: .error(.truncated),
                                   why: "the first \(length) of the \(hi.count) bytes of a valid frame"))
        }
        // One flipped bit in the payload or in the stored checksum.
        for (offset, bit) in [(8, 0), (9, 7), (10, 3), (13, 7)] {
            var bytes = hi
            bytes[offset] ^= 1 << bit
            cases.append(FrameCase(bytes: bytes, expected: .error(.checksumMismatch),
                                   why: "one bit flipped at byte \(offset) (\(offset < 10 ? "payload" : "checksum"))"))
        }
        var flipped = frame(big)
        flipped[150] ^= 0x10
        cases.append(FrameCase(bytes: flipped, expected: .error(.checksumMismatch),
                               why: "one bit flipped in the middle of a 300-byte payload"))
        // The length field changed: too long → truncated, too short → trailing bytes.
        var longer = hi
        longer[4] = 3
        cases.append(FrameCase(bytes: longer, expected: .error(.truncated),
                               why: "a length field of 3 for a 2-byte payload (the file ends 1 byte early)"))
        var shorter = hi
        shorter[4] = 1
        cases.append(FrameCase(bytes: shorter, expected: .error(.trailingBytes),
                               why: "a length field of 1 for a 2-byte payload (1 byte left over)"))
        return cases
    }

    /// Exercise 9.2: valid frames, every truncation, wrong magic (also in
    /// inputs shorter than the header or than their length field), trailing
    /// bytes, flipped bits and a checksum that covers too little.
    public static func readFrame(_ candidate: ReadFrame) throws -> GradeReport {
        var report = GradeReport()
        for c in frameCases {
            let got = try outcome(candidate, c.bytes)
            var hint = ""
            if got != c.expected {
                switch (c.expected, got) {
                case (.error(.checksumMismatch), .payload) where c.why.contains("payload alone"):
                    hint = " — your checksum covers the payload only; it covers bytes 0 ..< 8 + n (magic and length "
                        + "too), so a corrupted header is caught"
                case (.error(.checksumMismatch), .payload):
                    hint = " — you did not verify the checksum: compare crc32(bytes[0 ..< 8 + n]) with the stored value"
                case (.error(.trailingBytes), .payload):
                    hint = " — you ignored the bytes after the checksum; a frame must end there"
                case (.payload, .error(.truncated)) where c.bytes.count > 8 + 255:
                    hint = " — the length is little-endian: the least significant byte comes first"
                case (.error(.truncated), .error(.badMagic)):
                    hint = " — check the length first: with fewer than 4 bytes there is no magic to compare"
                default: break
                }
            }
            report.check(got == c.expected, "\(c.why): for \(hex(c.bytes)) expected \(c.expected), got \(got)" + hint)
        }
        return report
    }
}
