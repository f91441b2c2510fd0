// The gradient checker itself: it must pass correct gradients and catch
// wrong ones, and point at the worst element.

import BackpropCore
import Foundation
import Testing

@Suite struct GradientCheckTests {
    /// f(x) = Σ sin(xᵢ)·xᵢ², so ∂f/∂xᵢ = cos(xᵢ)·xᵢ² + 2xᵢ·sin(xᵢ).
    static func f(_ x: Tensor<Double>) -> Double { x.scalars.map { sin($0) * $0 * $0 }.reduce(0, +) }
    static func grad(_ x: Tensor<Double>) -> Tensor<Double> {
        Tensor(x.scalars.map { cos($0) * $0 * $0 + 2 * $0 * sin($0) })
    }

    @Test func passesACorrectGradient() throws {
        let x = Tensor<Double>([0.3, -1.2, 2.5, 0.01, -3])
        let report = try GradientCheck.check(Self.f, at: x, analytic: Self.grad(x))
        // Rounding error ε·|f|/h ≈ 1e-10 against a gradient of 3e-4 at x = 0.01 allows ~1e-6.
        #expect(report.passes(1e-6), "\(report)")
    }

    @Test func catchesAMissingTermAndNamesTheWorstElement() throws {
        let x = Tensor<Double>([0.3, -1.2, 2.5, 0.01, -3])
        var wrong = Self.grad(x)
        wrong.scalars[2] = cos(2.5) * 2.5 * 2.5  // forgot the product rule's second term
        let report = try GradientCheck.check(Self.f, at: x, analytic: wrong)
        #expect(!report.passes(1e-4))
        #expect(report.worstIndex == 2)
        #expect(abs(report.numeric - Self.grad(x).scalars[2]) < 1e-6)
    }

    @Test func rejectsAGradientOfTheWrongShape() {
        #expect(throws: TensorError.self) {
            try GradientCheck.check(Self.f, at: Tensor([1, 2]), analytic: Tensor([1, 2, 3]))
        }
    }
}
