// Chapter 4's graders, continued: exercise 4.6, find the bug in an alias
// table. The grader keeps its own copy of the given (broken) table and its
// own count of what a table draws: column j gives probability[j]/n to j and
// (1 − probability[j])/n to alias[j].

import BackpropCore
import ExerciseKit
import Foundation

/// (probability, alias) → the probability of each outcome.
public typealias AliasTableProbabilities = ([Double], [Int]) throws -> [Double]
/// weights → (probability, alias).
public typealias AliasTableBuilder = ([Double]) throws -> (probability: [Double], alias: [Int])

extension Chapter04Graders {
    // MARK: 4.6 — find the bug in an alias table

    /// The table as the stub gives it, bug included (p[l] −= p[s]).
    static func givenAliasTable(weights w: [Double]) -> (probability: [Double], alias: [Int]) {
        let n = w.count
        let total = w.reduce(0, +)
        var p = w.map { $0 * Double(n) / total }
        var probability = [Double](repeating: 1, count: n)
        var alias = Array(0..<n)
        var small = p.indices.filter { p[$0] < 1 }
        var large = p.indices.filter { p[$0] >= 1 }
        while let s = small.popLast(), let l = large.popLast() {
            probability[s] = p[s]
            alias[s] = l
            p[l] -= p[s]
            if p[l] < 1 { small.append(l) } else { large.append(l) }
        }
        return (probability, alias)
    }

    /// What a table draws: (1/n)·(probability[i] + Σ_{j: alias[j] = i} (1 − probability[j])).
    static func drawn(probability q: [Double], alias: [Int]) -> [Double] {
        var out = [Double](repeating: 0, count: q.count)
        for j in q.indices {
            out[j] += q[j] / Double(q.count)
            out[alias[j]] += (1 - q[j]) / Double(q.count)
        }
        return out
    }

    /// The largest |drawn − w/Σw| of a table for weights w.
    static func aliasError(_ table: (probability: [Double], alias: [Int]), weights w: [Double]) -> Double {
        let total = w.reduce(0, +)
        return zip(drawn(probability: table.probability, alias: table.alias), w).map { abs($0 - $1 / total) }.max() ?? 0
    }

    /// Tables for the measure: hand-worked ones, then random ones (aliases
    /// anywhere, themselves included; probabilities 0 and 1 among them).
    static func aliasMeasureCases() -> [(probability: [Double], alias: [Int], expected: [Double], note: String)] {
        var cases: [(probability: [Double], alias: [Int], expected: [Double], note: String)] = [
            ([1, 1], [0, 1], [0.5, 0.5], "two columns that keep themselves"),
            ([0.5, 1], [1, 1], [0.25, 0.75], "column 0 gives half its mass to 1"),
            ([0, 0, 1], [2, 2, 2], [0, 0, 1], "two columns that always take their alias"),
            ([0.5], [0], [1], "one column whose alias is itself"),
            ([0.2, 0.6, 1, 0.9], [2, 2, 1, 0], [0.05 + 0.025, 0.15, 0.25 + 0.2 + 0.1, 0.225],
             "aliases pointing at a column that itself has an alias"),
        ]
        var rng = SeededRandom(seed: 4606)
        for n in [5, 9] {
            let q = (0..<n).map { i in i == 0 ? 0 : i == 1 ? 1 : rng.uniform() }
            let alias = (0..<n).map { _ in rng.integer(below: n) }
            cases.append((q, alias, drawn(probability: q, alias: alias), "random, n = \(n)"))
        }
        return cases
    }

    /// Weights for the fixed table.
    static func aliasWeightCases() -> [(weights: [Double], note: String)] {
        var rng = SeededRandom(seed: 4616)
        let counts = (1...60).map { 6000.0 / Double($0) + Double(rng.integer(below: 5)) }  // Zipf-like word counts
        return [
            ([1, 3], "[1, 3]"), ([1, 1, 2], "[1, 1, 2]"), ([2, 2, 2, 2], "uniform"), ([5], "one outcome"),
            ([0, 0, 5, 0], "a single nonzero weight"), ([3, 0, 1, 0, 4], "zeros among the weights"),
            ([1, 2, 3, 4, 5, 6, 7], "1…7"), ([1e-9, 1, 1e9, 3], "weights from 10⁻⁹ to 10⁹"),
            (counts.map { pow($0, 0.75) }, "60 Zipf-like word counts raised to the power 3/4"),
            ((0..<40).map { _ in rng.uniform(0, 10) }, "40 random weights"),
        ]
    }

