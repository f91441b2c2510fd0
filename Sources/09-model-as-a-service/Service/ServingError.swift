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
    /// The prompt is longer than the model's limit (413 on /v1/generate, 400 in the OpenAI routes).
    case promptTooLong(String)
    /// The client closed its connection: the work stopped, nobody reads an answer.
    case cancelled

    public var description: String {
        switch self {
        case .invalidInput(let message): return message
        case .overloaded(let message): return message
        case .stopping: return "the server is shutting down"
        case .promptTooLong(let message): return message
        case .cancelled: return "the client closed the connection"
        }
    }
}
