// CheckpointFormat: the byte layout of a checkpoint file (format version 2),
// its constants, its element types, and the errors a reader or writer
// reports. CheckpointWriter.swift writes this layout, CheckpointReader.swift
// validates and reads it, CRC32.swift computes the checksum.
//
// Layout (all integers little-endian; offsets in bytes):
//
//   offset        size  field
//   0             8     magic  89 42 50 43 4B 0D 0A 1A   ("\x89BPCK\r\n\x1A")
//   8             4     format version, u32 (= 2)
//   12            4     header length H, u32
//   16            8     data length D, u64 (bytes of tensor data)
//   24            H     header: UTF-8 JSON object (below)
//   24 + H        …     zero padding up to S = the next multiple of 64
//   S             D     tensor data; each tensor starts at S + its offset,
//                       offsets are multiples of 64, gaps are zero bytes
//   S + D         4     CRC-32 (IEEE 802.3) of bytes 0 ..< S + D, u32
//
// so a file is exactly S + D + 4 bytes long. The header:
//
//   {"model": "mlp",                        what kind of model (the loader's key)
//    "config": {...},                       what rebuilds it: widths, activation,
//                                           class names, vocabulary…
//    "metadata": {...},                     how it was trained (dataset, seed, metrics)
//    "tensors": [{"name": "0.weight", "dtype": "f32", "shape": [256, 64],
//                 "offset": 0, "bytes": 65536}, …]}
//
// dtype "f32" is IEEE-754 binary32 (4 bytes), "f64" binary64 (8 bytes), so
// bytes = 4 or 8 × the product of the shape. The magic's first byte is not
// ASCII and its \r\n and \x1A catch a file mangled by text-mode transfers (the
// trick PNG uses). Version 1 was the earlier JSON text format.
//
// A reader trusts nothing: every length and offset is checked against the
// file's actual size before anything is allocated, so a corrupted header can
// neither crash the reader nor make it reserve gigabytes.
//
// Chapter 9 explains the layout (chapters/09-model-as-a-service.md,
// "The byte layout").

import BackpropCore

/// How a tensor's elements are stored.
public enum CheckpointDType: String, Sendable, CaseIterable {
    case float32 = "f32"
    case float64 = "f64"

    /// Bytes per element.
    public var size: Int { self == .float32 ? 4 : 8 }

    /// The storage type of a tensor of `T` (Float → f32, Double → f64).
    public static func of<T: TensorScalar>(_: T.Type) -> CheckpointDType { T.self == Float.self ? .float32 : .float64 }
}

/// Constants of the binary layout.
public enum CheckpointFormat {
    /// "\x89BPCK\r\n\x1A"
    public static let magic: [UInt8] = [0x89, 0x42, 0x50, 0x43, 0x4B, 0x0D, 0x0A, 0x1A]
    /// The version this build writes and reads.
    public static let version: UInt32 = 2
    /// magic + version + header length + data length.
    public static let preambleSize = 24
    /// Alignment of the data section and of every tensor in it.
    public static let alignment = 64
    /// The checksum at the end.
    public static let checksumSize = 4
    /// The header may nest objects and arrays at most this deep.
    public static let maximumHeaderDepth = 32

    /// `n` rounded up to a multiple of `alignment`.
    public static func aligned(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }
}

