// Exercise 6.4 — the distribution a language model samples from, with
// temperature and top-k (chapters/06-recurrent-networks.md, "Sampling and temperature").
//
// Given the model's logits z (one per vocabulary entry), a temperature τ > 0 (the chapter's symbol; T there is the sequence length)
// and topK (nil, or an integer k ≥ 1), return the probabilities p (same
// length as z) that the next character is drawn from:
//
//   1. top-k: if topK = k is not nil and k < z.count, let z₍ₖ₎ be the k-th
//      largest logit; every logit strictly below z₍ₖ₎ is removed (its
//      probability is exactly 0). Logits equal to z₍ₖ₎ are all kept, so on a
//      tie more than k entries may survive (this is what the usual
//      `logits[logits < v[-1]] = -inf` does). k ≥ z.count keeps everything.
//   2. temperature: divide the surviving logits by τ (τ < 1 sharpens the
//      distribution, τ > 1 flattens it, τ = 1 leaves it alone).
//   3. softmax over the survivors: pⱼ = e^(zⱼ/τ) / Σ_{kept m} e^(z_m/τ).
//
// The probabilities must be finite and sum to 1 even for logits of ±1000 or a
// temperature of 0.01 (subtract the largest kept logit before exponentiating).
//
// Worked example of the top-k rule: z = [2, 1, 0, 1], τ = 1, topK = 2. The
// 2nd largest logit is z₍₂₎ = 1, so 2 and both 1s survive (a tie) and 0 is
// removed: p = [p₀, p₁, 0, p₃] with p₁ = p₃, a softmax over [2, 1, 1].
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/06-recurrent-networks --filter Chapter06Exercises/samplingProbabilities

import ExerciseKit

public func samplingProbabilities(logits: [Double], temperature: Double, topK: Int?) throws -> [Double] {
    throw NotAttempted()
}
