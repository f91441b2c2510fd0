// Exercise 6.8 — measure the vanishing gradient
// (chapters/06-recurrent-networks.md, "Vanishing and exploding gradients").
//
// Debug and measure. An Elman RNN reads x₁, …, x_T (`in` entries each) from
// h₀ (H entries):
//
//   h_t = tanh(W_ih·x_t + W_hh·h_{t−1} + b)      for t = 1, …, T
//
// (W_ih is H × in, W_hh is H × H, PyTorch's layout; xs[0] is x₁). A loss L
// reads the last state only, and its gradient there is dhT = ∂L/∂h_T. Measure
// how that gradient fades as it travels back: return the T + 1 Euclidean
// norms
//
//   [‖∂L/∂h_T‖, ‖∂L/∂h_{T−1}‖, …, ‖∂L/∂h₀‖]       (entry k is k steps back)
//
// (entry 0 is ‖dhT‖ itself). This is the measurement behind the chapter's
// figure of gradient norms. Each step back multiplies by the Jacobian of h_t
// with respect to h_{t−1}; write that step carefully: which state's tanh′
// does it use, and which side of W_hh does the gradient meet?
//
// Then look at your numbers: the grader's cases include W_hh with largest
// singular value 0.5, 1 and 3 (T = 30), and one where the inputs drive the
// units into saturation. Which fade, how fast, and what does that say about
// learning from something 25 steps back? Compare with the bound
// (γ·s)^k·‖dhT‖ of the chapter.
//
// Worked example (in = H = 1, W_ih = 1, W_hh = w = 0.5, b = 0, h₀ = 0,
// every x_t = 0, dhT = 1): every state is 0, so every tanh′ is 1 and the
// norms are 1, 0.5, 0.25, …, 0.5^T.
//
// The grader computes the norms itself, step by step, and checks them with
// a relative tolerance of 10⁻⁹, so norms of 10⁻¹² must be right too.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/06-recurrent-networks --filter Chapter06Exercises/gradientNormsThroughTime

import ExerciseKit
import Foundation

public func gradientNormsThroughTime(
    xs: [[Double]], h0: [Double], weightIH: [[Double]], weightHH: [[Double]], bias: [Double], dhT: [Double]
) throws -> [Double] {
    throw NotAttempted()
}
