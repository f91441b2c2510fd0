// Exercise 7.5 — your causal self-attention inside the GPT
// (chapters/07-transformer.md, "Multiple heads", "Attention's backward pass",
// "The block").
//
// Plug in and train. Write multi-head causal self-attention as a layer of
// the book's (the `Layer` protocol of chapter 2: forward returns the output
// and a cache of your choosing, backward takes ∂L/∂y and that cache and
// returns ∂L/∂x); the grader puts it inside a real GPT in place of the
// library's attention, with `block.attention.replaceAttention(with:
// MyCausalSelfAttention(heads: 2))`, and trains it.
//
// The layer sits between the two projections of multi-head attention. Its
// input is qkv, a Tensor<Double> of shape [B, T, 3C] (B sequences of T
// positions; `qkv.shape`, and `qkv.scalars` row-major: entry (b, t, col) is
// at (b·T + t)·3C + col):
//
//   columns 0 ..< C     the queries of all heads
//   columns C ..< 2C    the keys
//   columns 2C ..< 3C   the values
//
// and with H = `heads` and d = C/H, head h owns columns h·d ..< (h+1)·d of
// each of the three. Each head, on each sequence, is exercise 7.1's causal
// attention with its own queries, keys and values (the scores divided by √d,
// the head's width). The output y has shape [B, T, C], head h's output in
// columns h·d ..< (h+1)·d. backward(dy, cache) returns ∂L/∂qkv, shape
// [B, T, 3C] like qkv: per head, exercise 7.4's dQ, dK and dV in the same
// columns. The layer has no parameters (the projections around it hold
// them), so `parameters` stays empty; `backend` is there for the protocol,
// and your loops may ignore it. Keep in the cache what backward needs: a
// layer instance is called forward, forward, …, then backward with each
// cache, so nothing may live in the instance between the calls.
//
// Build: Tensor(shape: [b, t, c], scalars: array) makes a tensor (it throws
// if the count is wrong). If you did 7.1 and 7.4, call them head by head.
//
// The grader, stopping at the first stage that fails:
//   1. checks y against 7.1's attention run head by head (a hand-worked case,
//      random ones with 1 to 3 heads, and scores near 1800);
//   2. checks backward against centered finite differences of ⟨dy, y⟩;
//   3. trains a GPT with your layer (width 16, one block, 2 heads, context 8,
//      in Double with the naive kernels) on the first 10,000 characters of
//      tinyshakespeare for 150 steps (batch 4, Adam 0.01 with β₂ = 0.99,
//      clipping at 1, seed 7). Its validation loss must reach 3.0 nats per
//      character or less. For scale: predicting character frequencies alone
//      gives 3.28, uniform guessing ln 57 = 4.04, and the library's attention
//      2.85 with these settings.
// It takes a few seconds.
//
// Replace the two `throw`s with your code (and fill the Cache), then run:
//   swift test --package-path exercises/07-transformer --filter Chapter07Exercises/causalSelfAttentionInModel

import BackpropCore
import Backpropagation
import ExerciseKit
import Foundation

public final class MyCausalSelfAttention: Layer {
    public let heads: Int
    public var backend: Backend = .naive
    public var parameters: [Parameter<Double>] { [] }
    public var summary: String { "MyCausalSelfAttention(\(heads) heads)" }

    /// What your backward pass needs from the forward pass.
    public struct Cache {
    }

    public init(heads: Int) { self.heads = heads }

    public func forward(_ qkv: Tensor<Double>, mode: Mode) throws -> (output: Tensor<Double>, cache: Cache) {
        throw NotAttempted()
    }

    public func backward(_ dy: Tensor<Double>, cache: Cache) throws -> Tensor<Double> {
        throw NotAttempted()
    }
}
