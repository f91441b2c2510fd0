// Least squares by the normal equations.
//
// Minimising L(θ) = ‖Aθ − y‖² over θ, where A = [X | 1] appends a column of
// ones for the bias, sets ∇L = 2Aᵀ(Aθ − y) to zero:
//     (AᵀA) θ = Aᵀy.
// We form AᵀA and Aᵀy in Double and solve by Gaussian elimination with
// partial pivoting. Forming AᵀA squares the condition number of A, which is
// harmless for the small, standardised problems of this chapter; a QR
// factorisation is the robust choice for ill-conditioned data.

import BackpropCore

/// Exact least-squares solutions for linear regression.
public enum NormalEquations {
    /// Solves the square system M·x = r by Gaussian elimination with partial
    /// pivoting (the row with the largest pivot is swapped up, which bounds
    /// the growth of rounding errors).
    /// - Throws: `TensorError.invalidValue` if M is singular to working precision.
    public static func solve(_ m: [[Double]], _ r: [Double]) throws -> [Double] {
        let n = r.count
        guard m.count == n, m.allSatisfy({ $0.count == n }) else {
            throw TensorError.shapeMismatch(
                operation: "NormalEquations.solve", lhs: [m.count, m.first?.count ?? 0], rhs: [n],
                reason: "the matrix must be square with one row per right-hand side")
        }
        var a = m, b = r
        let scale = m.joined().map(abs).max() ?? 0
        for col in 0..<n {
            var pivot = col
            for row in (col + 1)..<max(n, col + 1) where abs(a[row][col]) > abs(a[pivot][col]) { pivot = row }
            guard abs(a[pivot][col]) > 1e-12 * max(scale, 1e-300) else {
                throw TensorError.invalidValue(
                    operation: "NormalEquations.solve",
                    reason: "the matrix is singular (column \(col) is a combination of the others)")
            }
            a.swapAt(col, pivot); b.swapAt(col, pivot)
            for row in (col + 1)..<max(n, col + 1) {
                let f = a[row][col] / a[col][col]
                for k in col..<n { a[row][k] -= f * a[col][k] }
                b[row] -= f * b[col]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for row in stride(from: n - 1, through: 0, by: -1) {
            var s = b[row]
            for k in (row + 1)..<max(n, row + 1) { s -= a[row][k] * x[k] }
            x[row] = s / a[row][row]
        }
        return x
    }

    /// The least-squares weights and bias for y ≈ X·w + b.
    /// - Parameters: x [n, d], y [n] or [n, 1].
    public static func fit<T>(_ x: Tensor<T>, _ y: Tensor<T>) throws -> (weights: [Double], bias: Double) {
        let (n, d) = try x.matrixShape("NormalEquations.fit")
        guard y.count == n else {
            throw TensorError.shapeMismatch(
                operation: "NormalEquations.fit", lhs: x.shape, rhs: y.shape, reason: "one target per row is needed")
        }
        // AᵀA and Aᵀy with A = [X | 1], accumulated in Double.
        var ata = [[Double]](repeating: [Double](repeating: 0, count: d + 1), count: d + 1)
        var aty = [Double](repeating: 0, count: d + 1)
        for i in 0..<n {
            var row = (0..<d).map { Double(x.scalars[i * d + $0]) }
            row.append(1)
            for p in 0...d {
                aty[p] += row[p] * Double(y.scalars[i])
                for q in 0...d { ata[p][q] += row[p] * row[q] }
            }
        }
        let theta = try solve(ata, aty)
        return (Array(theta[0..<d]), theta[d])
    }
}
