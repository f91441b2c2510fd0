// Exercise 9.9's grader accepts the reference solution, its definition and
// its worst case are right by hand, and it rejects typical wrong scales,
// roundings, dequantizations and bounds, each with the hint that names the
// mistake.

#if canImport(Solutions09)
import BackpropCore
import ExerciseKit
@testable import Graders09
import Solutions09
import Testing

@Suite struct Chapter09Int8GraderSelfTests {
    static var quantize: QuantizeInt8 { { try Solutions09.quantizeInt8($0) } }
    static var dequantize: DequantizeInt8 { { try Solutions09.dequantizeInt8(scales: $0, levels: $1) } }
    static var bound: Int8ErrorBound { { try Solutions09.int8ErrorBound(x: $0, row: $1) } }

    @Test func int8GraderAcceptsTheSolution() throws {
        let report = try Chapter09Graders.int8Quantization(quantize: Self.quantize, dequantize: Self.dequantize, bound: Self.bound)
        #expect(report.passed, "\(report.failures)")
    }

    /// The ties row by hand: 2⁻⁷ · [127, 0.5, −0.5, 1.5, −1.5, 2.5, −2.5, 126.5, −126.5, 0, 63, −64.5].
    @Test func referenceRoundsTiesAwayFromZero() {
        let tie = Chapter09Graders.quantizationCases[0].weights
        let (scales, levels) = Chapter09Graders.quantizeReference(tie)
        #expect(scales == [Chapter09Graders.powerOfTwo(-7)])
        #expect(levels == [[127, 1, -1, 2, -2, 3, -3, 127, -127, 0, 63, -65]])
        #expect(Chapter09Graders.quantizeReference([[0, 0]]) == ([0], [[0, 0]]))
    }

    /// The worst case reaches (s/2)‖x‖₁ up to the tiny x at the largest weight.
    @Test func worstCaseNearlyAttainsTheBound() {
        var rng = SeededRandom(seed: 1)
        for (n, e) in [(2, -7), (64, 0), (256, 5)] {
            let (row, x) = Chapter09Graders.worstCase(n: n, exponent: e, &rng)
            let s = Double(Chapter09Graders.powerOfTwo(e))
            let bound = s / 2 * x.reduce(0) { $0 + abs(Double($1)) }
            let error = Chapter09Graders.trueError(row, x)
            #expect(error <= bound && error >= bound * (1 - 1e-3), "n = \(n): \(error) against \(bound)")
        }
    }

    @Test func notAttemptedUntilAPartIsWritten() throws {
        let stub: QuantizeInt8 = { _ in throw NotAttempted() }
        #expect(throws: NotAttempted.self) {
            try Chapter09Graders.int8Quantization(quantize: stub, dequantize: { _, _ in throw NotAttempted() },
                                                  bound: { _, _ in throw NotAttempted() })
        }
        let partial = try Chapter09Graders.int8Quantization(quantize: Self.quantize, dequantize: Self.dequantize,
                                                            bound: { _, _ in throw NotAttempted() })
        #expect(partial.failures == ["int8ErrorBound is not attempted yet (it still throws NotAttempted)"])
    }

    @Test("the int8 grader rejects broken quantizers and says why", arguments: [
        ("scale max|w| / 128", 0, "divide by 127"),
        ("scale max|w| / 255", 1, "max|w| / 255"),
        ("truncation instead of rounding", 2, "truncation"),
        ("ties to even", 3, "not to even"),
        ("one scale for the whole matrix", 4, "its own"),
        ("a row of zeros gets scale 1", 5, "guard the division"),
        ("floor instead of rounding", 6, "floor"),
    ])
    func int8GraderRejectsQuantizers(name: String, variant: Int, hint: String) throws {
        let broken: QuantizeInt8 = { w in
            switch variant {
            case 0: return Chapter09Graders.quantizeReference(w, divisor: 128)
            case 1: return Chapter09Graders.quantizeReference(w, divisor: 255)
            case 2: return Chapter09Graders.quantizeReference(w, rule: .towardZero)
            case 3: return Chapter09Graders.quantizeReference(w, rule: .toNearestOrEven)
            case 4:
                let largest = w.joined().reduce(Float(0)) { max($0, abs($1)) }, s = largest / 127
                return (w.map { _ in s }, w.map { row in row.map { s > 0 ? Int8(($0 / s).rounded()) : 0 } })
            case 5:
                let (s, q) = Chapter09Graders.quantizeReference(w)
                return (s.map { $0 == 0 ? 1 : $0 }, q)
            default: return Chapter09Graders.quantizeReference(w, rule: .down)
            }
        }
        let report = try Chapter09Graders.int8Quantization(quantize: broken, dequantize: Self.dequantize, bound: Self.bound)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }

    @Test("the int8 grader rejects broken dequantizers and bounds and says why", arguments: [
        ("dequantize divides by the scale", 0, "do not divide"),
        ("dequantize forgets the scale", 1, "the scale is missing"),
        ("a bound without the 1/2", 2, "s/2, not s"),
        ("a bound with ‖x‖₂", 3, "‖x‖₂"),
        ("a bound with |Σ x_i|", 4, "inside the sum"),
        ("a bound with a √n", 5, "no √n"),
        ("the error measured instead of bounded", 6, "does not measure"),
        ("a bound of s/4 per weight", 7, "up to s/2"),
    ])
    func int8GraderRejectsDequantizersAndBounds(name: String, variant: Int, hint: String) throws {
        var dequantize = Self.dequantize, bound = Self.bound
        func scale(_ row: [Float]) -> Float { row.reduce(Float(0)) { max($0, abs($1)) } / 127 }
        switch variant {
        case 0: dequantize = { s, q in zip(s, q).map { s, q in q.map { Float($0) / s } } }
        case 1: dequantize = { _, q in q.map { $0.map { Float($0) } } }
        case 2: bound = { x, row in scale(row) * x.reduce(0) { $0 + abs($1) } }
        case 3: bound = { x, row in scale(row) / 2 * x.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        case 4: bound = { x, row in scale(row) / 2 * abs(x.reduce(0, +)) }
        case 5: bound = { x, row in scale(row) / 2 * x.reduce(0) { $0 + abs($1) } / Float(x.count).squareRoot() }
        case 6: bound = { x, row in Float(Chapter09Graders.trueError(row, x)) }
        default: bound = { x, row in scale(row) / 4 * x.reduce(0) { $0 + abs($1) } }
        }
        let report = try Chapter09Graders.int8Quantization(quantize: Self.quantize, dequantize: dequantize, bound: bound)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }
}
#endif
