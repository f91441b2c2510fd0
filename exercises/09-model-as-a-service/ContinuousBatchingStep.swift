// Exercise 9.8 — continuous batching's scheduler step
// (chapters/09-model-as-a-service.md, "Continuous batching").
//
// A continuous batcher advances every running generation by one batched
// decoding step at a time, and between two steps lets requests join and
// leave. Write the decision it makes between two steps: who is admitted,
// who samples a token, who leaves, and which sequences are the rows of the
// next batched step. The grader executes your decisions itself (it prefills,
// samples and runs the model), so you only return lists of ids.
//
// The inputs: `waiting`, the queue of requests not yet admitted, oldest
// first (promptTokens ≥ 1, maxTokens ≥ 0); `running`, the sequences in the
// batch, in their batch order, each with the tokens it has produced so far
// and whether its client has left (`cancelled`); and the policy: at most
// `maxActive` sequences in the batch, at most `prefillTokensPerStep` prompt
// tokens prefilled per step, and the model's `contextLength`.
//
// The step, in this order:
//
//   1. Admit. Every running sequence holds its place until this step
//      retires it (a cancelled one too), so there are maxActive − running
//      places. Take requests from the front of the queue while a place is
//      left. Reading a prompt costs min(promptTokens, contextLength) tokens
//      (the prefill reads at most one window). The first request admitted
//      in a step is admitted whatever its cost, so that a long prompt gets
//      in, alone; each later one only if its cost is at most the budget
//      left (prefillTokensPerStep minus the costs admitted before it in this
//      step). The first request that does not fit ends the admissions:
//      nobody overtakes anybody. An admitted request has produced 0 tokens.
//   2. Retire the cancelled: a running sequence whose client left leaves
//      now, without a token.
//   3. Sample. Every other sequence (running ones, then the admitted) with
//      produced < maxTokens samples one token. If that token was its last
//      (produced + 1 == maxTokens) it leaves after it: its client has all
//      its tokens. A sequence with nothing left to produce (maxTokens 0)
//      leaves without a token.
//   4. The rows of this step's batched decoding step are the sequences that
//      sampled and did not leave: each feeds the token it just sampled.
//
// Return the ids of the admitted requests, of the sequences that sample, of
// those that leave, and of the rows, each list in the order of the batch:
// the running sequences in their order, then the admitted ones in queue
// order. The rows become the running sequences of the next step.
//
// Worked example: maxActive 3, prefillTokensPerStep 8, contextLength 16,
//   running  [(id 1, produced 4, maxTokens 5), (id 2, produced 1, maxTokens 10, cancelled)]
//   waiting  [(id 3, promptTokens 6, maxTokens 2), (id 4, promptTokens 3, maxTokens 4)]
// One place: request 3 is admitted (request 4 waits). Sequence 2 leaves
// (cancelled); 1 samples its fifth and last token and leaves; 3 samples its
// first. → admitted [3], sampled [1, 3], retired [1, 2], rows [3].
// With running [] and waiting [(1, 20, 3), (2, 5, 3), (3, 2, 0)] (maxActive
// 4, the same budget and context) only request 1 is admitted, alone (its
// cost is 16). At the next step, with running [(1, 1, 3)], requests 2 and 3
// are admitted (costs 5 and 2 ≤ 8), and 3 leaves at once (maxTokens 0):
// → admitted [2, 3], sampled [1, 2], retired [3], rows [1, 2].
//
// The grader checks hand-worked states and random ones, then plugs your step
// into a real run: a small GPT generating for requests that arrive, join and
// leave at different steps; each must get exactly the tokens it gets when
// generated alone with the same seed, be admitted at the step a place frees
// for it, and the batch must never hold more than maxActive.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/09-model-as-a-service --filter Chapter09Exercises/schedulerStep

import ExerciseKit

public func schedulerStep(
    waiting: [(id: Int, promptTokens: Int, maxTokens: Int)],
    running: [(id: Int, produced: Int, maxTokens: Int, cancelled: Bool)],
    maxActive: Int, prefillTokensPerStep: Int, contextLength: Int
) throws -> (admitted: [Int], sampled: [Int], retired: [Int], rows: [Int]) {
    throw NotAttempted()
}
