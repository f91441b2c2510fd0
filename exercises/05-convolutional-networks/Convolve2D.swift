// Exercise 5.2 — a two-dimensional convolution, one channel
// (chapters/05-convolutional-networks.md, "Multiple channels, and the forward
// pass" and "Output size"; why the kernel is not flipped: "Convolution or
// cross-correlation?"; where a flip does appear: "The backward pass of a
// convolution").
//
// image is H × W (H rows of W values), kernel is k_h × k_w. Pad the image
// with `padding` zeros on every side, slide the kernel over it `stride`
// positions at a time, and at each position take the sum of the elementwise
// products. Output element (i, j), for 0 ≤ i < H_out and 0 ≤ j < W_out, is
//
//   y[i][j] = Σ_u Σ_v kernel[u][v] · x[i·s − p + u][j·s − p + v]
//
// where x[h][w] = image[h][w] inside the image and 0 outside (zero padding),
// and H_out and W_out are the numbers of positions at which the kernel fits
// inside the padded image along each axis (exercise 5.1's answer, with
// dilation 1). Return y as H_out rows of W_out values.
//
// Deep learning's "convolution" is what mathematicians call
// cross-correlation: the kernel is NOT flipped (kernel[u][v] multiplies the
// pixel u rows below and v columns right of the window's top-left corner).
// This is torch.nn.functional.conv2d with one input and one output channel
// and no bias.
//
// Worked example, the first output element (stride 1, padding 0):
//
//   image  1 2 3     kernel  1 2     y[0][0] = 1·1 + 2·2 + 3·4 + 4·5 = 37
//          4 5 6             3 4
//          7 8 9
//
// Work out the other three elements of this 2 × 2 output by hand before you
// run the grader, which uses this case.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/05-convolutional-networks --filter Chapter05Exercises/convolve2D

import ExerciseKit

public func convolve2D(image: [[Double]], kernel: [[Double]], stride: Int, padding: Int) throws -> [[Double]] {
    throw NotAttempted()
}
