// Grades the student's answers in exercises/06-recurrent-networks. An
// exercise still throwing NotAttempted is skipped.
//
//   swift test --filter ExercisesTests.Chapter06Exercises

import Exercises06
import Testing

@Suite struct Chapter06Exercises {
    @Test func rnnCellBackward() throws {
        try Grade.student("exercise 6.1 (RNN cell backward)", file: "exercises/06-recurrent-networks/RNNCellBackward.swift") {
            try Chapter06Graders.rnnCellBackward(Exercises06.rnnCellBackward)
        }
    }

    @Test func lstmStep() throws {
        try Grade.student("exercise 6.2 (one LSTM step)", file: "exercises/06-recurrent-networks/LSTMStep.swift") {
            try Chapter06Graders.lstmStep(Exercises06.lstmStep)
        }
    }

    @Test func clipGlobalNorm() throws {
        try Grade.student(
            "exercise 6.3 (clipping by global norm)", file: "exercises/06-recurrent-networks/ClipGlobalNorm.swift"
        ) {
            try Chapter06Graders.clipGlobalNorm(Exercises06.clipGlobalNorm)
        }
    }

    @Test func samplingProbabilities() throws {
        try Grade.student(
            "exercise 6.4 (temperature and top-k)", file: "exercises/06-recurrent-networks/SamplingProbabilities.swift"
        ) {
            try Chapter06Graders.samplingProbabilities(Exercises06.samplingProbabilities)
        }
    }
}
