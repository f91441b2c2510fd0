// Self-tests of exercise 4.6's grader (find the bug in an alias table): it
// accepts the reference solution, its copy of the given table really is
// broken (and equals the stub's), its measure agrees with the book's
// AliasTable, and it rejects broken measures, weights that do not show the
// bug and fixes that are not fixed.

#if canImport(Solutions04)
import ExerciseKit
import Foundation
@testable import Graders04
import Solutions04
import Testing
import WordEmbeddings

@Suite struct Chapter04AliasTableGraderSelfTests {
    static func grade(
        measure: @escaping AliasTableProbabilities = { try Solutions04.aliasTableProbabilities(probability: $0, alias: $1) },
        weights: @escaping () throws -> [Double] = Solutions04.weightsTheGivenTableGetsWrong,
        fixed: @escaping AliasTableBuilder = { try Solutions04.aliasTable(weights: $0) }
    ) throws -> GradeReport {
        try Chapter04Graders.aliasTableBug(measure: measure, failingWeights: weights, fixed: fixed)
    }

    @Test func aliasTableGraderAcceptsTheSolution() throws {
        let report = try Self.grade()
        #expect(report.passed, "\(report.failures)")
    }

    /// The grader's count of what a table draws agrees with the book's
    /// AliasTable.probabilities (to its 2⁻³² thresholds), and the given table
    /// is right on the stub's two examples and wrong on [1, 1, 2].
    @Test func referencesAgree() throws {
        for c in Chapter04Graders.aliasWeightCases() {
            let book = AliasTable(weights: c.weights)
            let fixed = try Solutions04.aliasTable(weights: c.weights)
            let total = c.weights.reduce(0, +)
            #expect(zip(book.probabilities(), c.weights).allSatisfy { abs($0 - $1 / total) < 1e-8 }, "\(c.note)")
            #expect(Chapter04Graders.aliasError(fixed, weights: c.weights) < 1e-12, "\(c.note)")
        }
        #expect(Chapter04Graders.aliasError(Chapter04Graders.givenAliasTable(weights: [1, 3]), weights: [1, 3]) < 1e-15)
        #expect(Chapter04Graders.aliasError(Chapter04Graders.givenAliasTable(weights: [2, 2, 2]), weights: [2, 2, 2]) < 1e-15)
        #expect(abs(Chapter04Graders.aliasError(Chapter04Graders.givenAliasTable(weights: [1, 1, 2]), weights: [1, 1, 2])
            - 1.0 / 12) < 1e-12)
    }

    /// The grader's copy of the given table is the stub's, line for line.
    @Test func theGraderKeepsTheStubsTable() throws {
        let stub = try String(contentsOfFile: #filePath.replacingOccurrences(
            of: "Tests/GraderSelfTests/Chapter04GraderSelfTests+AliasTable.swift",
            with: "exercises/04-word-embeddings/AliasTableBug.swift"), encoding: .utf8)
        let grader = try String(contentsOfFile: #filePath.replacingOccurrences(
            of: "Tests/GraderSelfTests/Chapter04GraderSelfTests+AliasTable.swift",
            with: "exercises/graders/04-word-embeddings/Chapter04Graders+AliasTable.swift"), encoding: .utf8)
        func body(_ s: String) -> [String] {
            let lines = s.components(separatedBy: "\n")
            guard let start = lines.firstIndex(where: { $0.contains("func givenAliasTable") }) else { return [] }
            let rest = lines[start...].map { $0.trimmingCharacters(in: .whitespaces) }
            return Array(rest.prefix { $0 != "}" })
        }
        #expect(!body(stub).isEmpty && body(stub).dropFirst() == body(grader).dropFirst())
    }

    @Test("the alias-table grader rejects broken answers and says why", arguments: [
        ("a measure without 1/n", 0, "sum to n"),
        ("a measure without the aliases", 1, "the aliases are missing"),
        ("a measure with q and 1 − q swapped", 2, "are swapped"),
        ("weights the given table gets right ([1, 3])", 3, "two weights"),
        ("weights the given table gets right (uniform)", 4, "off by at most"),
        ("the given table returned as the fix", 5, "the given table, bug included"),
        ("a fix that gives away 1 − p[s] but never moves l to the small list", 6, "the weights ask for"),
        ("a fix that gives away p[l] − 1 instead of 1 − p[s]", 7, "the weights ask for"),
    ])
    func aliasTableGraderRejects(name: String, variant: Int, hint: String) throws {
        let measure: AliasTableProbabilities = { q, alias in
            let n = Double(q.count)
            var out = [Double](repeating: 0, count: q.count)
            for j in q.indices {
                switch variant {
                case 0: out[j] += q[j]; out[alias[j]] += 1 - q[j]
                case 1: out[j] += q[j] / n
                default: out[j] += (1 - q[j]) / n; out[alias[j]] += q[j] / n
                }
            }
            return out
        }
        func vose(_ w: [Double], give: (Double, Double) -> Double, moveToSmall: Bool) -> (probability: [Double], alias: [Int]) {
            let n = w.count, total = w.reduce(0, +)
            var p = w.map { $0 * Double(n) / total }
            var probability = [Double](repeating: 1, count: n), alias = Array(0..<n)
            var small = p.indices.filter { p[$0] < 1 }, large = p.indices.filter { p[$0] >= 1 }
            while let s = small.popLast(), let l = large.popLast() {
                probability[s] = p[s]
                alias[s] = l
                p[l] -= give(p[s], p[l])
                if p[l] < 1 && moveToSmall { small.append(l) } else { large.append(l) }
            }
            return (probability, alias)
        }
        let report: GradeReport
        switch variant {
        case 0, 1, 2: report = try Self.grade(measure: measure)
        case 3: report = try Self.grade(weights: { [1, 3] })
        case 4: report = try Self.grade(weights: { [1, 1, 1] })
        case 5: report = try Self.grade(fixed: { Chapter04Graders.givenAliasTable(weights: $0) })
        case 6: report = try Self.grade(fixed: { vose($0, give: { s, _ in 1 - s }, moveToSmall: false) })
        default: report = try Self.grade(fixed: { vose($0, give: { _, l in l - 1 }, moveToSmall: true) })
        }
        #expect(!report.passed, "\(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "\(name): \(report.failures.prefix(3))")
    }
}
#endif
