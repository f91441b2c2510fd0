// Grades the student's answers in exercises/04-word-embeddings with chapter
// 4's graders. An exercise still throwing NotAttempted is skipped. From the
// repository's root:
//
//   swift test --package-path exercises/04-word-embeddings
//   swift test --package-path exercises/04-word-embeddings --filter Chapter04Exercises/sgnsGradients

import ExerciseKit
import Exercises04
import Graders04
import Testing

@Suite struct Chapter04Exercises {
    @Test func sgnsGradients() throws {
        try Grade.student(
            "exercise 4.1 (skip-gram negative-sampling gradients)", file: "exercises/04-word-embeddings/SGNSGradients.swift"
        ) {
            try Chapter04Graders.sgnsGradients { try Exercises04.sgnsGradients(center: $0, context: $1, negatives: $2) }
        }
    }

    @Test func nearestNeighbours() throws {
        try Grade.student(
            "exercise 4.2 (nearest neighbours)", file: "exercises/04-word-embeddings/NearestNeighbours.swift"
        ) {
            try Chapter04Graders.nearestNeighbours { try Exercises04.nearestNeighbours(of: $0, vectors: $1, count: $2) }
        }
    }

    @Test func keepProbability() throws {
        try Grade.student(
            "exercise 4.3 (subsampling keep probability)", file: "exercises/04-word-embeddings/KeepProbability.swift"
        ) {
            try Chapter04Graders.keepProbability {
                try Exercises04.keepProbability(count: $0, totalWords: $1, threshold: $2)
            }
        }
    }

    @Test func cbowGradients() throws {
        try Grade.student(
            "exercise 4.4 (CBOW negative-sampling gradients)", file: "exercises/04-word-embeddings/CBOWGradients.swift"
        ) {
            try Chapter04Graders.cbowGradients { try Exercises04.cbowGradients(contexts: $0, positive: $1, negatives: $2) }
        }
    }

    @Test func skipGramStep() throws {
        try Grade.student(
            "exercise 4.5 (an SGD step of skip-gram, trained in word2vec)",
            file: "exercises/04-word-embeddings/SkipGramStep.swift"
        ) {
            try Chapter04Graders.trainSkipGram {
                try Exercises04.skipGramStep(center: $0, context: $1, negatives: $2, learningRate: $3)
            }
        }
    }

    @Test func aliasTableBug() throws {
        try Grade.student(
            "exercise 4.6 (find the bug in an alias table)", file: "exercises/04-word-embeddings/AliasTableBug.swift"
        ) {
            try Chapter04Graders.aliasTableBug(
                measure: { try Exercises04.aliasTableProbabilities(probability: $0, alias: $1) },
                failingWeights: { try Exercises04.weightsTheGivenTableGetsWrong() },
                fixed: { try Exercises04.aliasTable(weights: $0) })
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
