// CheckpointWriter: lays a Checkpoint out as bytes (CheckpointFormat.swift)
// and hands them to a sink in order: preamble and header, then each tensor,
// then the CRC-32 of everything before it. Streaming keeps memory at one
// tensor and lets a failure halfway abort an atomic save.
//
// The writer refuses what a reader would refuse: non-finite values, values
// that an f32 file cannot hold exactly, non-finite config numbers, and
// repeated tensor names.
//
// Chapter 9 explains it (chapters/09-model-as-a-service.md, "Checkpoints").

import BackpropCore
import Foundation

public enum CheckpointWriter {
    /// Calls `sink` with consecutive chunks of the file.
    /// - Throws: `CheckpointError` for a checkpoint that cannot be stored, or `sink`'s error.
    public static func write(_ checkpoint: Checkpoint, path: String = "(unsaved checkpoint)", to sink: (Data) throws -> Void) throws {
        let dtype = checkpoint.dtype
        var names: Set<String> = []
        var table: [JSONValue] = []
        var offset = 0
        var placed: [(offset: Int, bytes: Int)] = []
        for (name, tensor) in checkpoint.tensors {
            guard names.insert(name).inserted else {
                throw CheckpointError.malformed(path: path, reason: "tensor '\(name)' appears twice")
            }
            let bytes = tensor.count * dtype.size
            table.append(.object([
                ("name", .string(name)), ("dtype", .string(dtype.rawValue)),
                ("shape", .array(tensor.shape.map { .integer($0) })), ("offset", .integer(offset)), ("bytes", .integer(bytes)),
            ]))
            placed.append((offset, bytes))
            offset = CheckpointFormat.aligned(offset + bytes)
        }
        let dataBytes = placed.last.map { $0.offset + $0.bytes } ?? 0
        try requireFinite(checkpoint.config, path: path)
        let header = JSONValue.object([
            ("model", .string(checkpoint.kind)), ("config", .object(checkpoint.config)),
            ("metadata", .object(sanitized(checkpoint.metadata))), ("tensors", .array(table)),
        ])
        let headerBytes = Array(header.rendered.utf8)

        var crc: UInt32 = 0
        func emit(_ chunk: Data) throws {
            crc = chunk.withUnsafeBytes { CRC32.checksum($0, continuing: crc) }
            try sink(chunk)
        }
        var start = Data(CheckpointFormat.magic)
        start.appendLittleEndian(CheckpointFormat.version)
        start.appendLittleEndian(UInt32(headerBytes.count))
        start.appendLittleEndian(UInt64(dataBytes))
        start.append(contentsOf: headerBytes)
        let dataStart = CheckpointFormat.aligned(start.count)
        start.append(Data(count: dataStart - start.count))
        try emit(start)

        var position = 0
        for ((name, tensor), slot) in zip(checkpoint.tensors, placed) {
            if slot.offset > position { try emit(Data(count: slot.offset - position)) }
            try emit(try encode(tensor, name: name, dtype: dtype, path: path))
            position = slot.offset + slot.bytes
        }
        var end = Data()
        end.appendLittleEndian(crc)
        try sink(end)
    }

    /// One tensor's elements as little-endian bytes.
    static func encode(_ tensor: Tensor<Double>, name: String, dtype: CheckpointDType, path: String) throws -> Data {
        var out = Data(count: tensor.count * dtype.size)
        try out.withUnsafeMutableBytes { raw in
            for (i, x) in tensor.scalars.enumerated() {
                guard x.isFinite else { throw CheckpointError.nonFinite(path: path, name: name, index: i) }
                switch dtype {
                case .float32:
                    let f = Float(x)
                    guard Double(f) == x else { throw CheckpointError.notRepresentable(name: name, index: i, dtype: dtype.rawValue) }
                    raw.storeBytes(of: f.bitPattern.littleEndian, toByteOffset: i * 4, as: UInt32.self)
                case .float64:
                    raw.storeBytes(of: x.bitPattern.littleEndian, toByteOffset: i * 8, as: UInt64.self)
                }
            }
        }
        return out
    }

    /// Config numbers must be finite (JSON cannot hold NaN; the model needs
    /// them) and no object may repeat a key (the reader refuses both).
    static func requireFinite(_ fields: [(String, JSONValue)], path: String) throws {
        func check(_ v: JSONValue, _ key: String) throws {
            switch v {
            case .number(let x) where !x.isFinite:
                throw CheckpointError.badConfig(path: path, key: key, reason: "is not a finite number")
            case .array(let a): for item in a { try check(item, key) }
            case .object(let o): try checkObject(o, prefix: key + ".")
            default: break
            }
        }
        func checkObject(_ o: [(String, JSONValue)], prefix: String) throws {
            var seen: Set<String> = []
            for (k, item) in o {
                guard seen.insert(k).inserted else { throw CheckpointError.badConfig(path: path, key: prefix + k, reason: "appears twice") }
                try check(item, prefix + k)
            }
        }
        try checkObject(fields, prefix: "")
    }

    /// Metadata is informational: a non-finite metric is stored as its name,
    /// and of a repeated key only the first is kept.
    static func sanitized(_ fields: [(String, JSONValue)]) -> [(String, JSONValue)] {
        func clean(_ v: JSONValue) -> JSONValue {
            switch v {
            case .number(let x) where !x.isFinite: return .string("\(x)")
            case .array(let a): return .array(a.map(clean))
            case .object(let o): return .object(unique(o).map { ($0.0, clean($0.1)) })
            default: return v
            }
        }
        func unique(_ o: [(String, JSONValue)]) -> [(String, JSONValue)] {
            var seen: Set<String> = []
            return o.filter { seen.insert($0.0).inserted }
        }
        return unique(fields).map { ($0.0, clean($0.1)) }
    }
}

extension Data {
    mutating func appendLittleEndian<I: FixedWidthInteger>(_ value: I) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}
