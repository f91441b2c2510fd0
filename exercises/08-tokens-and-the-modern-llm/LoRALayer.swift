// Exercise 8.5 — your LoRA layer, fine-tuned inside the Llama
// (chapters/08-tokens-and-the-modern-llm.md, "LoRA").
//
// Plug in and train. LoRA adapts a frozen projection W [out, in] by learning
// a low-rank update instead of W: two small matrices A [r, in] and
// B [out, r] and a fixed scale s = α/r,
//
//   y = x Wᵀ + s·(x Aᵀ) Bᵀ            x [.., in] → y [.., out]
//
// Write it as a layer of the book's (the `Layer` protocol of chapter 2, in
// Double):
//
// - init(weight:rank:alpha:rng:) keeps W (as the Parameter `weight`; it is
//   frozen), draws every entry of A from U(−1/√in, 1/√in) with `rng`
//   (rng.uniform(low, high)), and sets B to zero. Think about why B and not
//   A starts at zero, and why not both. `parameters` are the trainable
//   ones, [a, b], in that order.
// - forward(x, mode:) accepts any leading shape ([n, in], [B, T, in]) and
//   returns y of the same leading shape with `out` features, and a cache of
//   your choosing.
// - backward(dy, cache:) returns ∂L/∂x (of x's shape) and ADDS ∂L/∂A and
//   ∂L/∂B into a.grad and b.grad (gradients accumulate, as in every layer of
//   the book). W is frozen: it gets no gradient and never changes. Derive
//   the three gradients; remember that x reaches y by two paths.
// - merge() folds the update into W for serving: afterwards the layer must
//   compute the same function with B = 0.
//
// Build tensors with Tensor(shape:scalars:) and Tensor(shape:repeating:);
// `x.shape`, `x.scalars` (row-major) and `x.count` read them. Plain loops
// are fast enough.
//
// The grader, stopping at the first stage that fails:
//   1. checks the initialisation (shapes, B = 0, A's range and spread, A
//      drawn from the generator passed in, parameters [A, B]);
//   2. checks y against the formula, with B set to random values;
//   3. checks dx, A.grad and B.grad against centered finite differences of
//      ⟨dy, y⟩, that W gets no gradient, and that a second backward adds;
//   4. checks merge: W + s·B A, B = 0, the same y;
//   5. fine-tunes: it pretrains a small character-level Llama (Double, the
//      naive kernels; tinyshakespeare's 65 characters, one block of width
//      32, 4 query heads sharing 2 key/value heads, context 16) for 40
//      steps on the first 30,000 characters of tinyshakespeare, in which
//      PETRUCHIO never speaks; then it builds one of your layers around W_q
//      and one around W_v (rank 4, α = 8), zeroes the model's own copies,
//      and plugs your layers in where the model's LoRA adapters sit
//      (`LoRAAdapter.replaceSidePath(with:)`), so that your layer computes
//      the whole projection; it trains only your A's and B's for 30 steps
//      (batch 8, Adam 0.03, clipping at 1) on PETRUCHIO's fine-tuning
//      speeches (`SpeakerSlice`). His held-out speeches must then cost at
//      most 3.20 nats per character (the base model: 3.28; the reference
//      layer: 3.11; the book's own LoRA: 3.13). Last, it merges your layers
//      into the model's projections and removes them: the loss must not move.
// It takes about seven seconds in a debug build.
//
// Replace each `throw` with your code (and fill the Cache), then run:
//   swift test --package-path exercises/08-tokens-and-the-modern-llm --filter Chapter08Exercises/loraInModel

import BackpropCore
import Backpropagation
import ExerciseKit
import Foundation

public final class LoRALinearLayer: Layer {
    /// W [out, in], frozen.
    public let weight: Parameter<Double>
    /// A [r, in], trainable.
    public let a: Parameter<Double>
    /// B [out, r], trainable.
    public let b: Parameter<Double>
    public let alpha: Double
    public var backend: Backend = .naive
    public var parameters: [Parameter<Double>] { [] }
    public var summary: String { "LoRALinearLayer" }

    /// What your backward pass needs from the forward pass.
    public struct Cache {
    }

    public init(weight: Tensor<Double>, rank: Int, alpha: Double, rng: inout SeededRandom) throws {
        throw NotAttempted()
    }

    public func forward(_ x: Tensor<Double>, mode: Mode) throws -> (output: Tensor<Double>, cache: Cache) {
        throw NotAttempted()
    }

    public func backward(_ dy: Tensor<Double>, cache: Cache) throws -> Tensor<Double> {
        throw NotAttempted()
    }

    public func merge() throws {
        throw NotAttempted()
    }
}
