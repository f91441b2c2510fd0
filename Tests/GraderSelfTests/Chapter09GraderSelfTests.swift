// The chapter 9 graders are tested too: each accepts the reference solution
// and rejects broken answers with typical mistakes, saying why. Skipped when
// an instructor has removed exercises/solutions/09-model-as-a-service (the
// package then has no Solutions09 module).

#if canImport(Solutions09)
import ExerciseKit
import Foundation
@testable import Graders09
import Solutions09
import Testing

@Suite struct Chapter09GraderSelfTests {
    // MARK: 9.1

    @Test func crcGraderAcceptsTheSolution() throws {
        let report = try Chapter09Graders.crc32(Solutions09.crc32)
        #expect(report.passed, "\(report.failures)")
    }

    /// The grader's bit-by-bit loop reproduces the published check values.
    @Test func crcReferenceAgreesWithCheckValues() {
        for v in Chapter09Graders.crcVectors {
            #expect(Chapter09Graders.crcReference(v.bytes) == v.crc, "\(v.name)")
        }
        // CRC-32/BZIP2's published check value, for the non-reflected variant.
        #expect(Chapter09Graders.crcReference(Array("123456789".utf8), reflected: false) == 0xFC89_1918)
    }

    @Test("the CRC-32 grader rejects broken checksums and says why", arguments: [
        ("no final XOR", 0, "final XOR"),
        ("starts from 0", 1, "not 0"),
        ("non-reflected (BZIP2)", 2, "non-reflected"),
        ("a wrong polynomial", 3, "expected"),
        ("seven shifts per byte (off by one)", 4, "expected"),
    ])
    func crcGraderRejects(name: String, variant: Int, hint: String) throws {
        let broken: CRC32 = { bytes in
            switch variant {
            case 0: return Chapter09Graders.crcReference(bytes, finalXor: 0)
            case 1: return Chapter09Graders.crcReference(bytes, initial: 0)
            case 2: return Chapter09Graders.crcReference(bytes, reflected: false)
            case 4:
                var crc: UInt32 = 0xFFFF_FFFF
                for b in bytes {
                    crc ^= UInt32(b)
                    for _ in 0..<7 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
                }
                return crc ^ 0xFFFF_FFFF
            default:
                // The Castagnoli polynomial (CRC-32C), reflected.
                var crc: UInt32 = 0xFFFF_FFFF
                for b in bytes {
                    crc ^= UInt32(b)
                    for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
                }
                return crc ^ 0xFFFF_FFFF
            }
        }
        let report = try Chapter09Graders.crc32(broken)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }

    // MARK: 9.2

    @Test func frameGraderAcceptsTheSolution() throws {
        let report = try Chapter09Graders.readFrame(Solutions09.readFrame)
        #expect(report.passed, "\(report.failures)")
    }

