// Self-tests of the grader of exercise 2.6: it accepts the reference backward
// pass and rejects the code as given and other broken ones, the subtle ones
// (one entry's sign, one row of the batch, a mean) included.

#if canImport(Solutions02)
import ExerciseKit
import Foundation
@testable import Graders02
import Solutions02
import Testing

@Suite struct Chapter02FindTheBugGraderSelfTests {
    @Test func findTheBugGraderAcceptsTheSolution() throws {
        let report = try Chapter02Graders.findTheBug(Solutions02.twoLayerTanhBackward)
        #expect(report.passed, "\(report.failures)")
    }

    @Test("the find-the-bug grader rejects broken backward passes and says why", arguments: [
        ("the code as given (tanh′ as 1 − z²)", 0, "code as given"),
        ("tanh′ as 1 − h", 1, "between dh and the first layer"),
        ("db₁ summed from dh, without tanh′", 2, "expected db₁"),
        ("db₂ a mean over rows", 3, "expected db₂"),
        ("dW₁ leaves out the last row of the batch", 4, "expected dW₁"),
        ("the last entry of dx with its sign flipped", 5, "expected dx"),
    ])
    func findTheBugGraderRejects(name: String, variant: Int, hint: String) throws {
        let broken: TwoLayerTanhBackward = { x, w1, b1, w2, _, dy in
            let n = x.count, inputs = x[0].count, hidden = w1.count, outputs = w2.count
            let z = x.map { row in zip(w1, b1).map { w, b in zip(row, w).map { $0 * $1 }.reduce(b, +) } }
            let h = z.map { $0.map { tanh($0) } }
            var dW2 = [[Double]](repeating: [Double](repeating: 0, count: hidden), count: outputs)
            var db2 = [Double](repeating: 0, count: outputs)
            var dh = [[Double]](repeating: [Double](repeating: 0, count: hidden), count: n)
            for i in 0..<n {
                for o in 0..<outputs {
                    db2[o] += variant == 3 ? dy[i][o] / Double(n) : dy[i][o]
                    for j in 0..<hidden {
                        dW2[o][j] += dy[i][o] * h[i][j]
                        dh[i][j] += dy[i][o] * w2[o][j]
                    }
                }
            }
            var dz = dh
            for i in 0..<n {
                for j in 0..<hidden {
                    let slope: Double = switch variant {
                    case 0: 1 - z[i][j] * z[i][j]
                    case 1: 1 - h[i][j]
                    default: 1 - h[i][j] * h[i][j]
                    }
                    dz[i][j] *= slope
                }
            }
            var dW1 = [[Double]](repeating: [Double](repeating: 0, count: inputs), count: hidden)
            var db1 = [Double](repeating: 0, count: hidden)
            var dx = [[Double]](repeating: [Double](repeating: 0, count: inputs), count: n)
            for i in 0..<n {
                for j in 0..<hidden {
                    db1[j] += variant == 2 ? dh[i][j] : dz[i][j]
                    for k in 0..<inputs {
                        if !(variant == 4 && i == n - 1) { dW1[j][k] += dz[i][j] * x[i][k] }
                        dx[i][k] += dz[i][j] * w1[j][k]
                    }
                }
            }
            if variant == 5 { dx[n - 1][inputs - 1] = -dx[n - 1][inputs - 1] }
            return (dx, dW1, db1, dW2, db2)
        }
        let report = try Chapter02Graders.findTheBug(broken)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }
}
#endif
