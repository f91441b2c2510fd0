// A one-line progress indicator (done/total, rate, ETA), redrawn in place with
// a carriage return. It prints only when stdout is a terminal, so piped
// output and `--json` lines stay clean.

import Foundation

/// Reports progress of long work on one terminal line.
public final class ProgressLine: @unchecked Sendable {
    private let label: String
    private let total: Int
    private let unit: String
    private let start = Date()
    private var lastDraw = Date.distantPast
    private let enabled: Bool

    /// - Parameter enabled: defaults to "stdout is a terminal".
    public init(_ label: String, total: Int, unit: String = "steps", enabled: Bool? = nil) {
        self.label = label
        self.total = max(total, 1)
        self.unit = unit
        self.enabled = enabled ?? (isatty(STDOUT_FILENO) == 1)
    }

    /// Updates the line (at most ten times a second) with `done` units finished.
    public func update(_ done: Int, note: String = "") {
        guard enabled else { return }
        let now = Date()
        guard done >= total || now.timeIntervalSince(lastDraw) > 0.1 else { return }
        lastDraw = now
        let elapsed = now.timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let line = String(
            format: "\r%@ %d/%d %@  %.1f %@/s  ETA %@  %@", label, done, total, unit, rate, unit,
            ProgressLine.clock(eta), note)
        FileHandle.standardOutput.write((line.padding(toLength: 79, withPad: " ", startingAt: 0)).data(using: .utf8)!)
    }

    /// Clears the line.
    public func finish() {
        guard enabled else { return }
        FileHandle.standardOutput.write(("\r" + String(repeating: " ", count: 79) + "\r").data(using: .utf8)!)
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
    }
}
