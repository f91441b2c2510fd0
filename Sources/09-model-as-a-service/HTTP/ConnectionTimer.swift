// ConnectionTimer: the deadlines of one connection, as a small state
// machine the event loop drives (exercise 9.7 asks for `step`).
//
//            bytes (head incomplete)         bytes (head complete)
//   idle ───────────────────────────► head ─────────────────────► body
//    ▲  │ bytes (head complete) ─────────────────────────────────► │
//    │  └──────────────┬───────────────────┬──────────────────────┘
//    │                 │ request complete  │
//    │                 ▼                   │ error answered (400, 413…)
//    └──────────── working ──────────► lingering ──► closed
//    response sent,       response sent,
//    keep-alive           close
//
// Each phase has its own budget, counted from the moment the phase began
// (ConnectionTimeouts):
//   idle       waiting for the first byte of a request      → closed silently
//   head       first byte to the blank line ending the head → 408, then linger
//   body       end of head to the last byte of the body     → 408, then linger
//   working    a worker owns the connection                 no deadline here
//                                                            (the worker's
//                                                            write deadline)
//   lingering  our last bytes sent and the write side shut:  → closed
//              the client's late bytes are read and dropped,
//              so closing does not reset the connection before
//              it has read our answer
//
// The one rule that matters against slow clients: more bytes in the same
// phase do not move the deadline. A client that trickles one byte a second
// gets exactly `head` seconds for its head, not a second per byte.
//
// Times are seconds on any clock (the server uses `Clock.now`, the monotonic uptime).

import Dispatch

/// The per-phase budgets, in seconds.
public struct ConnectionTimeouts: Sendable, Equatable {
    /// From the end of one response (or the accept) to the first byte of a request.
    public var idle: Double
    /// From a request's first byte to the end of its head.
    public var head: Double
    /// From the end of the head to the end of the body.
    public var body: Double
    /// How long a connection whose last answer has been sent is drained before it is closed.
    public var linger: Double

    public init(idle: Double = 5, head: Double = 10, body: Double = 10, linger: Double = 0.5) {
        self.idle = idle
        self.head = head
        self.body = body
        self.linger = linger
    }
}

/// Where a connection is in its life (see the diagram at the top of ConnectionTimer.swift).
public enum ConnectionPhase: Sendable, Equatable {
    case idle, head, body, working, lingering, closed
}

/// What happened to a connection.
public enum ConnectionEvent: Sendable, Equatable {
    /// Bytes arrived; `headComplete` says whether the buffer now holds a request's whole head.
    case bytes(headComplete: Bool)
    /// A whole request was read and handed to a worker.
    case requestComplete
    /// The worker sent the whole response; `keepAlive` says whether the connection stays open.
    case responseSent(keepAlive: Bool)
    /// The loop answered an error (400, 413, 431…) and shut its write side.
    case errorSent
    /// Time passed: the clock is `now`.
    case tick
}

/// What the loop must do after a step.
public enum ConnectionAction: Sendable, Equatable {
    case none
    /// Answer 408 Request Timeout (then the connection lingers).
    case answer408
    /// Close the descriptor.
    case close
}

/// A connection's phase and deadline (nil: none).
public struct ConnectionTimer: Sendable, Equatable {
    public var phase: ConnectionPhase
    public var deadline: Double?

    public init(phase: ConnectionPhase, deadline: Double?) {
        self.phase = phase
        self.deadline = deadline
    }

    /// A connection accepted at `now`: idle, with the idle budget.
    public static func accepted(at now: Double, _ timeouts: ConnectionTimeouts) -> ConnectionTimer {
        ConnectionTimer(phase: .idle, deadline: now + timeouts.idle)
    }

    /// The timer after `event` at time `now`, and what to do.
    public static func step(_ timer: ConnectionTimer, _ event: ConnectionEvent, now: Double,
                            _ timeouts: ConnectionTimeouts) -> (timer: ConnectionTimer, action: ConnectionAction) {
        let unchanged = (timer, ConnectionAction.none)
        switch (timer.phase, event) {
        case (.closed, _):
            return unchanged
        case (_, .tick):
            guard let deadline = timer.deadline, now >= deadline else { return unchanged }
            switch timer.phase {
            case .head, .body: return (ConnectionTimer(phase: .lingering, deadline: now + timeouts.linger), .answer408)
            default: return (ConnectionTimer(phase: .closed, deadline: nil), .close)
            }
        case (.idle, .bytes(let complete)):
            return complete ? (ConnectionTimer(phase: .body, deadline: now + timeouts.body), .none)
                            : (ConnectionTimer(phase: .head, deadline: now + timeouts.head), .none)
        case (.head, .bytes(true)):
            return (ConnectionTimer(phase: .body, deadline: now + timeouts.body), .none)
        case (.head, .bytes(false)), (.body, .bytes), (.lingering, .bytes), (.working, .bytes):
            return unchanged  // the deadline does not slide
        case (.idle, .requestComplete), (.head, .requestComplete), (.body, .requestComplete):
            return (ConnectionTimer(phase: .working, deadline: nil), .none)
        case (.working, .responseSent(let keepAlive)):
            return keepAlive ? (ConnectionTimer(phase: .idle, deadline: now + timeouts.idle), .none)
                             : (ConnectionTimer(phase: .lingering, deadline: now + timeouts.linger), .none)
        case (.idle, .errorSent), (.head, .errorSent), (.body, .errorSent), (.working, .errorSent):
            return (ConnectionTimer(phase: .lingering, deadline: now + timeouts.linger), .none)
        default:
            return unchanged  // events that cannot happen in a phase change nothing
        }
    }
}

/// Monotonic seconds (system uptime): the server's clock for deadlines.
enum Clock {
    static var now: Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}
