// ServingError: request-level failures the service answers with a status
// other than 500. A model's own complaints about its inputs
// (`InferenceError`: wrong width, a value no Float can hold, a prompt it
// cannot continue) are answered 400 as well; see `ModelServer.response(for:)`.

/// Errors the service answers with a status other than 500.
public enum ServingError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The request is wrong (400).
    case invalidInput(String)
    /// A queue is full (503): the client should retry later.
    case overloaded(String)
    /// The server is shutting down (503).
    case stopping

    public var description: String {
        switch self {
        case .invalidInput(let message): return message
        case .overloaded(let message): return message
        case .stopping: return "the server is shutting down"
        }
    }
}
