// Grades the student's answers in exercises/01-linear-models. An exercise
// still throwing NotAttempted is skipped.
//
//   swift test --filter ExercisesTests.Chapter01Exercises

import Exercises01
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
}
