// Grades the student's answers in exercises/03-word-embeddings. An exercise
// still throwing NotAttempted is skipped.
//
//   swift test --filter ExercisesTests.Chapter03Exercises

import Exercises03
import Testing

@Suite struct Chapter03Exercises {
    @Test func sgnsGradients() throws {
        try Grade.student(
            "exercise 3.1 (skip-gram negative-sampling gradients)", file: "exercises/03-word-embeddings/SGNSGradients.swift"
        ) {
            try Chapter03Graders.sgnsGradients { try Exercises03.sgnsGradients(center: $0, context: $1, negatives: $2) }
        }
    }

    @Test func nearestNeighbours() throws {
        try Grade.student(
            "exercise 3.2 (nearest neighbours)", file: "exercises/03-word-embeddings/NearestNeighbours.swift"
        ) {
            try Chapter03Graders.nearestNeighbours { try Exercises03.nearestNeighbours(of: $0, vectors: $1, count: $2) }
        }
    }

    @Test func keepProbability() throws {
        try Grade.student(
            "exercise 3.3 (subsampling keep probability)", file: "exercises/03-word-embeddings/KeepProbability.swift"
        ) {
            try Chapter03Graders.keepProbability {
                try Exercises03.keepProbability(count: $0, totalWords: $1, threshold: $2)
            }
        }
    }
}
