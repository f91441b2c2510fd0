// Grader of exercise 9.9 (int8 quantization and its error bound).
//
// Quantization is checked against the definition, computed here: scales to
// a few ulps of max|w| / 127, levels exactly (ties built exactly, with power-
// of-two scales, so every way of writing w / s gives the same quotient; on
// random rows a level may differ by one only where w / s is within 10⁻⁴ of
// a half-integer, where the order of float operations decides). The bound is
// checked against the true error |Σ (w_i − s q_i) x_i|, computed in Double
// from the reference levels (each product of two floats is exact there), on
// random, adversarial and worst-case rows and inputs; and on the worst case
// it must also be nearly attained.

import BackpropCore
import ExerciseKit

public typealias QuantizeInt8 = ([[Float]]) throws -> (scales: [Float], levels: [[Int8]])
public typealias DequantizeInt8 = ([Float], [[Int8]]) throws -> [[Float]]
public typealias Int8ErrorBound = ([Float], [Float]) throws -> Float

extension Chapter09Graders {
    /// The definition, with a divisor other than 127 or another rounding rule for hints.
    static func quantizeReference(_ weights: [[Float]], divisor: Float = 127,
                                  rule: FloatingPointRoundingRule = .toNearestOrAwayFromZero) -> (scales: [Float], levels: [[Int8]])
    {
        var scales: [Float] = [], levels: [[Int8]] = []
        for row in weights {
            let largest = row.reduce(Float(0)) { max($0, abs($1)) }
            let s = largest > 0 ? largest / divisor : 0
            scales.append(s)
            levels.append(row.map { s > 0 ? Int8(min(127, max(-127, ($0 / s).rounded(rule)))) : 0 })
        }
        return (scales, levels)
    }

    static func powerOfTwo(_ e: Int) -> Float { Float(sign: .plus, exponent: e, significand: 1) }

    struct QuantizationCase {
        var weights: [[Float]]
        var why: String
        /// Every quotient w / s is exact, so every level must match.
        var exact = false
    }

    static var quantizationCases: [QuantizationCase] {
        let s = powerOfTwo(-7)
        let ties: [Float] = [127, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 126.5, -126.5, 0, 63, -64.5].map { $0 * s }
        var rng = SeededRandom(seed: 9909)
        let random = (0..<16).map { _ in (0..<64).map { _ in Float(rng.normal() * 0.1) } }
        return [
            QuantizationCase(weights: [ties], why: "a row of ties (scale 2⁻⁷, so w / s = 0.5, −0.5, 1.5, …, 126.5 exactly): "
                + "halfway cases round away from zero", exact: true),
            QuantizationCase(weights: [[-4, 1, 0.3, -0.0, 2]], why: "a row whose largest weight is negative"),
            QuantizationCase(weights: [[1000, -1, 0.5, 2], [0.001, 0.002, -0.0005, 0.0001]],
                             why: "two rows of very different sizes (each row has its own scale)"),
            QuantizationCase(weights: [[0, 0, 0, 0], [3, -1, 0, 2]], why: "a row of zeros (scale 0, levels 0)", exact: true),
            QuantizationCase(weights: [[5], [-2], [0]], why: "a single column", exact: true),
            QuantizationCase(weights: [[1e-20, -3e-20, 2e-21], [3e30, -1e30, 5e29]], why: "tiny and huge weights"),
            QuantizationCase(weights: random, why: "a random 16 × 64 matrix (normal, σ = 0.1, seed 9909)"),
            QuantizationCase(weights: [], why: "an empty matrix (no rows)", exact: true),
        ]
    }

    static func showRow(_ xs: [Float]) -> String {
        "[" + xs.prefix(12).map { "\($0)" }.joined(separator: ", ") + (xs.count > 12 ? ", … (\(xs.count))" : "") + "]"
    }

