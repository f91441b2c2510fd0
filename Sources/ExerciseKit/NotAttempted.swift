// The marker every exercise stub throws until a student writes an answer.
// Graders treat it as "not attempted" and skip (the test is reported as
// cancelled, not failed), so `swift test` stays green on a fresh clone.

/// Thrown by an exercise stub that has not been attempted yet.
public struct NotAttempted: Error, CustomStringConvertible, Sendable {
    public let exercise: String

    public init(_ exercise: String = #function) { self.exercise = exercise }

    public var description: String { "exercise \(exercise) has not been attempted yet" }
}
