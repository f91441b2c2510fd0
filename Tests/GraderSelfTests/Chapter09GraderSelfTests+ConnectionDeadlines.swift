// Exercise 9.7's grader accepts the reference solution, agrees with its own
// hand-worked timelines, and rejects six typical wrong state machines, each
// with the hint that names its mistake.

#if canImport(Solutions09)
import ExerciseKit
import Foundation
@testable import Graders09
import ModelAsAService
import Solutions09
import Testing

@Suite struct Chapter09ConnectionDeadlineGraderSelfTests {
    @Test func deadlineGraderAcceptsTheSolution() throws {
        let report = try Chapter09Graders.connectionStep(Solutions09.connectionStep)
        #expect(report.passed, "\(report.failures)")
    }

    /// The grader's reference reproduces its hand-worked timelines, and the library's ConnectionTimer agrees.
    @Test func deadlineReferenceAgreesWithHandTimelines() {
        let t = Chapter09Graders.deadlineBudgets
        for timeline in Chapter09Graders.deadlineTimelines {
            var timer = ConnectionTimer.accepted(at: 0, t)
            for (event, now, phase, deadline, action) in timeline.steps {
                let mine = Chapter09Graders.timerReference(timer, event, now: now, t)
                #expect(mine.timer == ConnectionTimer(phase: phase, deadline: deadline) && mine.action == action,
                        "\(timeline.why): \(event) at \(now)")
                let library = ConnectionTimer.step(timer, event, now: now, t)
                #expect(library.timer == mine.timer && library.action == mine.action, "\(timeline.why): \(event) at \(now)")
                timer = mine.timer
            }
        }
    }

    @Test("the deadline grader rejects broken state machines and says why", arguments: [
        ("the deadline slides with each byte", 0, "moves with every byte"),
        ("the body shares the head's budget", 1, "its own budget"),
        ("a working connection keeps a deadline", 2, "no deadline in the loop"),
        ("an idle connection is answered 408", 3, "closed silently"),
        ("a deadline reached exactly has not passed", 4, "≥, not >"),
        ("a keep-alive response lingers", 5, "returns the connection to idle"),
    ])
    func deadlineGraderRejects(name: String, variant: Int, hint: String) throws {
        var m = Chapter09Graders.TimerMistakes()
        switch variant {
        case 0: m.slidingDeadline = true
        case 1: m.noBodyBudget = true
        case 2: m.deadlineWhileWorking = true
        case 3: m.idleAnswers408 = true
        case 4: m.exclusiveDeadline = true
        default: m.keepAliveLingers = true
        }
        let mistakes = m
        let broken: ConnectionStep = { timer, event, now, t in Chapter09Graders.timerReference(timer, event, now: now, t, mistakes) }
        let report = try Chapter09Graders.connectionStep(broken)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }
}
#endif
