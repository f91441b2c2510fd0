// Graders for chapter 8's exercises. Expected values come from definitions,
// never from the code being graded: the grader's own left-to-right merge and
// pair count, hand-worked sequences and a replay of BPE training whose
// merges the library's trainer must also find (8.1); the rotate-half formula
// written out, hand-worked rotations, the relative-position property and
// centered finite differences of ⟨dy, RoPE(x)⟩, with the library's
// RotaryEmbedding only as a second opinion (8.2); centered finite
// differences of Σ dy ⊙ RMSNorm(x) and the identity Σⱼ dxⱼ xⱼ = 0 at ε = 0
// (8.3). 8.4–8.6 are in the files beside this one.

import BackpropCore
import Backpropagation
import ExerciseKit
import Foundation
import TokensAndTheModernLLM

public typealias MostFrequentPair = ([Int]) throws -> (left: Int, right: Int, count: Int)?
public typealias MergePair = ([Int], Int, Int, Int) throws -> [Int]
/// (x [T][k·d], positions [T], head width d, base) → y [T][k·d]
public typealias RotaryMap = ([[Double]], [Int], Int, Double) throws -> [[Double]]
public typealias RMSNormBackward = ([[Double]], [Double], [[Double]], Double) throws -> (dx: [[Double]], dGain: [Double])

public enum Chapter08Graders {
    static func close(_ a: Double, _ b: Double, _ tol: Double) -> Bool {
        a.isFinite && abs(a - b) <= tol * max(1, abs(b))
    }

    static func show(_ xs: [Int]) -> String { "[" + xs.map(String.init).joined(separator: ", ") + "]" }

    // MARK: 8.1

    /// Every non-overlapping occurrence of (left, right), left to right, replaced by `merged`.
    static func mergeReference(_ tokens: [Int], _ left: Int, _ right: Int, _ merged: Int) -> [Int] {
        var out: [Int] = [], i = 0
        while i < tokens.count {
            if i + 1 < tokens.count, tokens[i] == left, tokens[i + 1] == right {
                out.append(merged)
                i += 2
            } else {
                out.append(tokens[i])
                i += 1
            }
        }
        return out
    }

    /// The count of every adjacent pair (each position i, i + 1 counts once).
    static func pairCounts(_ tokens: [Int]) -> [[Int]: Int] {
        var counts: [[Int]: Int] = [:]
        if tokens.count >= 2 { for i in 0..<(tokens.count - 1) { counts[[tokens[i], tokens[i + 1]], default: 0] += 1 } }
        return counts
    }

    /// The most frequent adjacent pair; ties to the smaller left id, then the smaller right id.
    static func mostFrequentReference(_ tokens: [Int]) -> (left: Int, right: Int, count: Int)? {
        let best = pairCounts(tokens).min { a, b in
            a.value != b.value ? a.value > b.value : (a.key[0] != b.key[0] ? a.key[0] < b.key[0] : a.key[1] < b.key[1])
        }
        return best.map { ($0.key[0], $0.key[1], $0.value) }
    }

    /// The first `merges` merges of byte-level BPE training on `text` as one
    /// sequence (no pre-tokenization): count, take the most frequent pair,
    /// merge it into 256 + k; stop early when no pair occurs twice.
    static func trainingReplay(_ text: String, merges: Int, mostFrequent: MostFrequentPair, merge: MergePair) throws -> [[Int]] {
        var tokens = Array(text.utf8).map(Int.init), out: [[Int]] = []
        for k in 0..<merges {
            guard let p = try mostFrequent(tokens), p.count >= 2 else { break }
            out.append([p.left, p.right, p.count])
            tokens = try merge(tokens, p.left, p.right, 256 + k)
        }
        return out
    }

    static let replayText = "a rose is a rose is a rose; aaaa bbbb abab. " + String(repeating: "the theme then there ", count: 3)

