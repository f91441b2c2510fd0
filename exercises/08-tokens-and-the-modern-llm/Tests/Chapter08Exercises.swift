// Grades the student's answers in exercises/08-tokens-and-the-modern-llm with
// chapter 8's graders. An exercise still throwing NotAttempted is skipped.
// From the repository's root:
//
//   swift test --package-path exercises/08-tokens-and-the-modern-llm
//   swift test --package-path exercises/08-tokens-and-the-modern-llm --filter Chapter08Exercises/rmsNormBackward

import ExerciseKit
import Exercises08
import Graders08
import Testing

@Suite struct Chapter08Exercises {
    @Test func bytePairMerge() throws {
        try Grade.student("exercise 8.1 (a BPE merge step)", file: "exercises/08-tokens-and-the-modern-llm/BytePairMerge.swift") {
            try Chapter08Graders.bytePairMerge(mostFrequent: Exercises08.mostFrequentPair,
                                               merge: { try Exercises08.mergePair($0, left: $1, right: $2, into: $3) })
        }
    }

    @Test func rotaryEmbedding() throws {
        try Grade.student("exercise 8.2 (RoPE forward and backward)", file: "exercises/08-tokens-and-the-modern-llm/RotaryPositions.swift") {
            try Chapter08Graders.rotaryEmbedding(
                forward: { try Exercises08.ropeForward($0, positions: $1, headWidth: $2, base: $3) },
                backward: { try Exercises08.ropeBackward($0, positions: $1, headWidth: $2, base: $3) })
        }
    }

    @Test func rmsNormBackward() throws {
        try Grade.student("exercise 8.3 (RMSNorm's backward pass)", file: "exercises/08-tokens-and-the-modern-llm/RMSNormBackward.swift") {
            try Chapter08Graders.rmsNormBackward { try Exercises08.rmsNormBackward(x: $0, gain: $1, dy: $2, epsilon: $3) }
        }
    }

    @Test func groupedQueryAttention() throws {
        try Grade.student("exercise 8.4 (grouped-query attention at one decoding step)",
                          file: "exercises/08-tokens-and-the-modern-llm/GroupedQueryAttention.swift") {
            try Chapter08Graders.groupedQueryAttention(
                kvHead: { try Exercises08.kvHead(forQueryHead: $0, heads: $1, kvHeads: $2) },
                cacheBytes: { try Exercises08.kvCacheBytesPerPosition(layers: $0, heads: $1, kvHeads: $2, headWidth: $3, bytesPerValue: $4) },
                attend: { try Exercises08.groupedAttentionStep(query: $0, keys: $1, values: $2, heads: $3, kvHeads: $4) })
        }
    }

    @Test func loraInModel() throws {
        try Grade.student("exercise 8.5 (your LoRA layer, fine-tuned in the Llama)", file: "exercises/08-tokens-and-the-modern-llm/LoRALayer.swift") {
            try Chapter08Graders.loraInModel(Chapter08Graders.LoRALayerAccess<Exercises08.LoRALinearLayer>(
                make: { w, rank, alpha, rng in try Exercises08.LoRALinearLayer(weight: w, rank: rank, alpha: alpha, rng: &rng) },
                parts: { ($0.weight, $0.a, $0.b) },
                merge: { try $0.merge() }))
        }
    }

    @Test func findTheCacheBug() throws {
        try Grade.student("exercise 8.6 (find the bugs in a KV-cache decoder)", file: "exercises/08-tokens-and-the-modern-llm/FindTheCacheBug.swift") {
            try Chapter08Graders.findTheCacheBug(measure: { try Exercises08.cacheDiscrepancy($0, tokens: $1, decoder: $2) },
                                                 fixed: { try Exercises08.cachedLogits($0, tokens: $1) })
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
