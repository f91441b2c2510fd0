// Grader of exercise 9.8, part two: the scheduler step plugged into a real
// run. A driver written here plays the continuous batcher's loop on a small
// GPT (chapter 7), one step at a time and on one thread so that the run is
// deterministic: requests arrive at given steps, the candidate decides, and
// the driver executes the decision exactly as it was given (prefill the
// admitted prompts, sample the named sequences with their own rng, drop the
// retired ones, run one batched decoding step over the rows with
// WindowedDecoder.append(_:to:)). Then
//
//   • each request must have received the tokens the model generates for it
//     alone with the same seed (GPT.generateTokens), all of them, or for a
//     client that left, those it was sent before it left;
//   • each request must be admitted at the step the grader's reference
//     admits it (a place free and the budget allowing), and leave at the
//     step the reference retires it; a request never waits while a place is
//     free and nobody was admitted;
//   • the batch never holds more than maxActive sequences, and the batched
//     steps run as many rows as the reference's (every sampled token but a
//     sequence's last feeds one row).
//
// The reference run is the same driver with the grader's own step
// (Chapter09Graders+SchedulerStep.swift); the tokens come from the model
// alone, never from the reference run.

import BackpropCore
import ExerciseKit
import RecurrentNetworks
import Transformer

extension Chapter09Graders {
    struct SchedulerJob {
        var prompt: [Int]
        var maxTokens: Int
        var sampling: SamplingOptions
        var seed: UInt64
        /// The step at which the request joins the queue.
        var arrives: Int
        /// The step from which its client is gone (cancelled while running).
        var leavesAt: Int? = nil
    }

    /// What a run did, request by request.
    struct SchedulerRunLog {
        var tokens: [[Int]]
        var admittedAt: [Int?]
        var retiredAt: [Int?]
        var rows = 0
        var steps = 0
        var largestBatch = 0
        /// The first decision the driver could not execute, or a request left waiting.
        var failure: String?
    }

    static let runMaxActive = 3, runBudget = 6

    /// Width 16, two heads of 8, two layers, context 8: generations longer
    /// than 8 tokens slide their windows (refilled inside the batched step).
    static func schedulerModel() throws -> GPT<Float> {
        let vocabulary = try CharacterVocabulary(text: "abcdefgh .,\n")
        return try GPT<Float>(config: GPTConfig(vocabulary: vocabulary, context: 8, layers: 2, heads: 2, width: 16), seed: 908)
    }

    /// Nine requests: prompts of 1 to 11 tokens (one longer than the
    /// context and the budget), 0 to 20 tokens, greedy and sampled; three
    /// arrive together, others later, one after the batcher went idle; one
    /// client leaves in the middle of its generation.
    static func schedulerJobs() throws -> [SchedulerJob] {
        [
            SchedulerJob(prompt: [1, 2, 3], maxTokens: 12, sampling: try SamplingOptions(temperature: 1), seed: 1, arrives: 0),
            SchedulerJob(prompt: [4, 0, 5, 6, 2, 7, 1, 8, 3, 9, 10], maxTokens: 9, sampling: .greedy, seed: 2, arrives: 0),
            SchedulerJob(prompt: [4, 5], maxTokens: 1, sampling: try SamplingOptions(temperature: 0.8), seed: 3, arrives: 0),
            SchedulerJob(prompt: [6, 6, 1, 2, 9], maxTokens: 0, sampling: try SamplingOptions(temperature: 1), seed: 4, arrives: 1),
            SchedulerJob(prompt: [3, 1, 0, 11], maxTokens: 15, sampling: try SamplingOptions(temperature: 1.1, topK: 4), seed: 5,
                         arrives: 2, leavesAt: 9),
            SchedulerJob(prompt: [7], maxTokens: 20, sampling: try SamplingOptions(temperature: 1.3, topK: 3), seed: 6, arrives: 2),
            SchedulerJob(prompt: [2, 4, 6, 8, 10, 1, 3], maxTokens: 6, sampling: try SamplingOptions(temperature: 0.9), seed: 7,
                         arrives: 5),
            SchedulerJob(prompt: [9, 8], maxTokens: 10, sampling: .greedy, seed: 8, arrives: 9),
            SchedulerJob(prompt: [5, 1, 11], maxTokens: 4, sampling: try SamplingOptions(temperature: 1), seed: 9, arrives: 45),
        ]
    }

