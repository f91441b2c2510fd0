// CRC-32: the checksum at the end of every checkpoint (and of zip, gzip and
// PNG files), so a single flipped bit anywhere in the file is noticed.
//
// The bytes are read as a polynomial over GF(2), one bit per coefficient,
// least significant bit first ("reflected"), and the checksum is the
// remainder of its division by the generator
//     G(x) = x³² + x²⁶ + x²³ + x²² + x¹⁶ + x¹² + x¹¹ + x¹⁰ + x⁸ + x⁷ + x⁵ + x⁴ + x² + x + 1
// (0xEDB88320 in reflected bit order). The register starts at 0xFFFFFFFF and
// the result is inverted, so leading zero bytes still change the sum. Any
// burst of errors up to 32 bits long is always detected; other corruptions
// slip through with probability 2⁻³².
//
// The table-driven form processes a byte at a time: table[b] is the
// remainder of the byte b shifted through eight division steps, so
//     crc ← table[(crc ⊕ byte) & 0xFF] ⊕ (crc >> 8).
// Check value (the standard test): crc32("123456789") = 0xCBF43926.
//
// Chapter 9 explains it (chapters/09-model-as-a-service.md, "CRC-32").

import Foundation

public enum CRC32 {
    /// The reflected generator polynomial.
    public static let polynomial: UInt32 = 0xEDB8_8320

    /// table[b]: eight bitwise division steps applied to b.
    static let table: [UInt32] = (0..<256).map { byte -> UInt32 in
        var r = UInt32(byte)
        for _ in 0..<8 { r = (r & 1) != 0 ? (r >> 1) ^ polynomial : r >> 1 }
        return r
    }

    /// The CRC-32 of `bytes`, continuing from `crc` (start with 0).
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        var c = ~crc
        table.withUnsafeBufferPointer { t in
            for b in bytes { c = t[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        }
        return ~c
    }

    /// The CRC-32 of the first `count` bytes of `data` (all of it by default).
    public static func checksum(_ data: Data, count: Int? = nil) -> UInt32 {
        data.withUnsafeBytes { raw in checksum(UnsafeRawBufferPointer(rebasing: raw[0..<(count ?? raw.count)])) }
    }

    /// The CRC-32 of a byte array.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }
}
