// Reference solution of exercise 9.8 (continuous batching's scheduler step):
// admit from the front of the queue within the places and the prefill
// budget (the first one whatever its cost), retire the cancelled, sample
// the others, retire those that just produced their last token.

import ExerciseKit

public func schedulerStep(
    waiting: [(id: Int, promptTokens: Int, maxTokens: Int)],
    running: [(id: Int, produced: Int, maxTokens: Int, cancelled: Bool)],
    maxActive: Int, prefillTokensPerStep: Int, contextLength: Int
) throws -> (admitted: [Int], sampled: [Int], retired: [Int], rows: [Int]) {
    var batch = running
    var admitted: [Int] = []
    var budget = prefillTokensPerStep
    for request in waiting {
        guard batch.count < maxActive else { break }
        let cost = min(request.promptTokens, contextLength)
        if !admitted.isEmpty && cost > budget { break }
        budget -= cost
        admitted.append(request.id)
        batch.append((request.id, 0, request.maxTokens, false))
    }
    var sampled: [Int] = [], retired: [Int] = [], rows: [Int] = []
    for s in batch {
        if s.cancelled || s.produced >= s.maxTokens {
            retired.append(s.id)
        } else {
            sampled.append(s.id)
            if s.produced + 1 == s.maxTokens { retired.append(s.id) } else { rows.append(s.id) }
        }
    }
    return (admitted, sampled, retired, rows)
}