    /// Exercise 8.1: hand-worked merges (runs of one token, overlapping
    /// pairs, the pair at either end) and random sequences against the
    /// grader's own loop; hand-worked counts (overlapping pairs, both
    /// tie-breaks) and random ones; then 20 merges of BPE training replayed
    /// with the student's two functions.
    public static func bytePairMerge(mostFrequent: MostFrequentPair, merge: MergePair) throws -> GradeReport {
        var report = GradeReport()
        // Merging.
        let cases: [([Int], Int, Int, [Int], String)] = [
            ([1, 1, 1], 1, 1, [9, 1], "\"aaa\" with the pair (a, a): the left pair merges, the last a stays"),
            ([1, 1, 1, 1], 1, 1, [9, 9], "\"aaaa\" with (a, a): two merges, not three"),
            ([2, 1, 1, 1, 2], 1, 1, [2, 9, 1, 2], "a run of three inside other tokens"),
            ([1, 2, 1, 2, 1], 1, 2, [9, 9, 1], "\"ababa\" with (a, b)"),
            ([1, 2, 1, 2, 1], 2, 1, [1, 9, 9], "\"ababa\" with (b, a)"),
            ([3, 1, 2], 1, 2, [3, 9], "the pair at the end"),
            ([1, 2, 3], 1, 2, [9, 3], "the pair at the start"),
            ([1, 2], 1, 2, [9], "the pair alone"),
            ([1, 1, 2, 2], 1, 2, [1, 9, 2], "(a, b) in \"aabb\""),
            ([1, 3, 2, 2, 1], 1, 2, [1, 3, 2, 2, 1], "the pair absent (its tokens present, not adjacent in that order)"),
            ([], 1, 2, [], "no tokens"),
            ([1], 1, 1, [1], "one token"),
        ]
        for (tokens, a, b, expected, note) in cases {
            let got = try merge(tokens, a, b, 9)
            var hint = ""
            if got != expected {
                if tokens == [1, 1, 1], got == [1, 9] { hint = " — you merged from the right; BPE replaces occurrences left to right" }
                else if got.count < expected.count || (tokens == [1, 1, 1] && got == [9, 9, 1]) {
                    hint = " — after a merge, continue after the pair's second token: the two occurrences of (a, a) in \"aaa\" overlap, and only the first can be merged"
                } else if tokens.count >= 2, Array(tokens.suffix(2)) == [a, b], got.last == b {
                    hint = " — the pair at the very end was not merged (does your loop look at the last two tokens?)"
                } else if got.count == tokens.count - 1, expected.count < tokens.count - 1 {
                    hint = " — only the first occurrence was merged; every non-overlapping occurrence must be"
                }
            }
            report.check(got == expected, "mergePair(\(show(tokens)), (\(a), \(b)) → 9), \(note): expected \(show(expected)), got \(show(got))" + hint)
        }
        var rng = SeededRandom(seed: 8101)
        for trial in 0..<40 {
            let n = rng.integer(below: 30), alphabet = 2 + trial % 3
            let tokens = (0..<n).map { _ in rng.integer(below: alphabet) }
            let (a, b) = (rng.integer(below: alphabet), rng.integer(below: alphabet))
            let expected = mergeReference(tokens, a, b, 100), got = try merge(tokens, a, b, 100)
            if got != expected {
                report.check(false, "mergePair(\(show(tokens)), (\(a), \(b)) → 100): expected \(show(expected)), got \(show(got))")
                break
            }
        }
        // Counting.
        let countCases: [([Int], (Int, Int, Int)?, String)] = [
            ([], nil, "no tokens: no pair"),
            ([5], nil, "one token: no pair"),
            ([1, 1, 1], (1, 1, 2), "\"aaa\": (a, a) occurs at positions 0 and 1, count 2 (counting looks at every adjacent position, though only one can be merged)"),
            ([1, 2, 1, 2], (1, 2, 2), "\"abab\": (a, b) twice, (b, a) once"),
            ([7, 8, 1, 2, 1, 2], (1, 2, 2), "the most frequent pair is not the first one"),
            ([3, 4, 1, 2], (1, 2, 1), "a tie: the smaller left id wins"),
            ([2, 5, 9, 2, 3, 9], (2, 3, 1), "a tie with equal left ids: the smaller right id wins"),
            ([9, 8, 9, 8, 0, 1, 0, 1], (0, 1, 2), "a tie between counts of 2: the smaller left id wins, not the first seen"),
        ]
        for (tokens, expected, note) in countCases {
            let got = try mostFrequent(tokens)
            let ok = got.map { [$0.left, $0.right, $0.count] } == expected.map { [$0.0, $0.1, $0.2] }
            var hint = ""
            if !ok, tokens == [1, 1, 1], got?.count == 1 {
                hint = " — you counted non-overlapping occurrences; the trainer counts every adjacent position"
            } else if !ok, tokens == [9, 8, 9, 8, 0, 1, 0, 1], got.map({ [$0.left, $0.right] }) == [9, 8] {
                hint = " — that is the first pair seen with the top count; ties go to the smaller ids"
            } else if !ok, let g = got, let e = expected, g.count == e.2, g.left > e.0 || (g.left == e.0 && g.right > e.1) {
                hint = " — ties go to the smaller ids (left first, then right), not the larger"
            }
            report.check(ok, "mostFrequentPair(\(show(tokens))), \(note): expected \(expected.map { "(\($0.0), \($0.1)), count \($0.2)" } ?? "nil"), "
                + "got \(got.map { "(\($0.left), \($0.right)), count \($0.count)" } ?? "nil")" + hint)
        }
        for _ in 0..<30 {
            let tokens = (0..<rng.integer(below: 25)).map { _ in rng.integer(below: 4) }
            let expected = mostFrequentReference(tokens), got = try mostFrequent(tokens)
            if got.map({ [$0.left, $0.right, $0.count] }) != expected.map({ [$0.left, $0.right, $0.count] }) {
                report.check(false, "mostFrequentPair(\(show(tokens))): expected \(expected.map { "(\($0.left), \($0.right)), count \($0.count)" } ?? "nil"), "
                    + "got \(got.map { "(\($0.left), \($0.right)), count \($0.count)" } ?? "nil")")
                break
            }
        }
        guard report.passed else { return report }
        // Training, replayed: 20 merges on a short text.
        let expected = try trainingReplay(replayText, merges: 20, mostFrequent: { mostFrequentReference($0) },
                                          merge: { mergeReference($0, $1, $2, $3) })
        let got = try trainingReplay(replayText, merges: 20, mostFrequent: mostFrequent, merge: merge)
        report.check(got == expected, "20 merges of BPE training on \"\(replayText)\" with your two functions: expected the merges (left, right, count) "
            + "\(expected.map(show)), got \(got.map(show))")
        return report
    }

