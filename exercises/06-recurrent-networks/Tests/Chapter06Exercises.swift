// Grades the student's answers in exercises/06-recurrent-networks with chapter
// 6's graders. An exercise still throwing NotAttempted is skipped. From the
// repository's root:
//
//   swift test --package-path exercises/06-recurrent-networks
//   swift test --package-path exercises/06-recurrent-networks --filter Chapter06Exercises/lstmStep

import ExerciseKit
import Exercises06
import Graders06
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

    @Test func gruCellBackward() throws {
        try Grade.student("exercise 6.5 (GRU step backward)", file: "exercises/06-recurrent-networks/GRUCellBackward.swift") {
            try Chapter06Graders.gruCellBackward(Exercises06.gruCellBackward)
        }
    }

    @Test func rnnBackpropThroughTime() throws {
        try Grade.student(
            "exercise 6.6 (backpropagation through time)", file: "exercises/06-recurrent-networks/RNNBackpropThroughTime.swift"
        ) {
            try Chapter06Graders.rnnBackpropThroughTime(Exercises06.rnnBackpropThroughTime)
        }
    }

    @Test func lstmCellInModel() throws {
        try Grade.student(
            "exercise 6.7 (your LSTM cell in the character model)", file: "exercises/06-recurrent-networks/LSTMCellInModel.swift"
        ) {
            try Chapter06Graders.lstmCellInModel(Exercises06.MyLSTMCell())
        }
    }

    @Test func gradientNormsThroughTime() throws {
        try Grade.student(
            "exercise 6.8 (measure the vanishing gradient)", file: "exercises/06-recurrent-networks/GradientNormsThroughTime.swift"
        ) {
            try Chapter06Graders.gradientNormsThroughTime(Exercises06.gradientNormsThroughTime)
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
