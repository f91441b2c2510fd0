// Grades the student's answers in exercises/03-automatic-differentiation with
// chapter 3's graders. An exercise still throwing NotAttempted is skipped.
// From the repository's root:
//
//   swift test --package-path exercises/03-automatic-differentiation
//   swift test --package-path exercises/03-automatic-differentiation --filter Chapter03Exercises/maximum

import ExerciseKit
import Exercises03
import Graders03
import Testing

@Suite struct Chapter03Exercises {
    @Test func scalarOperations() throws {
        try Grade.student("exercise 3.1 (softplus and power on Value)", file: "exercises/03-automatic-differentiation/ScalarOperations.swift") {
            try Chapter03Graders.scalarOperations(softplus: Exercises03.softplus, power: Exercises03.power)
        }
    }

    @Test func topologicalOrder() throws {
        try Grade.student("exercise 3.2 (topological order)", file: "exercises/03-automatic-differentiation/TopologicalSort.swift") {
            try Chapter03Graders.topologicalOrder(Exercises03.topologicalOrder)
        }
    }

    @Test func sumToShape() throws {
        try Grade.student("exercise 3.3 (broadcasting's backward)", file: "exercises/03-automatic-differentiation/SumToShape.swift") {
            try Chapter03Graders.sumToShape { try Exercises03.sumToShape($0, shape: $1, target: $2) }
        }
    }

    @Test func findTheClosureBug() throws {
        try Grade.student("exercise 3.4 (find the bug in a backward closure)",
                          file: "exercises/03-automatic-differentiation/FindTheClosureBug.swift") {
            try Chapter03Graders.findTheClosureBug(Exercises03.rowLogSumExp)
        }
    }

    @Test func maximum() throws {
        try Grade.student("exercise 3.5 (elementwise maximum)", file: "exercises/03-automatic-differentiation/Maximum.swift") {
            try Chapter03Graders.maximum(Exercises03.maximum)
        }
    }

    @Test func irisTraining() throws {
        try Grade.student("exercise 3.6 (a network written with the engine, trained on iris)",
                          file: "exercises/03-automatic-differentiation/IrisNetwork.swift") {
            try Chapter03Graders.irisTraining { inputs, hidden, classes, rng in
                let network = try Exercises03.IrisNetwork(inputs: inputs, hidden: hidden, classes: classes, rng: &rng)
                return (network.parameters, network.logits)
            }
        }
    }
}

extension Grade {
    /// Grades a student's answer inside a test: skips it if not attempted,
    /// otherwise records each failure as a test issue.
    fileprivate static func student(_ exercise: String, file: String, _ grader: () throws -> GradeReport) throws {
        let report: GradeReport
        do {
            report = try grader()
        } catch is NotAttempted {
            try Test.cancel("\(exercise) not attempted yet: write your answer in \(file)")
        }
        for failure in report.failures { Issue.record("\(exercise): \(failure)") }
    }
}
