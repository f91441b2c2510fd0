// Graders for chapter 4's exercises. Expected values come from definitions,
// never from the code being graded (nor, except for 4.5's training run, from
// the book's WordEmbeddings module): the skip-gram gradients from centered finite differences of the
// loss, written here with a softplus that never overflows; the neighbours
// from hand-worked cases and from ranking cosine similarities computed here;
// the keep probability from word2vec.c's formula written out.

import BackpropCore
import ExerciseKit
import Foundation

public typealias SGNSGradients = ([Double], [Double], [[Double]]) throws
    -> (loss: Double, dCenter: [Double], dContext: [Double], dNegatives: [[Double]])
public typealias NearestNeighbours = (Int, [[Double]], Int) throws -> [Int]
public typealias KeepProbability = (Int, Int, Double) throws -> Double

public enum Chapter04Graders {
    // MARK: 4.1 — skip-gram with negative sampling

    /// softplus(z) = log(1 + e^z) = −log σ(−z), finite for every finite z.
    static func softplus(_ z: Double) -> Double { max(z, 0) + log1p(exp(-abs(z))) }

    /// σ(x), computed so that neither e^x nor e^(−x) overflows.
    static func sigmoid(_ x: Double) -> Double { x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x)) }

    /// Formats one number for messages.
    static func show(_ x: Double) -> String { String(format: "%.6g", x) }

    static func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

    /// L = −log σ(u·v) − Σₖ log σ(−uₖ·v) = softplus(−u·v) + Σₖ softplus(uₖ·v).
    static func sgnsLoss(center v: [Double], context u: [Double], negatives: [[Double]]) -> Double {
        negatives.reduce(softplus(-dot(u, v))) { $0 + softplus(dot($1, v)) }
    }

    /// One case of exercise 4.1.
    struct SGNSCase {
        var center: [Double], context: [Double], negatives: [[Double]]
        var note: String
        /// True when the dot products are large enough for a naive loss to overflow.
        var large: Bool
    }

    /// Random vectors, no negatives, a negative drawn twice, and dot products
    /// of ±40 (where log(1 − σ(x)) = log 0) and ±800 (where σ(−800) = 0).
    static func sgnsCases() -> [SGNSCase] {
        var rng = SeededRandom(seed: 3101)
        func vector(_ d: Int, _ scale: Double = 1) -> [Double] { (0..<d).map { _ in rng.uniform(-scale, scale) } }
        var cases: [SGNSCase] = []
        cases.append(SGNSCase(center: vector(3), context: vector(3), negatives: [vector(3), vector(3)],
                              note: "d = 3 with 2 negatives", large: false))
        cases.append(SGNSCase(center: vector(5, 1.5), context: vector(5, 1.5), negatives: (0..<4).map { _ in vector(5, 1.5) },
                              note: "d = 5 with 4 negatives", large: false))
        cases.append(SGNSCase(center: vector(4), context: vector(4), negatives: [],
                              note: "no negatives (K = 0)", large: false))
        let a = vector(4, 1.2), b = vector(4, 1.2)
        cases.append(SGNSCase(center: vector(4, 1.2), context: vector(4, 1.2), negatives: [a, b, a],
                              note: "the same negative vector drawn twice (rows 0 and 2)", large: false))
        // v·v = 30, so u = s·v/30 has u·v = s exactly (up to rounding).
        let v: [Double] = [4, -3, 2, 1]
        func along(_ s: Double) -> [Double] { v.map { $0 * s / 30 } }
        cases.append(SGNSCase(center: v, context: along(-40), negatives: [along(40), vector(4, 0.5)],
                              note: "u·v = −40 and a negative with uₖ·v = 40", large: true))
        cases.append(SGNSCase(center: v, context: along(-800), negatives: [vector(4, 0.5), along(800)],
                              note: "u·v = −800 and a negative with uₖ·v = 800", large: true))
        cases.append(SGNSCase(center: v, context: along(40), negatives: [along(-40)],
                              note: "u·v = 40 and a negative with uₖ·v = −40 (a nearly perfect fit)", large: false))
        return cases
    }

    /// The three gradients from their formulas with one typical mistake
    /// (used only to name the mistake in a failure message).
    enum SGNSMistake { case negativeSign, negativesMissingFromCenter, positiveSignFlipped }

    static func sgnsMistake(_ mistake: SGNSMistake, _ c: SGNSCase)
        -> (dCenter: [Double], dContext: [Double], dNegatives: [[Double]])
    {
        let v = c.center, u = c.context
        let gPositive = (sigmoid(dot(u, v)) - 1) * (mistake == .positiveSignFlipped ? -1 : 1)
        var dCenter = u.map { gPositive * $0 }
        var dNegatives: [[Double]] = []
        for uk in c.negatives {
            let g = mistake == .negativeSign ? sigmoid(-dot(uk, v)) : sigmoid(dot(uk, v))
            dNegatives.append(v.map { g * $0 })
            if mistake != .negativesMissingFromCenter {
                for i in dCenter.indices { dCenter[i] += g * uk[i] }
            }
        }
        return (dCenter, v.map { gPositive * $0 }, dNegatives)
    }

    /// Exercise 4.1: the loss against the stable softplus form, and the three
    /// gradients against centered finite differences of that loss.
    public static func sgnsGradients(_ candidate: SGNSGradients) throws -> GradeReport {
        var report = GradeReport()
        for c in sgnsCases() {
            let d = c.center.count, k = c.negatives.count
            let setting = "\(c.note): v = \(Grade.show(c.center)), u = \(Grade.show(c.context)), negatives = ["
                + c.negatives.map(Grade.show).joined(separator: ", ") + "]"
            let got = try candidate(c.center, c.context, c.negatives)

            let wantLoss = sgnsLoss(center: c.center, context: c.context, negatives: c.negatives)
            var lossHint = ""
            if !got.loss.isFinite {
                lossHint = " — your loss is not finite: log(1 − σ(x)) is log 0 = −∞ once σ(x) rounds to 1 (x ≳ 37), "
                    + "and log σ(x) is −∞ once σ(x) underflows to 0 (x ≲ −745). Use −log σ(x) = softplus(−x) with "
                    + "softplus(z) = max(z, 0) + log1p(e^(−|z|))"
            }
            report.check(Grade.close([got.loss], [wantLoss], 1e-9),
                         "\(setting): expected L = \(show(wantLoss)), got \(show(got.loss))" + lossHint)

            // Shapes.
            let negativesShapeOK = got.dNegatives.count == k && got.dNegatives.allSatisfy { $0.count == d }
            report.check(got.dCenter.count == d, "\(setting): ∂L/∂v must have \(d) entries like v, got \(got.dCenter.count)")
            report.check(got.dContext.count == d, "\(setting): ∂L/∂u must have \(d) entries like u, got \(got.dContext.count)")
            report.check(negativesShapeOK,
                "\(setting): dNegatives must have one row of \(d) entries per negative (\(k) rows), got "
                    + "\(got.dNegatives.count) rows of \(got.dNegatives.map(\.count))"
                    + (got.dNegatives.count < k ? " — a negative drawn twice still has its own row" : ""))
            guard got.dCenter.count == d, got.dContext.count == d, negativesShapeOK else { continue }

            // Finite differences with respect to [v, u, u₀, u₁, …] at once.
            let flat = c.center + c.context + c.negatives.flatMap { $0 }
            let numeric = GradientCheck.numericalGradient(
                of: { t in
                    let s = t.scalars
                    return sgnsLoss(center: Array(s[0..<d]), context: Array(s[d..<(2 * d)]),
                                    negatives: (0..<k).map { Array(s[((2 + $0) * d)..<((3 + $0) * d)]) })
                },
                at: Tensor(flat), step: 1e-5).scalars
            let wantCenter = Array(numeric[0..<d]), wantContext = Array(numeric[d..<(2 * d)])
            let wantNegatives = Array(numeric[(2 * d)...])
            let tol = 1e-6
            let anyNaN = (got.dCenter + got.dContext + got.dNegatives.flatMap { $0 }).contains { !$0.isFinite }
            let overflowHint = anyNaN
                ? " — NaN or ∞: e^x overflows for x > 709, so e^x/(1 + e^x) is ∞/∞ = NaN; compute σ(x) as "
                    + "1/(1 + e^(−x)) for x ≥ 0 and e^x/(1 + e^x) for x < 0"
                : ""
            let negativeSign = sgnsMistake(.negativeSign, c)
            let positiveFlipped = sgnsMistake(.positiveSignFlipped, c)
            let missing = sgnsMistake(.negativesMissingFromCenter, c)
            let negativeSignHint = " — for a negative, ∂/∂(uₖ·v) of −log σ(−uₖ·v) is +σ(uₖ·v), not σ(−uₖ·v) "
                + "(the derivative of −log σ(−x) is 1 − σ(−x) = σ(x))"
            let positiveSignHint = " — the positive term's sign is flipped: ∂/∂(u·v) of −log σ(u·v) is σ(u·v) − 1 "
                + "(negative: increasing u·v lowers the loss), not 1 − σ(u·v)"

            if !Grade.close(got.dContext, wantContext, tol) {
                var hint = overflowHint
                if hint.isEmpty, Grade.close(got.dContext, positiveFlipped.dContext, tol) { hint = positiveSignHint }
                report.check(false, "\(setting): expected ∂L/∂u ≈ \(Grade.show(wantContext)) (finite differences), "
                    + "got \(Grade.show(got.dContext))" + hint)
            }
            let gotNegatives = got.dNegatives.flatMap { $0 }
            if !Grade.close(gotNegatives, wantNegatives, tol) {
                var hint = overflowHint
                if hint.isEmpty, Grade.close(gotNegatives, negativeSign.dNegatives.flatMap { $0 }, tol) {
                    hint = negativeSignHint
                }
                report.check(false, "\(setting): expected dNegatives ≈ \(Grade.show(wantNegatives)) (row-major; finite "
                    + "differences), got \(Grade.show(gotNegatives))" + hint)
            }
            if !Grade.close(got.dCenter, wantCenter, tol) {
                var hint = overflowHint
                if hint.isEmpty {
                    if Grade.close(got.dCenter, missing.dCenter, tol) {
                        hint = " — ∂L/∂v is missing the negatives' terms Σₖ σ(uₖ·v)·uₖ: v is in every dot product, "
                            + "the negatives' as well as the context's"
                    } else if Grade.close(got.dCenter, negativeSign.dCenter, tol) {
                        hint = negativeSignHint
                    } else if Grade.close(got.dCenter, positiveFlipped.dCenter, tol) {
                        hint = positiveSignHint
                    }
                }
                report.check(false, "\(setting): expected ∂L/∂v ≈ \(Grade.show(wantCenter)) (finite differences), "
                    + "got \(Grade.show(got.dCenter))" + hint)
            }
        }
        return report
    }

    // MARK: 4.2 — nearest neighbours

    /// cos(a, b), or −∞ when either vector is zero (the exercise's rule).
    static func cosine(_ a: [Double], _ b: [Double]) -> Double {
        let na = dot(a, a).squareRoot(), nb = dot(b, b).squareRoot()
        return na == 0 || nb == 0 ? -.infinity : dot(a, b) / (na * nb)
    }

    /// The other words ordered by `score` descending, ties by index ascending.
    static func ranking(of word: Int, _ vectors: [[Double]], includingSelf: Bool = false,
                        score: ([Double], [Double]) -> Double = cosine) -> [Int]
    {
        vectors.indices.filter { includingSelf || $0 != word }
            .map { ($0, score(vectors[word], vectors[$0])) }
            .sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
            .map(\.0)
    }

    /// One case of exercise 4.2, with its answer when worked by hand.
    struct NeighbourCase {
        var word: Int, vectors: [[Double]], count: Int
        var note: String
        var expected: [Int]
    }

    /// Hand-worked cases (where the nearest by dot product, by Euclidean
    /// distance and by cosine are three different words; zero vectors; exact
    /// ties) and two random ones ranked by `ranking`.
    static func neighbourCases() -> [NeighbourCase] {
        var cases: [NeighbourCase] = []
        // Word 0 = [1, 0]. Cosines: w2 0.995, w4 0.8, w1 0.707, w3 0.555;
        // dot products: w4 20, w2 5, w1 0.9, w3 0.2; distances: w3 0.85,
        // w1 0.91, w2 4.03, w4 23.
        let spread: [[Double]] = [[1, 0], [0.9, 0.9], [5, 0.5], [0.2, -0.3], [20, 15]]
        cases.append(NeighbourCase(word: 0, vectors: spread, count: 3,
            note: "the nearest by cosine ([5, 0.5]) is neither the largest dot product ([20, 15]) nor the closest point "
                + "([0.2, −0.3])", expected: [2, 4, 1]))
        // The same vectors, the query in the middle: cosines with [5, 0.5]:
        // w0 0.995, w4 0.854, w1 0.774, w3 0.457.
        cases.append(NeighbourCase(word: 2, vectors: spread, count: 4, note: "all four others, the query in the middle",
                                   expected: [0, 4, 1, 3]))
        cases.append(NeighbourCase(word: 0, vectors: [[1, 1], [0, 0], [-1, -1], [2, 1]], count: 3,
            note: "a zero vector ranks last, even below the opposite direction (cos = −1)", expected: [3, 2, 1]))
        cases.append(NeighbourCase(word: 0, vectors: [[0, 0, 0], [1, 2, 3], [-1, 0, 0], [0, 0, 0]], count: 3,
            note: "a zero query: every similarity is −∞, so the order is by index", expected: [1, 2, 3]))
        // Word 3 = [1, 0, 0]. Cosines: w1 = w4 = 1, w0 = w5 = 0, w2 = −1,
        // w6 (zero) −∞; every one exact in floating point.
        cases.append(NeighbourCase(word: 3,
            vectors: [[0, 2, 0], [3, 0, 0], [-2, 0, 0], [1, 0, 0], [0.5, 0, 0], [0, 0, 5], [0, 0, 0]], count: 6,
            note: "equal similarities in index order", expected: [1, 4, 0, 5, 2, 6]))
        cases.append(NeighbourCase(word: 1, vectors: spread, count: 0, note: "count = 0", expected: []))
        var rng = SeededRandom(seed: 3202)
        for (n, d, count) in [(12, 5, 4), (30, 8, 10)] {
            let vectors = (0..<n).map { _ in (0..<d).map { _ in rng.normal() } }
            let word = rng.integer(below: n)
            cases.append(NeighbourCase(word: word, vectors: vectors, count: count,
                note: "\(n) random vectors of length \(d)",
                expected: Array(ranking(of: word, vectors).prefix(count))))
        }
        return cases
    }

    /// Exercise 4.2: the hand-worked and random cases, naming the mistake
    /// when the answer is the ranking by dot product or by distance, includes
    /// the word itself, or is sorted least similar first.
    public static func nearestNeighbours(_ candidate: NearestNeighbours) throws -> GradeReport {
        var report = GradeReport()
        for c in neighbourCases() {
            let got = try candidate(c.word, c.vectors, c.count)
            guard got != c.expected else { continue }
            let similarity = { (j: Int) -> Double in
                c.vectors.indices.contains(j) ? cosine(c.vectors[c.word], c.vectors[j]) : .nan
            }
            var hint = ""
            let dotRanking = Array(ranking(of: c.word, c.vectors, score: dot).prefix(c.count))
            let distanceRanking = Array(ranking(of: c.word, c.vectors) { a, b in
                -zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            }.prefix(c.count))
            let sims = got.map(similarity)
            if got.count != c.count {
                hint = " — return exactly `count` = \(c.count) indices"
            } else if got.contains(c.word) {
                hint = " — your list contains the word itself (index \(c.word)); a word is not its own neighbour"
            } else if got == dotRanking {
                hint = " — this is the ranking by dot product: divide by both lengths (‖a‖·‖b‖), or long vectors "
                    + "win just by being long"
            } else if got == distanceRanking {
                hint = " — this is the ranking by Euclidean distance; use the cosine of the angle instead"
            } else if got.count >= 2, zip(sims, sims.dropFirst()).allSatisfy({ $0 <= $1 }), sims.first! < sims.last! {
                hint = " — your list goes from least to most similar: sort by similarity descending"
            } else if Set(got) == Set(c.expected), sims == c.expected.map(similarity) {
                hint = " — equal similarities must come in index order (lower index first)"
            } else if c.vectors.contains(where: { $0.allSatisfy { $0 == 0 } }) {
                hint = " — a zero vector's cosine is 0/0 = NaN, which sorts unpredictably; give it similarity −∞"
            }
            report.check(false,
                "\(c.note): the \(c.count) nearest neighbours of word \(c.word) among "
                    + "[\(c.vectors.map(Grade.show).joined(separator: ", "))] are \(c.expected) (cosines "
                    + "\(Grade.show(c.expected.map(similarity)))), got \(got)" + hint)
        }
        return report
    }

    // MARK: 4.3 — subsampling

    /// word2vec.c's keep probability min(1, (√(f/t) + 1)·t/f), f = count/total.
    static func keepProbability(count: Int, total: Int, t: Double, clamped: Bool = true) -> Double {
        let f = Double(count) / Double(total)
        let keep = ((f / t).squareRoot() + 1) * t / f
        return clamped ? min(1, keep) : keep
    }

    /// Exercise 4.3: the written-out formula on rare words (clamped to 1),
    /// words just either side of the clamp (f/t ≈ φ² ≈ 2.618), frequent ones
    /// and a word that is the whole corpus.
    public static func keepProbability(_ candidate: KeepProbability) throws -> GradeReport {
        var report = GradeReport()
        var cases: [(count: Int, total: Int, t: Double)] = []
        for count in [1, 100, 1000, 2000, 2618, 2700, 5000, 50_000, 300_000] { cases.append((count, 1_000_000, 1e-3)) }
        // text8's size, and its count of "the".
        for count in [100, 170, 1000, 1_061_396] { cases.append((count, 17_005_207, 1e-5)) }
        cases.append((999, 1000, 1e-4))
        cases.append((1000, 1000, 1e-4))
        for (count, total, t) in cases {
            let want = keepProbability(count: count, total: total, t: t)
            let got = try candidate(count, total, t)
            guard !Grade.close([got], [want], 1e-12) else { continue }
            let f = Double(count) / Double(total)
            let paper = (t / f).squareRoot()
            let rawCount = ((Double(count) / t).squareRoot() + 1) * t / Double(count)
            var hint = ""
            if got > 1 && Grade.close([got], [keepProbability(count: count, total: total, t: t, clamped: false)], 1e-12) {
                hint = " — a probability is at most 1: clamp the formula with min(1, …)"
            } else if Grade.close([got], [paper], 1e-12) || Grade.close([got], [min(1, paper)], 1e-12) {
                hint = " — this is √(t/f), the keep probability of the paper (which discards with 1 − √(t/f)); "
                    + "word2vec.c, and this exercise, keep with (√(f/t) + 1)·t/f"
            } else if Grade.close([got], [rawCount], 1e-12) || Grade.close([got], [min(1, rawCount)], 1e-12) {
                hint = " — you used the count as f; f is the frequency count/totalWords"
            } else if count < total, got == 1 || got.isInfinite || got.isNaN {
                hint = " — did f become 0? count/totalWords with Ints is integer division: use "
                    + "Double(count)/Double(totalWords)"
            }
            report.check(false,
                "count = \(count), totalWords = \(total), t = \(t) (so f = \(show(f))): expected keep = "
                    + "min(1, (√(f/t) + 1)·t/f) = \(show(want)), got \(show(got))" + hint)
        }
        return report
    }
}