    /// Checks scales and levels of one case; one failure message at most.
    static func checkQuantization(_ c: QuantizationCase, _ quantize: QuantizeInt8, _ report: inout GradeReport) throws {
        let want = quantizeReference(c.weights)
        let got = try quantize(c.weights)
        let setting = "quantizeInt8, \(c.why)"
        guard got.scales.count == c.weights.count, got.levels.count == c.weights.count,
              zip(got.levels, c.weights).allSatisfy({ $0.count == $1.count })
        else {
            return report.check(false, "\(setting): expected \(c.weights.count) scales and levels of shape "
                + "\(c.weights.map(\.count)), got \(got.scales.count) scales and levels of shape \(got.levels.map(\.count))")
        }
        for (j, row) in c.weights.enumerated() {
            let s = want.scales[j], gs = got.scales[j], largest = row.reduce(Float(0)) { max($0, abs($1)) }
            if s == 0 {
                guard gs == 0 else {
                    return report.check(false, "\(setting): row \(j) is all zeros, so its scale is max|w| / 127 = 0, got \(gs)"
                        + " — no weight needs a level but 0; guard the division instead of changing the scale")
                }
            } else if !(abs(gs - s) <= 4 * s.ulp) {
                var hint = ""
                let matrixLargest = c.weights.joined().reduce(Float(0)) { max($0, abs($1)) }
                for (d, why) in [(Float(128), "128"), (255, "255"), (127.5, "127.5"), (254, "254")] where abs(gs - largest / d) <= 4 * s.ulp {
                    hint = " — that is max|w| / \(why); the levels are −127 … 127, so the largest weight maps to 127: divide by 127"
                }
                if hint.isEmpty && c.weights.count > 1 && abs(gs - matrixLargest / 127) <= 4 * (matrixLargest / 127).ulp {
                    hint = " — one scale for the whole matrix; each row (output channel) gets its own, from its own largest weight"
                }
                return report.check(false, "\(setting): row \(j) \(showRow(row)) has scale max|w| / 127 = \(s), got \(gs)" + hint)
            }
            for (i, w) in row.enumerated() {
                let q = want.levels[j][i], gq = got.levels[j][i]
                if gq == -128 {
                    return report.check(false, "\(setting): row \(j), weight \(w): got the level −128, which symmetric "
                        + "quantization never uses (levels −127 … 127)")
                }
                if gq == q { continue }
                let t = s > 0 ? abs(Double(w) / Double(s)) : 0
                let nearTie = abs(t - t.rounded(.down) - 0.5) < 1e-4
                if !c.exact && nearTie && abs(Int(gq) - Int(q)) == 1 { continue }
                // Name the rule the whole row follows, if it is a known wrong one.
                let rules: [(FloatingPointRoundingRule, String)] = [
                    (.towardZero, " — that is truncation toward zero; round to the nearest integer"),
                    (.toNearestOrEven, " — halfway cases round away from zero here (Swift's .rounded()), not to even"),
                    (.down, " — that is rounding down (floor); round to the nearest integer, halfway cases away from zero"),
                ]
                var hint = rules.first { quantizeReference([row], rule: $0.0).levels[0] == got.levels[j] }?.1 ?? ""
                if hint.isEmpty && gq == -q { hint = " — the sign is lost: the level has the sign of its weight" }
                return report.check(false, "\(setting): row \(j), weight \(i) = \(w) (w / s = \(Float(w / s))): expected the "
                    + "level \(q), got \(gq)" + hint)
            }
        }
    }

    /// ŵ = s · q exactly (one float product per weight).
    static func checkDequantization(_ dequantize: DequantizeInt8, _ report: inout GradeReport) throws {
        for c in quantizationCases {
            let (scales, levels) = quantizeReference(c.weights)
            let want = zip(scales, levels).map { s, q in q.map { s * Float($0) } }
            let got = try dequantize(scales, levels)
            guard got.count == want.count, zip(got, want).allSatisfy({ $0.count == $1.count }) else {
                return report.check(false, "dequantizeInt8 for \(c.why): expected rows of lengths \(want.map(\.count)), got "
                    + "\(got.map(\.count))")
            }
            for j in want.indices {
                guard let i = want[j].indices.first(where: { !(got[j][$0] == want[j][$0]) }) else { continue }
                var hint = ""
                if got[j][i] == Float(levels[j][i]) / scales[j] { hint = " — ŵ = s · q: multiply by the scale, do not divide" }
                else if got[j][i] == Float(levels[j][i]) { hint = " — the scale is missing: ŵ = s · q" }
                return report.check(false, "dequantizeInt8 for \(c.why): row \(j), level \(levels[j][i]) with scale "
                    + "\(scales[j]): expected \(want[j][i]), got \(got[j][i])" + hint)
            }
        }
    }