    /// Plays the batcher's loop with `step` deciding; stops at the first
    /// decision it cannot execute (recorded in `failure`).
    static func runScheduler(_ step: SchedulerStep, model: GPT<Float>, jobs: [SchedulerJob], maxActive: Int, budget: Int,
                             stepLimit: Int = 200) throws -> SchedulerRunLog
    {
        var log = SchedulerRunLog(tokens: Array(repeating: [], count: jobs.count),
                                  admittedAt: Array(repeating: nil, count: jobs.count),
                                  retiredAt: Array(repeating: nil, count: jobs.count))
        var waiting: [Int] = [], running: [Int] = []
        var decoders: [Int: GPTDecoder<Float>] = [:], logits: [Int: [Float]] = [:]
        var rngs = jobs.map { SeededRandom(seed: $0.seed) }
        let lastArrival = jobs.map(\.arrives).max() ?? 0
        for now in 0..<stepLimit {
            waiting += jobs.indices.filter { jobs[$0].arrives == now }
            if waiting.isEmpty && running.isEmpty {
                if now > lastArrival { return log }
                continue                                   // idle until the next arrival
            }
            let cancelled = { (id: Int) in jobs[id].leavesAt.map { now >= $0 } ?? false }
            let d = try step(waiting.map { ($0, jobs[$0].prompt.count, jobs[$0].maxTokens) },
                             running.map { ($0, log.tokens[$0].count, jobs[$0].maxTokens, cancelled($0)) },
                             maxActive, budget, model.contextLength)
            func fail(_ why: String) -> SchedulerRunLog {
                log.failure = "at step \(now) (running \(running), waiting \(waiting); your step returned \(show(d))): \(why)"
                return log
            }
            // The decision must be one the batcher can carry out.
            guard d.admitted == Array(waiting.prefix(d.admitted.count)) else {
                return fail("the admitted must be the first ones of the queue, in its order" + overtakingHint(d.admitted, waiting))
            }
            let all = running + d.admitted
            log.largestBatch = max(log.largestBatch, all.count)
            guard all.count <= maxActive else {
                return fail("the batch would hold \(all.count) sequences, more than maxActive = \(maxActive)")
            }
            if d.admitted.isEmpty && !waiting.isEmpty && running.count < maxActive {
                return fail("request \(waiting[0]) waits at the front of the queue although a place is free "
                    + "(\(running.count) of \(maxActive) taken): its first token is delayed for nothing")
            }
            for id in all where d.rows.contains(id) == d.retired.contains(id) {
                return fail("sequence \(id) must either leave or be a row of the step")
            }
            for id in d.sampled + d.rows + d.retired where !all.contains(id) {
                return fail("\(id) is neither running nor admitted in this step")
            }
            guard Set(d.sampled).count == d.sampled.count, Set(d.rows).count == d.rows.count else {
                return fail("a sequence samples or is a row at most once per step")
            }
            if let id = d.sampled.first(where: cancelled) {
                return fail("sequence \(id) sampled a token after its client left (it was cancelled at step "
                    + "\(jobs[id].leavesAt!)); it must leave without one")
            }
            if let id = d.sampled.first(where: { log.tokens[$0].count >= jobs[$0].maxTokens }) {
                return fail("sequence \(id) sampled a token beyond its maxTokens = \(jobs[id].maxTokens)")
            }
            if let id = d.rows.first(where: { !d.sampled.contains($0) }) {
                return fail("row \(id) did not sample a token, so it has nothing to feed the batched step")
            }
            // Carry it out: prefill, sample, retire, one batched step.
            waiting.removeFirst(d.admitted.count)
            for id in d.admitted {
                log.admittedAt[id] = now
                var decoder = GPTDecoder(model: model)
                logits[id] = try decoder.append(contentsOf: jobs[id].prompt)
                decoders[id] = decoder
            }
            for id in d.sampled {
                log.tokens[id].append(TokenSampler.sample(logits[id]!, options: jobs[id].sampling, rng: &rngs[id]))
            }
            for id in d.retired {
                log.retiredAt[id] = now
                decoders[id] = nil
                logits[id] = nil
            }
            if !d.rows.isEmpty {
                var batch = d.rows.map { decoders[$0]! }
                let next = try GPTDecoder<Float>.append(d.rows.map { log.tokens[$0].last! }, to: &batch)
                for (i, id) in d.rows.enumerated() {
                    decoders[id] = batch[i]
                    logits[id] = next[i]
                }
                log.rows += d.rows.count
                log.steps += 1
            }
            running = d.rows
        }
        log.failure = "the run did not finish in \(stepLimit) steps: still running \(running), still waiting \(waiting)"
        return log
    }

