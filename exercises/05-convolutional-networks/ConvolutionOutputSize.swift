// Exercise 5.1 — the output size of a convolution
// (chapters/05-convolutional-networks.md, "Output size").
//
// A convolution (or pooling) window of k = `kernel` taps slides along an axis
// of n = `input` positions:
//
//   - the axis is first padded with p = `padding` zeros on each side, so the
//     padded axis has positions 0, 1, …, n + 2p − 1;
//   - with dilation d the taps are d positions apart: a window whose first tap
//     is at position t reads positions t, t + d, t + 2d, …, t + d·(k − 1);
//   - windows start at position 0 and move s = `stride` positions at a time
//     (t = 0, s, 2s, …);
//   - a window counts only if every one of its taps lies inside the padded
//     axis.
//
// Return the number of windows that count: the H_out (and W_out) of
// torch.nn.Conv2d and MaxPool2d. The grader only asks about sizes where the
// window fits at least once; all arguments are positive except padding,
// which may be 0.
//
// Aim for a closed form in integer arithmetic: find the last admissible
// start, then count the starts 0, s, 2s, … up to it. Draw one small case with
// stride 2 and one with dilation 2, count their windows by hand, and check
// your formula on both (a loop that counts the windows one by one is a good
// check, and is what the grader does).
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/05-convolutional-networks --filter Chapter05Exercises/convolutionOutputSize

import ExerciseKit

public func convolutionOutputSize(input: Int, kernel: Int, stride: Int, padding: Int, dilation: Int) throws -> Int {
    throw NotAttempted()
}
