// Reference solution to exercise 8.1 (exercises/08-tokens-and-the-modern-llm/BytePairMerge.swift).

import ExerciseKit

public func mostFrequentPair(_ tokens: [Int]) throws -> (left: Int, right: Int, count: Int)? {
    guard tokens.count >= 2 else { return nil }
    var counts: [Int: [Int: Int]] = [:]
    for i in 0..<(tokens.count - 1) { counts[tokens[i], default: [:]][tokens[i + 1], default: 0] += 1 }
    var best: (left: Int, right: Int, count: Int)? = nil
    for (left, row) in counts {
        for (right, count) in row {
            guard let b = best else { best = (left, right, count); continue }
            if count > b.count || (count == b.count && (left < b.left || (left == b.left && right < b.right))) {
                best = (left, right, count)
            }
        }
    }
    return best
}

public func mergePair(_ tokens: [Int], left: Int, right: Int, into merged: Int) throws -> [Int] {
    var out: [Int] = []
    out.reserveCapacity(tokens.count)
    var i = 0
    while i < tokens.count {
        if i + 1 < tokens.count && tokens[i] == left && tokens[i + 1] == right {
            out.append(merged)
            i += 2
        } else {
            out.append(tokens[i])
            i += 1
        }
    }
    return out
}
