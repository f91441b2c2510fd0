// Reference solution to exercise 4.6. The measure: column j gives
// probability[j]/n to j and (1 − probability[j])/n to alias[j]. The bug: when
// column s takes its share from the large entry l, l gives away what s
// lacks, 1 − p[s], not p[s] (the two agree only when p[s] = 1/2, as for
// weights [1, 3]). Weights [1, 1, 2] show it: p = [0.75, 0.75, 1.5], and the
// given table leaves 1.5 − 0.75 = 0.75 for outcome 2 instead of 1.25, so it
// draws 2 with probability 5/12 instead of 1/2.

import ExerciseKit

public func aliasTableProbabilities(probability: [Double], alias: [Int]) throws -> [Double] {
    let n = probability.count
    var out = [Double](repeating: 0, count: n)
    for j in 0..<n {
        out[j] += probability[j] / Double(n)
        out[alias[j]] += (1 - probability[j]) / Double(n)
    }
    return out
}

public func weightsTheGivenTableGetsWrong() throws -> [Double] { [1, 1, 2] }

public func aliasTable(weights w: [Double]) throws -> (probability: [Double], alias: [Int]) {
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
        p[l] -= 1 - p[s]
        if p[l] < 1 { small.append(l) } else { large.append(l) }
    }
    return (probability, alias)
}
