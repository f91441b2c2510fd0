// PCA: principal components by power iteration with deflation, to draw
// embeddings in two dimensions.
//
// Contract
// - `PCA(rows:components:)` centres the rows (n points in D dimensions),
//   forms the covariance C = XᵀX/(n−1) (D×D, symmetric positive
//   semi-definite), and finds its k leading eigenpairs.
// - `topEigenpairs` (power iteration): repeat x ← Cx/‖Cx‖ from a seeded
//   random start until x changes by less than `tolerance` (in the ∞-norm);
//   then λ = xᵀCx. The error shrinks like (λ₂/λ₁)^t. Deflation then removes
//   the pair, C ← C − λxxᵀ, so the next run finds the next eigenvector.
//   Eigenvalues come out in decreasing order (for a PSD matrix); each
//   eigenvector has unit length and its sign is fixed so that its largest-
//   magnitude entry is positive (eigenvectors are only defined up to sign).
// - Written here, in Double, with no linear-algebra library.

import BackpropCore

/// Principal component analysis of a set of points.
public struct PCA: Sendable {
    public let mean: [Double]
    /// The principal directions, each of length D, by decreasing variance.
    public let components: [[Double]]
    /// The variance along each component (the covariance's eigenvalues).
    public let variances: [Double]

    /// Fits `k` components to `rows` (n ≥ 2 rows of equal length D ≥ k).
    public init(rows: [[Double]], components k: Int, seed: UInt64 = 1) {
        let n = rows.count, d = rows.first?.count ?? 0
        precondition(n >= 2 && k >= 1 && k <= d && rows.allSatisfy { $0.count == d }, "PCA needs ≥ 2 rows of equal length ≥ k")
        var mean = [Double](repeating: 0, count: d)
        for r in rows { for j in 0..<d { mean[j] += r[j] / Double(n) } }
        var cov = [Double](repeating: 0, count: d * d)
        for r in rows {
            for i in 0..<d {
                let ci = r[i] - mean[i]
                for j in i..<d { cov[i * d + j] += ci * (r[j] - mean[j]) / Double(n - 1) }
            }
        }
        for i in 0..<d { for j in 0..<i { cov[i * d + j] = cov[j * d + i] } }
        let pairs = PCA.topEigenpairs(symmetric: cov, size: d, count: k, seed: seed)
        self.mean = mean
        self.components = pairs.vectors
        self.variances = pairs.values
    }

    /// The coordinates of `row` along the components.
    public func project(_ row: [Double]) -> [Double] {
        components.map { c in zip(c, zip(row, mean)).reduce(0) { $0 + $1.0 * ($1.1.0 - $1.1.1) } }
    }

    /// The `count` leading eigenpairs of a symmetric matrix (row-major
    /// size×size) by power iteration with deflation.
    public static func topEigenpairs(
        symmetric matrix: [Double], size d: Int, count k: Int, seed: UInt64 = 1,
        maxIterations: Int = 10_000, tolerance: Double = 1e-12
    ) -> (values: [Double], vectors: [[Double]]) {
        precondition(matrix.count == d * d && k <= d, "matrix must be size×size and count ≤ size")
        var a = matrix
        var rng = SeededRandom(seed: seed)
        var values: [Double] = [], vectors: [[Double]] = []
        func multiply(_ x: [Double]) -> [Double] {
            (0..<d).map { i in (0..<d).reduce(0) { $0 + a[i * d + $1] * x[$1] } }
        }
        func normalized(_ x: [Double]) -> [Double] {
            let norm = x.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return norm > 0 ? x.map { $0 / norm } : x
        }
        for _ in 0..<k {
            var x = normalized((0..<d).map { _ in rng.uniform(-1, 1) })
            for _ in 0..<maxIterations {
                var y = normalized(multiply(x))
                // Fix the sign so successive iterates are comparable.
                if zip(x, y).reduce(0, { $0 + $1.0 * $1.1 }) < 0 { y = y.map { -$0 } }
                let change = zip(x, y).map { abs($0 - $1) }.max() ?? 0
                x = y
                if change < tolerance { break }
            }
            let lambda = zip(x, multiply(x)).reduce(0) { $0 + $1.0 * $1.1 }
            if let big = x.indices.max(by: { abs(x[$0]) < abs(x[$1]) }), x[big] < 0 { x = x.map { -$0 } }
            for i in 0..<d { for j in 0..<d { a[i * d + j] -= lambda * x[i] * x[j] } }
            values.append(lambda)
            vectors.append(x)
        }
        return (values, vectors)
    }
}
