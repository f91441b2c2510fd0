// The chapter 4 graders are tested too: each accepts the reference solution
// and rejects broken answers with typical mistakes, saying why where it can.
// Skipped when an instructor has removed exercises/solutions/04-word-embeddings
// (the package then has no Solutions04 module).

#if canImport(Solutions04)
import ExerciseKit
import Foundation
@testable import Graders04
import Solutions04
import Testing

@Suite struct Chapter04GraderSelfTests {
    // MARK: 4.1

    static func reference(_ v: [Double], _ u: [Double], _ negatives: [[Double]]) throws
        -> (loss: Double, dCenter: [Double], dContext: [Double], dNegatives: [[Double]])
    {
        try Solutions04.sgnsGradients(center: v, context: u, negatives: negatives)
    }

    @Test func sgnsGraderAcceptsTheSolution() throws {
        let report = try Chapter04Graders.sgnsGradients(Self.reference)
        #expect(report.passed, "\(report.failures)")
    }

    /// The large cases really are large, and the grader's loss stays finite
    /// and accurate there (softplus(40) = 40 + log1p(e^−40)).
    @Test func sgnsCasesReachLargeDotProducts() {
        let large = Chapter04Graders.sgnsCases().filter(\.large)
        let dots = large.map { Chapter04Graders.dot($0.context, $0.center) }
        #expect(dots.contains { abs($0 + 40) < 1e-9 } && dots.contains { abs($0 + 800) < 1e-9 }, "\(dots)")
        #expect(abs(Chapter04Graders.softplus(40) - 40) < 1e-15)
        #expect(Chapter04Graders.softplus(-800) == 0 && Chapter04Graders.softplus(800) == 800)
        for c in large {
            #expect(Chapter04Graders.sgnsLoss(center: c.center, context: c.context, negatives: c.negatives).isFinite)
        }
    }

    @Test("the SGNS grader rejects broken gradients and says why", arguments: [
        ("σ(−uₖ·v) instead of σ(uₖ·v) for the negatives", 0, "not σ(−uₖ·v)"),
        ("negatives missing from ∂L/∂v", 1, "missing the negatives' terms"),
        ("1 − σ(u·v) in ∂L/∂u (sign flipped)", 2, "sign is flipped"),
        ("a repeated negative merged into one row", 3, "its own row"),
        ("the negatives' terms in ∂L/∂v averaged (1/K) instead of summed", 4, "expected ∂L/∂v"),
    ])
    func sgnsGraderRejects(name: String, variant: Int, hint: String) throws {
        let broken: SGNSGradients = { v, u, negatives in
            var (loss, dCenter, dContext, dNegatives) = try Solutions04.sgnsGradients(
                center: v, context: u, negatives: negatives)
            let sigmoid = { (x: Double) in 1 / (1 + exp(-x)) }
            let dot = { (a: [Double], b: [Double]) in zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
            switch variant {
            case 0:
                dCenter = u.map { (sigmoid(dot(u, v)) - 1) * $0 }
                dNegatives = negatives.map { uk in
                    let g = sigmoid(-dot(uk, v))
                    for i in dCenter.indices { dCenter[i] += g * uk[i] }
                    return v.map { g * $0 }
                }
            case 1:
                dCenter = u.map { (sigmoid(dot(u, v)) - 1) * $0 }
            case 2:
                dContext = v.map { (1 - sigmoid(dot(u, v))) * $0 }
            case 4:
                dCenter = u.map { (sigmoid(dot(u, v)) - 1) * $0 }
                for uk in negatives {
                    let g = sigmoid(dot(uk, v)) / Double(negatives.count)
                    for i in dCenter.indices { dCenter[i] += g * uk[i] }
                }
            default:
                var seen: [[Double]] = []
                dNegatives = zip(negatives, dNegatives).compactMap { uk, row in
                    if seen.contains(uk) { return nil }
                    seen.append(uk)
                    return row
                }
            }
            return (loss, dCenter, dContext, dNegatives)
        }
        let report = try Chapter04Graders.sgnsGradients(broken)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }

    /// A naive loss is right on moderate dot products, so only the large
    /// cases may reject it: the grader must contain them.
    @Test("a naive loss fails only on large dot products", arguments: [
        ("log(1 − σ(x)) for the negatives", 0),
        ("log σ(x) with a stable σ", 1),
    ])
    func sgnsGraderRejectsNaiveLossOnlyOnLargeDotProducts(name: String, variant: Int) throws {
        let naive: SGNSGradients = { v, u, negatives in
            let gradients = try Solutions04.sgnsGradients(center: v, context: u, negatives: negatives)
            let sigmoid = { (x: Double) in x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x)) }
            let dot = { (a: [Double], b: [Double]) in zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
            var loss = -log(sigmoid(dot(u, v)))
            for uk in negatives {
                loss -= variant == 0 ? log(1 - sigmoid(dot(uk, v))) : log(sigmoid(-dot(uk, v)))
            }
            return (loss, gradients.dCenter, gradients.dContext, gradients.dNegatives)
        }
        let report = try Chapter04Graders.sgnsGradients(naive)
        #expect(!report.failures.isEmpty, "grader accepted: \(name)")
        #expect(report.failures.allSatisfy { $0.contains("not finite") && $0.contains("u·v = −") }, "\(report.failures)")
    }

    // MARK: 4.2

    static func neighbours(_ word: Int, _ vectors: [[Double]], _ count: Int) throws -> [Int] {
        try Solutions04.nearestNeighbours(of: word, vectors: vectors, count: count)
    }

