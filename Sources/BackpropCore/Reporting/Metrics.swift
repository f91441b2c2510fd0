// Classification metrics shared by every chapter.

/// Classification metrics.
public enum Metrics {
    /// The fraction of positions where `predicted` equals `actual`.
    public static func accuracy(predicted: [Int], actual: [Int]) -> Double {
        precondition(predicted.count == actual.count, "accuracy: counts differ")
        guard !actual.isEmpty else { return 0 }
        return Double(zip(predicted, actual).filter { $0 == $1 }.count) / Double(actual.count)
    }

    /// The confusion matrix: entry [t][p] counts examples of true class t
    /// predicted as p. Rows sum to the class counts; the diagonal is correct.
    public static func confusionMatrix(predicted: [Int], actual: [Int], classes: Int) -> [[Int]] {
        precondition(predicted.count == actual.count, "confusionMatrix: counts differ")
        var m = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        for (p, t) in zip(predicted, actual) where p >= 0 && p < classes && t >= 0 && t < classes { m[t][p] += 1 }
        return m
    }

    /// The index of the largest value in each row of a [n, C] matrix.
    public static func argmaxRows<T: TensorScalar>(_ x: Tensor<T>) -> [Int] {
        let c = x.shape.last ?? 1
        return (0..<(x.count / max(c, 1))).map { i in
            var best = 0
            for j in 1..<c where x.scalars[i * c + j] > x.scalars[i * c + best] { best = j }
            return best
        }
    }
}
