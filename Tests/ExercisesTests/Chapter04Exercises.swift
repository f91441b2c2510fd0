// Grades the student's answers in exercises/04-convolutional-networks. An
// exercise still throwing NotAttempted is skipped.
//
//   swift test --filter ExercisesTests.Chapter04Exercises

import Exercises04
import Testing

@Suite struct Chapter04Exercises {
    @Test func convolutionOutputSize() throws {
        try Grade.student(
            "exercise 4.1 (convolution output size)",
            file: "exercises/04-convolutional-networks/ConvolutionOutputSize.swift"
        ) {
            try Chapter04Graders.convolutionOutputSize(Exercises04.convolutionOutputSize)
        }
    }

    @Test func convolve2D() throws {
        try Grade.student("exercise 4.2 (2-D convolution)", file: "exercises/04-convolutional-networks/Convolve2D.swift") {
            try Chapter04Graders.convolve2D(Exercises04.convolve2D)
        }
    }

    @Test func maxPoolBackward() throws {
        try Grade.student(
            "exercise 4.3 (max pooling backward)", file: "exercises/04-convolutional-networks/MaxPoolBackward.swift"
        ) {
            try Chapter04Graders.maxPoolBackward(Exercises04.maxPoolBackward)
        }
    }

    @Test func batchNormForward() throws {
        try Grade.student(
            "exercise 4.4 (batch normalisation forward)",
            file: "exercises/04-convolutional-networks/BatchNormForward.swift"
        ) {
            try Chapter04Graders.batchNormForward(Exercises04.batchNormForward)
        }
    }
}
