// Grades the student's answers in exercises/05-recurrent-networks. An
// exercise still throwing NotAttempted is skipped.
//
//   swift test --filter ExercisesTests.Chapter05Exercises

import Exercises05
import Testing

@Suite struct Chapter05Exercises {
    @Test func rnnCellBackward() throws {
        try Grade.student("exercise 5.1 (RNN cell backward)", file: "exercises/05-recurrent-networks/RNNCellBackward.swift") {
            try Chapter05Graders.rnnCellBackward(Exercises05.rnnCellBackward)
        }
    }

    @Test func lstmStep() throws {
        try Grade.student("exercise 5.2 (one LSTM step)", file: "exercises/05-recurrent-networks/LSTMStep.swift") {
            try Chapter05Graders.lstmStep(Exercises05.lstmStep)
        }
    }

    @Test func clipGlobalNorm() throws {
        try Grade.student(
            "exercise 5.3 (clipping by global norm)", file: "exercises/05-recurrent-networks/ClipGlobalNorm.swift"
        ) {
            try Chapter05Graders.clipGlobalNorm(Exercises05.clipGlobalNorm)
        }
    }

    @Test func samplingProbabilities() throws {
        try Grade.student(
            "exercise 5.4 (temperature and top-k)", file: "exercises/05-recurrent-networks/SamplingProbabilities.swift"
        ) {
            try Chapter05Graders.samplingProbabilities(Exercises05.samplingProbabilities)
        }
    }
}
