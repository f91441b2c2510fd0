// Exercise 9.1 — CRC-32, the checksum that guards a checkpoint file
// (chapters/09-model-as-a-service.md, "Checkpoints", "Validating a load").
//
// Return the CRC-32 of `bytes` as used by zlib, gzip, PNG and Ethernet
// (CRC-32/ISO-HDLC): the reflected form of the polynomial 0x04C11DB7, that is
// 0xEDB88320, initial value 0xFFFFFFFF, final XOR 0xFFFFFFFF. Bit by bit:
//
//   crc = 0xFFFFFFFF
//   for each byte b:
//       crc = crc ^ UInt32(b)
//       repeat 8 times:
//           crc = (crc & 1) == 1 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1
//   return crc ^ 0xFFFFFFFF
//
// (Bytes are consumed least significant bit first, hence the right shifts
// and the bit-reversed polynomial.) The standard check value:
// crc32("123456789" as ASCII) = 0xCBF43926; the empty input gives 0.
// A 256-entry table (one step per byte instead of eight) is the usual speed-up
// and welcome, but not required.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/09-model-as-a-service --filter Chapter09Exercises/crc32

import ExerciseKit

public func crc32(_ bytes: [UInt8]) throws -> UInt32 {
    throw NotAttempted()
}
