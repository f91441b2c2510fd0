// Exercise 5.3 — the backward pass of max pooling
// (chapters/05-convolutional-networks.md, "Pooling", "Max pooling").
//
// Max pooling with a size × size window and stride = size (windows do not
// overlap, no padding) maps the H × W input x to an H_out × W_out output,
// H_out = ⌊H/size⌋, W_out = ⌊W/size⌋ (rows and columns left over at the
// bottom and right belong to no window, and no output depends on them):
//
//   y[i][j] = max over 0 ≤ u, v < size of x[i·size + u][j·size + v].
//
// Given x and the upstream gradient dy = ∂L/∂y (H_out × W_out), return ∂L/∂x
// (H × W, like x, with a value for every position).
//
// The chapter's section "Max pooling" derives the backward pass: implement it
// from there. To derive it yourself, nudge one element of a window by a small
// h and ask whether y[i][j] changes, and by how much, when that element is the
// window's largest and when it is not; then apply the chain rule. Check a
// 2 × 2 input with size 2 (distinct values) by finite differences.
//
// At a tie (two or more equal maxima in a window, common after a ReLU has
// zeroed a whole window) the maximum has no derivative, and the grader
// enforces PyTorch's convention: the FIRST maximum in row-major order (scan
// u = 0, 1, …, and v = 0, 1, … within each row) counts as the window's
// maximum, and the other tied elements are treated like any element that is
// not the maximum (the gradient is not shared among them).
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/05-convolutional-networks --filter Chapter05Exercises/maxPoolBackward

import ExerciseKit

public func maxPoolBackward(input: [[Double]], outputGradient: [[Double]], size: Int) throws -> [[Double]] {
    throw NotAttempted()
}
