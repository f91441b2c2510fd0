// Tests for the seam of exercise 7.5 (MultiHeadAttention.replaceAttention):
// a GPT whose attention is a layer from outside the library computes what
// the library's computes, forward and backward; the layer is really used;
// misuse is an error.

import BackpropCore
import Backpropagation
import Foundation
import RecurrentNetworks
import Testing
import TestSupport
@testable import Transformer

/// The library's attention behind another type: the same numbers through the seam.
final class DelegatingAttention<Scalar: TensorScalar>: Layer {
    let inner: CausalSelfAttention<Scalar>
    var backend: Backend { get { inner.backend } set { inner.backend = newValue } }
    var parameters: [Parameter<Scalar>] { [] }
    var summary: String { "DelegatingAttention" }
    init(heads: Int) throws { inner = try CausalSelfAttention(heads: heads, backend: .naive) }
    func forward(_ x: Tensor<Scalar>, mode: Mode) throws -> (output: Tensor<Scalar>, cache: CausalSelfAttention<Scalar>.Cache) {
        try inner.forward(x, mode: mode)
    }
    func backward(_ dy: Tensor<Scalar>, cache: CausalSelfAttention<Scalar>.Cache) throws -> Tensor<Scalar> {
        try inner.backward(dy, cache: cache)
    }
}

/// Attends to nothing: y = 0, dqkv = 0; or returns a wrong shape.
final class BrokenAttention: Layer {
    let wrongShape: Bool
    var backend: Backend = .naive
    var parameters: [Parameter<Double>] { [] }
    var summary: String { "BrokenAttention" }
    init(wrongShape: Bool = false) { self.wrongShape = wrongShape }
    func forward(_ x: Tensor<Double>, mode: Mode) throws -> (output: Tensor<Double>, cache: [Int]) {
        let shape = [x.shape[0], x.shape[1], x.shape[2] / 3 + (wrongShape ? 1 : 0)]
        return (try Tensor(shape: shape, repeating: 0), x.shape)
    }
    func backward(_ dy: Tensor<Double>, cache: [Int]) throws -> Tensor<Double> { try Tensor(shape: cache, repeating: 0) }
}

@Suite struct AttentionReplacementTests {
    static func model(seed: UInt64 = 70) throws -> GPT<Double> {
        let vocabulary = try CharacterVocabulary(text: "abcdefgh")
        return try GPT<Double>(config: try GPTConfig(vocabulary: vocabulary, context: 6, layers: 2, heads: 2, width: 8),
                               seed: seed, backend: .naive)
    }

    static let tokens = [0, 3, 1, 7, 2, 2, 5, 4, 6, 1, 0, 3], targets = [3, 1, 7, 2, 2, 5, 4, 6, 1, 0, 3, 6]

    /// Loss, logits and every parameter's gradient agree with the library's attention.
    @Test func agreesWithTheLibrarysAttention() throws {
        var results: [(loss: Double, grads: [Tensor<Double>])] = []
        for replaced in [false, true] {
            let gpt = try Self.model()
            if replaced { for block in gpt.blocks { try block.attention.replaceAttention(with: DelegatingAttention<Double>(heads: 2)) } }
            let loss = try gpt.loss(inputs: Self.tokens, targets: Self.targets, batch: 2, length: 6)
            results.append((loss, gpt.parameters.map(\.grad)))
        }
        #expect(results[0].loss == results[1].loss)
        for (a, b) in zip(results[0].grads, results[1].grads) { #expect(maxRelativeDifference(a, b) == 0) }
    }

    /// The replacement is used (a layer that attends to nothing changes the
    /// loss and gives the QKV projection no gradient), its probabilities are
    /// not reported, and nil restores the library's attention.
    @Test func theReplacementIsUsed() throws {
        let gpt = try Self.model()
        let loss = try gpt.loss(inputs: Self.tokens, targets: Self.targets, batch: 2, length: 6, backward: false)
        try gpt.blocks[0].attention.replaceAttention(with: BrokenAttention())
        #expect(gpt.blocks[0].attention.summary == "MultiHeadAttention(8, 2 heads, BrokenAttention)")
        gpt.zeroGrad()
        let broken = try gpt.loss(inputs: Self.tokens, targets: Self.targets, batch: 2, length: 6)
        #expect(broken != loss)
        #expect(gpt.blocks[0].attention.qkv.weight.grad.scalars.allSatisfy { $0 == 0 })
        #expect(gpt.blocks[1].attention.qkv.weight.grad.scalars.contains { $0 != 0 })
        let (_, cache) = try gpt.forward(Self.tokens, batch: 2, length: 6)
        #expect(cache.attentionProbabilities[0].isEmpty && cache.attentionProbabilities[1].count == 2 * 2 * 6 * 6)
        try gpt.blocks[0].attention.replaceAttention(with: nil)
        #expect(try gpt.loss(inputs: Self.tokens, targets: Self.targets, batch: 2, length: 6, backward: false) == loss)
    }

    @Test func misuseIsAnError() throws {
        let gpt = try Self.model()
        var rng = SeededRandom(seed: 71)
        let linear = try Linear<Double>(24, 8, rng: &rng)
        #expect(throws: TrainingError.self) { try gpt.blocks[0].attention.replaceAttention(with: linear) }
        try gpt.blocks[0].attention.replaceAttention(with: BrokenAttention(wrongShape: true))
        #expect(throws: TensorError.self) { try gpt.loss(inputs: Self.tokens, targets: Self.targets, batch: 2, length: 6) }
    }
}
