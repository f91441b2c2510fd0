// Checkpoint: a trained model's named tensors plus everything needed to
// rebuild it (the model kind, its architecture config, training metadata),
// stored in one self-describing binary file (CheckpointFormat.swift has the
// byte layout), written atomically (AtomicFile.swift) and validated on load
// (CheckpointReader.swift).
//
// Tensors travel as Double, which holds every Float exactly; `dtype` says how
// they are stored on disk: f32 for models trained in Float (4 bytes each, the
// same bits), f64 for Double. A save → load round trip is bit-exact.
//
// This module (Storage) sits below every chapter, since each one saves its
// models through it; chapter 9 explains it (chapters/09-model-as-a-service.md,
// "Checkpoints").

import BackpropCore
import Foundation

/// Named tensors plus what they belong to.
public struct Checkpoint: Sendable {
    public static let formatName = "backprop-checkpoint"
    /// The file format version this build writes and reads.
    public static let version = Int(CheckpointFormat.version)

    /// The kind of model ("mlp", "cnn", "logistic", …): the loader's key
    /// (`CheckpointModel.checkpointKind`; the file's header calls it "model").
    public var kind: String
    /// Where the checkpoint was read from, named in every error its readers
    /// throw; "<memory>" for one built or decoded in memory.
    public var path: String
    /// Settings needed to rebuild the model (widths, activation, class names…).
    public var config: [(String, JSONValue)]
    /// How the model was trained (dataset, seed, metrics); informational.
    public var metadata: [(String, JSONValue)]
    /// How tensors are stored on disk. A loaded file whose tensors are all
    /// f32 reports `.float32`, otherwise `.float64`.
    public var dtype: CheckpointDType
    /// Tensors in order, as Double (exact for Float values).
    public var tensors: [(name: String, tensor: Tensor<Double>)]

    public init(kind: String, config: [(String, JSONValue)] = [], metadata: [(String, JSONValue)] = [],
                dtype: CheckpointDType = .float64, tensors: [(name: String, tensor: Tensor<Double>)], path: String = "<memory>") {
        self.kind = kind
        self.path = path
        self.config = config
        self.metadata = metadata
        self.dtype = dtype
        self.tensors = tensors
    }

    /// The tensor called `name`, checked against the shape the model expects.
    public func tensor<T: TensorScalar>(_ name: String, shape: [Int], as: T.Type = T.self) throws -> Tensor<T> {
        guard let t = tensors.first(where: { $0.name == name })?.tensor else {
            throw CheckpointError.missingTensor(path: path, name: name)
        }
        guard t.shape == shape else { throw CheckpointError.shapeMismatch(path: path, name: name, found: t.shape, expected: shape) }
        return t.converted()
    }

    /// Writes the checkpoint atomically: a save that fails halfway (a value
    /// that cannot be stored, a full disk) leaves any previous file intact.
    /// - Throws: `CheckpointError` for a value that cannot be stored,
    ///   `FileWriteError` for a file-system failure.
    public func write(to url: URL) throws {
        try AtomicFile.write(to: url) { handle in
            try CheckpointWriter.write(self, path: url.path) { chunk in
                do { try handle.write(contentsOf: chunk) } catch {
                    throw FileWriteError(path: url.path, reason: error.localizedDescription)
                }
            }
        }
    }

    /// The file's bytes.
    public func encoded() throws -> Data {
        var out = Data()
        try CheckpointWriter.write(self) { out.append($0) }
        return out
    }

    /// Reads and validates a checkpoint file.
    /// - Throws: `CheckpointError` naming the file and the problem.
    public static func load(_ url: URL) throws -> Checkpoint {
        let path = url.path
        guard FileManager.default.fileExists(atPath: path) else { throw CheckpointError.unreadable(path: path, reason: "no such file") }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw CheckpointError.unreadable(path: path, reason: error.localizedDescription)
        }
        return try CheckpointReader.decode(data, path: path)
    }

    /// Validates and reads a checkpoint's bytes; `path` names it in errors.
    public static func decode(_ data: Data, path: String = "<memory>") throws -> Checkpoint {
        try CheckpointReader.decode(data, path: path)
    }
}

// MARK: - Reading the config

extension Checkpoint {
    /// Throws `.wrongModel` unless this checkpoint holds a model of `expected` kind.
    public func require(kind expected: String) throws {
        guard kind == expected else { throw CheckpointError.wrongModel(path: path, found: kind, expected: expected) }
    }

    /// The config value of `key`, or nil.
    public func configValue(_ key: String) -> JSONValue? { config.first { $0.0 == key }?.1 }

    /// The config value of `key`. - Throws: `.badConfig` if it is missing.
    public func requireConfig(_ key: String) throws -> JSONValue {
        guard let v = configValue(key) else { throw CheckpointError.badConfig(path: path, key: key, reason: "is missing") }
        return v
    }

    /// An integer config value within `range`.
    public func configInt(_ key: String, in range: ClosedRange<Int> = 0...Int.max) throws -> Int {
        guard let i = try requireConfig(key).intValue, range.contains(i) else {
            throw CheckpointError.badConfig(path: path, key: key, reason: "must be an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return i
    }

    /// A list of integers, each within `range`.
    public func configInts(_ key: String, in range: ClosedRange<Int> = 0...Int.max) throws -> [Int] {
        guard let a = try requireConfig(key).arrayValue else {
            throw CheckpointError.badConfig(path: path, key: key, reason: "must be a list of integers")
        }
        return try a.map { v in
            guard let i = v.intValue, range.contains(i) else {
                throw CheckpointError.badConfig(path: path, key: key, reason: "must hold integers in \(range.lowerBound)...\(range.upperBound)")
            }
            return i
        }
    }

    /// A finite number.
    public func configDouble(_ key: String) throws -> Double {
        guard let x = try requireConfig(key).doubleValue, x.isFinite else {
            throw CheckpointError.badConfig(path: path, key: key, reason: "must be a finite number")
        }
        return x
    }

    public func configBool(_ key: String) throws -> Bool {
        guard let b = try requireConfig(key).boolValue else {
            throw CheckpointError.badConfig(path: path, key: key, reason: "must be true or false")
        }
        return b
    }

    public func configString(_ key: String) throws -> String {
        guard let s = try requireConfig(key).stringValue else {
            throw CheckpointError.badConfig(path: path, key: key, reason: "must be a string")
        }
        return s
    }

    /// A list of strings.
    public func configStrings(_ key: String) throws -> [String] {
        guard let a = try requireConfig(key).arrayValue else {
            throw CheckpointError.badConfig(path: path, key: key, reason: "must be a list of strings")
        }
        return try a.map { v in
            guard let s = v.stringValue else { throw CheckpointError.badConfig(path: path, key: key, reason: "must hold only strings") }
            return s
        }
    }

    /// The number of stored scalars: an upper bound on the parameters any
    /// config may describe, so a corrupted width cannot allocate gigabytes.
    public var storedScalarCount: Int { tensors.reduce(0) { $0 + $1.tensor.count } }

    /// Throws unless a model with `parameters` scalars fits in the stored tensors.
    public func requireStored(parameters: Int?, key: String) throws {
        guard let parameters, parameters <= storedScalarCount else {
            throw CheckpointError.badConfig(path: path, key: key, reason: "describes a model larger than the tensors stored in the file")
        }
    }

    /// A dropout probability in [0, 1).
    public func configDropout() throws -> Double {
        let p = configValue("dropout") == nil ? 0 : try configDouble("dropout")
        guard (0..<1).contains(p) else { throw CheckpointError.badConfig(path: path, key: "dropout", reason: "must be in [0, 1)") }
        return p
    }
}
