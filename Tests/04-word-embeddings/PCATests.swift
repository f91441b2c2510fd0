// PCA by power iteration with deflation, against known decompositions.

import BackpropCore
import Foundation
import Testing
@testable import WordEmbeddings

@Suite struct PCATests {
    /// A = Q·diag(λ)·Qᵀ with Q a Householder reflection I − 2wwᵀ (orthogonal).
    @Test func recoversAKnownEigendecomposition() {
        let d = 5
        let lambdas = [9.0, 4.0, 2.0, 1.0, 0.25]
        var w = [0.3, -0.5, 0.2, 0.7, 0.1]
        let norm = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
        w = w.map { $0 / norm }
        let q = (0..<d).map { i in (0..<d).map { j in (i == j ? 1 : 0) - 2 * w[i] * w[j] } }  // columns are eigenvectors
        var a = [Double](repeating: 0, count: d * d)
        for i in 0..<d { for j in 0..<d { for k in 0..<d { a[i * d + j] += q[i][k] * lambdas[k] * q[j][k] } } }
        let (values, vectors) = PCA.topEigenpairs(symmetric: a, size: d, count: 3)
        for k in 0..<3 {
            #expect(abs(values[k] - lambdas[k]) < 1e-9, "λ\(k) = \(values[k])")
            let column = (0..<d).map { q[$0][k] }
            let overlap = abs(zip(column, vectors[k]).reduce(0) { $0 + $1.0 * $1.1 })
            #expect(abs(overlap - 1) < 1e-9, "eigenvector \(k) overlap \(overlap)")
        }
    }

    @Test func findsTheDirectionOfLargestVariance() {
        // Points spread along (1, 1)/√2 with a little noise across it.
        var rng = SeededRandom(seed: 4)
        let rows: [[Double]] = (0..<200).map { _ in
            let t = rng.normal() * 3, s = rng.normal() * 0.1
            return [5 + (t - s) / 2.0.squareRoot(), -2 + (t + s) / 2.0.squareRoot()]
        }
        let p = PCA(rows: rows, components: 2)
        #expect(abs(abs(p.components[0][0]) - 0.5.squareRoot()) < 0.01)
        #expect(p.variances[0] > 50 * p.variances[1])
        let projected = p.project(rows[0])
        #expect(projected.count == 2)
        #expect(abs(p.mean[0] - 5) < 0.5 && abs(p.mean[1] + 2) < 0.5)
    }
}
