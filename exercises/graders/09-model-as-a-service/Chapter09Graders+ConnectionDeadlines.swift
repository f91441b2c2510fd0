// Grader of exercise 9.7 (a connection's deadlines): hand-worked timelines
// first, then seeded random event sequences against a reference written
// here, from the stub's rules. The reference takes the typical mistakes as
// switches, so a wrong answer that matches one is told which.

import BackpropCore
import ExerciseKit
import ModelAsAService

public typealias ConnectionStep = (ConnectionTimer, ConnectionEvent, Double, ConnectionTimeouts) throws
    -> (timer: ConnectionTimer, action: ConnectionAction)

extension Chapter09Graders {
    /// Mistakes the reference can make on purpose.
    struct TimerMistakes {
        var slidingDeadline = false
        var noBodyBudget = false
        var deadlineWhileWorking = false
        var idleAnswers408 = false
        var exclusiveDeadline = false
        var keepAliveLingers = false
    }

    static let deadlineBudgets = ConnectionTimeouts(idle: 5, head: 10, body: 20, linger: 0.5)

    /// The stub's rules, with `mistakes` switched on.
    static func timerReference(_ timer: ConnectionTimer, _ event: ConnectionEvent, now: Double, _ t: ConnectionTimeouts,
                               _ m: TimerMistakes = .init()) -> (timer: ConnectionTimer, action: ConnectionAction) {
        let phase = timer.phase
        let same = (timer, ConnectionAction.none)
        func to(_ p: ConnectionPhase, _ budget: Double?) -> (timer: ConnectionTimer, action: ConnectionAction) {
            (ConnectionTimer(phase: p, deadline: budget.map { now + $0 }), .none)
        }
        if phase == .closed { return same }
        switch event {
        case .tick:
            guard let deadline = timer.deadline, m.exclusiveDeadline ? now > deadline : now >= deadline else { return same }
            if phase == .head || phase == .body || (phase == .idle && m.idleAnswers408) {
                return (ConnectionTimer(phase: .lingering, deadline: now + t.linger), .answer408)
            }
            return (ConnectionTimer(phase: .closed, deadline: nil), .close)
        case .bytes(let complete):
            switch phase {
            case .idle: return complete ? to(.body, m.noBodyBudget ? t.head : t.body) : to(.head, t.head)
            case .head where complete: return m.noBodyBudget ? (ConnectionTimer(phase: .body, deadline: timer.deadline), .none) : to(.body, t.body)
            case .head where m.slidingDeadline: return to(.head, t.head)
            case .body where m.slidingDeadline: return to(.body, t.body)
            default: return same
            }
        case .requestComplete:
            guard [.idle, .head, .body].contains(phase) else { return same }
            return m.deadlineWhileWorking ? (ConnectionTimer(phase: .working, deadline: timer.deadline), .none) : to(.working, nil)
        case .responseSent(let keepAlive):
            guard phase == .working else { return same }
            return keepAlive && !m.keepAliveLingers ? to(.idle, t.idle) : to(.lingering, t.linger)
        case .errorSent:
            return [.idle, .head, .body, .working].contains(phase) ? to(.lingering, t.linger) : same
        }
    }

    static func show(_ timer: ConnectionTimer) -> String {
        "(\(timer.phase), " + (timer.deadline.map { String(format: "%g", $0) } ?? "nil") + ")"
    }

    static func show(_ event: ConnectionEvent) -> String {
        switch event {
        case .bytes(let complete): return ".bytes(headComplete: \(complete))"
        case .requestComplete: return ".requestComplete"
        case .responseSent(let keepAlive): return ".responseSent(keepAlive: \(keepAlive))"
        case .errorSent: return ".errorSent"
        case .tick: return ".tick"
        }
    }

