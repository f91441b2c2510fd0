// Reference solution of exercise 3.6.

import AutomaticDifferentiation
import Backpropagation
import BackpropCore
import ExerciseKit
import Foundation

public final class IrisNetwork {
    public var parameters: [Parameter<Double>] = []

    public init(inputs: Int, hidden: Int, classes: Int, rng: inout SeededRandom) throws {
        func weights(_ rows: Int, _ columns: Int, _ rng: inout SeededRandom) throws -> Tensor<Double> {
            let scale = 1 / Double(columns).squareRoot()
            return try Tensor(shape: [rows, columns], scalars: (0..<(rows * columns)).map { _ in scale * rng.normal() })
        }
        parameters = [Parameter("W1", try weights(hidden, inputs, &rng)), Parameter("b1", try Tensor(shape: [hidden], repeating: 0)),
                      Parameter("W2", try weights(classes, hidden, &rng)), Parameter("b2", try Tensor(shape: [classes], repeating: 0))]
    }

    public func logits(_ x: Variable<Double>) throws -> Variable<Double> {
        let p = parameters.map { x.tape.parameter($0) }
        let h = try (x.matmul(p[0], .nt) + p[1]).tanh()  // [n, hidden]
        return try h.matmul(p[2], .nt) + p[3]            // [n, classes]
    }
}
