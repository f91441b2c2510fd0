// Self-tests of the graders of exercises 3.4 (find the bug in a backward
// closure), 3.5 (maximum) and 3.6 (a network trained on iris).

#if canImport(Solutions03)
import AutomaticDifferentiation
import Backpropagation
import BackpropCore
import ExerciseKit
import Foundation
@testable import Graders03
import Solutions03
import Testing

@Suite struct Chapter03OperationGraderSelfTests {
    @Test func closureBugGraderAcceptsTheSolution() throws {
        let report = try Chapter03Graders.findTheClosureBug(Solutions03.rowLogSumExp)
        #expect(report.passed, "\(report.failures)")
    }

    /// Log-sum-exp of each row with a chosen mistake.
    static func brokenLogSumExp(_ x: Variable<Double>, variant: Int) throws -> Variable<Double> {
        let (n, c) = (x.shape[0], x.shape[1])
        let v = x.value.scalars
        var out = [Double](repeating: 0, count: n), p = [Double](repeating: 0, count: n * c)
        for i in 0..<n {
            let row = v[(i * c)..<(i * c + c)]
            let m = variant == 2 ? 0 : row.max()!
            let s = row.map { exp($0 - m) }.reduce(0, +)
            out[i] = m + log(s)
            for j in 0..<c { p[i * c + j] = variant == 4 ? exp(v[i * c + j] - m) : exp(v[i * c + j] - out[i]) }
        }
        let probabilities = p
        return try Variable.custom("logSumExp", value: Tensor(out), inputs: [x]) { g in
            var dx = [Double](repeating: 0, count: n * c)
            for i in 0..<(variant == 3 ? n - 1 : n) {
                let upstream = variant == 0 ? g.scalars[0] : variant == 1 ? 1 : g.scalars[i]
                for j in 0..<c { dx[i * c + j] = upstream * probabilities[i * c + j] }
            }
            return [try Tensor(shape: [n, c], scalars: dx)]
        }
    }

    @Test("the closure-bug grader rejects broken operations and says why", arguments: [
        ("the code as given (every row scaled by g[0])", 0, "code as given"),
        ("g ignored altogether", 1, "expected ∂L/∂x"),
        ("no maximum subtracted (overflows at ±1000)", 2, "log Σ eˣ"),
        ("the last row's gradient left at zero", 3, "expected ∂L/∂x"),
        ("e^(x − max) not divided by the sum (subtle: right when one term dominates)", 4, "expected ∂L/∂x"),
    ])
    func closureBugGraderRejects(name: String, variant: Int, hint: String) throws {
        let report = try Chapter03Graders.findTheClosureBug { try Self.brokenLogSumExp($0, variant: variant) }
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }

    @Test func maximumGraderAcceptsTheSolution() throws {
        let report = try Chapter03Graders.maximum(Solutions03.maximum)
        #expect(report.passed, "\(report.failures)")
    }

    @Test("the maximum grader rejects broken operations and says why", arguments: [
        ("the whole gradient to a at a tie", 0, "went to a"),
        ("nothing to either side at a tie (strict > both ways; subtle)", 1, "neither operand"),
        ("g ignored: the mask alone", 2, "ignored the upstream gradient"),
        ("the gradient to the smaller operand", 3, "smaller operand"),
        ("shapes not checked: zip truncates (subtle)", 4, "must throw"),
    ])
    func maximumGraderRejects(name: String, variant: Int, hint: String) throws {
        let broken: ElementwiseMaximum = { a, b in
            if variant != 4 { guard a.shape == b.shape else { throw AutodiffError.invalidArgument(operation: "max", reason: "shapes") } }
            let va = a.value.scalars, vb = b.value.scalars
            let pairs = Array(zip(va, vb))
            let y = try Tensor(shape: [pairs.count], scalars: pairs.map { Swift.max($0, $1) })
            return try Variable.custom("maximum", value: y, inputs: [a, b]) { g in
                let shareA = pairs.map { p -> Double in
                    switch variant {
                    case 0: return p.0 >= p.1 ? 1 : 0
                    case 1: return p.0 > p.1 ? 1 : 0
                    case 3: return p.0 < p.1 ? 1 : p.0 == p.1 ? 0.5 : 0
                    default: return p.0 > p.1 ? 1 : p.0 == p.1 ? 0.5 : 0
                    }
                }
                let shareB = pairs.enumerated().map { i, p -> Double in
                    variant == 1 ? (p.1 > p.0 ? 1 : 0) : 1 - shareA[i]
                }
                let upstream = variant == 2 ? [Double](repeating: 1, count: pairs.count) : g.scalars
                return [try Tensor(shape: a.shape, scalars: zip(upstream, shareA).map { $0 * $1 }),
                        try Tensor(shape: b.shape, scalars: zip(upstream, shareB).map { $0 * $1 })]
            }
        }
        let report = try Chapter03Graders.maximum(broken)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }

    @Test func irisGraderAcceptsTheSolution() throws {
        let report = try Chapter03Graders.irisTraining { inputs, hidden, classes, rng in
            let network = try Solutions03.IrisNetwork(inputs: inputs, hidden: hidden, classes: classes, rng: &rng)
            return (network.parameters, network.logits)
        }
        #expect(report.passed, "\(report.failures)")
    }

    @Test("the iris grader rejects broken networks and says why", arguments: [
        ("logits from the parameters' raw values (no gradient flows)", 0, "do not depend on any parameter"),
        ("all weights initialised to zero", 1, "random values"),
        ("ReLU instead of tanh", 2, "tanh(x·W₁ᵀ + b₁)"),
        ("b₂ listed but never added (subtle)", 3, "tanh(x·W₁ᵀ + b₁)"),
        ("weights from a generator of its own", 4, "generator passed to init"),
        ("tanh applied to the logits too", 5, "tanh(x·W₁ᵀ + b₁)"),
    ])
    func irisGraderRejects(name: String, variant: Int, hint: String) throws {
        let report = try Chapter03Graders.irisTraining { inputs, hidden, classes, rng in
            var own = SeededRandom(seed: 1)
            let network = variant == 4
                ? try Solutions03.IrisNetwork(inputs: inputs, hidden: hidden, classes: classes, rng: &own)
                : try Solutions03.IrisNetwork(inputs: inputs, hidden: hidden, classes: classes, rng: &rng)
            if variant == 1 { for p in network.parameters { p.value = try Tensor(shape: p.value.shape, repeating: 0) } }
            let parameters = network.parameters
            let logits: (Variable<Double>) throws -> Variable<Double> = { x in
                let p = parameters.map { variant == 0 ? x.tape.constant($0.value) : x.tape.parameter($0) }
                let z = try x.matmul(p[0], .nt) + p[1]
                let h = variant == 2 ? z.relu() : z.tanh()
                let out = variant == 3 ? try h.matmul(p[2], .nt) : try h.matmul(p[2], .nt) + p[3]
                return variant == 5 ? out.tanh() : out
            }
            return (parameters, logits)
        }
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }
}
#endif