    /// Exercise 4.6: the measure, the weights that show the bug, the fix.
    public static func aliasTableBug(
        measure: AliasTableProbabilities, failingWeights: () throws -> [Double], fixed: AliasTableBuilder
    ) throws -> GradeReport {
        var report = GradeReport()
        // 1. The measure.
        for c in aliasMeasureCases() {
            let got = try measure(c.probability, c.alias)
            guard !(got.count == c.expected.count && Grade.close(got, c.expected, 1e-12)) else { continue }
            var hint = ""
            let n = Double(c.probability.count)
            let ownOnly = c.probability.map { $0 / n }
            let swapped = drawn(probability: c.probability.map { 1 - $0 }, alias: c.alias)
            if got.count != c.expected.count {
                hint = " — one probability per outcome (\(c.expected.count))"
            } else if Grade.close(got, c.expected.map { $0 * n }, 1e-12) {
                hint = " — these sum to n: each column is picked with probability 1/n"
            } else if Grade.close(got, ownOnly, 1e-12) {
                hint = " — the aliases are missing: column j also gives (1 − probability[j])/n to alias[j]"
            } else if Grade.close(got, swapped, 1e-12) {
                hint = " — probability[j] and 1 − probability[j] are swapped: the column keeps itself with "
                    + "probability[j] and takes its alias otherwise"
            }
            report.check(false, "aliasTableProbabilities, \(c.note) (probability \(Grade.show(c.probability)), alias "
                + "\(c.alias)): expected \(Grade.show(c.expected)), got \(Grade.show(got))" + hint)
        }
        // 2. Weights that show the bug.
        let weights = try failingWeights()
        if weights.isEmpty || weights.count > 10 || weights.contains(where: { !($0 >= 0 && $0.isFinite) })
            || !(weights.reduce(0, +) > 0) {
            report.check(false, "weightsTheGivenTableGetsWrong: return 1 to 10 finite, non-negative weights with a "
                + "positive sum, got \(Grade.show(weights))")
        } else {
            let error = aliasError(givenAliasTable(weights: weights), weights: weights)
            report.check(error > 1e-3, "weightsTheGivenTableGetsWrong: for \(Grade.show(weights)) the given table is "
                + "off by at most \(show(error)) (it must be off by more than 0.001 in some outcome's probability)"
                + (weights.count <= 2 ? " — with two weights only one column is ever paired, and the other keeps "
                    + "probability 1 whatever the bug leaves in p, so try three or more" : ""))
        }
        // 3. The fix.
        for c in aliasWeightCases() {
            let n = c.weights.count
            let got = try fixed(c.weights)
            guard got.probability.count == n, got.alias.count == n else {
                report.check(false, "aliasTable, \(c.note): return \(n) probabilities and \(n) aliases, got "
                    + "\(got.probability.count) and \(got.alias.count)")
                continue
            }
            guard got.alias.allSatisfy({ (0..<n).contains($0) }),
                got.probability.allSatisfy({ $0 >= -1e-12 && $0 <= 1 + 1e-12 })
            else {
                report.check(false, "aliasTable, \(c.note): every probability must lie in [0, 1] and every alias in "
                    + "0..<\(n); got probability \(Grade.show(got.probability)), alias \(got.alias)")
                continue
            }
            let error = aliasError(got, weights: c.weights)
            guard error > 1e-12 else { continue }
            let total = c.weights.reduce(0, +)
            let given = givenAliasTable(weights: c.weights)
            let hint = got.probability == given.probability && got.alias == given.alias
                ? " — that is the given table, bug included" : ""
            report.check(false, "aliasTable, \(c.note): the table draws \(Grade.show(drawn(probability: got.probability, alias: got.alias)).prefix(200))"
                + " but the weights ask for \(Grade.show(c.weights.map { $0 / total }).prefix(200)) (largest error "
                + "\(show(error)))" + hint)
        }
        return report
    }
}
