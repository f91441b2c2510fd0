// Grades the student's answers in exercises/02-backpropagation with chapter
// 2's graders. An exercise still throwing NotAttempted is skipped. From the
// repository's root:
//
//   swift test --package-path exercises/02-backpropagation
//   swift test --package-path exercises/02-backpropagation --filter Chapter02Exercises/adamStep

import ExerciseKit
import Exercises02
import Graders02
import Testing

@Suite struct Chapter02Exercises {
    @Test func reluBackward() throws {
        try Grade.student("exercise 2.1 (ReLU backward)", file: "exercises/02-backpropagation/ReLUBackward.swift") {
            try Chapter02Graders.reluBackward(Exercises02.reluBackward)
        }
    }

    @Test func softmaxCrossEntropyGradient() throws {
        try Grade.student(
            "exercise 2.2 (softmax cross-entropy gradient)",
            file: "exercises/02-backpropagation/SoftmaxCrossEntropyGradient.swift"
        ) {
            try Chapter02Graders.softmaxCrossEntropyGradient(Exercises02.softmaxCrossEntropyGradient)
        }
    }

    @Test func adamStep() throws {
        try Grade.student("exercise 2.3 (Adam step)", file: "exercises/02-backpropagation/AdamStep.swift") {
            try Chapter02Graders.adamStep(Exercises02.adamStep)
        }
    }

    @Test func linearBackward() throws {
        try Grade.student("exercise 2.4 (linear backward)", file: "exercises/02-backpropagation/LinearBackward.swift") {
            try Chapter02Graders.linearBackward(Exercises02.linearBackward)
        }
    }

    @Test func gradientChecker() throws {
        try Grade.student("exercise 2.5 (gradient checker)", file: "exercises/02-backpropagation/GradientChecker.swift") {
            try Chapter02Graders.gradientChecker(Exercises02.numericalGradient, Exercises02.relativeError)
        }
    }

    @Test func findTheBug() throws {
        try Grade.student("exercise 2.6 (find the bug)", file: "exercises/02-backpropagation/FindTheBug.swift") {
            try Chapter02Graders.findTheBug(Exercises02.twoLayerTanhBackward)
        }
    }

    @Test func linearLayerTraining() throws {
        try Grade.student(
            "exercise 2.7 (a linear layer in the digits network)", file: "exercises/02-backpropagation/LinearLayer.swift"
        ) {
            try Chapter02Graders.linearLayerTraining(
                double: { try Exercises02.LinearLayer<Double>($0, $1, rng: &$2) },
                float: { try Exercises02.LinearLayer<Float>($0, $1, rng: &$2) })
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
