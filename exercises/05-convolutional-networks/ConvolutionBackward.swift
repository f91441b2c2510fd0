// Exercise 5.5 — the backward pass of a two-dimensional convolution
// (chapters/05-convolutional-networks.md, "The backward pass of a
// convolution"; the forward pass: "Multiple channels, and the forward pass").
//
// One image x with C_in channels of H × W values (x[c][h][w]), a weight W
// with C_out × C_in square k × k kernels (W[o][c][u][v]), a bias b with
// C_out entries, stride s and zero padding p (dilation 1). The forward pass,
// cross-correlation as in exercise 5.2 but summed over the input channels:
//
//   y[o][i][j] = b[o] + Σ_c Σ_u Σ_v W[o][c][u][v] · x[c][i·s − p + u][j·s − p + v]
//
// with x taken as 0 outside the image, for 0 ≤ i < H_out, 0 ≤ j < W_out
// (the window positions that fit in the padded image, as in 5.1 and 5.2).
// Given x, W and the upstream gradient dy = ∂L/∂y (C_out × H_out × W_out),
// return
//
//   dx  C_in × H × W, like x:            ∂L/∂x[c][h][w]
//   dW  C_out × C_in × k × k, like W:    ∂L/∂W[o][c][u][v]
//   db  C_out entries:                   ∂L/∂b[o]
//
// (b appears in none of them, so it is not an argument.) Every entry of dx
// has to be there, also those of pixels no window reads (they get 0).
//
// Derive them before you read the chapter's section. Method: y is linear in
// x, in W and in b, so ∂L/∂θ = Σ over all (o, i, j) of dy[o][i][j] times the
// coefficient of θ in y[o][i][j]. For b and W that coefficient is easy to
// read off. For x, ask which outputs read x[c][h][w], and through which tap:
// the simplest correct code runs the forward loops and, where the forward
// pass reads an input and a weight, adds into their gradients instead
// (padding positions are read as 0, so they send nothing anywhere). A check
// by hand: a 1×1 kernel, stride 1, no padding; then a 2×2 kernel on a 3×3
// image. The grader compares with centered finite differences of
// L = Σ dy ⊙ y, on those two cases and on random ones with stride 2 or 3 and
// padding 1 or 2.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/05-convolutional-networks --filter Chapter05Exercises/convolutionBackward

import ExerciseKit

public func convolutionBackward(
    x: [[[Double]]], weight: [[[[Double]]]], dy: [[[Double]]], stride: Int, padding: Int
) throws -> (dx: [[[Double]]], dW: [[[[Double]]]], db: [Double]) {
    throw NotAttempted()
}
