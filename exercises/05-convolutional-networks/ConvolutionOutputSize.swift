// Exercise 5.1 — the output size of a convolution
// (chapters/05-convolutional-networks.md, "Output size").
//
// A convolution (or pooling) window of `kernel` taps slides along an axis of
// `input` positions, padded by `padding` zeros on each side, moving `stride`
// positions at a time. With dilation d the taps are d positions apart, so
// the window spans d·(k − 1) + 1 positions. Return the number of positions
// at which the whole window fits inside the padded input:
//
//   n_out = ⌊(n + 2p − d·(k − 1) − 1) / s⌋ + 1
//
// for n = input, k = kernel, s = stride, p = padding, d = dilation. This is
// the H_out (and W_out) of torch.nn.Conv2d and MaxPool2d. The grader only
// asks about sizes where the window fits at least once (n_out ≥ 1); all
// arguments are positive except padding, which may be 0.
//
// Worked example: n = 7, k = 3, s = 2, p = 0, d = 1 → ⌊(7 − 2 − 1)/2⌋ + 1 = 3
// (windows starting at 0, 2 and 4).
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/05-convolutional-networks --filter Chapter05Exercises/convolutionOutputSize

import ExerciseKit

public func convolutionOutputSize(input: Int, kernel: Int, stride: Int, padding: Int, dilation: Int) throws -> Int {
    throw NotAttempted()
}
