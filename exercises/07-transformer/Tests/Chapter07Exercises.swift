// Grades the student's answers in exercises/07-transformer with chapter
// 7's graders. An exercise still throwing NotAttempted is skipped. From the
// repository's root:
//
//   swift test --package-path exercises/07-transformer
//   swift test --package-path exercises/07-transformer --filter Chapter07Exercises/layerNormBackward

import ExerciseKit
import Exercises07
import Graders07
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

    @Test func causalAttentionBackward() throws {
        try Grade.student(
            "exercise 7.4 (causal attention backward)", file: "exercises/07-transformer/CausalAttentionBackward.swift"
        ) {
            try Chapter07Graders.causalAttentionBackward(Exercises07.causalAttentionBackward)
        }
    }

    @Test func causalSelfAttentionInModel() throws {
        try Grade.student(
            "exercise 7.5 (your attention in the GPT)", file: "exercises/07-transformer/CausalSelfAttentionInModel.swift"
        ) {
            try Chapter07Graders.attentionInModel { Exercises07.MyCausalSelfAttention(heads: $0) }
        }
    }

    @Test func findTheAttentionBug() throws {
        try Grade.student(
            "exercise 7.6 (find the bug in multi-head attention's backward pass)",
            file: "exercises/07-transformer/FindTheAttentionBug.swift"
        ) {
            try Chapter07Graders.findTheAttentionBug(Exercises07.multiHeadAttentionBackward)
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
