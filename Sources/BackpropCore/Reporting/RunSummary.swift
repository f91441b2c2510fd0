// RunSummary: what a training run reports, as a table row for `tour` and as
// the one-line JSON object that ends `backprop train … --json`.

import Foundation

/// A JSON value with keys kept in the order they were added (so summaries
/// read the same every time).
public enum JSONValue: Sendable, Equatable {
    case number(Double)
    case integer(Int)
    case string(String)
    case bool(Bool)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool { a.rendered == b.rendered }

    /// Compact JSON text. Non-finite numbers (which JSON cannot hold) become null.
    public var rendered: String {
        switch self {
        case .number(let x):
            guard x.isFinite else { return "null" }
            if x == 0, x.sign == .minus { return "-0.0" }  // keep the sign: checkpoints are bit-exact
            if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
            return "\(x)"
        case .integer(let i): return String(i)
        case .string(let s): return JSONValue.quote(s)
        case .bool(let b): return b ? "true" : "false"
        case .array(let a): return "[" + a.map(\.rendered).joined(separator: ",") + "]"
        case .object(let o):
            return "{" + o.map { "\(JSONValue.quote($0.0)):\($0.1.rendered)" }.joined(separator: ",") + "}"
        }
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}

/// The outcome of one training run.
public struct RunSummary: Sendable {
    public var chapter: Int
    public var model: String
    public var dataset: String
    /// Named results in display order, e.g. ("test_accuracy", 0.97).
    public var metrics: [(String, Double)]
    public var seconds: Double
    /// Extra facts for the JSON line (epochs, parameters, converged…).
    public var details: [(String, JSONValue)]

    public init(chapter: Int, model: String, dataset: String, metrics: [(String, Double)],
                seconds: Double, details: [(String, JSONValue)] = []) {
        self.chapter = chapter
        self.model = model
        self.dataset = dataset
        self.metrics = metrics
        self.seconds = seconds
        self.details = details
    }

    /// The value of a named metric.
    public func metric(_ name: String) -> Double? { metrics.first { $0.0 == name }?.1 }

    /// One JSON object: model, dataset, the metrics, details, seconds.
    public var json: String {
        var fields: [(String, JSONValue)] = [("model", .string(model)), ("dataset", .string(dataset))]
        fields += metrics.map { ($0.0, .number($0.1)) }
        fields += details
        fields.append(("seconds", .number((seconds * 1000).rounded() / 1000)))
        return JSONValue.object(fields).rendered
    }
}

extension RunSummary {
    /// The run as a checkpoint's training metadata: chapter, dataset, seed,
    /// the metrics and details, and the training time.
    public func checkpointMetadata(seed: UInt64) -> [(String, JSONValue)] {
        [("chapter", .integer(chapter)), ("dataset", .string(dataset)), ("seed", .string(String(seed)))]
            + metrics.map { ($0.0, .number($0.1)) } + details + [("training_seconds", .number((seconds * 1000).rounded() / 1000))]
    }
}

/// Renders rows as an aligned plain-text table.
public enum TextTable {
    public static func render(header: [String], rows: [[String]]) -> String {
        let widths = header.indices.map { c in ([header[c]] + rows.map { c < $0.count ? $0[c] : "" }).map(\.count).max()! }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        return ([line(header), rule] + rows.map(line)).joined(separator: "\n")
    }
}