    struct BoundCase {
        var row: [Float]
        var x: [Float]
        var why: String
        /// The errors all add up: the true error must reach 99.9% of the bound.
        var worst = false
    }

    /// A row whose weights all sit halfway between levels (power-of-two scale
    /// s = 2^e, so every quotient is exact), one largest weight ±127 s that
    /// cannot err, and x with the sign of each error; x at the largest weight
    /// is tiny, so the true error is within 10⁻⁴/n of (s/2)‖x‖₁.
    static func worstCase(n: Int, exponent e: Int, _ rng: inout SeededRandom) -> (row: [Float], x: [Float]) {
        let s = powerOfTwo(e), m = rng.integer(below: n)
        var row = [Float](), x = [Float]()
        for i in 0..<n {
            let sign: Float = rng.integer(below: 2) == 0 ? 1 : -1
            if i == m {
                row.append(sign * 127 * s)
                x.append(1e-4)
            } else {
                row.append(sign * (Float(rng.integer(below: 126)) + 0.5) * s)
                x.append(-sign * Float(0.5 + rng.uniform()))   // w − s q = −sign · s/2: x pushes the same way
            }
        }
        return (row, x)
    }

    static var boundCases: [BoundCase] {
        var rng = SeededRandom(seed: 9910)
        var cases: [BoundCase] = []
        for (n, e) in [(2, -7), (8, -3), (64, -7), (256, 4), (33, -20)] {
            let w = worstCase(n: n, exponent: e, &rng)
            cases.append(BoundCase(row: w.row, x: w.x, why: "a worst case (n = \(n), s = 2^\(e), every weight halfway "
                + "between two levels, x with the sign of each error)", worst: true))
        }
        for n in [1, 2, 7, 64, 256] {
            let row = (0..<n).map { _ in Float(rng.normal()) }, x = (0..<n).map { _ in Float(rng.normal() * 3) }
            cases.append(BoundCase(row: row, x: x, why: "a random row and x (n = \(n))"))
        }
        // Near-ties at a scale that is not a power of two: the float quotient decides the level.
        let s = Float(0.37) / 127
        let nearTies = (0..<40).map { k in Float(k % 2 == 0 ? 1 : -1) * (Float(k) + 0.5) * s } + [0.37]
        let q = quantizeReference([nearTies]).levels[0]
        cases.append(BoundCase(row: nearTies, x: zip(nearTies, q).map { w, l -> Float in Double(w) - Double(s) * Double(l) >= 0 ? 1 : -1 },
                               why: "weights within rounding of halfway (scale 0.37 / 127), x with the sign of each error"))
        let spike = (0..<16).map { _ in Float(rng.normal()) }
        let spikeQ = quantizeReference([spike])
        var spikeX = [Float](repeating: 1e-6, count: 16)
        let worstI = spike.indices.max { a, b in
            abs(Double(spike[a]) - Double(spikeQ.scales[0]) * Double(spikeQ.levels[0][a]))
                < abs(Double(spike[b]) - Double(spikeQ.scales[0]) * Double(spikeQ.levels[0][b]))
        }!
        spikeX[worstI] = 1e6
        cases.append(BoundCase(row: spike, x: spikeX, why: "x with one huge entry, at the weight that errs most"))
        cases.append(BoundCase(row: [0, 0, 0], x: [1, -2, 3], why: "a row of zeros (quantized exactly)"))
        cases.append(BoundCase(row: [0.5, -1, 0.25], x: [0, 0, 0], why: "x = 0"))
        return cases
    }

    /// |Σ (w_i − s q_i) x_i| in Double with the reference levels: exact products, a Double sum.
    static func trueError(_ row: [Float], _ x: [Float]) -> Double {
        let (scales, levels) = quantizeReference([row])
        let s = Double(scales[0])
        return abs(zip(zip(row, levels[0]), x).reduce(0.0) { $0 + (Double($1.0.0) - s * Double($1.0.1)) * Double($1.1) })
    }