    // MARK: 8.2

    /// The rotate-half RoPE of each head of width d in each row, at the
    /// row's position; `sign` −1 rotates by −pθ (the backward pass). The
    /// other parameters only make the variants the hints name.
    static func ropeReference(_ x: [[Double]], _ positions: [Int], _ d: Int, _ base: Double, sign: Double = 1,
                              interleaved: Bool = false, exponentOverD: Bool = false, oneHead: Bool = false) -> [[Double]] {
        x.indices.map { t in
            let row = x[t], width = row.count, dh = oneHead ? width : d, h = dh / 2
            var y = row
            for head in 0..<(width / dh) {
                for i in 0..<h {
                    let exponent = exponentOverD ? Double(i) / Double(dh) : Double(2 * i) / Double(dh)
                    let angle = sign * Double(positions[t]) * Foundation.pow(base, -exponent)
                    let (u, v) = interleaved ? (head * dh + 2 * i, head * dh + 2 * i + 1) : (head * dh + i, head * dh + i + h)
                    y[u] = row[u] * cos(angle) - row[v] * sin(angle)
                    y[v] = row[v] * cos(angle) + row[u] * sin(angle)
                }
            }
            return y
        }
    }

    static func randomMatrix(_ rows: Int, _ cols: Int, _ rng: inout SeededRandom, scale: Double = 1) -> [[Double]] {
        (0..<rows).map { _ in (0..<cols).map { _ in rng.normal() * scale } }
    }

    static func dot(_ a: [[Double]], _ b: [[Double]]) -> Double {
        zip(a, b).reduce(0) { $0 + zip($1.0, $1.1).reduce(0) { $0 + $1.0 * $1.1 } }
    }

