// Exercise 9.8's grader accepts the reference solution, agrees with its own
// hand-worked states, runs a GPT in which requests really do wait, join and
// leave at different steps, and rejects typical wrong schedulers, both on
// the states (with the hint that names the mistake) and in the run.

#if canImport(Solutions09)
import BackpropCore
import ExerciseKit
@testable import Graders09
import Solutions09
import Testing
import Transformer

@Suite struct Chapter09SchedulerStepGraderSelfTests {
    static var solution: SchedulerStep {
        { waiting, running, maxActive, budget, context in
            try Solutions09.schedulerStep(waiting: waiting, running: running, maxActive: maxActive,
                                          prefillTokensPerStep: budget, contextLength: context)
        }
    }

    @Test func schedulerGraderAcceptsTheSolution() throws {
        let report = try Chapter09Graders.schedulerStep(Self.solution)
        #expect(report.passed, "\(report.failures)")
    }

    /// The reference reproduces every hand-worked decision.
    @Test func schedulerReferenceAgreesWithHandWorkedStates() {
        for c in Chapter09Graders.schedulerCases {
            let got = Chapter09Graders.schedulerReference(c.waiting, c.running, maxActive: c.maxActive, budget: c.budget,
                                                          context: c.context)
            #expect(Chapter09Graders.same(got, c.expected!), "\(c.why): \(Chapter09Graders.show(got))")
        }
    }

    /// The run exercises what it claims to: a full batch, the budget holding a
    /// request back, a request waiting for a place, a client leaving
    /// mid-generation, an idle batcher woken by a late request, sliding windows.
    @Test func referenceRunCoversTheInterestingCases() throws {
        let jobs = try Chapter09Graders.schedulerJobs()
        let reference: SchedulerStep = { Chapter09Graders.schedulerReference($0, $1, maxActive: $2, budget: $3, context: $4) }
        let log = try Chapter09Graders.runScheduler(reference, model: try Chapter09Graders.schedulerModel(), jobs: jobs,
                                                    maxActive: Chapter09Graders.runMaxActive, budget: Chapter09Graders.runBudget)
        #expect(log.failure == nil)
        #expect(log.largestBatch == Chapter09Graders.runMaxActive)
        #expect(log.admittedAt[0] == 0 && log.admittedAt[1] == 1, "request 1 (cost 8) waits a step for the budget")
        #expect(jobs.indices.contains { log.admittedAt[$0]! > jobs[$0].arrives + 1 }, "someone waits for a place")
        #expect(log.tokens[4].count > 0 && log.tokens[4].count < jobs[4].maxTokens, "request 4's client leaves mid-generation")
        #expect(log.admittedAt[8] == jobs[8].arrives, "the late request finds an idle batcher")
        #expect(jobs.indices.contains { jobs[$0].prompt.count + log.tokens[$0].count > 8 }, "a window slides")
        for (id, job) in jobs.enumerated() where job.leavesAt == nil {
            #expect(log.tokens[id].count == job.maxTokens, "request \(id)")
        }
    }

    @Test("the scheduler grader rejects broken steps and says why", arguments: [
        ("one sequence too many", 0, "fewer than maxActive"),
        ("no prefill budget", 1, "prefill budget"),
        ("a long first prompt never admitted", 2, "whatever its cost"),
        ("overtaking in the queue", 3, "nobody behind it overtakes"),
        ("the cost not capped at the context", 4, "at most one window"),
        ("retired before its last token", 5, "before its last token"),
        ("a finished sequence kept as a row", 6, "leaves now"),
        ("a cancelled sequence samples", 7, "without a token"),
        ("the cancelled free their places first", 8, "holds its place"),
    ])
    func schedulerGraderRejects(name: String, variant: Int, hint: String) throws {
        let mistakes = Self.mistakes(variant)
        let broken: SchedulerStep = { Chapter09Graders.schedulerReference($0, $1, maxActive: $2, budget: $3, context: $4, mistakes) }
        let report = try Chapter09Graders.schedulerStep(broken)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }

    /// The run alone (as a step that slipped past the states would meet it) catches them too.
    @Test("the run rejects broken steps", arguments: [
        (0, "more than maxActive"), (1, "should be admitted"), (2, "although a place is free"),
        (5, "short"), (6, "rows"), (7, "after its client left"),
    ])
    func schedulerRunRejects(variant: Int, message: String) throws {
        let mistakes = Self.mistakes(variant)
        let broken: SchedulerStep = { Chapter09Graders.schedulerReference($0, $1, maxActive: $2, budget: $3, context: $4, mistakes) }
        let report = try Chapter09Graders.schedulerRun(broken)
        #expect(!report.passed)
        #expect(report.failures.contains { $0.contains(message) }, "no '\(message)' in \(report.failures)")
    }

    static func mistakes(_ variant: Int) -> Chapter09Graders.SchedulerMistakes {
        var m = Chapter09Graders.SchedulerMistakes()
        switch variant {
        case 0: m.admitOneTooMany = true
        case 1: m.noBudget = true
        case 2: m.noFirstException = true
        case 3: m.overtaking = true
        case 4: m.uncappedCost = true
        case 5: m.retireBeforeLastToken = true
        case 6: m.finishedStays = true
        case 7: m.cancelledSamples = true
        default: m.freeCancelledFirst = true
        }
        return m
    }
}
#endif
