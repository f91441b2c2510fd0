// Grader for exercise 1.6 (the perceptron's updates against Novikoff's
// bound). The grader runs the perceptron itself (η = 1 from zero, examples
// in index order, until an epoch without a mistake) and computes (R/γ)² from
// the theorem's definitions, on hand-worked data, random separable data,
// setosa against versicolor (raw sepal and petal lengths) and the chapter's
// generated blobs; a direction that does not separate the data has no bound.

import BackpropCore
import Datasets
import ExerciseKit
import Foundation
import LinearModels

public typealias PerceptronMistakeBound = ([[Double]], [Int], [Double]) throws -> (updates: Int, bound: Double)

extension Chapter01Graders {
    /// The perceptron of the chapter with η = 1 from w = 0, b = 0, visiting
    /// the rows in index order until a clean epoch or `maxEpochs`: the total
    /// number of updates after each epoch, and whether the last was clean.
    /// With `strict` a score of exactly 0 is not a mistake; without `bias`
    /// b stays 0 (both only to recognise mistakes).
    static func perceptronTrace(
        _ x: [[Double]], _ labels: [Int], strict: Bool = false, bias: Bool = true, maxEpochs: Int = 10_000
    ) -> (totals: [Int], converged: Bool) {
        let d = x.first?.count ?? 0
        var w = [Double](repeating: 0, count: d), b = 0.0, updates = 0, totals: [Int] = []
        for _ in 0..<maxEpochs {
            var mistakes = 0
            for (row, label) in zip(x, labels) {
                let s: Double = label == 1 ? 1 : -1
                var score = b
                for j in 0..<d { score += w[j] * row[j] }
                if strict ? s * score < 0 : s * score <= 0 {
                    for j in 0..<d { w[j] += s * row[j] }
                    if bias { b += s }
                    mistakes += 1
                }
            }
            updates += mistakes
            totals.append(updates)
            if mistakes == 0 { return (totals, true) }
        }
        return (totals, false)
    }

    /// R² = maxᵢ ‖(xᵢ, 1)‖² and the margins sᵢ·u·(xᵢ, 1), unnormalised.
    static func novikoffParts(_ x: [[Double]], _ labels: [Int], _ u: [Double]) -> (r2: Double, r2NoBias: Double, margins: [Double]) {
        var r2 = 0.0, r2NoBias = 0.0, margins: [Double] = []
        for (row, label) in zip(x, labels) {
            let s: Double = label == 1 ? 1 : -1
            let squares = row.map { $0 * $0 }.reduce(0, +)
            r2 = max(r2, squares + 1)
            r2NoBias = max(r2NoBias, squares)
            margins.append(s * (zip(u, row).map { $0 * $1 }.reduce(0, +) + u[row.count]))
        }
        return (r2, r2NoBias, margins)
    }

