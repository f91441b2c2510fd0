// Self-tests of the grader of exercise 1.4: it accepts the reference solution
// and rejects broken answers, the subtle ones (a power iteration from a
// symmetric start, or stopped early) included.

#if canImport(Solutions01)
import ExerciseKit
import Foundation
@testable import Graders01
import Solutions01
import Testing

@Suite struct Chapter01StepSizeGraderSelfTests {
    @Test func stepSizeGraderAcceptsTheSolution() throws {
        let report = try Chapter01Graders.largestStableLearningRate(Solutions01.largestStableLearningRate)
        #expect(report.passed, "\(report.failures)")
    }

    @Test("the step-size grader rejects broken answers and says why", arguments: [
        ("1/λmax instead of 2/λmax", 0, "1/λmax"),
        ("the Hessian without the 1/n of the mean", 1, "1/n"),
        ("no column of ones (the bias ignored)", 2, "column of ones"),
        ("2/trace(H) instead of 2/λmax(H)", 3, "trace"),
        ("power iteration from the all-ones vector", 4, "orthogonal"),
        ("power iteration stopped after 30 steps", 5, "converged"),
        ("the Hessian with 1/(n − 1)", 6, "expected η*"),
        ("the Hessian without the factor 2 of the square", 7, "factor 2"),
    ])
    func stepSizeGraderRejects(name: String, variant: Int, hint: String) throws {
        let broken: LargestStableLearningRate = { x in
            let n = Double(x.count), bias = variant != 2
            let scale = switch variant { case 1: 2.0; case 6: 2 / (n - 1); case 7: 1 / n; default: 2 / n }
            let h = Chapter01Graders.gram(x, bias: bias).map { $0.map { $0 * scale } }
            if variant == 3 { return 2 / h.indices.map { h[$0][$0] }.reduce(0, +) }
            var v = variant == 4 ? [Double](repeating: 1, count: h.count) : h.indices.map { 1 + 0.37 * Double($0 * $0 + 1) }
            var lambda = 0.0
            for _ in 0..<(variant == 5 ? 30 : 20_000) {
                let hv = h.map { zip($0, v).map { $0 * $1 }.reduce(0, +) }
                let next = zip(v, hv).map { $0 * $1 }.reduce(0, +) / v.map { $0 * $0 }.reduce(0, +)
                if variant != 5, abs(next - lambda) <= 1e-15 * next { break }
                lambda = next
                let norm = hv.map { $0 * $0 }.reduce(0, +).squareRoot()
                v = hv.map { $0 / norm }
            }
            return (variant == 0 ? 1 : 2) / lambda
        }
        let report = try Chapter01Graders.largestStableLearningRate(broken)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }
}
#endif
