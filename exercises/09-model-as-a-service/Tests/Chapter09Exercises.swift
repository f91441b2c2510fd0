// Grades the student's answers in exercises/09-model-as-a-service with chapter
// 9's graders. An exercise still throwing NotAttempted is skipped. From the
// repository's root:
//
//   swift test --package-path exercises/09-model-as-a-service
//   swift test --package-path exercises/09-model-as-a-service --filter Chapter09Exercises/readFrame

import ExerciseKit
import Exercises09
import Graders09
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

    @Test func parseRequest() throws {
        try Grade.student(
            "exercise 9.5 (an HTTP request parser in the real server)",
            file: "exercises/09-model-as-a-service/ParseRequest.swift"
        ) {
            try Chapter09Graders.parseRequest { buffer, limits in try Exercises09.parseRequest(buffer, limits: limits) }
        }
    }

    @Test func saveAtomically() throws {
        try Grade.student(
            "exercise 9.6 (find the bugs in an atomic save)", file: "exercises/09-model-as-a-service/AtomicSave.swift"
        ) {
            try Chapter09Graders.saveAtomically(Exercises09.saveAtomically)
        }
    }

    @Test func connectionStep() throws {
        try Grade.student(
            "exercise 9.7 (a connection's deadlines)", file: "exercises/09-model-as-a-service/ConnectionDeadlines.swift"
        ) {
            try Chapter09Graders.connectionStep { timer, event, now, timeouts in
                try Exercises09.connectionStep(timer, event, now: now, timeouts: timeouts)
            }
        }
    }

    @Test func schedulerStep() throws {
        try Grade.student(
            "exercise 9.8 (continuous batching's scheduler step)",
            file: "exercises/09-model-as-a-service/ContinuousBatchingStep.swift"
        ) {
            try Chapter09Graders.schedulerStep { waiting, running, maxActive, budget, context in
                try Exercises09.schedulerStep(waiting: waiting, running: running, maxActive: maxActive,
                                              prefillTokensPerStep: budget, contextLength: context)
            }
        }
    }

    @Test func int8Quantization() throws {
        try Grade.student(
            "exercise 9.9 (int8 quantization and its error bound)",
            file: "exercises/09-model-as-a-service/Int8Quantization.swift"
        ) {
            try Chapter09Graders.int8Quantization(
                quantize: Exercises09.quantizeInt8,
                dequantize: { scales, levels in try Exercises09.dequantizeInt8(scales: scales, levels: levels) },
                bound: { x, row in try Exercises09.int8ErrorBound(x: x, row: row) })
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
