// Checkpoint: a trained model's named tensors in one self-describing JSON
// file, written atomically (AtomicFile.swift) and validated on load.
//
//   {"format": "backprop-checkpoint", "version": 1, "model": "cnn",
//    "config": {…}, "tensors": [{"name": "1.weight", "shape": [16, 1, 3, 3],
//                                "data": [...]}, ...]}
//
// Values are written as the shortest decimal that reads back as the same
// Float or Double, so a save/load round trip is bit-exact. Loading checks the
// format name, the version, every shape against its data, and that every
// value is finite; any problem is a `CheckpointError` naming it. (Chapter 7
// turns this into a binary format with a checksum for serving.)

import Foundation

/// Why a checkpoint could not be read or used.
public enum CheckpointError: Error, CustomStringConvertible, Equatable, Sendable {
    case unreadable(path: String, reason: String)
    case malformed(path: String, reason: String)
    case unsupportedVersion(path: String, found: Int, supported: Int)
    case wrongModel(path: String, found: String, expected: String)
    case missingTensor(path: String, name: String)
    case shapeMismatch(path: String, name: String, found: [Int], expected: [Int])

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "cannot read checkpoint \(path): \(reason)"
        case let .malformed(path, reason): return "checkpoint \(path) is malformed: \(reason)"
        case let .unsupportedVersion(path, found, supported):
            return "checkpoint \(path) has version \(found); this build reads version \(supported) (was it written by a newer backprop?)"
        case let .wrongModel(path, found, expected): return "checkpoint \(path) holds a '\(found)' model, not '\(expected)'"
        case let .missingTensor(path, name): return "checkpoint \(path) has no tensor '\(name)'"
        case let .shapeMismatch(path, name, found, expected):
            return "checkpoint \(path): tensor '\(name)' has shape \(found), the model needs \(expected)"
        }
    }
}

/// Named tensors plus what they belong to.
public struct Checkpoint: Sendable {
    public static let formatName = "backprop-checkpoint"
    public static let version = 1

    public var model: String
    /// Free-form settings needed to rebuild the model (widths, options…).
    public var config: [(String, JSONValue)]
    /// Tensors in order, as Double (exact for Float values).
    public var tensors: [(name: String, tensor: Tensor<Double>)]

    public init(model: String, config: [(String, JSONValue)] = [], tensors: [(name: String, tensor: Tensor<Double>)]) {
        self.model = model
        self.config = config
        self.tensors = tensors
    }

    /// The tensor called `name`, checked against the shape the model expects.
    public func tensor<T: TensorScalar>(_ name: String, shape: [Int], path: String = "", as: T.Type = T.self) throws -> Tensor<T> {
        guard let t = tensors.first(where: { $0.name == name })?.tensor else {
            throw CheckpointError.missingTensor(path: path, name: name)
        }
        guard t.shape == shape else { throw CheckpointError.shapeMismatch(path: path, name: name, found: t.shape, expected: shape) }
        return t.converted()
    }

    /// The file's JSON text.
    public func rendered() -> String {
        let entries: [JSONValue] = tensors.map { entry in
            .object([("name", .string(entry.name)), ("shape", .array(entry.tensor.shape.map { .integer($0) })),
                     ("data", .array(entry.tensor.scalars.map { .number($0) }))])
        }
        return JSONValue.object([
            ("format", .string(Self.formatName)), ("version", .integer(Self.version)), ("model", .string(model)),
            ("config", .object(config)), ("tensors", .array(entries)),
        ]).rendered + "\n"
    }

    /// Writes the checkpoint atomically.
    public func write(to url: URL) throws { try AtomicFile.write(Data(rendered().utf8), to: url) }

    /// Reads and validates a checkpoint file.
    public static func load(_ url: URL) throws -> Checkpoint {
        let path = url.path
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw CheckpointError.unreadable(path: path, reason: FileManager.default.fileExists(atPath: path) ? error.localizedDescription : "no such file")
        }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw CheckpointError.malformed(path: path, reason: "not a JSON object")
        }
        guard root["format"] as? String == formatName else {
            throw CheckpointError.malformed(path: path, reason: "missing \"format\": \"\(formatName)\"")
        }
        guard let version = root["version"] as? Int else { throw CheckpointError.malformed(path: path, reason: "missing version") }
        guard version == Self.version else { throw CheckpointError.unsupportedVersion(path: path, found: version, supported: Self.version) }
        guard let model = root["model"] as? String else { throw CheckpointError.malformed(path: path, reason: "missing model kind") }
        guard let list = root["tensors"] as? [[String: Any]] else { throw CheckpointError.malformed(path: path, reason: "missing tensors") }
        var tensors: [(name: String, tensor: Tensor<Double>)] = []
        for (i, entry) in list.enumerated() {
            guard let name = entry["name"] as? String, let shape = entry["shape"] as? [Int],
                  let values = entry["data"] as? [Any] else {
                throw CheckpointError.malformed(path: path, reason: "tensor \(i) needs a name, a shape and data")
            }
            let numbers = values.compactMap { ($0 as? NSNumber)?.doubleValue }
            guard numbers.count == values.count, numbers.allSatisfy({ $0.isFinite }) else {
                throw CheckpointError.malformed(path: path, reason: "tensor '\(name)' holds a value that is not a finite number")
            }
            guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == numbers.count else {
                throw CheckpointError.malformed(path: path, reason: "tensor '\(name)' has shape \(shape) but \(numbers.count) values")
            }
            guard !tensors.contains(where: { $0.name == name }) else {
                throw CheckpointError.malformed(path: path, reason: "tensor '\(name)' appears twice")
            }
            tensors.append((name, try Tensor(shape: shape, scalars: numbers)))
        }
        let config = (root["config"] as? [String: Any] ?? [:]).keys.sorted().compactMap { key -> (String, JSONValue)? in
            let value = (root["config"] as! [String: Any])[key]!
            if let s = value as? String { return (key, .string(s)) }
            if let n = value as? NSNumber { return (key, .number(n.doubleValue)) }
            if let a = value as? [NSNumber] { return (key, .array(a.map { .number($0.doubleValue) })) }
            return nil
        }
        return Checkpoint(model: model, config: config, tensors: tensors)
    }
}
