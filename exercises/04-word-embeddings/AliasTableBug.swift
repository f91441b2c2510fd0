// Exercise 4.6 — find the bug in an alias table (debug and measure;
// chapters/04-word-embeddings.md, "The noise distribution and the alias
// method").
//
// `givenAliasTable` below is meant to build Walker's alias table for the
// weights w₀…w_{n−1} (non-negative, positive sum) with Vose's algorithm, the
// sampler word2vec draws its negatives from. A table is two arrays of n
// entries: to draw, pick a column i uniformly, then keep i with probability
// probability[i], else take alias[i]. The table should draw outcome i with
// probability wᵢ/Σw. For some weights this one does not. Do not edit it.
//
// 1. Measure. Write `aliasTableProbabilities`: the exact probability that a
//    table (any table, not only one Vose's algorithm built) draws each
//    outcome. No sampling: add up, over the n columns, how each column's
//    1/n of the mass is split between the column itself and its alias.
// 2. Find. With your measure, try `givenAliasTable` on small weights, worked
//    by hand, until it goes wrong, and return such weights (at most 10) from
//    `weightsTheGivenTableGetsWrong`. (Uniform weights and [1, 3] are right;
//    the grader requires an error above 0.001 in some outcome's probability.)
//    Then find the line that causes it.
// 3. Fix. Write `aliasTable`: the given function with the bug fixed.
//
// The grader checks 1 on hand-worked and random tables against its own
// count; 2 by measuring the given table on your weights; and 3 on weights
// with zeros, one outcome only, a single nonzero weight, weights from 10⁻⁹
// to 10⁹, and word counts raised to the power 3/4: every probability in
// [0, 1], every alias an index, and the probabilities your table draws equal
// to wᵢ/Σw within 10⁻¹².
//
// Replace the `throw`s with your code, then run:
//   swift test --package-path exercises/04-word-embeddings --filter Chapter04Exercises/aliasTableBug

import ExerciseKit

/// The table as given: do not edit (the grader keeps its own copy).
public func givenAliasTable(weights w: [Double]) -> (probability: [Double], alias: [Int]) {
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

/// The probability that the table draws each outcome 0…n−1.
public func aliasTableProbabilities(probability: [Double], alias: [Int]) throws -> [Double] {
    throw NotAttempted()
}

/// Weights (at most 10) for which `givenAliasTable` draws some outcome with
/// a probability more than 0.001 away from wᵢ/Σw.
public func weightsTheGivenTableGetsWrong() throws -> [Double] {
    throw NotAttempted()
}

/// `givenAliasTable` with its bug fixed.
public func aliasTable(weights: [Double]) throws -> (probability: [Double], alias: [Int]) {
    throw NotAttempted()
}
