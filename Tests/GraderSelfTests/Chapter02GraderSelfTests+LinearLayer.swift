// Self-tests of the grader of exercise 2.7 (a linear layer in the digits
// network): it accepts the reference solution and rejects broken layers,
// including one that is right in Double and fails only when trained.

#if canImport(Solutions02)
import Backpropagation
import BackpropCore
import ExerciseKit
import Foundation
@testable import Graders02
import Solutions02
import Testing

/// A linear layer with one mistake, chosen by `variant`.
final class BrokenLinearLayer<Scalar: TensorScalar>: Layer {
    let weight: Parameter<Scalar>
    let bias: Parameter<Scalar>
    var backend: Backend = .naive
    let variant: Int
    var lastInput: Tensor<Scalar>?

    var parameters: [Parameter<Scalar>] { variant == 8 ? [weight] : [weight, bias] }
    var summary: String { "BrokenLinearLayer" }

    init(_ inputs: Int, _ outputs: Int, rng: inout SeededRandom, variant: Int) throws {
        self.variant = variant
        var own = SeededRandom(seed: 7)
        let initializer: Initializer = variant == 0 ? .xavierUniform : .heUniform
        let fanIn = variant == 9 ? outputs : inputs
        let w: Tensor<Scalar> = variant == 2
            ? try initializer.sample(shape: [outputs, inputs], fanIn: fanIn, fanOut: outputs, using: &own)
            : try initializer.sample(shape: [outputs, inputs], fanIn: fanIn, fanOut: outputs, using: &rng)
        weight = Parameter("weight", variant == 1 ? try Tensor.zeros([outputs, inputs]) : w)
        bias = Parameter("bias", try Tensor.zeros([outputs]))
    }

    func forward(_ x: Tensor<Scalar>, mode: Mode) throws -> (output: Tensor<Scalar>, cache: Tensor<Scalar>) {
        lastInput = x
        let y = try Tensor.matmul(x, weight.value, .nt, backend: backend)
        return (variant == 3 ? y : try y.addingRowVector(bias.value, backend: backend), x)
    }

    func backward(_ dy: Tensor<Scalar>, cache: Tensor<Scalar>) throws -> Tensor<Scalar> {
        let x = variant == 6 ? lastInput! : cache
        let dw = try Tensor.matmul(dy, x, .tn, backend: backend)
        var db = try dy.columnSums(backend: backend)
        if variant == 5 { db = db.scaled(by: 1 / Scalar(dy.shape[0])) }
        if variant == 4 {
            weight.grad = dw
            bias.grad = db
        } else {
            if !(variant == 10 && Scalar.self == Float.self) { weight.grad = try weight.grad.adding(dw) }
            bias.grad = try bias.grad.adding(db)
        }
        let dx = try Tensor.matmul(dy, weight.value, .nn, backend: backend)
        return variant == 7 ? dx.scaled(by: -1) : dx
    }
}

@Suite struct Chapter02LinearLayerGraderSelfTests {
    @Test func linearLayerGraderAcceptsTheSolution() throws {
        let report = try Chapter02Graders.linearLayerTraining(
            double: { try Solutions02.LinearLayer<Double>($0, $1, rng: &$2) },
            float: { try Solutions02.LinearLayer<Float>($0, $1, rng: &$2) })
        #expect(report.passed, "\(report.failures)")
    }

    @Test("the linear-layer grader rejects broken layers and says why", arguments: [
        ("Xavier initialisation instead of He", 0, "Xavier"),
        ("all-zero weights", 1, "all weights are equal"),
        ("weights from a generator of its own, not from rng", 2, "from the `rng` argument"),
        ("forward without the bias", 3, "the bias is missing"),
        ("backward overwrites the gradients", 4, "overwrote"),
        ("db as a mean over the rows", 5, "not a mean"),
        ("backward uses the input of the latest forward pass (state in the layer)", 6, "keep x in the cache"),
        ("dx with the sign flipped", 7, "sign is flipped"),
        ("the bias missing from `parameters`", 8, "exactly two"),
        ("He's variance from the fan-out", 9, "He's 2/in"),
        ("no weight gradient in Float only (a bug the Double checks cannot see)", 10, "test accuracy"),
    ])
    func linearLayerGraderRejects(name: String, variant: Int, hint: String) throws {
        let report = try Chapter02Graders.linearLayerTraining(
            double: { try BrokenLinearLayer<Double>($0, $1, rng: &$2, variant: variant) },
            float: { try BrokenLinearLayer<Float>($0, $1, rng: &$2, variant: variant) })
        #expect(!report.passed, "grader accepted: \(name)")
        #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
    }
}
#endif