    /// Exercise 1.6.
    public static func perceptronMistakeBound(_ candidate: PerceptronMistakeBound) throws -> GradeReport {
        var report = GradeReport()
        var cases: [(x: [[Double]], labels: [Int], u: [Double], why: String)] = [
            // One update, (w, b) = (2, 1), then a clean epoch. x̃ = (2, 1), (−1, 1): R² = 5;
            // margins 2 and 1 for the unit u = (1, 0): γ = 1, bound 5.
            ([[2], [-1]], [1, 0], [1, 0], "x = [2, −1], labels [1, 0], u = (1, 0): R² = 5, γ = 1"),
            // The same with u = (3, 0): the bound does not depend on u's length.
            ([[2], [-1]], [1, 0], [3, 0], "x = [2, −1], labels [1, 0], u = (3, 0), not a unit vector"),
            // u = (1, 3): margins 5 and −2, so u does not separate the data.
            ([[2], [-1]], [1, 0], [1, 3], "x = [2, −1], labels [1, 0], u = (1, 3), which does not separate them"),
            // Points at x₁ = 3, 4 (class 1) and 1, 0 (class 0): the boundary must sit
            // near x₁ = 2, so the bias has to move far; u = (1, −2) has margin 1/√5.
            ([[3], [1], [4], [0]], [1, 0, 1, 0], [1, -2], "x = [3, 1, 4, 0], labels [1, 0, 1, 0], u = (1, −2)"),
        ]
        var rng = SeededRandom(seed: 1606)
        for (n, d, scale) in [(20, 2, 1.0), (40, 3, 2.0), (60, 5, 0.5)] {
            let truth = (0...d).map { _ in rng.uniform(-1, 1) }
            var x: [[Double]] = [], labels: [Int] = []
            while x.count < n {
                let row = (0..<d).map { _ in scale * rng.uniform(-2, 2) }
                let score = zip(truth, row).map { $0 * $1 }.reduce(truth[d], +)
                guard abs(score) > 0.15 * scale else { continue }  // keep a margin
                x.append(row)
                labels.append(score > 0 ? 1 : 0)
            }
            cases.append((x, labels, truth.map { 2.5 * $0 }, "random separable data, n = \(n), d = \(d)"))
        }
        // Setosa (0) against versicolor (1) by sepal length and petal length in
        // centimetres, as in the chapter's figure; every setosa petal is shorter
        // than 2 cm and every versicolor petal longer than 2.9, so u = (0, 1, −2.45).
        let iris = try BundledData.iris()
        var irisX: [[Double]] = [], irisLabels: [Int] = []
        for i in 0..<iris.count where iris.labels[i] < 2 {
            irisX.append([Double(iris.features.scalars[i * 4]), Double(iris.features.scalars[i * 4 + 2])])
            irisLabels.append(iris.labels[i])
        }
        cases.append((irisX, irisLabels, [0, 1, -2.45], "iris setosa against versicolor by sepal and petal length (cm)"))
        // The blobs of ClassifierTests' convergesOnBlobs, with u = (1, 1, 0).
        let blobs = try SyntheticData.blobs(count: 100, separation: 2.5, spread: 0.5, seed: 5)
        cases.append(((0..<blobs.count).map { i in (0..<2).map { Double(blobs.features.scalars[i * 2 + $0]) } }, blobs.labels,
                      [1, 1, 0], "the generated blobs (seed 5) with u = (1, 1, 0)"))

        for c in cases {
            let trace = perceptronTrace(c.x, c.labels)
            precondition(trace.converged, "grader data must be separable")
            let run = (updates: trace.totals.last!, epochs: trace.totals.count)
            let parts = novikoffParts(c.x, c.labels, c.u)
            let norm = c.u.map { $0 * $0 }.reduce(0, +).squareRoot(), rawGamma = parts.margins.min()!, gamma = rawGamma / norm
            let bound = gamma > 0 ? parts.r2 / (gamma * gamma) : .infinity
            let got = try candidate(c.x, c.labels, c.u)

            var hint = ""
            if got.updates != run.updates {
                if got.updates == run.epochs || got.updates == run.epochs - 1 {
                    hint = " — that is the number of epochs; count every update (every mistake) instead"
                } else if got.updates == perceptronTrace(c.x, c.labels, strict: true, maxEpochs: 100).totals.last {
                    hint = " — a score of exactly 0 is a mistake (s·(w·x + b) ≤ 0), as in exercise 1.1; from zero weights "
                        + "the first example must update"
                } else if perceptronTrace(c.x, c.labels, bias: false, maxEpochs: 1000).totals.contains(got.updates) {
                    hint = " — the bias must move too: b ← b + s on every update"
                }
            }
            report.check(got.updates == run.updates,
                "\(c.why): the perceptron (η = 1, from zero, rows in index order) makes \(run.updates) updates "
                    + "in \(run.epochs) epochs (the last one clean), got \(got.updates)" + hint)
            hint = ""
            let ok = bound.isInfinite ? got.bound == .infinity : abs(got.bound - bound) <= 1e-9 * bound
            if !ok {
                func near(_ v: Double) -> Bool { v.isFinite && abs(got.bound - v) <= 1e-9 * abs(v) }
                if bound.isInfinite {
                    hint = " — γ is the smallest signed margin sᵢ·u·x̃ᵢ/‖u‖; here it is \(String(format: "%.4g", gamma)) ≤ 0, so "
                        + "u does not separate the data and the theorem gives no bound (return +∞)"
                } else if near(parts.r2NoBias / (gamma * gamma)) {
                    hint = " — R must include the bias's constant input: R = max ‖(x, 1)‖, not max ‖x‖"
                } else if near(parts.r2 / (rawGamma * rawGamma)) {
                    hint = " — u must be a unit vector: divide the margins by ‖u‖"
                } else if near(parts.r2.squareRoot() / gamma) {
                    hint = " — the bound is (R/γ)², squared"
                } else if near(parts.r2 / pow(parts.margins.reduce(0, +) / Double(parts.margins.count) / norm, 2)) {
                    hint = " — γ is the smallest margin, not the mean"
                }
            }
            report.check(ok,
                "\(c.why): expected (R/γ)² = \(bound.isInfinite ? "+∞" : String(format: "%.9g", bound)) with R² = "
                    + "\(String(format: "%.6g", parts.r2)) and γ = \(String(format: "%.6g", gamma)), got \(got.bound)" + hint)
        }
        return report
    }
}
