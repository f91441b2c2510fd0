// Exercise 5.8 — measure a receptive field
// (chapters/05-convolutional-networks.md, "Receptive fields").
//
// Debug and measure. The chapter says each pooled unit of the digits CNN sees
// a 6 × 6 patch of the 8 × 8 digit, and gives a recurrence over the layers'
// kernels, strides and dilations that predicts it. Check the claim by
// experiment, then write the prediction, and compare the two.
//
// 1. measureReceptiveField. `network` is a black box built from the
//    chapter's layers (Conv2D, MaxPool2D) with seeded random weights and no
//    ReLU: it maps an image x (H rows of W pixels, the shape of `image`) to
//    one output map y (H_out rows of W_out values). Return an H × W mask,
//    mask[r][c] for row r and column c, that is true exactly for the pixels
//    in the receptive field of y[row][column]: the pixels (r, c) such that
//    changing x[r][c] alone, starting from `image`, by some amount, changes
//    y[row][column]. Find them by measuring: perturb one pixel at a time and
//    watch y[row][column]. Return the pixels themselves, not their bounding
//    box, and do not compute the mask from the layers' sizes: you are not
//    told what they are.
//
// 2. predictedReceptiveField. The side r of the (square) receptive field
//    that the chapter's recurrence predicts for a stack of layers, listed
//    from the input up, each with its kernel size k, stride s and dilation d
//    (a pooling layer is a layer whose window is its kernel). For an empty
//    list r = 1: a pixel sees itself.
//
// Questions to answer before you write the loop:
//   - A change of exactly 0 in y[row][column] can also mean a weight that
//     happens to be 0, or a ReLU that is off. Why can't that happen here?
//     And then, what does a pixel outside the field change y[row][column]
//     by: little, or nothing? What tolerance does that call for? (One of the
//     grader's networks blurs the image first with a Gaussian kernel.)
//   - Some networks contain a max pool. What does a small change to a pixel
//     do to y when the pixel only feeds units of a pooling window that are
//     not its maximum? A large change? A change in the other direction?
//   - Near the border, and with padding, where is the rest of the field?
//   - With dilation, is every pixel inside the bounding box in the field?
//
// Then compare. For an output in the middle of the image, the bounding box
// of your mask should be r × r; at the corner of the digits CNN's pooled map
// it is not (why?). The grader measures the digits CNN itself (its two 3×3
// convolutions with padding 1, with 4 and 6 channels, and its 2×2 max pool,
// the ReLUs taken out) on a test digit, and networks with strides, padding,
// dilation, a max pool in the middle and a blur, at outputs in the middle and
// at the border.
//
// Replace both `throw`s with your code, then run:
//   swift test --package-path exercises/05-convolutional-networks --filter Chapter05Exercises/receptiveField

import ExerciseKit

public func measureReceptiveField(
    network: ([[Double]]) throws -> [[Double]], image: [[Double]], row: Int, column: Int
) throws -> [[Bool]] {
    throw NotAttempted()
}

public func predictedReceptiveField(layers: [(kernel: Int, stride: Int, dilation: Int)]) throws -> Int {
    throw NotAttempted()
}
