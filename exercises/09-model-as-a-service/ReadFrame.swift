// Exercise 9.2 — a checksum-validated reader for a tiny framed format
// (chapters/09-model-as-a-service.md, "Validating a load"). The book's
// checkpoint files are built the same way, with a JSON header and many
// tensors in place of the single payload.
//
// A frame is
//
//   offset 0       4 bytes   magic: "BPF1" in ASCII, [0x42, 0x50, 0x46, 0x31]
//   offset 4       4 bytes   n, the payload length, UInt32 little-endian
//   offset 8       n bytes   the payload
//   offset 8 + n   4 bytes   CRC-32 (exercise 9.1) of bytes 0 ..< 8 + n, that
//                            is of magic, length AND payload, UInt32 little-endian
//
// and nothing after it. Return the payload of a valid frame. Otherwise throw
// the FrameError (from ExerciseKit) for the FIRST check that fails, in
// this order:
//
//   1. fewer than 4 bytes                          → FrameError.truncated
//   2. the first 4 bytes are not the magic         → FrameError.badMagic
//   3. fewer than 8 bytes (no whole length field)  → FrameError.truncated
//   4. fewer than 8 + n + 4 bytes                  → FrameError.truncated
//   5. more than 8 + n + 4 bytes                   → FrameError.trailingBytes
//   6. the stored CRC-32 ≠ CRC-32 of bytes 0 ..< 8 + n → FrameError.checksumMismatch
//
// The order matters where two checks fail at once. The magic is compared as
// soon as there are 4 bytes, before any other length is looked at: 4 to 7
// bytes that do not start with "BPF1" are badMagic (not truncated), and so
// is a longer input with a wrong magic whatever its length field says. Only
// fewer than 4 bytes are truncated whatever they hold.
//
// Never crash: the length field comes from the file and may be anything up to
// 4,294,967,295, far more bytes than there are. Little-endian means the least
// significant byte comes first: [0x05, 0x01, 0x00, 0x00] is 0x105 = 261.
// You may call your crc32 from exercise 9.1.
//
// Worked example: the payload [0x68, 0x69] ("hi") is framed as
//   42 50 46 31 | 02 00 00 00 | 68 69 | c0 c1 c2 c3
// where c0…c3 are crc32 of the first 10 bytes, least significant byte first.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/09-model-as-a-service --filter Chapter09Exercises/readFrame

import ExerciseKit

public func readFrame(_ bytes: [UInt8]) throws -> [UInt8] {
    throw NotAttempted()
}
