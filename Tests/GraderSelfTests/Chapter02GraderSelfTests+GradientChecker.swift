// Self-tests of the grader of exercise 2.5: it accepts the reference gradient
// checker and rejects broken ones, the subtle ones (a coordinate restored by
// arithmetic, a comparison without its floor) included.

#if canImport(Solutions02)
import ExerciseKit
import Foundation
@testable import Graders02
import Solutions02
import Testing

@Suite struct Chapter02GradientCheckerGraderSelfTests {
    @Test func gradientCheckerGraderAcceptsTheSolution() throws {
        let report = try Chapter02Graders.gradientChecker(Solutions02.numericalGradient, Solutions02.relativeError)
        #expect(report.passed, "\(report.failures)")
    }

    @Test func gradientCheckerGraderSkipsOnlyWhenNeitherIsAttempted() throws {
        let none: NumericalGradient = { _, _, _ in throw NotAttempted() }
        let noError: RelativeError = { _, _ in throw NotAttempted() }
        #expect(throws: NotAttempted.self) { try Chapter02Graders.gradientChecker(none, noError) }
        let half = try Chapter02Graders.gradientChecker(Solutions02.numericalGradient, noError)
        #expect(half.failures.count == 1 && half.failures[0].contains("relativeError"), "\(half.failures)")
    }

    @Test("the gradient-checker grader rejects broken numerical gradients and says why", arguments: [
        ("one-sided (forward) difference", 0, "one-sided"),
        ("divides by h instead of 2h", 1, "divide by 2h"),
        ("restores a coordinate by adding h back (drift)", 2, "restored exactly"),
        ("never restores a coordinate", 3, "restored exactly"),
        ("ignores the step and uses 1e-6", 4, "step argument"),
        ("skips the last coordinate (off by one)", 5, "expected"),
    ])
    func numericalGradientRejected(name: String, variant: Int, hint: String) throws {
        let broken: NumericalGradient = { f, x, step in
            let h = variant == 4 ? 1e-6 : step
            var probe = x, g = [Double](repeating: 0, count: x.count)
            for i in x.indices.dropLast(variant == 5 ? 1 : 0) {
                let saved = probe[i]
                probe[i] += h
                let plus = f(probe)
                if variant == 0 { probe[i] = saved } else { probe[i] -= 2 * h }
                let minus = f(probe)
                switch variant {
                case 2: probe[i] += h
                case 3: break
                default: probe[i] = saved
                }
                g[i] = (plus - minus) / (variant == 0 || variant == 1 ? h : 2 * h)
            }
            return g
        }
        let report = try Chapter02Graders.gradientChecker(broken, Solutions02.relativeError)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }

    @Test("the gradient-checker grader rejects broken relative errors and says why", arguments: [
        ("the mean over entries instead of the maximum", 0, "mean over entries"),
        ("no 10⁻⁸ floor (0/0 = NaN)", 1, "NaN"),
        ("the denominator max(|a|, |n|)", 2, "expected"),
        ("the denominator |n| + 10⁻⁸", 3, "expected"),
        ("a floor of 10⁻⁶ instead of 10⁻⁸", 4, "expected"),
        ("the first entry left out (off by one)", 5, "expected"),
    ])
    func relativeErrorRejected(name: String, variant: Int, hint: String) throws {
        let broken: RelativeError = { a, n in
            let errors = zip(a, n).dropFirst(variant == 5 ? 1 : 0).map { a, n in
                switch variant {
                case 1: abs(a - n) / (abs(a) + abs(n))
                case 2: abs(a - n) / max(1e-8, max(abs(a), abs(n)))
                case 3: abs(a - n) / (abs(n) + 1e-8)
                case 4: abs(a - n) / max(1e-6, abs(a) + abs(n))
                default: abs(a - n) / max(1e-8, abs(a) + abs(n))
                }
            }
            if variant == 0 { return errors.reduce(0, +) / Double(max(1, errors.count)) }
            return errors.reduce(0) { $1.isNaN || $1 > $0 ? $1 : $0 }
        }
        let report = try Chapter02Graders.gradientChecker(Solutions02.numericalGradient, broken)
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }
}
#endif
