// Exercise 6.3 — gradient clipping by global norm
// (chapters/06-recurrent-networks.md, "Vanishing and exploding gradients";
// the book's version is Sources/02-backpropagation/GradientClipping.swift).
//
// `gradients` holds one array per parameter tensor (flattened; the arrays
// may have different lengths, some may be empty). Their global norm is the
// Euclidean norm of all entries together,
//
//   N = √( Σ over every tensor p, every entry k of g[p][k]² ),
//
// and clipping at c rescales EVERY gradient by the same factor
//
//   s = min(1, c / (N + 10⁻⁶)),        g[p][k] ← s · g[p][k],
//
// exactly as torch.nn.utils.clip_grad_norm_ does (the 10⁻⁶ keeps 0/0 away
// when all gradients are zero). One common factor shortens the update
// without turning it: the direction of the whole step is kept. Below the
// threshold s = 1 and the gradients come back unchanged.
//
// Return the clipped gradients (same shapes as the input) and N, the norm
// BEFORE clipping (what PyTorch returns, and what one logs to watch for
// explosions). c is positive.
//
// Worked example: gradients [[3], [4]] have N = 5. Clipped at c = 1 they
// are scaled by one common factor just under 1/5 (the 10⁻⁶ matters at the
// grader's tolerance), and the function returns N = 5 alongside them.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/06-recurrent-networks --filter Chapter06Exercises/clipGlobalNorm

import ExerciseKit

public func clipGlobalNorm(gradients: [[Double]], maxNorm: Double) throws -> (clipped: [[Double]], norm: Double) {
    throw NotAttempted()
}
