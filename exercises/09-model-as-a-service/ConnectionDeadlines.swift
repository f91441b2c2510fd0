// Exercise 9.7 — a connection's deadlines
// (chapters/09-model-as-a-service.md, "Ten thousand connections, a few threads").
//
// The event loop keeps every open connection's deadline itself: no thread
// sleeps on a slow client. Write the step function of that state machine:
// given a connection's `ConnectionTimer` (its phase and its deadline, nil for
// none), one `ConnectionEvent` at time `now` (seconds), and the budgets in
// `timeouts`, return the new timer and what the loop must do
// (`ConnectionAction`: .none, .answer408 or .close).
//
// The phases (the types are ModelAsAService's, see ConnectionTimer.swift's
// diagram, but write the rules yourself):
//
//   idle       waiting for a request's first byte          budget timeouts.idle
//   head       a request begun, its head not yet complete  budget timeouts.head
//   body       the head complete, the body not yet         budget timeouts.body
//   working    a worker is answering                       no deadline
//   lingering  the last answer sent, draining the socket   budget timeouts.linger
//   closed     nothing happens any more
//
// A budget is counted from the moment its phase begins: the deadline is
// `now + budget` at the event that enters the phase. The events:
//
//   .bytes(headComplete:)   from idle: to head, or straight to body if the
//                           head is already complete; from head: to body if
//                           the head is now complete. Otherwise nothing
//                           changes; in particular more bytes in the same
//                           phase do not move its deadline.
//   .requestComplete        from idle, head or body: to working.
//   .responseSent(keepAlive:) from working: to idle if keepAlive, else to lingering.
//   .errorSent              from idle, head, body or working: to lingering.
//   .tick                   the clock reads `now`. A deadline has passed when
//                           now ≥ deadline. Then: idle → closed with .close
//                           (nobody began a request, so nobody gets an
//                           answer); head or body → lingering with
//                           .answer408; lingering → closed with .close.
//
// Any other event in a phase, and every event once closed, changes nothing
// (action .none). Every step that is not a passed deadline has action .none.
//
// Worked example (idle 5, head 10, body 20, linger 0.5 s), from
// ConnectionTimer(phase: .idle, deadline: 5):
//   .bytes(headComplete: false) at 1  → (head, 11), .none
//   .bytes(headComplete: false) at 8  → (head, 11), .none
//   .tick at 11                       → (lingering, 11.5), .answer408
//   .tick at 11.5                     → (closed, nil), .close
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/09-model-as-a-service --filter Chapter09Exercises/connectionStep

import ExerciseKit
import ModelAsAService

public func connectionStep(
    _ timer: ConnectionTimer, _ event: ConnectionEvent, now: Double, timeouts: ConnectionTimeouts
) throws -> (timer: ConnectionTimer, action: ConnectionAction) {
    throw NotAttempted()
}
