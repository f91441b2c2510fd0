// Grades the student's answers in exercises/06-transformer. An exercise
// still throwing NotAttempted is skipped.
//
//   swift test --filter ExercisesTests.Chapter06Exercises

import Exercises06
import Testing

@Suite struct Chapter06Exercises {
    @Test func causalAttention() throws {
        try Grade.student("exercise 6.1 (causal attention)", file: "exercises/06-transformer/CausalAttention.swift") {
            try Chapter06Graders.causalAttention(Exercises06.causalAttention)
        }
    }

    @Test func layerNormBackward() throws {
        try Grade.student("exercise 6.2 (LayerNorm backward)", file: "exercises/06-transformer/LayerNormBackward.swift") {
            try Chapter06Graders.layerNormBackward(Exercises06.layerNormBackward)
        }
    }

    @Test func positionalEncoding() throws {
        try Grade.student(
            "exercise 6.3 (sinusoidal positional encoding)", file: "exercises/06-transformer/PositionalEncoding.swift"
        ) {
            try Chapter06Graders.positionalEncoding(Exercises06.sinusoidalPositionalEncoding)
        }
    }
}
