// Reference solution to exercise 5.1: ⌊(n + 2p − d(k − 1) − 1)/s⌋ + 1. The
// numerator is never negative when the window fits, so Swift's integer
// division (which truncates toward zero) is the floor.

import ExerciseKit

public func convolutionOutputSize(input: Int, kernel: Int, stride: Int, padding: Int, dilation: Int) throws -> Int {
    (input + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1
}
