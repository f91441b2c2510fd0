// Grades the student's answers in exercises/02-backpropagation. An exercise
// still throwing NotAttempted is skipped.
//
//   swift test --filter ExercisesTests.Chapter02Exercises

import Exercises02
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
}