    static func checkBound(_ bound: Int8ErrorBound, _ report: inout GradeReport) throws {
        var rng = SeededRandom(seed: 9911)
        let before = report.failures.count
        for c in boundCases where report.failures.count < before + 3 {
            let b = try bound(c.x, c.row)
            let e = trueError(c.row, c.x)
            let s = Double(quantizeReference([c.row]).scales[0])
            let l1 = c.x.reduce(0.0) { $0 + abs(Double($1)) }
            let setting = "int8ErrorBound, \(c.why): row \(showRow(c.row)), x \(showRow(c.x)), scale s = \(Float(s))"
            guard b.isFinite && b >= 0 else {
                report.check(false, "\(setting): a bound is a finite number ≥ 0, got \(b)")
                continue
            }
            if s == 0 {
                report.check(b == 0, "\(setting): every weight is exactly 0 = s · 0, so the bound is 0, got \(b)")
                continue
            }
            if Double(b) < e * (1 - 1e-4) {
                var hint = ""
                let l2 = c.x.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
                let sum = abs(c.x.reduce(0.0) { $0 + Double($1) })
                if abs(Double(b) - s / 2 * l2) <= 1e-4 * s * l2 {
                    hint = " — that is (s/2)·‖x‖₂; the errors can all push the same way, so they add up with |x_i|: ‖x‖₁"
                } else if abs(Double(b) - s / 2 * sum) <= 1e-4 * s * l1 {
                    hint = " — that is (s/2)·|Σ x_i|; the errors' signs can match the inputs' signs, so take |x_i| inside the sum"
                } else if abs(Double(b) - s / 2 * l1 / Double(c.x.count).squareRoot()) <= 1e-4 * s * l1 {
                    hint = " — random errors grow like √n, but a bound must hold for every sign pattern: no √n"
                } else if abs(Double(b) - s / 4 * l1) <= 1e-4 * s * l1 {
                    hint = " — that is (s/4)·‖x‖₁: rounding moves w / s by up to 1/2, so a weight by up to s/2"
                }
                report.check(false, "\(setting): the true error |y − ŷ| is \(e), above your bound \(b)" + hint)
                continue
            }
            if c.worst {
                if e < Double(b) * 0.999 {
                    var hint = ""
                    if abs(Double(b) - s * l1) <= 1e-3 * s * l1 { hint = " — rounding to the nearest level errs by at most half a step: s/2, not s" }
                    report.check(false, "\(setting): the true error is \(e), only \(String(format: "%.4f", e / Double(b))) "
                        + "of your bound \(b); here every error is as large as it can be, so a tight bound is (nearly) reached"
                        + hint)
                    continue
                }
                // The same scale, the same length, a row that sits exactly on its levels: the same bound.
                let s32 = Float(s)
                var onLevels = c.row.map { _ in Float(rng.integer(below: 255) - 127) * s32 }
                onLevels[c.row.firstIndex { abs($0) == 127 * s32 }!] = 127 * s32
                let other = try bound(c.x, onLevels)
                report.check(abs(other - b) <= 1e-5 * b, "\(setting): your bound is \(b) for this row but \(other) for "
                    + "another row of the same scale and length, \(showRow(onLevels)) — the bound depends on the row only "
                    + "through its scale: it bounds every row of that scale, it does not measure this row's error")
            }
        }
    }

    /// Runs one part; a part still throwing NotAttempted is named, not graded.
    static func part(_ name: String, _ report: inout GradeReport, _ missing: inout [String], _ body: (inout GradeReport) throws -> Void) throws {
        do { try body(&report) } catch is NotAttempted { missing.append(name) }
    }

    /// Exercise 9.9: quantization against the definition, dequantization,
    /// and the bound (valid everywhere, nearly attained on worst cases).
    /// Not attempted while all three parts throw NotAttempted.
    public static func int8Quantization(quantize: QuantizeInt8, dequantize: DequantizeInt8, bound: Int8ErrorBound) throws
        -> GradeReport
    {
        var report = GradeReport(), missing: [String] = []
        try part("quantizeInt8", &report, &missing) { r in
            for c in quantizationCases where r.failures.count < 3 { try checkQuantization(c, quantize, &r) }
        }
        try part("dequantizeInt8", &report, &missing) { r in try checkDequantization(dequantize, &r) }
        try part("int8ErrorBound", &report, &missing) { r in try checkBound(bound, &r) }
        if missing.count == 3 { throw NotAttempted("int8Quantization") }
        for name in missing { report.check(false, "\(name) is not attempted yet (it still throws NotAttempted)") }
        return report
    }
}
