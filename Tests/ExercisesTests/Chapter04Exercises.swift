// Grades the student's answers in exercises/04-word-embeddings. An exercise
// still throwing NotAttempted is skipped.
//
//   swift test --filter ExercisesTests.Chapter04Exercises

import Exercises04
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
}