    /// Hand-worked timelines (budgets idle 5, head 10, body 20, linger 0.5), each from a fresh idle connection at 0.
    static let deadlineTimelines: [(why: String, steps: [(ConnectionEvent, Double, ConnectionPhase, Double?, ConnectionAction)])] = [
        ("a client trickling its head", [
            (.bytes(headComplete: false), 1, .head, 11, .none), (.bytes(headComplete: false), 8, .head, 11, .none),
            (.tick, 10.99, .head, 11, .none), (.tick, 11, .lingering, 11.5, .answer408), (.bytes(headComplete: false), 11.2, .lingering, 11.5, .none),
            (.tick, 11.5, .closed, nil, .close), (.tick, 99, .closed, nil, .none)]),
        ("a keep-alive round trip, then idle", [
            (.bytes(headComplete: true), 2, .body, 22, .none), (.requestComplete, 2.5, .working, nil, .none), (.tick, 500, .working, nil, .none),
            (.responseSent(keepAlive: true), 501, .idle, 506, .none), (.tick, 505.9, .idle, 506, .none), (.tick, 506, .closed, nil, .close)]),
        ("a slow body", [
            (.bytes(headComplete: false), 1, .head, 11, .none), (.bytes(headComplete: true), 9, .body, 29, .none),
            (.bytes(headComplete: true), 28, .body, 29, .none), (.tick, 29, .lingering, 29.5, .answer408)]),
        ("a request answered with Connection: close", [
            (.bytes(headComplete: true), 0.5, .body, 20.5, .none), (.requestComplete, 0.5, .working, nil, .none),
            (.responseSent(keepAlive: false), 3, .lingering, 3.5, .none), (.tick, 3.5, .closed, nil, .close)]),
        ("a malformed request refused by the loop", [
            (.bytes(headComplete: true), 1, .body, 21, .none), (.errorSent, 1, .lingering, 1.5, .none),
            (.requestComplete, 1.2, .lingering, 1.5, .none), (.tick, 2, .closed, nil, .close)]),
        ("a connection that never sends", [(.tick, 4, .idle, 5, .none), (.tick, 5, .closed, nil, .close)]),
        ("events that cannot happen change nothing", [
            (.responseSent(keepAlive: true), 1, .idle, 5, .none), (.bytes(headComplete: false), 2, .head, 12, .none),
            (.responseSent(keepAlive: false), 3, .head, 12, .none)]),
    ]

    /// Exercise 9.7: the hand-worked timelines, then 200 random sequences, with hints.
    public static func connectionStep(_ candidate: ConnectionStep) throws -> GradeReport {
        var report = GradeReport()
        let t = deadlineBudgets
        var timelines: [(String, [(ConnectionEvent, Double)])] = deadlineTimelines.map { ($0.why, $0.steps.map { ($0.0, $0.1) }) }
        var rng = SeededRandom(seed: 9707)
        for k in 0..<200 {
            var now = 0.0
            let events: [(ConnectionEvent, Double)] = (0..<12).map { _ in
                now += [0, 0.5, 1, 3, 5, 10, 20][rng.integer(below: 7)]
                let event: ConnectionEvent = [.bytes(headComplete: false), .bytes(headComplete: true), .requestComplete,
                                              .responseSent(keepAlive: true), .responseSent(keepAlive: false), .errorSent,
                                              .tick, .tick][rng.integer(below: 8)]
                return (event, now)
            }
            timelines.append(("random sequence \(k + 1)", events))
        }
        let mistakes: [(TimerMistakes, String)] = [
            (TimerMistakes(slidingDeadline: true), " — your deadline moves with every byte; it is fixed when the phase begins, or a client "
                + "sending a byte a second keeps the connection for ever"),
            (TimerMistakes(noBodyBudget: true), " — the body has its own budget (timeouts.body), counted from the moment the head is complete"),
            (TimerMistakes(deadlineWhileWorking: true), " — a connection a worker is answering has no deadline in the loop (nil)"),
            (TimerMistakes(idleAnswers408: true), " — an idle connection is closed silently (.close): no request was begun, nobody waits for a 408"),
            (TimerMistakes(exclusiveDeadline: true), " — a deadline has passed when now ≥ deadline (≥, not >)"),
            (TimerMistakes(keepAliveLingers: true), " — a keep-alive response returns the connection to idle, with the idle budget"),
        ]
        for (why, events) in timelines {
            var timer = ConnectionTimer.accepted(at: 0, t)
            var history = "from \(show(timer))"
            for (event, now) in events {
                let want = timerReference(timer, event, now: now, t)
                let got = try candidate(timer, event, now, t)
                let step = "\(why), \(history), \(show(event)) at \(String(format: "%g", now))"
                if got.timer != want.timer || got.action != want.action {
                    let hint = mistakes.first { m in
                        let wrong = timerReference(timer, event, now: now, t, m.0)
                        return wrong.timer == got.timer && wrong.action == got.action
                    }?.1 ?? ""
                    report.check(false, "\(step): expected \(show(want.timer)) with .\(want.action), got \(show(got.timer)) with "
                        + ".\(got.action)" + hint)
                    break
                }
                history += " → \(show(event))@\(String(format: "%g", now))"
                timer = want.timer
            }
            if report.failures.count >= 3 { break }
        }
        return report
    }
}
