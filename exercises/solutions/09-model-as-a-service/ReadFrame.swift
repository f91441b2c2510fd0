// Reference solution to exercise 9.2: every length is checked before the
// bytes it describes are touched, in Int (64-bit), so a huge length field
// cannot overflow or index out of bounds.

import ExerciseKit

public func readFrame(_ bytes: [UInt8]) throws -> [UInt8] {
    func uint32(at offset: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 | UInt32(bytes[offset + $1]) << (8 * $1) }
    }
    guard bytes.count >= 4 else { throw FrameError.truncated }
    guard bytes[0..<4].elementsEqual([0x42, 0x50, 0x46, 0x31]) else { throw FrameError.badMagic }
    guard bytes.count >= 8 else { throw FrameError.truncated }
    let length = Int(uint32(at: 4))
    let end = 8 + length
    guard bytes.count >= end + 4 else { throw FrameError.truncated }
    guard bytes.count == end + 4 else { throw FrameError.trailingBytes }
    guard try crc32(Array(bytes[0..<end])) == uint32(at: end) else { throw FrameError.checksumMismatch }
    return Array(bytes[8..<end])
}
