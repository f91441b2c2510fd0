// Grader of exercise 9.8 (continuous batching's scheduler step), part one:
// the step's decisions on hand-worked states and on seeded random ones,
// against a reference written here from the stub's rules. The reference
// takes the typical mistakes as switches, so a wrong answer that matches
// one is told which. Part two (Chapter09Graders+SchedulerRun.swift) plugs
// the step into a real run of a GPT.

import BackpropCore
import ExerciseKit

public typealias WaitingRequest = (id: Int, promptTokens: Int, maxTokens: Int)
public typealias RunningSequence = (id: Int, produced: Int, maxTokens: Int, cancelled: Bool)
public typealias SchedulerDecision = (admitted: [Int], sampled: [Int], retired: [Int], rows: [Int])
/// (waiting, running, maxActive, prefillTokensPerStep, contextLength) → the decision.
public typealias SchedulerStep = ([WaitingRequest], [RunningSequence], Int, Int, Int) throws -> SchedulerDecision

extension Chapter09Graders {
    /// Mistakes the reference can make on purpose.
    struct SchedulerMistakes {
        /// Admits while batch ≤ maxActive: one sequence too many.
        var admitOneTooMany = false
        /// No prefill budget: fills every place at once.
        var noBudget = false
        /// The first request of a step must fit the budget too, so a long prompt never gets in.
        var noFirstException = false
        /// A request that does not fit is skipped and later ones still tried.
        var overtaking = false
        /// The cost is promptTokens, not min(promptTokens, contextLength).
        var uncappedCost = false
        /// A sequence about to produce its last token leaves without it.
        var retireBeforeLastToken = false
        /// A sequence that produced its last token stays a row for one more step.
        var finishedStays = false
        /// A cancelled sequence samples one more token before it leaves.
        var cancelledSamples = false
        /// The cancelled leave before admission, freeing their places in the same step.
        var freeCancelledFirst = false
    }

    /// The stub's rules, with `m` switched on.
    static func schedulerReference(_ waiting: [WaitingRequest], _ running: [RunningSequence], maxActive: Int,
                                   budget: Int, context: Int, _ m: SchedulerMistakes = .init()) -> SchedulerDecision
    {
        var batch = running
        // Places taken: every running sequence (or, by mistake, only those not cancelled).
        var occupied = m.freeCancelledFirst ? running.filter { !$0.cancelled }.count : running.count
        var admitted: [Int] = []
        var left = budget
        for request in waiting {
            guard m.admitOneTooMany ? occupied <= maxActive : occupied < maxActive else { break }
            let cost = m.uncappedCost ? request.promptTokens : min(request.promptTokens, context)
            if !m.noBudget && (!admitted.isEmpty || m.noFirstException) && cost > left {
                if m.overtaking { continue }
                break
            }
            left -= cost
            admitted.append(request.id)
            batch.append((request.id, 0, request.maxTokens, false))
            occupied += 1
        }
        var sampled: [Int] = [], retired: [Int] = [], rows: [Int] = []
        for s in batch {
            if s.cancelled {
                if m.cancelledSamples && s.produced < s.maxTokens { sampled.append(s.id) }
                retired.append(s.id)
            } else if s.produced >= s.maxTokens {
                retired.append(s.id)
            } else if s.produced + 1 == s.maxTokens && m.retireBeforeLastToken {
                retired.append(s.id)
            } else {
                sampled.append(s.id)
                if s.produced + 1 == s.maxTokens && !m.finishedStays { retired.append(s.id) } else { rows.append(s.id) }
            }
        }
        return (admitted, sampled, retired, rows)
    }

    struct SchedulerCase {
        var waiting: [WaitingRequest]
        var running: [RunningSequence]
        var maxActive: Int, budget: Int, context: Int
        var expected: SchedulerDecision?
        var why: String
    }

