// Reference solution of exercise 9.7 (a connection's deadlines).

import ExerciseKit
import ModelAsAService

public func connectionStep(
    _ timer: ConnectionTimer, _ event: ConnectionEvent, now: Double, timeouts: ConnectionTimeouts
) throws -> (timer: ConnectionTimer, action: ConnectionAction) {
    func enter(_ phase: ConnectionPhase, _ budget: Double?) -> (timer: ConnectionTimer, action: ConnectionAction) {
        (ConnectionTimer(phase: phase, deadline: budget.map { now + $0 }), .none)
    }
    let same = (timer, ConnectionAction.none)
    let phase = timer.phase
    if phase == .closed { return same }
    switch event {
    case .tick:
        guard let deadline = timer.deadline, now >= deadline else { return same }
        switch phase {
        case .head, .body: return (ConnectionTimer(phase: .lingering, deadline: now + timeouts.linger), .answer408)
        default: return (ConnectionTimer(phase: .closed, deadline: nil), .close)
        }
    case .bytes(let headComplete):
        if phase == .idle { return headComplete ? enter(.body, timeouts.body) : enter(.head, timeouts.head) }
        if phase == .head && headComplete { return enter(.body, timeouts.body) }
        return same
    case .requestComplete:
        return [.idle, .head, .body].contains(phase) ? enter(.working, nil) : same
    case .responseSent(let keepAlive):
        guard phase == .working else { return same }
        return keepAlive ? enter(.idle, timeouts.idle) : enter(.lingering, timeouts.linger)
    case .errorSent:
        return [.idle, .head, .body, .working].contains(phase) ? enter(.lingering, timeouts.linger) : same
    }
}
