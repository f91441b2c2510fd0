// Reference solution to exercise 5.8.
//
// The measurement: move one pixel at a time, from `image`, by ±10⁶, and mark
// it if y[row][column] changes at all. Why each choice:
//   - no tolerance: a pixel outside the field never enters the arithmetic
//     that produces y[row][column], so its change is exactly 0, not small;
//     inside it, the weights are drawn from a continuous distribution and
//     there is no ReLU, so a sum of products of them is 0 with probability 0,
//     and however small (the blur's corners, 10⁻⁷) it is a change;
//   - a large step: behind a max pool, a pixel that feeds only units below
//     the window's maximum changes nothing until its unit overtakes the
//     maximum (a small step, like the gradient, sees the arg-max's field only);
//   - both directions: if those units see the pixel through negative
//     weights, raising it lowers them and the max ignores it;
//   - the pixel is restored by assignment, not by subtracting the step.
//
// The prediction: the chapter's recurrence, r ← r + d(k − 1)·J and then
// J ← J·s, where J (the product of the strides below the layer) is how far
// apart, in pixels, neighbouring units of the layer's input are.

import ExerciseKit

public func measureReceptiveField(
    network: ([[Double]]) throws -> [[Double]], image: [[Double]], row: Int, column: Int
) throws -> [[Bool]] {
    let y0 = try network(image)[row][column]
    var x = image
    var mask = image.map { $0.map { _ in false } }
    for r in image.indices {
        for c in image[r].indices {
            for step in [1e6, -1e6] {
                x[r][c] = image[r][c] + step
                if try network(x)[row][column] != y0 {
                    mask[r][c] = true
                    break
                }
            }
            x[r][c] = image[r][c]
        }
    }
    return mask
}

public func predictedReceptiveField(layers: [(kernel: Int, stride: Int, dilation: Int)]) throws -> Int {
    var r = 1, jump = 1
    for layer in layers {
        r += layer.dilation * (layer.kernel - 1) * jump
        jump *= layer.stride
    }
    return r
}