    /// Worked by hand from the stub's rules.
    static var schedulerCases: [SchedulerCase] {
        [
            SchedulerCase(waiting: [(3, 6, 2), (4, 3, 4)], running: [(1, 4, 5, false), (2, 1, 10, true)],
                          maxActive: 3, budget: 8, context: 16, expected: ([3], [1, 3], [1, 2], [3]),
                          why: "the stub's first worked example"),
            SchedulerCase(waiting: [(1, 20, 3), (2, 5, 3), (3, 2, 0)], running: [], maxActive: 4, budget: 8, context: 16,
                          expected: ([1], [1], [], [1]),
                          why: "a prompt longer than the budget is admitted when it comes first, alone"),
            SchedulerCase(waiting: [(2, 5, 3), (3, 2, 0)], running: [(1, 1, 3, false)], maxActive: 4, budget: 8,
                          context: 16, expected: ([2, 3], [1, 2], [3], [1, 2]),
                          why: "the stub's second worked example, its second step (maxTokens 0 leaves at once)"),
            SchedulerCase(waiting: [(1, 5, 3), (2, 6, 3), (3, 1, 3)], running: [], maxActive: 4, budget: 8, context: 16,
                          expected: ([1], [1], [], [1]),
                          why: "first come, first served: request 3 would fit the budget left, but request 2 does not, "
                            + "and nobody overtakes"),
            SchedulerCase(waiting: [(3, 1, 5)], running: [(1, 2, 5, false), (2, 0, 1, false)], maxActive: 2, budget: 8,
                          context: 16, expected: ([], [1, 2], [2], [1]),
                          why: "a full batch admits nobody, even though sequence 2 leaves in this step (its place "
                            + "frees for the next one)"),
            SchedulerCase(waiting: [(1, 2, 2), (2, 4, 2), (3, 1, 2)], running: [], maxActive: 8, budget: 6, context: 16,
                          expected: ([1, 2], [1, 2], [], [1, 2]),
                          why: "costs 2 + 4 use the budget of 6 exactly; request 3 (cost 1) waits"),
            SchedulerCase(waiting: [(1, 3, 4), (2, 30, 4)], running: [], maxActive: 8, budget: 12, context: 8,
                          expected: ([1, 2], [1, 2], [], [1, 2]),
                          why: "a 30-token prompt costs min(30, contextLength 8) = 8, which fits the 9 left"),
            SchedulerCase(waiting: [(7, 2, 1)], running: [], maxActive: 2, budget: 4, context: 8,
                          expected: ([7], [7], [7], []),
                          why: "a request for one token samples it in the step that admits it, and leaves"),
            SchedulerCase(waiting: [], running: [(1, 2, 3, true), (2, 5, 6, false)], maxActive: 4, budget: 4, context: 8,
                          expected: ([], [2], [1, 2], []),
                          why: "a cancelled sequence leaves without a token, even one token from its end"),
            SchedulerCase(waiting: [(2, 1, 4)], running: [(1, 0, 4, true)], maxActive: 1, budget: 4, context: 8,
                          expected: ([], [], [1], []),
                          why: "a cancelled sequence holds its place until this step retires it"),
            SchedulerCase(waiting: [(5, 3, 2), (6, 3, 2), (7, 3, 2), (8, 3, 2)], running: [(1, 0, 9, false)],
                          maxActive: 3, budget: 100, context: 16, expected: ([5, 6], [1, 5, 6], [], [1, 5, 6]),
                          why: "two places left: two admitted, the batch holds maxActive = 3"),
            SchedulerCase(waiting: [], running: [], maxActive: 2, budget: 4, context: 8, expected: ([], [], [], []),
                          why: "nothing running, nothing waiting"),
        ]
    }

    /// 300 seeded random states: running sequences with produced < maxTokens
    /// (those that reach it leave), some cancelled; queues of 0 to 5 requests.
    static var randomSchedulerCases: [SchedulerCase] {
        var rng = SeededRandom(seed: 9808)
        return (0..<300).map { k in
            let maxActive = 1 + rng.integer(below: 6), budget = 1 + rng.integer(below: 12), context = 4 + rng.integer(below: 13)
            var id = 0
            let running: [RunningSequence] = (0..<rng.integer(below: maxActive + 1)).map { _ in
                let n = 1 + rng.integer(below: 8)
                id += 1
                return (id, rng.integer(below: n), n, rng.integer(below: 5) == 0)
            }
            let waiting: [WaitingRequest] = (0..<rng.integer(below: 6)).map { _ in
                id += 1
                return (id, 1 + rng.integer(below: 20), rng.integer(below: 7))
            }
            return SchedulerCase(waiting: waiting, running: running, maxActive: maxActive, budget: budget, context: context,
                                 expected: nil, why: "random state \(k + 1)")
        }
    }

    static func show(_ d: SchedulerDecision) -> String {
        "admitted \(d.admitted), sampled \(d.sampled), retired \(d.retired), rows \(d.rows)"
    }

    static func show(_ c: SchedulerCase) -> String {
        "running [" + c.running.map { "(id \($0.id), produced \($0.produced) of \($0.maxTokens)\($0.cancelled ? ", cancelled" : ""))" }
            .joined(separator: ", ") + "], waiting ["
            + c.waiting.map { "(id \($0.id), prompt \($0.promptTokens), maxTokens \($0.maxTokens))" }.joined(separator: ", ")
            + "], maxActive \(c.maxActive), prefillTokensPerStep \(c.budget), contextLength \(c.context)"
    }

    static func same(_ a: SchedulerDecision, _ b: SchedulerDecision) -> Bool {
        a.admitted == b.admitted && a.sampled == b.sampled && a.retired == b.retired && a.rows == b.rows
    }