    @Test func neighbourGraderAcceptsTheSolution() throws {
        let report = try Chapter04Graders.nearestNeighbours(Self.neighbours)
        #expect(report.passed, "\(report.failures)")
    }

    /// The hand-worked answers agree with the grader's own ranking, and the
    /// random cases have no near-ties that rounding could reorder.
    @Test func neighbourCasesAreConsistent() {
        for c in Chapter04Graders.neighbourCases() {
            #expect(Array(Chapter04Graders.ranking(of: c.word, c.vectors).prefix(c.count)) == c.expected, "\(c.note)")
            guard c.note.contains("random") else { continue }
            let sims = Chapter04Graders.ranking(of: c.word, c.vectors).prefix(c.count + 1)
                .map { Chapter04Graders.cosine(c.vectors[c.word], c.vectors[$0]) }
            #expect(zip(sims, sims.dropFirst()).allSatisfy { $0 - $1 > 1e-9 }, "\(c.note): \(sims)")
        }
    }

    @Test("the neighbour grader rejects broken rankings and says why", arguments: [
        ("raw dot product instead of cosine", 0, "ranking by dot product"),
        ("includes the word itself", 1, "the word itself"),
        ("sorted ascending", 2, "least to most similar"),
        ("Euclidean distance", 3, "Euclidean distance"),
        ("ties by higher index", 4, "index order"),
    ])
    func neighbourGraderRejects(name: String, variant: Int, hint: String) throws {
        let broken: NearestNeighbours = { word, vectors, count in
            let dot = { (a: [Double], b: [Double]) in zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
            let cosine = { (a: [Double], b: [Double]) -> Double in
                let n = (dot(a, a) * dot(b, b)).squareRoot()
                return n == 0 ? -.infinity : dot(a, b) / n
            }
            let score: ([Double], [Double]) -> Double
            switch variant {
            case 0: score = dot
            case 3: score = { a, b in -zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }
            default: score = cosine
            }
            let scored = vectors.indices.filter { variant == 1 || $0 != word }.map { ($0, score(vectors[word], vectors[$0])) }
            let sorted = scored.sorted { a, b in
                switch variant {
                case 2: return a.1 != b.1 ? a.1 < b.1 : a.0 < b.0
                case 4: return a.1 != b.1 ? a.1 > b.1 : a.0 > b.0
                default: return a.1 != b.1 ? a.1 > b.1 : a.0 < b.0
                }
            }
            return sorted.prefix(count).map(\.0)
        }
        let report = try Chapter04Graders.nearestNeighbours(broken)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }

    /// Cosine computed as a·b/(‖a‖·‖b‖) without the zero-vector rule gives
    /// NaN: only the cases with a zero vector may reject it.
    @Test func neighbourGraderRejectsNaNForZeroVectors() throws {
        let nan: NearestNeighbours = { word, vectors, count in
            let dot = { (a: [Double], b: [Double]) -> Double in zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
            let query = vectors[word]
            let scored: [(Int, Double)] = vectors.indices.filter { $0 != word }.map { j in
                let norms = (dot(query, query) * dot(vectors[j], vectors[j])).squareRoot()
                return (j, dot(query, vectors[j]) / norms)
            }
            let sorted = scored.sorted { a, b in a.1 > b.1 || (a.1 == b.1 && a.0 < b.0) }
            return sorted.prefix(count).map(\.0)
        }
        let report = try Chapter04Graders.nearestNeighbours(nan)
        #expect(!report.failures.isEmpty)
        #expect(report.failures.allSatisfy { $0.contains("zero") }, "\(report.failures)")
    }

    // MARK: 4.3

    @Test func keepGraderAcceptsTheSolution() throws {
        let report = try Chapter04Graders.keepProbability { try Solutions04.keepProbability(count: $0, totalWords: $1, threshold: $2) }
        #expect(report.passed, "\(report.failures)")
    }

    /// Spot values of the grader's formula, worked by hand: f = t gives
    /// (1 + 1)·1 = 2 → 1; f = 5t gives (√5 + 1)/5; f = 1 gives √t + t.
    @Test func keepFormulaSpotValues() {
        #expect(Chapter04Graders.keepProbability(count: 1000, total: 1_000_000, t: 1e-3) == 1)
        #expect(Chapter04Graders.keepProbability(count: 1000, total: 1_000_000, t: 1e-3, clamped: false) == 2)
        #expect(abs(Chapter04Graders.keepProbability(count: 5000, total: 1_000_000, t: 1e-3)
            - (5.0.squareRoot() + 1) / 5) < 1e-15)
        #expect(abs(Chapter04Graders.keepProbability(count: 7, total: 7, t: 1e-4) - 0.0101) < 1e-15)
    }

    @Test("the keep-probability grader rejects broken formulas and says why", arguments: [
        ("the paper's √(t/f)", 0, "the paper"),
        ("no clamp", 1, "at most 1"),
        ("count instead of frequency", 2, "used the count"),
        ("integer division", 3, "integer division"),
    ])
    func keepGraderRejects(name: String, variant: Int, hint: String) throws {
        let broken: KeepProbability = { count, total, t in
            let f: Double
            switch variant {
            case 2: f = Double(count)
            case 3: f = Double(count / total)
            default: f = Double(count) / Double(total)
            }
            switch variant {
            case 0: return min(1, (t / f).squareRoot())
            case 1: return ((f / t).squareRoot() + 1) * t / f
            default: return min(1, ((f / t).squareRoot() + 1) * t / f)
            }
        }
        let report = try Chapter04Graders.keepProbability(broken)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }
}
#endif