    struct RoPECase { let x: [[Double]]; let positions: [Int]; let d: Int; let base: Double; let note: String }

    static var ropeCases: [RoPECase] {
        var rng = SeededRandom(seed: 8201)
        return [
            RoPECase(x: [[1, 0], [1, 0], [0.5, 2]], positions: [0, 1, 3], d: 2, base: 10_000,
                     note: "d = 2 (θ₀ = 1: row t turns by its position in radians)"),
            RoPECase(x: [[1, 2, 3, 4], [1, 2, 3, 4]], positions: [0, 2], d: 4, base: 100,
                     note: "d = 4, base 100 (θ = 1 and 0.1; features 0 and 2 are a pair, 1 and 3 the other)"),
            RoPECase(x: randomMatrix(5, 16, &rng), positions: [0, 1, 2, 3, 4], d: 8, base: 10_000,
                     note: "two heads of width 8 side by side, positions 0…4"),
            RoPECase(x: randomMatrix(4, 12, &rng), positions: [7, 100, 3, 4095], d: 6, base: 500,
                     note: "two heads of width 6, base 500, positions 7, 100, 3, 4095 (not in order)"),
            RoPECase(x: randomMatrix(3, 32, &rng), positions: [5, 6, 7], d: 32, base: 10_000,
                     note: "one head of width 32, positions 5…7"),
        ]
    }

