// Grades the student's answers in exercises/05-convolutional-networks with chapter
// 5's graders. An exercise still throwing NotAttempted is skipped. From the
// repository's root:
//
//   swift test --package-path exercises/05-convolutional-networks
//   swift test --package-path exercises/05-convolutional-networks --filter Chapter05Exercises/maxPoolBackward

import ExerciseKit
import Exercises05
import Graders05
import Testing

@Suite struct Chapter05Exercises {
    @Test func convolutionOutputSize() throws {
        try Grade.student(
            "exercise 5.1 (convolution output size)",
            file: "exercises/05-convolutional-networks/ConvolutionOutputSize.swift"
        ) {
            try Chapter05Graders.convolutionOutputSize(Exercises05.convolutionOutputSize)
        }
    }

    @Test func convolve2D() throws {
        try Grade.student("exercise 5.2 (2-D convolution)", file: "exercises/05-convolutional-networks/Convolve2D.swift") {
            try Chapter05Graders.convolve2D(Exercises05.convolve2D)
        }
    }

    @Test func maxPoolBackward() throws {
        try Grade.student(
            "exercise 5.3 (max pooling backward)", file: "exercises/05-convolutional-networks/MaxPoolBackward.swift"
        ) {
            try Chapter05Graders.maxPoolBackward(Exercises05.maxPoolBackward)
        }
    }

    @Test func batchNormForward() throws {
        try Grade.student(
            "exercise 5.4 (batch normalisation forward)",
            file: "exercises/05-convolutional-networks/BatchNormForward.swift"
        ) {
            try Chapter05Graders.batchNormForward(Exercises05.batchNormForward)
        }
    }

    @Test func convolutionBackward() throws {
        try Grade.student(
            "exercise 5.5 (convolution backward)", file: "exercises/05-convolutional-networks/ConvolutionBackward.swift"
        ) {
            try Chapter05Graders.convolutionBackward {
                try Exercises05.convolutionBackward(x: $0, weight: $1, dy: $2, stride: $3, padding: $4)
            }
        }
    }

    @Test func batchNormBackward() throws {
        try Grade.student(
            "exercise 5.6 (batch normalisation backward)",
            file: "exercises/05-convolutional-networks/BatchNormBackward.swift"
        ) {
            try Chapter05Graders.batchNormBackward {
                try Exercises05.batchNormBackward(x: $0, gamma: $1, dy: $2, epsilon: $3)
            }
        }
    }

    @Test func convolutionLayer() throws {
        try Grade.student(
            "exercise 5.7 (a convolution layer, trained in the digits CNN)",
            file: "exercises/05-convolutional-networks/ConvolutionLayer.swift"
        ) {
            try Chapter05Graders.convolutionLayer {
                Exercises05.ConvolutionLayer(weight: $0, bias: $1, stride: $2, padding: $3)
            }
        }
    }

    @Test func receptiveField() throws {
        try Grade.student(
            "exercise 5.8 (measure a receptive field)", file: "exercises/05-convolutional-networks/ReceptiveField.swift"
        ) {
            try Chapter05Graders.receptiveField(
                measure: { try Exercises05.measureReceptiveField(network: $0, image: $1, row: $2, column: $3) },
                predict: { try Exercises05.predictedReceptiveField(layers: $0) })
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
