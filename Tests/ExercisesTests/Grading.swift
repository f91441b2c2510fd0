// The grading harness: a grader runs a candidate answer on worked cases and
// collects failures that teach (which check, expected versus got). A
// candidate that throws `NotAttempted` is skipped, not failed.

import ExerciseKit
import Foundation
import Testing

/// The outcome of grading one candidate.
struct GradeReport {
    var failures: [String] = []
    var passed: Bool { failures.isEmpty }

    /// Records a failure unless `condition` holds.
    mutating func check(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { failures.append(message()) }
    }
}

enum Grade {
    /// Grades a student's answer inside a test: skips it if not attempted,
    /// otherwise records each failure as a test issue.
    static func student(_ exercise: String, file: String, _ grader: () throws -> GradeReport) throws {
        let report: GradeReport
        do {
            report = try grader()
        } catch is NotAttempted {
            try Test.cancel("\(exercise) not attempted yet: write your answer in \(file)")
        }
        for failure in report.failures { Issue.record("\(exercise): \(failure)") }
    }

    /// Formats numbers for messages.
    static func show(_ xs: [Double]) -> String {
        "[" + xs.map { String(format: "%.6g", $0) }.joined(separator: ", ") + "]"
    }

    /// True when every |a − b| ≤ tol·max(1, |b|).
    static func close(_ a: [Double], _ b: [Double], _ tol: Double = 1e-6) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tol * max(1, abs($1)) }
    }

    /// Formats a matrix for messages, row by row.
    static func show(_ m: [[Double]]) -> String { "[" + m.map(show).joined(separator: ", ") + "]" }

    /// A matrix's shape for messages ("3 × 4", or the row lengths if ragged).
    static func shape(_ m: [[Double]]) -> String {
        let widths = Set(m.map(\.count))
        return widths.count <= 1 ? "\(m.count) × \(widths.first ?? 0)" : "\(m.count) rows of \(m.map(\.count))"
    }

    /// True when `m` has `rows` rows of `cols` values each.
    static func hasShape(_ m: [[Double]], _ rows: Int, _ cols: Int) -> Bool {
        m.count == rows && m.allSatisfy { $0.count == cols }
    }

    /// `close` row by row.
    static func close(_ a: [[Double]], _ b: [[Double]], _ tol: Double) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { close($0, $1, tol) }
    }
}
