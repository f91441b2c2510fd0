// Grades the student's answers in exercises/05-convolutional-networks. An
// exercise still throwing NotAttempted is skipped.
//
//   swift test --filter ExercisesTests.Chapter05Exercises

import Exercises05
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
}