/// Why a checkpoint could not be written, read or used. Every message names
/// the file and the problem.
public enum CheckpointError: Error, CustomStringConvertible, Equatable, Sendable {
    case unreadable(path: String, reason: String)
    case notACheckpoint(path: String, hint: String)
    case unsupportedVersion(path: String, found: Int, supported: Int)
    case truncated(path: String, expected: Int, found: Int)
    case trailingBytes(path: String, expected: Int, found: Int)
    case badChecksum(path: String, stored: UInt32, computed: UInt32)
    case malformed(path: String, reason: String)
    case unknownDType(path: String, name: String, dtype: String)
    case tensorSizeMismatch(path: String, name: String, shape: [Int], dtype: String, bytes: Int)
    case tensorOutOfBounds(path: String, name: String, offset: Int, bytes: Int, dataBytes: Int)
    case overlappingTensors(path: String, first: String, second: String)
    case nonFinite(path: String, name: String, index: Int)
    case notRepresentable(name: String, index: Int, dtype: String)
    case wrongModel(path: String, found: String, expected: String)
    case unknownModelKind(path: String, found: String, known: [String])
    case missingTensor(path: String, name: String)
    case shapeMismatch(path: String, name: String, found: [Int], expected: [Int])
    case badConfig(path: String, key: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "cannot read checkpoint \(path): \(reason)"
        case let .notACheckpoint(path, hint): return "\(path) is not a backprop checkpoint (wrong magic bytes): \(hint)"
        case let .unsupportedVersion(path, found, supported):
            let hint = found > supported
                ? "it was written by a newer backprop; update this build to read it"
                : found == 1 ? "version 1 was the old JSON format; retrain, or load it with an older build and save it again"
                : "no released backprop wrote this version"
            return "checkpoint \(path) has format version \(found); this build reads version \(supported) (\(hint))"
        case let .truncated(path, expected, found):
            return "checkpoint \(path) is truncated: its header promises \(expected) bytes, the file has \(found)"
        case let .trailingBytes(path, expected, found):
            return "checkpoint \(path) has \(found - expected) unexpected bytes after its end (expected \(expected) bytes, found \(found))"
        case let .badChecksum(path, stored, computed):
            return "checkpoint \(path) is corrupted: bad checksum (stored CRC-32 \(hex(stored)), computed \(hex(computed)))"
        case let .malformed(path, reason): return "checkpoint \(path) is malformed: \(reason)"
        case let .unknownDType(path, name, dtype):
            return "checkpoint \(path): tensor '\(name)' has unknown dtype '\(dtype)' (known: f32, f64)"
        case let .tensorSizeMismatch(path, name, shape, dtype, bytes):
            return "checkpoint \(path): tensor '\(name)' of shape \(shape) and dtype \(dtype) cannot occupy \(bytes) bytes"
        case let .tensorOutOfBounds(path, name, offset, bytes, dataBytes):
            return "checkpoint \(path): tensor '\(name)' (offset \(offset), \(bytes) bytes) does not fit in the \(dataBytes)-byte data section"
        case let .overlappingTensors(path, first, second):
            return "checkpoint \(path): tensors '\(first)' and '\(second)' overlap"
        case let .nonFinite(path, name, index):
            return "checkpoint \(path): tensor '\(name)' holds a non-finite value (NaN or infinity) at element \(index)"
        case let .notRepresentable(name, index, dtype):
            return "cannot save tensor '\(name)' as \(dtype): element \(index) is not exactly representable"
        case let .wrongModel(path, found, expected): return "checkpoint \(path) holds a '\(found)' model, not '\(expected)'"
        case let .unknownModelKind(path, found, known):
            return "checkpoint \(path) holds an unknown model kind '\(found)'; this build loads \(known.joined(separator: ", "))"
        case let .missingTensor(path, name): return "checkpoint \(path) has no tensor '\(name)'"
        case let .shapeMismatch(path, name, found, expected):
            return "checkpoint \(path): tensor '\(name)' has shape \(found), the model needs \(expected)"
        case let .badConfig(path, key, reason): return "checkpoint \(path): config '\(key)' \(reason)"
        }
    }

    /// A short name of the error's kind, for tallies (`backprop fuzz-checkpoint`).
    public var kind: String {
        switch self {
        case .unreadable: return "unreadable"
        case .notACheckpoint: return "notACheckpoint"
        case .unsupportedVersion: return "unsupportedVersion"
        case .truncated: return "truncated"
        case .trailingBytes: return "trailingBytes"
        case .badChecksum: return "badChecksum"
        case .malformed: return "malformed"
        case .unknownDType: return "unknownDType"
        case .tensorSizeMismatch: return "tensorSizeMismatch"
        case .tensorOutOfBounds: return "tensorOutOfBounds"
        case .overlappingTensors: return "overlappingTensors"
        case .nonFinite: return "nonFinite"
        case .notRepresentable: return "notRepresentable"
        case .wrongModel: return "wrongModel"
        case .unknownModelKind: return "unknownModelKind"
        case .missingTensor: return "missingTensor"
        case .shapeMismatch: return "shapeMismatch"
        case .badConfig: return "badConfig"
        }
    }
}

private func hex(_ x: UInt32) -> String {
    let digits = String(x, radix: 16)
    return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
}
