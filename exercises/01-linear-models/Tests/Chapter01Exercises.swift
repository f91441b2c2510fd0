// Grades the student's answers in exercises/01-linear-models with chapter
// 1's graders. An exercise still throwing NotAttempted is skipped. From the
// repository's root:
//
//   swift test --package-path exercises/01-linear-models
//   swift test --package-path exercises/01-linear-models --filter Chapter01Exercises/mseGradient

import ExerciseKit
import Exercises01
import Graders01
import Testing

@Suite struct Chapter01Exercises {
    @Test func perceptronUpdate() throws {
        try Grade.student("exercise 1.1 (perceptron update)", file: "exercises/01-linear-models/PerceptronUpdate.swift") {
            try Chapter01Graders.perceptronUpdate(Exercises01.perceptronUpdate)
        }
    }

    @Test func mseGradient() throws {
        try Grade.student("exercise 1.2 (MSE gradient)", file: "exercises/01-linear-models/MSEGradient.swift") {
            try Chapter01Graders.mseGradient(Exercises01.mseGradient)
        }
    }

    @Test func logisticGradient() throws {
        try Grade.student("exercise 1.3 (logistic gradient)", file: "exercises/01-linear-models/LogisticGradient.swift") {
            try Chapter01Graders.logisticGradient(Exercises01.logisticGradient)
        }
    }

    @Test func largestStableLearningRate() throws {
        try Grade.student(
            "exercise 1.4 (largest stable learning rate)", file: "exercises/01-linear-models/LargestStableLearningRate.swift"
        ) {
            try Chapter01Graders.largestStableLearningRate(Exercises01.largestStableLearningRate)
        }
    }

    @Test func logisticRegressionTraining() throws {
        try Grade.student(
            "exercise 1.5 (logistic regression in the training loop)",
            file: "exercises/01-linear-models/LogisticRegressionModel.swift"
        ) {
            try Chapter01Graders.logisticRegressionTraining(
                double: { try Exercises01.LogisticRegressionModel<Double>(features: $0) },
                float: { try Exercises01.LogisticRegressionModel<Float>(features: $0) })
        }
    }

    @Test func perceptronMistakeBound() throws {
        try Grade.student(
            "exercise 1.6 (the perceptron against Novikoff's bound)", file: "exercises/01-linear-models/PerceptronMistakeBound.swift"
        ) {
            try Chapter01Graders.perceptronMistakeBound(Exercises01.perceptronMistakeBound)
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
