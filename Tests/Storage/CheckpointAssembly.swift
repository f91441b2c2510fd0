// A hand assembler for checkpoint files a writer would never produce, for
// the format tests' damage cases.

import Storage
import TestSupport

extension CheckpointSamples {
    /// preamble + header + padding + data + CRC, with whatever header is given.
    static func assemble(header: String, data: [UInt8], version: UInt32 = 2, crc: Bool = true) -> [UInt8] {
        let h = Array(header.utf8)
        var out = CheckpointFormat.magic
        out += le(version) + le(UInt32(h.count)) + le(UInt64(data.count)) + h
        out += [UInt8](repeating: 0, count: CheckpointFormat.aligned(out.count) - out.count)
        out += data
        out += le(CRC32.checksum(out))
        return out
    }

    static func readLE(_ bytes: [UInt8], at offset: Int, count: Int) -> Int {
        var v = 0
        for i in 0..<count { v |= Int(bytes[offset + i]) << (8 * i) }
        return v
    }

    static func le<I: FixedWidthInteger>(_ v: I) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

    static func table(_ entries: [(name: String, dtype: String, shape: [Int], offset: Int, bytes: Int)]) -> String {
        let rows = entries.map { "{\"name\":\"\($0.name)\",\"dtype\":\"\($0.dtype)\",\"shape\":\($0.shape),\"offset\":\($0.offset),\"bytes\":\($0.bytes)}" }
        return "{\"model\":\"toy\",\"config\":{},\"tensors\":[\(rows.joined(separator: ","))]}"
    }

    /// Recomputes the CRC-32 at the end of `bytes` (as the fuzzer's `reseal`
    /// does), so an edit reaches the checks behind the checksum.
    static func reseal(_ bytes: inout [UInt8]) {
        guard bytes.count >= 4 else { return }
        let crc = bytes.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<(bytes.count - 4)])) }
        for i in 0..<4 { bytes[bytes.count - 4 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
    }
}
