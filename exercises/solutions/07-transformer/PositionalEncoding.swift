// Reference solution to exercise 7.3: d/2 frequencies, sines at even and
// cosines at odd entries.

import ExerciseKit
import Foundation

public func sinusoidalPositionalEncoding(positions: Int, dimension: Int) throws -> [[Double]] {
    (0..<positions).map { pos in
        (0..<dimension).map { entry in
            let i = entry / 2
            let angle = Double(pos) / pow(10000, Double(2 * i) / Double(dimension))
            return entry % 2 == 0 ? sin(angle) : cos(angle)
        }
    }
}