    /// Exercise 8.2: the forward pass against the formula (hand-worked and
    /// random cases), the rotation property (scores depend on m − n only),
    /// then the backward pass against centered finite differences of
    /// ⟨dy, RoPE(x)⟩ and backward(forward(x)) = x; the library's
    /// RotaryEmbedding is a second opinion on consecutive positions.
    public static func rotaryEmbedding(forward: RotaryMap, backward: RotaryMap) throws -> GradeReport {
        var report = GradeReport()
        for c in ropeCases {
            let expected = ropeReference(c.x, c.positions, c.d, c.base)
            let got = try forward(c.x, c.positions, c.d, c.base)
            guard Grade.hasShape(got, c.x.count, c.x[0].count) else {
                report.check(false, "forward, \(c.note): expected a \(Grade.shape(c.x)) result, got \(Grade.shape(got))")
                continue
            }
            var hint = ""
            if !Grade.close(got, expected, 1e-9) {
                if Grade.close(got, ropeReference(c.x, c.positions, c.d, c.base, interleaved: true), 1e-9) {
                    hint = " — you paired neighbours (2i, 2i + 1), the original paper's layout; this book (and Hugging Face's Llama) rotates halves: feature i pairs with i + d/2"
                } else if Grade.close(got, ropeReference(c.x, c.positions, c.d, c.base, exponentOverD: true), 1e-9) {
                    hint = " — θᵢ = base^(−2i/d), i < d/2: the exponent is 2i/d, not i/d"
                } else if Grade.close(got, ropeReference(c.x, c.positions, c.d, c.base, sign: -1), 1e-9) {
                    hint = " — you rotated the other way (the sign of the sines); forward is y[i] = x[i]cos − x[i + d/2]sin"
                } else if Grade.close(got, ropeReference(c.x, c.positions, c.d, c.base, oneHead: true), 1e-9) {
                    hint = " — you rotated the whole row as one head; each head of width d is rotated on its own, with its own halves"
                } else if Grade.close(got, ropeReference(c.x, c.positions.map { $0 + 1 }, c.d, c.base), 1e-9) {
                    hint = " — row t is at positions[t], not positions[t] + 1"
                } else if Grade.close(got, ropeReference(c.x, Array(c.x.indices), c.d, c.base), 1e-9) {
                    hint = " — you used the row index as the position; use positions[t]"
                }
            }
            report.check(Grade.close(got, expected, 1e-9), "forward, \(c.note): expected \(Grade.show(expected)), got \(Grade.show(got))" + hint)
        }
        guard report.passed else { return report }
        // The property RoPE exists for: ⟨RoPE(q, m), RoPE(k, n)⟩ depends on m − n only.
        var rng = SeededRandom(seed: 8202)
        let q = randomMatrix(1, 8, &rng), k = randomMatrix(1, 8, &rng)
        var scores: [Double] = []
        for shift in [0, 5, 37] {
            let rq = try forward(q, [3 + shift], 8, 10_000), rk = try forward(k, [1 + shift], 8, 10_000)
            scores.append(dot(rq, rk))
        }
        report.check(scores.allSatisfy { close($0, scores[0], 1e-9) },
                     "a query at position m and a key at n, both shifted by 0, 5 and 37: the scores must be equal (they depend on m − n only), got \(Grade.show(scores))")
        // Second opinion: the library's layer on consecutive positions.
        let x = randomMatrix(6, 16, &rng)
        let rotary = try RotaryEmbedding<Double>(headWidth: 8, positions: 20, base: 10_000, backend: .naive)
        let library = try rotary.forward(try Tensor(shape: [1, 6, 16], scalars: x.flatMap { $0 }), offset: 9).output.scalars
        let mine = try forward(x, Array(9..<15), 8, 10_000).flatMap { $0 }
        report.check(Grade.close(mine, library, 1e-9), "forward at positions 9…14 against the book's RotaryEmbedding: expected \(Grade.show(Array(library.prefix(8))))…, got \(Grade.show(Array(mine.prefix(8))))…")
        // Backward: finite differences of ⟨dy, RoPE(x)⟩ (the grader's forward), and the inverse.
        for c in ropeCases {
            let dy = randomMatrix(c.x.count, c.x[0].count, &rng)
            let got = try backward(dy, c.positions, c.d, c.base)
            let h = 1e-6
            var numeric = c.x
            for t in c.x.indices {
                for j in c.x[t].indices {
                    var plus = c.x, minus = c.x
                    plus[t][j] += h
                    minus[t][j] -= h
                    numeric[t][j] = (dot(dy, ropeReference(plus, c.positions, c.d, c.base)) - dot(dy, ropeReference(minus, c.positions, c.d, c.base))) / (2 * h)
                }
            }
            var hint = ""
            if Grade.hasShape(got, dy.count, dy[0].count), !Grade.close(got, numeric, 1e-6) {
                if Grade.close(got, ropeReference(dy, c.positions, c.d, c.base), 1e-9) {
                    hint = " — that is the forward rotation again; the backward pass multiplies by the transpose, the rotation by −pθ"
                } else if Grade.close(got, dy, 1e-12) {
                    hint = " — you returned dy; RoPE is not the identity, its gradient is the inverse rotation of dy"
                }
            }
            report.check(Grade.hasShape(got, dy.count, dy[0].count) && Grade.close(got, numeric, 1e-6),
                         "backward, \(c.note): expected dx ≈ \(Grade.show(numeric)) (centered finite differences of ⟨dy, RoPE(x)⟩), got \(Grade.show(got))" + hint)
        }
        guard report.passed else { return report }
        let roundTrip = try backward(try forward(x, Array(0..<6), 8, 10_000), Array(0..<6), 8, 10_000)
        report.check(Grade.close(roundTrip, x, 1e-12), "backward(forward(x)) must give x back (a rotation's transpose is its inverse), got \(Grade.show(roundTrip[0]))… for \(Grade.show(x[0]))…")
        let dy = randomMatrix(6, 16, &rng)
        let (_, cache) = try rotary.forward(try Tensor(shape: [1, 6, 16], scalars: x.flatMap { $0 }), offset: 9)
        let libraryDx = try rotary.backward(try Tensor(shape: [1, 6, 16], scalars: dy.flatMap { $0 }), cache: cache).scalars
        let mineDx = try backward(dy, Array(9..<15), 8, 10_000).flatMap { $0 }
        report.check(Grade.close(mineDx, libraryDx, 1e-9), "backward at positions 9…14 against the book's RotaryEmbedding: expected \(Grade.show(Array(libraryDx.prefix(8))))…, got \(Grade.show(Array(mineDx.prefix(8))))…")
        return report
    }

    // MARK: 8.3

    /// y = g ⊙ x / √(mean x² + ε), row by row.
    static func rmsNormReference(_ x: [[Double]], _ gain: [Double], _ eps: Double) -> [[Double]] {
        x.map { row in
            let r = 1 / (row.reduce(0) { $0 + $1 * $1 } / Double(row.count) + eps).squareRoot()
            return row.indices.map { gain[$0] * row[$0] * r }
        }
    }