    static let schedulerHints: [(SchedulerMistakes, String)] = [
        (SchedulerMistakes(admitOneTooMany: true), " — your batch holds maxActive + 1 sequences: admit only while fewer than "
            + "maxActive are in it"),
        (SchedulerMistakes(noBudget: true), " — you left out the prefill budget: after the first admission, each request's "
            + "cost must fit what is left of prefillTokensPerStep"),
        (SchedulerMistakes(noFirstException: true), " — the first request of a step is admitted whatever its cost, or a "
            + "prompt longer than the budget would wait for ever"),
        (SchedulerMistakes(overtaking: true), " — a request that does not fit ends the admissions: nobody behind it overtakes"),
        (SchedulerMistakes(uncappedCost: true), " — a prompt's cost is min(promptTokens, contextLength): the prefill reads "
            + "at most one window"),
        (SchedulerMistakes(retireBeforeLastToken: true), " — a sequence one token from its end samples that token first, "
            + "then leaves; you retired it before its last token"),
        (SchedulerMistakes(finishedStays: true), " — a sequence that just sampled its last token leaves now; kept as a row "
            + "it costs the batched step a row for a token nobody will read"),
        (SchedulerMistakes(cancelledSamples: true), " — a cancelled sequence leaves without a token: its client is gone"),
        (SchedulerMistakes(freeCancelledFirst: true), " — admission comes first: a cancelled sequence holds its place until "
            + "this step retires it"),
    ]

    /// A hint when `admitted` keeps the queue's order but skips someone.
    static func overtakingHint(_ admitted: [Int], _ queue: [Int]) -> String {
        var rest = queue[...]
        for id in admitted {
            guard let i = rest.firstIndex(of: id) else { return "" }
            rest = rest[(i + 1)...]
        }
        return " — a request that does not fit ends the admissions: nobody behind it overtakes"
    }

    /// Checks one decision: the rules every decision must keep, then the
    /// exact lists. Returns false if it failed.
    @discardableResult
    static func checkDecision(_ c: SchedulerCase, _ got: SchedulerDecision, _ report: inout GradeReport) -> Bool {
        let want = c.expected ?? schedulerReference(c.waiting, c.running, maxActive: c.maxActive, budget: c.budget,
                                                    context: c.context)
        let setting = "\(c.why): \(show(c))"
        let queue = c.waiting.map(\.id)
        var problems: [String] = []
        if got.admitted != Array(queue.prefix(got.admitted.count)) {
            problems.append("the admitted must be the first ones of the queue, in its order (first come, first served), "
                + "got \(got.admitted) from the queue \(queue)" + overtakingHint(got.admitted, queue))
        }
        if c.running.count + got.admitted.count > c.maxActive {
            let live = c.running.filter { !$0.cancelled }.count
            problems.append("the batch would hold \(c.running.count + got.admitted.count) sequences, more than maxActive "
                + "= \(c.maxActive)" + (live + got.admitted.count <= c.maxActive
                    ? " — admission comes first: a cancelled sequence holds its place until this step retires it"
                    : " — admit only while fewer than maxActive sequences are in the batch"))
        }
        let all = c.running.map(\.id) + got.admitted
        for id in all {
            let inRows = got.rows.contains(id), leaves = got.retired.contains(id)
            if inRows == leaves {
                problems.append("sequence \(id) must either leave or be a row of the step, "
                    + (inRows ? "it is both" : "it is neither"))
            }
        }
        if let row = got.rows.first(where: { !got.sampled.contains($0) }) {
            problems.append("row \(row) did not sample a token, so it has nothing to feed the batched step")
        }
        if !problems.isEmpty {
            report.check(false, "\(setting): " + problems.prefix(2).joined(separator: "; ") + " (got \(show(got)))")
            return false
        }
        if same(got, want) { return true }
        var hint = schedulerHints.first { m in
            same(got, schedulerReference(c.waiting, c.running, maxActive: c.maxActive, budget: c.budget,
                                         context: c.context, m.0))
        }?.1 ?? ""
        if hint.isEmpty, got.sampled.sorted() == want.sampled.sorted(), got.retired.sorted() == want.retired.sorted(),
           got.rows.sorted() == want.rows.sorted(), got.admitted == want.admitted
        {
            hint = " — the right ids in another order: list them in batch order, the running sequences first, then the admitted"
        }
        report.check(false, "\(setting): expected \(show(want)), got \(show(got))" + hint)
        return false
    }

    /// The decisions on the hand-worked and the random states; stops after three failures.
    static func schedulerStates(_ candidate: SchedulerStep) throws -> GradeReport {
        var report = GradeReport()
        for c in schedulerCases + randomSchedulerCases {
            let got = try candidate(c.waiting, c.running, c.maxActive, c.budget, c.context)
            checkDecision(c, got, &report)
            if report.failures.count >= 3 { break }
        }
        return report
    }

    /// Exercise 9.8: the states first; if every decision is right, the run
    /// (a GPT generating for requests that join and leave; see
    /// Chapter09Graders+SchedulerRun.swift).
    public static func schedulerStep(_ candidate: SchedulerStep) throws -> GradeReport {
        let states = try schedulerStates(candidate)
        guard states.passed else { return states }
        return try schedulerRun(candidate)
    }
}
