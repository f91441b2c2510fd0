// Grader for exercise 2.6 (find the bug in a two-layer tanh network's
// backward pass). Expected values are centered finite differences, written
// here in Double, of L = Σ dy ⊙ y with the forward pass written here. The
// stub's buggy code is reproduced only to recognise an answer that still
// returns its gradients.

import BackpropCore
import ExerciseKit
import Foundation

public typealias TwoLayerTanhBackward = ([[Double]], [[Double]], [Double], [[Double]], [Double], [[Double]]) throws
    -> (dx: [[Double]], dWeight1: [[Double]], dBias1: [Double], dWeight2: [[Double]], dBias2: [Double])

extension Chapter02Graders {
    /// Centered differences (step 10⁻⁶) of f at x, each coordinate restored from its saved value.
    static func centeredDifferences(_ f: ([Double]) -> Double, at x: [Double]) -> [Double] {
        var probe = x
        return x.indices.map { i in
            let saved = probe[i], h = 1e-6
            probe[i] = saved + h
            let plus = f(probe)
            probe[i] = saved - h
            let minus = f(probe)
            probe[i] = saved
            return (plus - minus) / (2 * h)
        }
    }

    /// y = tanh(x·W₁ᵀ + b₁)·W₂ᵀ + b₂.
    static func twoLayerForward(_ x: [[Double]], _ w1: [[Double]], _ b1: [Double], _ w2: [[Double]], _ b2: [Double]) -> [[Double]] {
        x.map { row in
            let h = zip(w1, b1).map { w, b in tanh(zip(row, w).map { $0 * $1 }.reduce(b, +)) }
            return zip(w2, b2).map { w, b in zip(h, w).map { $0 * $1 }.reduce(b, +) }
        }
    }

    /// The stub's code as given (tanh′ taken as 1 − z²): its dW₁, db₁ and dx.
    static func givenBuggyGradients(_ x: [[Double]], _ w1: [[Double]], _ b1: [Double], _ w2: [[Double]], _ dy: [[Double]])
        -> (dx: [Double], dW1: [Double], db1: [Double]) {
        let z = x.map { row in zip(w1, b1).map { w, b in zip(row, w).map { $0 * $1 }.reduce(b, +) } }
        let gz = zip(dy, z).map { g, zi in zi.indices.map { j in zip(g, w2).map { $0 * $1[j] }.reduce(0, +) * (1 - zi[j] * zi[j]) } }
        let dx = gz.flatMap { g in x[0].indices.map { k in zip(g, w1).map { $0 * $1[k] }.reduce(0, +) } }
        let dW1 = w1.indices.flatMap { j in x[0].indices.map { k in zip(gz, x).map { $0[j] * $1[k] }.reduce(0, +) } }
        let db1 = w1.indices.map { j in gz.map { $0[j] }.reduce(0, +) }
        return (dx, dW1, db1)
    }

    /// Exercise 2.6: every gradient against finite differences of Σ dy ⊙ y.
    public static func findTheBug(_ candidate: TwoLayerTanhBackward) throws -> GradeReport {
        var report = GradeReport()
        var rng = SeededRandom(seed: 2606)
        for (n, inputs, hidden, outputs) in [(1, 1, 1, 1), (3, 2, 4, 2), (4, 3, 3, 3), (2, 5, 3, 1)] {
            func matrix(_ r: Int, _ c: Int, _ s: Double) -> [[Double]] { (0..<r).map { _ in (0..<c).map { _ in rng.uniform(-s, s) } } }
            let x = matrix(n, inputs, 2), w1 = matrix(hidden, inputs, 1.5), w2 = matrix(outputs, hidden, 1.5)
            let b1 = (0..<hidden).map { _ in rng.uniform(-1, 1) }, b2 = (0..<outputs).map { _ in rng.uniform(-1, 1) }
            let dy = matrix(n, outputs, 1)
            func loss(_ x: [[Double]], _ w1: [[Double]], _ b1: [Double], _ w2: [[Double]], _ b2: [Double]) -> Double {
                zip(twoLayerForward(x, w1, b1, w2, b2), dy).map { zip($0, $1).map { $0 * $1 }.reduce(0, +) }.reduce(0, +)
            }
            func rows(_ v: [Double], _ c: Int) -> [[Double]] { stride(from: 0, to: v.count, by: c).map { Array(v[$0..<($0 + c)]) } }
            let want: [(name: String, value: [Double])] = [
                ("dx", centeredDifferences({ loss(rows($0, inputs), w1, b1, w2, b2) }, at: x.flatMap { $0 })),
                ("dW₁", centeredDifferences({ loss(x, rows($0, inputs), b1, w2, b2) }, at: w1.flatMap { $0 })),
                ("db₁", centeredDifferences({ loss(x, w1, $0, w2, b2) }, at: b1)),
                ("dW₂", centeredDifferences({ loss(x, w1, b1, rows($0, hidden), b2) }, at: w2.flatMap { $0 })),
                ("db₂", centeredDifferences({ loss(x, w1, b1, w2, $0) }, at: b2)),
            ]
            let got = try candidate(x, w1, b1, w2, b2, dy)
            let setting = "for n = \(n), in = \(inputs), hidden = \(hidden), out = \(outputs)"
            let shapes = [Grade.hasShape(got.dx, n, inputs), Grade.hasShape(got.dWeight1, hidden, inputs), got.dBias1.count == hidden,
                          Grade.hasShape(got.dWeight2, outputs, hidden), got.dBias2.count == outputs]
            let expectedShapes = ["\(n) × \(inputs)", "\(hidden) × \(inputs)", "\(hidden)", "\(outputs) × \(hidden)", "\(outputs)"]
            let gotShapes = [Grade.shape(got.dx), Grade.shape(got.dWeight1), "\(got.dBias1.count)",
                             Grade.shape(got.dWeight2), "\(got.dBias2.count)"]
            let values = [got.dx.flatMap { $0 }, got.dWeight1.flatMap { $0 }, got.dBias1, got.dWeight2.flatMap { $0 }, got.dBias2]
            let buggy = givenBuggyGradients(x, w1, b1, w2, dy)
            let stillBuggy = shapes[0] && shapes[1] && shapes[2] && Grade.close(values[0], buggy.dx, 1e-9)
                && Grade.close(values[1], buggy.dW1, 1e-9) && Grade.close(values[2], buggy.db1, 1e-9)
            var wrong: [String] = []
            for (index, w) in want.enumerated() {
                guard shapes[index] else {
                    report.check(false, "\(setting): \(w.name) must be \(expectedShapes[index]), like what it differentiates, "
                        + "got \(gotShapes[index])")
                    continue
                }
                if !Grade.close(values[index], w.value, 1e-6) { wrong.append(w.name) }
                report.check(Grade.close(values[index], w.value, 1e-6),
                    "\(setting): expected \(w.name) ≈ \(Grade.show(w.value)) (row-major; centered finite differences of "
                        + "Σ dy ⊙ y), got \(Grade.show(values[index]))")
            }
            if stillBuggy, !wrong.isEmpty {
                report.failures.append("\(setting): \(wrong.joined(separator: ", ")) are those of the code as given: the bug "
                    + "is still there. Check each gradient with your checker from exercise 2.5 and read the lines that "
                    + "produce the wrong ones against the chain rule")
            } else if !wrong.isEmpty, !wrong.contains("dW₂"), !wrong.contains("db₂"), shapes[3], shapes[4] {
                report.failures.append("\(setting): dW₂ and db₂ are right but \(wrong.joined(separator: ", ")) are not: "
                    + "the mistake is between dh and the first layer")
            }
        }
        return report
    }
}
