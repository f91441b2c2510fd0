// Exercise 8.2 — rotary position embeddings, forward and backward
// (chapters/08-tokens-and-the-modern-llm.md, "Rotary position embeddings").
//
// Derive and implement. RoPE rotates each query and key, pair of features by
// pair of features, by an angle proportional to its position. x is a matrix
// of T rows (x[t], one per position) of k·d features: k heads of width d
// (d even) side by side, head j in features j·d ..< (j+1)·d. Row t is at
// position positions[t]. Within each head, with h = d/2, the pairing is
// "rotate half" (as Hugging Face's Llama): feature i is paired with feature
// i + h, for i < h, and the pair is rotated by the angle p·θᵢ with
//
//   θᵢ = base^(−2i/d),  i = 0 ..< d/2,   p = positions[t]
//
//   y[i]     = x[i]·cos(p·θᵢ) − x[i+h]·sin(p·θᵢ)
//   y[i + h] = x[i+h]·cos(p·θᵢ) + x[i]·sin(p·θᵢ)
//
// (indices within the head). ropeForward returns y, of x's shape.
//
// ropeBackward(dy, …) returns ∂L/∂x given dy = ∂L/∂y for the same
// positions, head width and base. Derive it: y is linear in x, one 2 × 2
// matrix per pair, so ∂L/∂x is dy times the transpose of that matrix. What
// is the transpose of a rotation?
//
// The grader checks the forward pass against the formula (hand-worked cases:
// d = 2, where θ₀ = 1, and d = 4 with base 100; random ones with two heads,
// positions out of order and up to 4095), the property RoPE is used for (a
// query at m and a key at n give a score that depends on m − n only), and
// the book's RotaryEmbedding on consecutive positions; then the backward
// pass against centered finite differences of ⟨dy, RoPE(x)⟩, and
// backward(forward(x)) = x.
//
// Replace each `throw` with your code, then run:
//   swift test --package-path exercises/08-tokens-and-the-modern-llm --filter Chapter08Exercises/rotaryEmbedding

import ExerciseKit
import Foundation

public func ropeForward(_ x: [[Double]], positions: [Int], headWidth: Int, base: Double) throws -> [[Double]] {
    throw NotAttempted()
}

public func ropeBackward(_ dy: [[Double]], positions: [Int], headWidth: Int, base: Double) throws -> [[Double]] {
    throw NotAttempted()
}