    /// Wrong backward passes, to name a mistake (never the expected values).
    enum RMSNormMistake: CaseIterable {
        case constantR, layerNormMean, sumInsteadOfMean, epsilonOutside, gainMean, xInsteadOfXHat
        var hint: String {
            switch self {
            case .constantR: return " — you treated r = 1/rms as a constant (dx = r·g ⊙ dy); r depends on every x in the row"
            case .layerNormMean: return " — that is LayerNorm's gradient (with its − mean term); RMSNorm subtracts no mean, so that term is absent"
            case .sumInsteadOfMean: return " — the correction term uses the mean (1/C)Σₖ aₖ x̂ₖ, not the sum"
            case .epsilonOutside: return " — ε goes inside the square root: r = 1/√(mean x² + ε), not 1/(√(mean x²) + ε)"
            case .gainMean: return " — dg sums over the rows; it is not a mean"
            case .xInsteadOfXHat: return " — the correction multiplies by x̂ = x·r (the normalised row), not by x"
            }
        }
    }

    static func rmsNormVariant(_ x: [[Double]], _ gain: [Double], _ dy: [[Double]], _ eps: Double, _ m: RMSNormMistake) -> (dx: [[Double]], dGain: [Double]) {
        let c = Double(gain.count)
        var dGain = [Double](repeating: 0, count: gain.count)
        let dx: [[Double]] = x.indices.map { i in
            let row = x[i], ms = row.reduce(0) { $0 + $1 * $1 } / c
            let r = m == .epsilonOutside ? 1 / (ms.squareRoot() + eps) : 1 / (ms + eps).squareRoot()
            let xhat = row.map { $0 * r }
            for j in row.indices { dGain[j] += dy[i][j] * xhat[j] }
            let a = row.indices.map { dy[i][$0] * gain[$0] }
            let dotAX = zip(a, m == .xInsteadOfXHat ? row : xhat).reduce(0) { $0 + $1.0 * $1.1 }
            let meanAX = m == .sumInsteadOfMean ? dotAX : dotAX / c
            let meanA = a.reduce(0, +) / c
            return row.indices.map { j in
                let xj = m == .xInsteadOfXHat ? row[j] : xhat[j]
                switch m {
                case .constantR: return r * a[j]
                case .layerNormMean: return r * (a[j] - meanA - xhat[j] * meanAX)
                default: return r * (a[j] - xj * meanAX)
                }
            }
        }
        return (dx, m == .gainMean ? dGain.map { $0 / Double(x.count) } : dGain)
    }

