// Fixture: reference values computed once by PyTorch, read back in tests.
//
// Contract
// - A fixture is one JSON file written by `Tests/Fixtures/make_fixtures.py`:
//
//     {"name": "...", "description": "...", "torch_version": "...",
//      "dtype": "float64",
//      "tensors": {"x": {"shape": [4, 3], "data": [flat row-major floats]}},
//      "scalars": {"loss": 0.123}}
//
//   `name`, `description` and `tensors` are required; `torch_version`,
//   `dtype` and `scalars` are optional. Tensor data is row-major, exactly as
//   `Tensor.scalars` stores it.
// - `load` reads and checks the whole file at once: every shape must be
//   non-negative and its element count must equal the length of `data`.
//   Every failure throws `FixtureError` naming the file and the problem, so a
//   broken fixture is reported where it is loaded, not as a wrong number later.
// - Values are kept as `Double` (the script computes in float64 and writes
//   `repr`-exact decimals, which parse back to the same bits). `tensor(_:as:)`
//   converts to the requested scalar type on request; asking for `Float`
//   rounds each value once.
// - Tensors and scalars are separate namespaces: `tensor("loss")` throws
//   `missingKey` even when the fixture has a scalar named "loss".
// - Tests never run Python: the JSON files are committed, and the script is
//   rerun by hand only when a fixture is added or changed.

import BackpropCore
import Foundation

/// A named set of reference tensors and scalars loaded from a JSON fixture.
public struct Fixture: Sendable {
    /// The fixture's name, e.g. `"linear_forward_backward"`.
    public let name: String
    /// What the fixture records, in a sentence.
    public let description: String
    /// The PyTorch version that computed the values (empty if not recorded).
    public let torchVersion: String
    /// The dtype the values were computed in, e.g. `"float64"` (empty if not recorded).
    public let dtype: String
    /// The file the fixture was loaded from.
    public let path: String

    private let tensors: [String: StoredTensor]
    private let scalars: [String: Double]

    /// One tensor as stored in the file.
    private struct StoredTensor: Sendable {
        let shape: [Int]
        let data: [Double]
    }

    /// The names of the fixture's tensors, sorted.
    public var tensorNames: [String] { tensors.keys.sorted() }
    /// The names of the fixture's scalars, sorted.
    public var scalarNames: [String] { scalars.keys.sorted() }

    /// Reads and validates a fixture file.
    /// - Throws: `FixtureError.unreadable` if the file cannot be read,
    ///   `FixtureError.malformed` if it is not a valid fixture (bad JSON, a
    ///   missing field, a shape that does not match its data).
    public static func load(_ url: URL) throws -> Fixture {
        let path = url.path
        guard FileManager.default.fileExists(atPath: path) else {
            throw FixtureError.unreadable(path: path, reason: "no such file")
        }
        let bytes: Data
        do {
            bytes = try Data(contentsOf: url)
        } catch {
            throw FixtureError.unreadable(path: path, reason: "\(error)")
        }

        let file: FileFormat
        do {
            file = try JSONDecoder().decode(FileFormat.self, from: bytes)
        } catch let error as DecodingError {
            throw FixtureError.malformed(path: path, reason: Fixture.explain(error))
        } catch {
            throw FixtureError.malformed(path: path, reason: "\(error)")
        }

        var tensors: [String: StoredTensor] = [:]
        for (key, raw) in file.tensors {
            if let bad = raw.shape.first(where: { $0 < 0 }) {
                throw FixtureError.malformed(
                    path: path,
                    reason: "tensor '\(key)' has shape \(raw.shape) with negative dimension \(bad)")
            }
            let expected = raw.shape.reduce(1, *)
            guard expected == raw.data.count else {
                throw FixtureError.malformed(
                    path: path,
                    reason: "tensor '\(key)' has shape \(raw.shape), which needs \(expected) "
                        + "values, but its data holds \(raw.data.count)")
            }
            tensors[key] = StoredTensor(shape: raw.shape, data: raw.data)
        }

        return Fixture(
            name: file.name, description: file.description,
            torchVersion: file.torch_version ?? "", dtype: file.dtype ?? "",
            path: path, tensors: tensors, scalars: file.scalars ?? [:])
    }

    /// The tensor stored under `key`, converted to scalar type `T`.
    /// - Throws: `FixtureError.missingKey` if the fixture has no such tensor.
    public func tensor<T: TensorScalar>(_ key: String, as: T.Type = T.self) throws -> Tensor<T> {
        guard let stored = tensors[key] else {
            throw FixtureError.missingKey(fixture: name, key: key)
        }
        // `load` checked the count, so this cannot throw; keep `try` honest.
        return try Tensor<T>(shape: stored.shape, scalars: stored.data.map { T($0) })
    }

    /// The scalar stored under `key`.
    /// - Throws: `FixtureError.missingKey` if the fixture has no such scalar.
    public func scalar(_ key: String) throws -> Double {
        guard let value = scalars[key] else {
            throw FixtureError.missingKey(fixture: name, key: key)
        }
        return value
    }

    // MARK: File format

    /// The JSON layout, decoded as is and validated afterwards.
    private struct FileFormat: Decodable {
        let name: String
        let description: String
        let torch_version: String?
        let dtype: String?
        let tensors: [String: RawTensor]
        let scalars: [String: Double]?
    }

    private struct RawTensor: Decodable {
        let shape: [Int]
        let data: [Double]
    }

    /// A one-line reason for a decoding failure, naming the field involved.
    private static func explain(_ error: DecodingError) -> String {
        func where_(_ context: DecodingError.Context) -> String {
            let path = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }
            return path.isEmpty ? "at top level" : "at '\(path.joined(separator: "."))'"
        }
        switch error {
        case let .keyNotFound(key, context):
            return "missing field '\(key.stringValue)' \(where_(context))"
        case let .typeMismatch(type, context):
            return "expected \(type) \(where_(context)): \(context.debugDescription)"
        case let .valueNotFound(type, context):
            return "expected \(type) but found null \(where_(context))"
        case let .dataCorrupted(context):
            var reason = "invalid JSON \(where_(context)): \(context.debugDescription)"
            if let underlying = context.underlyingError {
                reason += " (\(underlying))"
            }
            return reason
        @unknown default:
            return "\(error)"
        }
    }
}

/// Why a fixture could not be loaded or queried.
public enum FixtureError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The file does not exist or cannot be read.
    case unreadable(path: String, reason: String)
    /// The file is not a valid fixture: bad JSON, a missing field, or a shape
    /// that does not match its data.
    case malformed(path: String, reason: String)
    /// The fixture has no tensor or scalar with this key.
    case missingKey(fixture: String, key: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "fixture \(path): cannot read file (\(reason))"
        case let .malformed(path, reason):
            return "fixture \(path): malformed (\(reason))"
        case let .missingKey(fixture, key):
            return "fixture '\(fixture)': missing key '\(key)'"
        }
    }
}

extension FixtureError: CustomDebugStringConvertible {
    public var debugDescription: String { description }
}
