// Grades the student's answers in exercises/07-transformer. An exercise
// still throwing NotAttempted is skipped.
//
//   swift test --filter ExercisesTests.Chapter07Exercises

import Exercises07
import Testing

@Suite struct Chapter07Exercises {
    @Test func causalAttention() throws {
        try Grade.student("exercise 7.1 (causal attention)", file: "exercises/07-transformer/CausalAttention.swift") {
            try Chapter07Graders.causalAttention(Exercises07.causalAttention)
        }
    }

    @Test func layerNormBackward() throws {
        try Grade.student("exercise 7.2 (LayerNorm backward)", file: "exercises/07-transformer/LayerNormBackward.swift") {
            try Chapter07Graders.layerNormBackward(Exercises07.layerNormBackward)
        }
    }

    @Test func positionalEncoding() throws {
        try Grade.student(
            "exercise 7.3 (sinusoidal positional encoding)", file: "exercises/07-transformer/PositionalEncoding.swift"
        ) {
            try Chapter07Graders.positionalEncoding(Exercises07.sinusoidalPositionalEncoding)
        }
    }
}