    /// Exercise 8.3: dx and dg against centered finite differences of
    /// L = Σ dy ⊙ RMSNorm(x) (h = 10⁻⁶), on rows of ordinary, tiny and large
    /// values, ε from 0 to 0.1 and a row of width 1; Σⱼ dxⱼ xⱼ = 0 for every
    /// row when ε = 0; and the library's RMSNorm as a second opinion.
    public static func rmsNormBackward(_ candidate: RMSNormBackward) throws -> GradeReport {
        var report = GradeReport()
        var rng = SeededRandom(seed: 8301)
        struct Case { let x: [[Double]]; let gain: [Double]; let eps: Double; let note: String }
        let cases: [Case] = [
            Case(x: randomMatrix(3, 5, &rng), gain: (0..<5).map { _ in rng.uniform(0.5, 1.5) }, eps: 1e-5, note: "3 rows of 5, ε = 10⁻⁵"),
            Case(x: randomMatrix(4, 7, &rng, scale: 2), gain: (0..<7).map { _ in rng.normal() }, eps: 0.1, note: "4 rows of 7, ε = 0.1"),
            Case(x: randomMatrix(2, 6, &rng, scale: 0.01), gain: (0..<6).map { _ in rng.uniform(0.5, 1.5) }, eps: 1e-3,
                 note: "rows of values near 0.01 with ε = 10⁻³ (ε matters)"),
            Case(x: randomMatrix(2, 4, &rng, scale: 30), gain: (0..<4).map { _ in rng.uniform(0.5, 1.5) }, eps: 1e-5, note: "rows of values near 30"),
            Case(x: [[0.7], [-1.3]], gain: [1.5], eps: 0.2, note: "rows of width 1"),
            Case(x: randomMatrix(3, 5, &rng), gain: (0..<5).map { _ in rng.uniform(0.5, 1.5) }, eps: 0, note: "ε = 0"),
        ]
        for c in cases {
            let dy = randomMatrix(c.x.count, c.gain.count, &rng)
            let got = try candidate(c.x, c.gain, dy, c.eps)
            let loss = { (x: [[Double]], g: [Double]) in dot(dy, rmsNormReference(x, g, c.eps)) }
            let h = 1e-6 * max(1, c.x.flatMap { $0 }.map(abs).max()! / 10)
            var numericX = c.x
            for i in c.x.indices {
                for j in c.x[i].indices {
                    var plus = c.x, minus = c.x
                    plus[i][j] += h
                    minus[i][j] -= h
                    numericX[i][j] = (loss(plus, c.gain) - loss(minus, c.gain)) / (2 * h)
                }
            }
            let numericG = c.gain.indices.map { j -> Double in
                var plus = c.gain, minus = c.gain
                plus[j] += 1e-6
                minus[j] -= 1e-6
                return (loss(c.x, plus) - loss(c.x, minus)) / 2e-6
            }
            let okX = Grade.hasShape(got.dx, c.x.count, c.gain.count) && Grade.close(got.dx, numericX, 1e-5)
            let okG = got.dGain.count == c.gain.count && Grade.close(got.dGain, numericG, 1e-6)
            var hint = ""
            if !(okX && okG) {
                for m in RMSNormMistake.allCases {
                    let v = rmsNormVariant(c.x, c.gain, dy, c.eps, m)
                    if Grade.hasShape(got.dx, c.x.count, c.gain.count), Grade.close(got.dx, v.dx, 1e-9), Grade.close(got.dGain, v.dGain, 1e-9),
                       !(Grade.close(v.dx, numericX, 1e-5) && Grade.close(v.dGain, numericG, 1e-6)) {
                        hint = m.hint
                        break
                    }
                }
            }
            report.check(okX, "\(c.note): expected dx ≈ \(Grade.show(numericX)) (centered finite differences of Σ dy ⊙ RMSNorm(x)), got \(Grade.show(got.dx))" + hint)
            report.check(okG, "\(c.note): expected dg ≈ \(Grade.show(numericG)), got \(Grade.show(got.dGain))" + hint)
            if c.eps == 0, okX {
                let along = got.dx.indices.map { i in zip(got.dx[i], c.x[i]).reduce(0) { $0 + $1.0 * $1.1 } }
                report.check(along.allSatisfy { abs($0) < 1e-9 }, "ε = 0: each row of dx must be orthogonal to its row of x (scaling a row leaves RMSNorm unchanged), got Σⱼ dxⱼ xⱼ = \(Grade.show(along))")
            }
        }
        guard report.passed else { return report }
        // Second opinion: the library's layer.
        let x = randomMatrix(5, 8, &rng), dy = randomMatrix(5, 8, &rng), gain = (0..<8).map { _ in rng.uniform(0.5, 1.5) }
        let norm = try RMSNorm<Double>(width: 8, epsilon: 1e-5, backend: .naive)
        norm.gain.value = try Tensor(shape: [8], scalars: gain)
        let (_, cache) = try norm.forward(try Tensor(shape: [5, 8], scalars: x.flatMap { $0 }), mode: .training)
        let dx = try norm.backward(try Tensor(shape: [5, 8], scalars: dy.flatMap { $0 }), cache: cache).scalars
        let got = try candidate(x, gain, dy, 1e-5)
        report.check(Grade.close(got.dx.flatMap { $0 }, dx, 1e-9) && Grade.close(got.dGain, norm.gain.grad.scalars, 1e-9),
                     "5 rows of 8 against the book's RMSNorm: expected dg \(Grade.show(norm.gain.grad.scalars)), got \(Grade.show(got.dGain))")
        return report
    }
}
