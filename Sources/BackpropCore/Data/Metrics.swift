// Classification metrics shared by every chapter.

/// Classification metrics.
public enum Metrics {
    /// The fraction of positions where `predicted` equals `actual`.
    public static func accuracy(predicted: [Int], actual: [Int]) -> Double {
        precondition(predicted.count == actual.count, "accuracy: counts differ")
        guard !actual.isEmpty else { return 0 }
        return Double(zip(predicted, actual).filter { $0 == $1 }.count) / Double(actual.count)
    }
}
