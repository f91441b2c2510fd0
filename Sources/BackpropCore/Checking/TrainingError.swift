// Errors a training run can end with. Every chapter's training loop checks
// its loss and gradients and stops with one of these instead of carrying on
// with NaNs (which would silently turn every weight into NaN).

/// Why a training run stopped early.
public enum TrainingError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A loss or gradient became NaN or infinite.
    case nonFinite(step: Int, tensor: String)
    /// A hyperparameter outside its valid range (e.g. a negative learning rate).
    case invalidOption(name: String, value: String, reason: String)
    /// A dataset that cannot be used for this model (empty, wrong classes…).
    case unsuitableData(String)

    public var description: String {
        switch self {
        case let .nonFinite(step, tensor):
            return "training diverged: \(tensor) became NaN or infinite at step \(step) (try a smaller learning rate)"
        case let .invalidOption(name, value, reason):
            return "invalid \(name) \(value): \(reason)"
        case let .unsuitableData(reason):
            return "unsuitable data: \(reason)"
        }
    }

    /// Throws `.nonFinite` unless every element of `t` is finite.
    public static func requireFinite<T>(_ t: Tensor<T>, _ name: String, step: Int) throws {
        guard t.isFinite else { throw TrainingError.nonFinite(step: step, tensor: name) }
    }

    /// Throws `.nonFinite` unless `x` is finite.
    public static func requireFinite<T: BinaryFloatingPoint>(_ x: T, _ name: String, step: Int) throws {
        guard x.isFinite else { throw TrainingError.nonFinite(step: step, tensor: name) }
    }
}
