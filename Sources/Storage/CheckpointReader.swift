// CheckpointReader: validates a checkpoint's bytes (CheckpointFormat.swift)
// and only then builds the Checkpoint, so a bad file yields a typed
// `CheckpointError` and never a crash or a half-read model.
//
// The checks, in order (each names the file and what is wrong):
//   1. magic bytes (a hint if the file looks like the old JSON format)
//   2. format version (a hint for older and newer versions)
//   3. the file's size against the preamble's header and data lengths
//      (truncated, or bytes after the end); all arithmetic overflow-checked
//   4. CRC-32 of everything before the last four bytes
//   5. the JSON header: model kind, config, metadata, the tensor table
//   6. each tensor: known dtype, non-negative shape whose byte count (no
//      overflow) equals its `bytes`, an aligned offset, inside the data
//      section, no two overlapping, no name twice
//   7. the values themselves: every one finite
// Every size is bounded by the file's actual size before memory is
// allocated for it.
//
// Chapter 9 explains it (chapters/09-model-as-a-service.md,
// "Validating a load").

import BackpropCore
import Foundation

public enum CheckpointReader {
    public static func decode(_ data: Data, path: String) throws -> Checkpoint {
        try data.withUnsafeBytes { raw in try decode(raw, path: path) }
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, path: String) throws -> Checkpoint {
        let n = bytes.count
        let magic = CheckpointFormat.magic
        // 1. magic
        let head = Array(bytes.prefix(magic.count))
        guard n > 0, head == Array(magic.prefix(head.count)) else {
            throw CheckpointError.notACheckpoint(path: path, hint: magicHint(Array(bytes.prefix(16))))
        }
        guard n >= CheckpointFormat.preambleSize else {
            throw CheckpointError.truncated(path: path, expected: CheckpointFormat.preambleSize, found: n)
        }
        // 2. version
        let version = bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self).littleEndian
        guard version == CheckpointFormat.version else {
            throw CheckpointError.unsupportedVersion(path: path, found: Int(version), supported: Int(CheckpointFormat.version))
        }
        // 3. sizes
        let headerLength = Int(bytes.loadUnaligned(fromByteOffset: 12, as: UInt32.self).littleEndian)
        let dataLength64 = bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self).littleEndian
        let dataStart = CheckpointFormat.aligned(CheckpointFormat.preambleSize + headerLength)
        // A data length beyond the file (or beyond Int) is reported as truncation without overflowing.
        let dataLength = Int(clamping: dataLength64)
        let (withData, o1) = dataStart.addingReportingOverflow(dataLength)
        let (expected, o2) = withData.addingReportingOverflow(CheckpointFormat.checksumSize)
        let expectedSize = o1 || o2 ? Int.max : expected
        guard expectedSize <= n else { throw CheckpointError.truncated(path: path, expected: expectedSize, found: n) }
        guard expectedSize == n else { throw CheckpointError.trailingBytes(path: path, expected: expectedSize, found: n) }
        // 4. checksum
        let stored = bytes.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self).littleEndian
        let computed = CRC32.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<(n - 4)]))
        guard stored == computed else { throw CheckpointError.badChecksum(path: path, stored: stored, computed: computed) }
        // 5. header
        let headerBytes = Array(bytes[CheckpointFormat.preambleSize..<(CheckpointFormat.preambleSize + headerLength)])
        let header: JSONValue
        do { header = try JSONParser.parse(headerBytes, maximumDepth: CheckpointFormat.maximumHeaderDepth) } catch {
            throw CheckpointError.malformed(path: path, reason: "the header is not valid JSON (\(error))")
        }
        guard case .object = header else { throw CheckpointError.malformed(path: path, reason: "the header is not a JSON object") }
        guard let model = header["model"]?.stringValue, !model.isEmpty else {
            throw CheckpointError.malformed(path: path, reason: "the header names no model kind (\"model\")")
        }
        guard let config = header["config"]?.objectValue else {
            throw CheckpointError.malformed(path: path, reason: "the header has no \"config\" object")
        }
        let metadata = header["metadata"].flatMap(\.objectValue) ?? []
        guard let table = header["tensors"]?.arrayValue else {
            throw CheckpointError.malformed(path: path, reason: "the header has no \"tensors\" list")
        }
        // 6. the tensor table
        let entries = try table.enumerated().map { try entry($1, index: $0, dataLength: dataLength, path: path) }
        var seen: Set<String> = []
        for e in entries where !seen.insert(e.name).inserted {
            throw CheckpointError.malformed(path: path, reason: "tensor '\(e.name)' appears twice")
        }
        let occupied = entries.filter { $0.bytes > 0 }.sorted { $0.offset < $1.offset }
        for (a, b) in zip(occupied, occupied.dropFirst()) where a.offset + a.bytes > b.offset {
            throw CheckpointError.overlappingTensors(path: path, first: a.name, second: b.name)
        }
        // 7. values
        let base = UnsafeRawBufferPointer(rebasing: bytes[dataStart..<(dataStart + dataLength)])
        var tensors: [(name: String, tensor: Tensor<Double>)] = []
        for e in entries {
            let count = e.bytes / e.dtype.size
            var values = [Double](repeating: 0, count: count)
            for i in 0..<count {
                let x: Double
                switch e.dtype {
                case .float32:
                    x = Double(Float(bitPattern: base.loadUnaligned(fromByteOffset: e.offset + 4 * i, as: UInt32.self).littleEndian))
                case .float64:
                    x = Double(bitPattern: base.loadUnaligned(fromByteOffset: e.offset + 8 * i, as: UInt64.self).littleEndian)
                }
                guard x.isFinite else { throw CheckpointError.nonFinite(path: path, name: e.name, index: i) }
                values[i] = x
            }
            tensors.append((e.name, try Tensor(shape: e.shape, scalars: values)))
        }
        let dtype: CheckpointDType = entries.allSatisfy({ $0.dtype == .float32 }) && !entries.isEmpty ? .float32 : .float64
        return Checkpoint(kind: model, config: config, metadata: metadata, dtype: dtype, tensors: tensors, path: path)
    }

    struct Entry {
        var name: String
        var dtype: CheckpointDType
        var shape: [Int]
        var offset: Int
        var bytes: Int
    }

    /// One row of the tensor table, checked against the data section.
    static func entry(_ value: JSONValue, index: Int, dataLength: Int, path: String) throws -> Entry {
        guard let name = value["name"]?.stringValue else {
            throw CheckpointError.malformed(path: path, reason: "tensor \(index) in the table has no name")
        }
        func bad(_ what: String) -> CheckpointError { .malformed(path: path, reason: "tensor '\(name)': \(what)") }
        guard let dtypeName = value["dtype"]?.stringValue else { throw bad("no dtype") }
        guard let dtype = CheckpointDType(rawValue: dtypeName) else {
            throw CheckpointError.unknownDType(path: path, name: name, dtype: dtypeName)
        }
        guard let dims = value["shape"]?.arrayValue else { throw bad("no shape") }
        let shape = try dims.map { d -> Int in
            guard let i = d.intValue, i >= 0 else { throw bad("the shape must list non-negative integers") }
            return i
        }
        guard let offset = value["offset"]?.intValue, offset >= 0 else { throw bad("no non-negative offset") }
        guard let bytes = value["bytes"]?.intValue, bytes >= 0 else { throw bad("no non-negative byte count") }
        // The byte count of the shape, without overflowing: a huge shape cannot match `bytes`.
        var needed = dtype.size
        var overflow = false
        for d in shape where !overflow {
            let (p, o) = needed.multipliedReportingOverflow(by: d)
            needed = p
            overflow = o
        }
        guard !overflow, needed == bytes else {
            throw CheckpointError.tensorSizeMismatch(path: path, name: name, shape: shape, dtype: dtypeName, bytes: bytes)
        }
        guard offset % CheckpointFormat.alignment == 0 else {
            throw bad("offset \(offset) is not a multiple of \(CheckpointFormat.alignment)")
        }
        guard offset <= dataLength, bytes <= dataLength - offset else {
            throw CheckpointError.tensorOutOfBounds(path: path, name: name, offset: offset, bytes: bytes, dataBytes: dataLength)
        }
        return Entry(name: name, dtype: dtype, shape: shape, offset: offset, bytes: bytes)
    }

    /// What the first bytes of a file that is not a checkpoint suggest.
    static func magicHint(_ head: [UInt8]) -> String {
        let text = head.drop { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        if text.first == UInt8(ascii: "{") {
            return "it looks like JSON — perhaps a version-1 checkpoint (the old JSON format), which this build no longer reads; save the model again"
        }
        if head.isEmpty { return "the file is empty" }
        let found = head.prefix(8).map { b in let h = String(b, radix: 16); return h.count == 1 ? "0" + h : h }.joined(separator: " ")
        return "expected 89 42 50 43 4b 0d 0a 1a, found \(found)"
    }
}
