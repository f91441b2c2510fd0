// Grades the student's answers in exercises/07-model-as-a-service. An
// exercise still throwing NotAttempted is skipped.
//
//   swift test --filter ExercisesTests.Chapter07Exercises

import Exercises07
import Testing

@Suite struct Chapter07Exercises {
    @Test func crc32() throws {
        try Grade.student("exercise 7.1 (CRC-32)", file: "exercises/07-model-as-a-service/CRC32.swift") {
            try Chapter07Graders.crc32(Exercises07.crc32)
        }
    }

    @Test func readFrame() throws {
        try Grade.student("exercise 7.2 (a validating frame reader)", file: "exercises/07-model-as-a-service/ReadFrame.swift") {
            try Chapter07Graders.readFrame(Exercises07.readFrame)
        }
    }

    @Test func dynamicBatches() throws {
        try Grade.student(
            "exercise 7.3 (dynamic batching)", file: "exercises/07-model-as-a-service/DynamicBatching.swift"
        ) {
            try Chapter07Graders.dynamicBatches(Exercises07.dynamicBatches)
        }
    }

    @Test func kvCacheBytes() throws {
        try Grade.student("exercise 7.4 (KV-cache memory)", file: "exercises/07-model-as-a-service/KVCacheBytes.swift") {
            try Chapter07Graders.kvCacheBytes(Exercises07.kvCacheBytes)
        }
    }
}
