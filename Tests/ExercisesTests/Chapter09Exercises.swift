// Grades the student's answers in exercises/09-model-as-a-service. An
// exercise still throwing NotAttempted is skipped.
//
//   swift test --filter ExercisesTests.Chapter09Exercises

import Exercises09
import Testing

@Suite struct Chapter09Exercises {
    @Test func crc32() throws {
        try Grade.student("exercise 9.1 (CRC-32)", file: "exercises/09-model-as-a-service/CRC32.swift") {
            try Chapter09Graders.crc32(Exercises09.crc32)
        }
    }

    @Test func readFrame() throws {
        try Grade.student("exercise 9.2 (a validating frame reader)", file: "exercises/09-model-as-a-service/ReadFrame.swift") {
            try Chapter09Graders.readFrame(Exercises09.readFrame)
        }
    }

    @Test func dynamicBatches() throws {
        try Grade.student(
            "exercise 9.3 (dynamic batching)", file: "exercises/09-model-as-a-service/DynamicBatching.swift"
        ) {
            try Chapter09Graders.dynamicBatches(Exercises09.dynamicBatches)
        }
    }

    @Test func kvCacheBytes() throws {
        try Grade.student("exercise 9.4 (KV-cache memory)", file: "exercises/09-model-as-a-service/KVCacheBytes.swift") {
            try Chapter09Graders.kvCacheBytes(Exercises09.kvCacheBytes)
        }
    }
}
