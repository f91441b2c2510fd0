// Reference solution to exercise 2.1: dx = dy where x > 0, else 0 (the
// gradient at exactly 0 is 0, as in PyTorch).

import ExerciseKit

public func reluBackward(x: [Double], dy: [Double]) throws -> [Double] {
    zip(x, dy).map { xi, dyi in xi > 0 ? dyi : 0 }
}