    /// The worked example's bytes: "hi" framed by hand.
    @Test func frameBuilderMatchesTheWorkedExample() {
        let crc = Chapter09Graders.crcReference([0x42, 0x50, 0x46, 0x31, 2, 0, 0, 0, 0x68, 0x69])
        #expect(Chapter09Graders.frame([0x68, 0x69]) == [0x42, 0x50, 0x46, 0x31, 2, 0, 0, 0, 0x68, 0x69,
                                                          UInt8(crc & 0xFF), UInt8(crc >> 8 & 0xFF),
                                                          UInt8(crc >> 16 & 0xFF), UInt8(crc >> 24)])
    }

    /// A reader with one check left out or done wrong, built from the
    /// specification step by step.
    static func brokenReader(_ variant: Int) -> ReadFrame {
        { bytes in
            func uint32(at offset: Int, bigEndian: Bool = false) -> UInt32 {
                (0..<4).reduce(0) { $0 | UInt32(bytes[offset + $1]) << (8 * (bigEndian ? 3 - $1 : $1)) }
            }
            if variant == 4 {
                // Compares the magic before checking there are 4 bytes.
                guard bytes.prefix(4).elementsEqual(Chapter09Graders.magic) else { throw FrameError.badMagic }
            }
            if variant == 5 {
                // Checks that the whole header (8 bytes) is there before
                // comparing the magic.
                guard bytes.count >= 8 else { throw FrameError.truncated }
            }
            if variant == 6, bytes.count >= 8 {
                // Checks the length the header promises before the magic.
                guard bytes.count >= 8 + Int(uint32(at: 4)) + 4 else { throw FrameError.truncated }
            }
            guard bytes.count >= 4 else { throw FrameError.truncated }
            guard bytes[0..<4].elementsEqual(Chapter09Graders.magic) else { throw FrameError.badMagic }
            guard bytes.count >= 8 else { throw FrameError.truncated }
            let end = 8 + Int(uint32(at: 4, bigEndian: variant == 2))
            guard bytes.count >= end + 4 else { throw FrameError.truncated }
            guard variant == 3 || bytes.count == end + 4 else { throw FrameError.trailingBytes }
            let covered = variant == 1 ? Array(bytes[8..<end]) : Array(bytes[0..<end])
            guard variant == 0 || Chapter09Graders.crcReference(covered) == uint32(at: end) else {
                throw FrameError.checksumMismatch
            }
            return Array(bytes[8..<end])
        }
    }

    @Test("the frame grader rejects broken readers and says why", arguments: [
        ("never verifies the checksum", 0, "did not verify the checksum"),
        ("checksum over the payload only", 1, "payload only"),
        ("big-endian length", 2, "little-endian"),
        ("ignores trailing bytes", 3, "ignored the bytes after"),
        ("compares the magic of a short input", 4, "check the length first"),
        ("checks the header's length before the magic", 5, "check 2 comes before check 3"),
        ("checks the promised length before the magic", 6, "check 2 comes before check 4"),
    ])
    func frameGraderRejects(name: String, variant: Int, hint: String) throws {
        let report = try Chapter09Graders.readFrame(Self.brokenReader(variant))
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }

    /// A reader that throws its own error type is told to throw FrameError.
    @Test func frameGraderAsksForFrameError() throws {
        struct Oops: Error {}
        let report = try Chapter09Graders.readFrame({ bytes in
            do { return try Solutions09.readFrame(bytes) } catch { throw Oops() }
        })
        #expect(report.failures.contains { $0.contains("throw a FrameError") }, "\(report.failures)")
    }

    // MARK: 9.3

    @Test func batchingGraderAcceptsTheSolution() throws {
        let report = try Chapter09Graders.dynamicBatches(Solutions09.dynamicBatches)
        #expect(report.passed, "\(report.failures)")
    }

    /// The grader's simulation reproduces its hand-worked timelines.
    @Test func batchingReferenceAgreesWithHandCases() {
        for c in Chapter09Graders.batchingCases {
            guard let expected = c.expected else { continue }
            let mine = Chapter09Graders.batchingReference(c.arrivals, c.maxSize, c.maxWait)
            #expect(Chapter09Graders.same(mine, expected), "\(c.why): \(Chapter09Graders.show(mine))")
        }
    }

    @Test("the batching grader rejects broken policies and says why", arguments: [
        ("the deadline slides with each arrival", 0, "deadline moves"),
        ("full batches wait for the deadline", 1, "moment it is full"),
        ("arrivals at the deadline are refused", 2, "≤, not <"),
        ("batches of maxBatchSize + 1", 3, "maxBatchSize + 1"),
    ])
    func batchingGraderRejects(name: String, variant: Int, hint: String) throws {
        let broken: DynamicBatches = { arrivals, size, wait in
            switch variant {
            case 0: return Chapter09Graders.batchingReference(arrivals, size, wait, slidingDeadline: true)
            case 1: return Chapter09Graders.batchingReference(arrivals, size, wait, waitWhenFull: true)
            case 2: return Chapter09Graders.batchingReference(arrivals, size, wait, exclusive: true)
            default: return Chapter09Graders.batchingReference(arrivals, size, wait, sizeSlack: 1)
            }
        }
        let report = try Chapter09Graders.dynamicBatches(broken)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }

    // MARK: 9.4

    @Test func cacheGraderAcceptsTheSolution() throws {
        let report = try Chapter09Graders.kvCacheBytes(Solutions09.kvCacheBytes)
        #expect(report.passed, "\(report.failures)")
    }

    @Test("the KV-cache grader rejects broken formulas and says why", arguments: [
        ("no factor 2", 0, "factor 2"),
        ("query heads instead of KV heads", 1, "query heads"),
        ("no batch", 2, "batch is missing"),
        ("values, not bytes", 3, "not bytes"),
        ("32-bit arithmetic (wraps past 2³¹ bytes)", 4, "expected"),
    ])
    func cacheGraderRejects(name: String, variant: Int, hint: String) throws {
        let broken: KVCacheBytes = { layers, heads, kvHeads, d, tokens, batch, bytes in
            switch variant {
            case 0: return layers * kvHeads * d * tokens * batch * bytes
            case 1: return 2 * layers * heads * d * tokens * batch * bytes
            case 2: return 2 * layers * kvHeads * d * tokens * bytes
            case 3: return 2 * layers * kvHeads * d * tokens * batch
            default:
                let product = [layers, kvHeads, d, tokens, batch, bytes].reduce(Int32(2)) {
                    $0 &* Int32(truncatingIfNeeded: $1)
                }
                return Int(product)
            }
        }
        let report = try Chapter09Graders.kvCacheBytes(broken)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }
}
#endif