    static func describe(_ job: SchedulerJob, _ id: Int) -> String {
        "request \(id) (a prompt of \(job.prompt.count) tokens, maxTokens \(job.maxTokens), "
            + (job.sampling.temperature == 0 ? "greedy" : "temperature \(job.sampling.temperature)"
                + (job.sampling.topK.map { ", top-k \($0)" } ?? "")) + ", seed \(job.seed), arriving at step \(job.arrives)"
            + (job.leavesAt.map { ", its client leaving at step \($0)" } ?? "") + ")"
    }

    /// The run: the candidate's and the reference's, compared request by request.
    static func schedulerRun(_ candidate: SchedulerStep) throws -> GradeReport {
        var report = GradeReport()
        let model = try schedulerModel(), jobs = try schedulerJobs()
        let reference: SchedulerStep = { schedulerReference($0, $1, maxActive: $2, budget: $3, context: $4) }
        let want = try runScheduler(reference, model: model, jobs: jobs, maxActive: runMaxActive, budget: runBudget)
        let got = try runScheduler(candidate, model: model, jobs: jobs, maxActive: runMaxActive, budget: runBudget)
        let setting = "the run (a GPT of width 16 with context 8, maxActive \(runMaxActive), prefillTokensPerStep "
            + "\(runBudget), nine requests)"
        if let failure = got.failure {
            report.check(false, "\(setting): \(failure)")
            return report
        }
        for (id, job) in jobs.enumerated() {
            // What the model generates alone, as many tokens as the client takes.
            var rng = SeededRandom(seed: job.seed)
            let alone = try model.generateTokens(prompt: job.prompt, count: want.tokens[id].count, sampling: job.sampling, rng: &rng)
            var hint = ""
            if got.tokens[id].count < alone.count && Array(alone.prefix(got.tokens[id].count)) == got.tokens[id] {
                hint = " — a prefix of the right tokens, \(alone.count - got.tokens[id].count) short"
                    + (job.leavesAt == nil ? ": the request must get all its maxTokens tokens" : "")
            } else if got.tokens[id].count > alone.count {
                hint = " — more tokens than its client takes (it left at step \(job.leavesAt ?? -1))"
            } else if got.tokens[id].count == alone.count {
                hint = " — as many tokens, but not the same: a row's logits must come from its own sequence's last step"
            }
            report.check(got.tokens[id] == alone, "\(setting), \(describe(job, id)): expected the tokens it gets alone, "
                + "\(alone), got \(got.tokens[id])" + hint)
            report.check(got.admittedAt[id] == want.admittedAt[id], "\(setting), \(describe(job, id)): it should be admitted "
                + "(and get its first token) at step \(want.admittedAt[id].map(String.init) ?? "never"), when a place and "
                + "the budget allow it; your scheduler admitted it at step \(got.admittedAt[id].map(String.init) ?? "never")")
            report.check(got.retiredAt[id] == want.retiredAt[id], "\(setting), \(describe(job, id)): it should leave at step "
                + "\(want.retiredAt[id].map(String.init) ?? "never"), got \(got.retiredAt[id].map(String.init) ?? "never")")
        }
        report.check(got.largestBatch <= runMaxActive, "\(setting): the batch held \(got.largestBatch) sequences, more than "
            + "maxActive")
        report.check(got.rows == want.rows, "\(setting): the batched steps ran \(got.rows) rows, expected \(want.rows) "
            + "(every sampled token but a sequence's last feeds one row)")
        return report
    }
}
