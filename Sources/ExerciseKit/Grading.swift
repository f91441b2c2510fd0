// The grading harness: a grader runs a candidate answer on worked cases and
// collects failures that teach (which check, expected versus got). A
// candidate that throws `NotAttempted` is skipped, not failed: each
// chapter's test shim (exercises/NN-slug/Tests) turns a report into test
// issues, and NotAttempted into a cancelled test. This file has no
// `import Testing`, so the graders are plain library code.

import Foundation

/// The outcome of grading one candidate.
public struct GradeReport: Sendable {
    public var failures: [String] = []
    public var passed: Bool { failures.isEmpty }

    public init(failures: [String] = []) { self.failures = failures }

    /// Records a failure unless `condition` holds.
    public mutating func check(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { failures.append(message()) }
    }
}

/// Helpers the graders share: comparisons with a tolerance and formatting
/// for messages.
public enum Grade {
    /// Formats numbers for messages.
    public static func show(_ xs: [Double]) -> String {
        "[" + xs.map { String(format: "%.6g", $0) }.joined(separator: ", ") + "]"
    }

    /// True when every |a − b| ≤ tol·max(1, |b|).
    public static func close(_ a: [Double], _ b: [Double], _ tol: Double = 1e-6) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tol * max(1, abs($1)) }
    }

    /// Formats a matrix for messages, row by row.
    public static func show(_ m: [[Double]]) -> String { "[" + m.map(show).joined(separator: ", ") + "]" }

    /// A matrix's shape for messages ("3 × 4", or the row lengths if ragged).
    public static func shape(_ m: [[Double]]) -> String {
        let widths = Set(m.map(\.count))
        return widths.count <= 1 ? "\(m.count) × \(widths.first ?? 0)" : "\(m.count) rows of \(m.map(\.count))"
    }

    /// True when `m` has `rows` rows of `cols` values each.
    public static func hasShape(_ m: [[Double]], _ rows: Int, _ cols: Int) -> Bool {
        m.count == rows && m.allSatisfy { $0.count == cols }
    }

    /// `close` row by row.
    public static func close(_ a: [[Double]], _ b: [[Double]], _ tol: Double) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { close($0, $1, tol) }
    }
}
