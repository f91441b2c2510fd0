// Reference solution to exercise 8.2 (exercises/08-tokens-and-the-modern-llm/RotaryPositions.swift).

import ExerciseKit
import Foundation

/// Rotates each head's halves by ±p·θᵢ; sign −1 is the transposed rotation.
func rotateHalves(_ x: [[Double]], positions: [Int], headWidth d: Int, base: Double, sign: Double) -> [[Double]] {
    let h = d / 2
    let theta = (0..<h).map { Foundation.pow(base, -Double(2 * $0) / Double(d)) }
    return x.indices.map { t in
        var y = x[t]
        for head in 0..<(x[t].count / d) {
            for i in 0..<h {
                let angle = sign * Double(positions[t]) * theta[i]
                let (c, s) = (cos(angle), sin(angle))
                let (a, b) = (x[t][head * d + i], x[t][head * d + i + h])
                y[head * d + i] = a * c - b * s
                y[head * d + i + h] = b * c + a * s
            }
        }
        return y
    }
}

public func ropeForward(_ x: [[Double]], positions: [Int], headWidth: Int, base: Double) throws -> [[Double]] {
    rotateHalves(x, positions: positions, headWidth: headWidth, base: base, sign: 1)
}

public func ropeBackward(_ dy: [[Double]], positions: [Int], headWidth: Int, base: Double) throws -> [[Double]] {
    rotateHalves(dy, positions: positions, headWidth: headWidth, base: base, sign: -1)
}
