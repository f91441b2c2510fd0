// The grader of exercise 6.8 (measure the vanishing gradient) is tested
// too: its own norms agree with centered finite differences and with the
// book's RecurrentLayer (the probe behind the chapter's figure); it accepts
// the reference solution and rejects broken measurements, saying why.
// Skipped when an instructor has removed exercises/solutions/06-recurrent-networks.

#if canImport(Solutions06)
import BackpropCore
import ExerciseKit
import Foundation
@testable import Graders06
import RecurrentNetworks
import Solutions06
import Testing

@Suite struct Chapter06GradientNormsSelfTests {
    @Test func normsGraderAcceptsTheSolution() throws {
        let report = try Chapter06Graders.gradientNormsThroughTime(Solutions06.gradientNormsThroughTime)
        #expect(report.passed, "\(report.failures)")
    }

    /// The grader's norms are the book's: RecurrentLayer's BPTT reports
    /// ∂L/∂h_t for t = T … 1 and returns ∂L/∂h₀.
    @Test func gradersNormsAreTheLibrarys() throws {
        for c in Chapter06Graders.normsCases {
            let (hidden, inputs, steps) = (c.h0.count, c.xs[0].count, c.xs.count)
            let layer = try RecurrentLayer<Double>(
                .rnn, weightIH: Tensor(shape: [hidden, inputs], scalars: c.wih.flatMap { $0 }),
                weightHH: Tensor(shape: [hidden, hidden], scalars: c.whh.flatMap { $0 }),
                biasIH: Tensor(shape: [hidden], scalars: c.b), biasHH: Tensor(shape: [hidden], repeating: 0), backend: .naive)
            let cache = try layer.forwardTimeMajor(c.xs.flatMap { $0 }, batch: 1, h0: c.h0)
            var norms = [Double](repeating: 0, count: steps + 1)
            let g = try layer.backwardTimeMajor(nil, dFinalH: c.dhT, cache: cache) { t, dh in
                norms[steps - t] = dh.map { $0 * $0 }.reduce(0, +).squareRoot()
            }
            norms[steps] = g.dh0.map { $0 * $0 }.reduce(0, +).squareRoot()
            let mine = c.expected ?? Chapter06Graders.normsVariant(c, nil)
            for (a, b) in zip(norms, mine) { #expect(abs(a - b) <= 1e-12 * b, "\(c.note): \(norms) vs \(mine)") }
        }
    }

    /// ‖∂L/∂h₀‖ by centered finite differences of L = ⟨dhT, h_T⟩ where it is not tiny.
    @Test func gradersNormsAgreeWithFiniteDifferences() throws {
        for c in Chapter06Graders.normsCases where c.xs.count <= 5 {
            let numeric = GradientCheck.numericalGradient(of: { h0 in
                zip(c.dhT, Chapter06Graders.unroll(c.xs, h0.scalars, c.wih, c.whh, c.b).last!).map { $0 * $1 }.reduce(0, +)
            }, at: Tensor(c.h0)).scalars
            let norm = numeric.map { $0 * $0 }.reduce(0, +).squareRoot()
            #expect(abs(norm - Chapter06Graders.normsVariant(c, nil).last!) < 1e-8, "\(c.note)")
        }
    }

    /// The cases measure what the exercise says: s = 0.5 vanishes below
    /// 10⁻⁸ within 30 steps, s = 1 without saturation keeps more than 10⁻³.
    @Test func theCasesShowVanishing() throws {
        let cases = Chapter06Graders.normsCases
        let half = try #require(cases.first { $0.note.hasSuffix("s = 0.5") })
        let one = try #require(cases.first { $0.note.hasSuffix("s = 1") })
        let fading = Chapter06Graders.normsVariant(half, nil), kept = Chapter06Graders.normsVariant(one, nil)
        #expect(fading.last! / fading[0] < 1e-8, "\(fading)")
        #expect(kept.last! / kept[0] > 1e-3, "\(kept)")
    }

    @Test("the norms grader rejects broken measurements and says why", arguments: [
        ("no tanh′", 0, "tanh′ factor"),
        ("W_hh instead of W_hhᵀ", 1, "W_hhᵀ"),
        ("tanh′ of the previous state", 2, "not 1 − h_{t−1}²"),
        ("the order reversed", 3, "order is reversed"),
        ("squared norms", 4, "squared norms"),
        ("‖∂L/∂h₀‖ left out", 5, "is missing"),
        ("one step in the middle through W_hh untransposed", 6, "expected the norms"),
    ])
    func normsGraderRejects(name: String, variant: Int, hint: String) throws {
        let broken: GradientNormsThroughTime = { xs, h0, wih, whh, b, dhT in
            let c = Chapter06Graders.NormsCase(xs: xs, h0: h0, wih: wih, whh: whh, b: b, dhT: dhT, note: "")
            let mistakes: [Chapter06Graders.NormsMistake] = [.noTanhPrime, .untransposed, .previousState, .reversed, .squared]
            if variant < 5 { return Chapter06Graders.normsVariant(c, mistakes[variant]) }
            let right = try Solutions06.gradientNormsThroughTime(xs: xs, h0: h0, weightIH: wih, weightHH: whh, bias: b, dhT: dhT)
            if variant == 5 { return Array(right.dropLast()) }
            // The solution on the first half of the way back, then one step through W_hh.
            let hs = Chapter06Graders.unroll(xs, h0, wih, whh, b)
            let k = xs.count / 2 + 1, t = xs.count - k + 1
            var delta = dhT
            for s in stride(from: xs.count, through: t + 1, by: -1) {
                delta = Chapter06Graders.transposeTimes(whh, zip(delta, hs[s]).map { $0 * (1 - $1 * $1) })
            }
            let wrongStep = Chapter06Graders.times(whh, zip(delta, hs[t]).map { $0 * (1 - $1 * $1) })
            var out = right
            out[k] = wrongStep.map { $0 * $0 }.reduce(0, +).squareRoot()
            return out
        }
        let report = try Chapter06Graders.gradientNormsThroughTime(broken)
        #expect(!report.passed, "\(name) passed")
        #expect(report.failures.contains { $0.contains(hint) }, "\(name): \(report.failures)")
    }
}
#endif
