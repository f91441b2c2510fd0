// Exercise 9.1 — CRC-32, the checksum that guards a checkpoint file
// (chapters/09-model-as-a-service.md, "Checkpoints", "Validating a load").
//
// Return the CRC-32 of `bytes` as used by zlib, gzip, PNG and Ethernet. Its
// parameters (the catalogue name is CRC-32/ISO-HDLC):
//
//   width      32 bits
//   generator  0x04C11DB7 (the G(x) of the chapter), in the reflected form
//              0xEDB88320 (the same 32 bits read backwards)
//   reflected  in and out (refin = refout = true): each byte is consumed
//              least significant bit first; in the right-shifting form
//              with 0xEDB88320 no bit has to be reversed anywhere
//   initial    0xFFFFFFFF (the register's value before the first byte)
//   final XOR  0xFFFFFFFF (the register is XOR-ed with it at the end)
//
// Check values: crc32("123456789" as ASCII) = 0xCBF43926; the empty input
// gives 0. Method: the chapter's section "CRC-32" does the division by hand
// on a 4-bit example, one XOR of the generator under each leading 1. Do the
// same with a 32-bit register, one bit per step: in the reflected form the
// "leading" bit is the register's least significant one, so the register
// shifts right, and each byte enters at the register's low end. A 256-entry
// table (one step per byte instead of eight, as in the chapter) is the usual
// speed-up and welcome, but not required.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/09-model-as-a-service --filter Chapter09Exercises/crc32

import ExerciseKit

public func crc32(_ bytes: [UInt8]) throws -> UInt32 {
    throw NotAttempted()
}
