// Exercise 5.3 — the backward pass of max pooling
// (chapters/05-convolutional-networks.md, "Pooling", "Max pooling").
//
// Max pooling with a size × size window and stride = size (windows do not
// overlap, no padding) maps the H × W input x to an H_out × W_out output,
// H_out = ⌊H/size⌋, W_out = ⌊W/size⌋ (rows and columns left over at the
// bottom and right belong to no window):
//
//   y[i][j] = max over 0 ≤ u, v < size of x[i·size + u][j·size + v].
//
// Given x and the upstream gradient dy = ∂L/∂y (H_out × W_out), return
// dx = ∂L/∂x (H × W, like x). The maximum's derivative is 1 for the element
// that won and 0 for the others, so
//
//   dx[h][w] = dy[i][j]   if (h, w) is the position of the maximum of window (i, j)
//   dx[h][w] = 0          otherwise (including positions in no window).
//
// On a tie (two or more equal maxima in a window, common after a ReLU has
// zeroed a whole window) the whole gradient goes to the FIRST maximum in
// row-major order (scan u = 0, 1, …, then v = 0, 1, … within each row), as
// PyTorch does; it is not shared among the tied elements.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/05-convolutional-networks --filter Chapter05Exercises/maxPoolBackward

import ExerciseKit

public func maxPoolBackward(input: [[Double]], outputGradient: [[Double]], size: Int) throws -> [[Double]] {
    throw NotAttempted()
}
