// Reference solution to exercise 5.3: each window's gradient goes to its
// first maximum (a later element must be strictly larger to take over).

import ExerciseKit

public func maxPoolBackward(input: [[Double]], outputGradient: [[Double]], size: Int) throws -> [[Double]] {
    let height = input.count, width = input.first?.count ?? 0
    var dx = [[Double]](repeating: [Double](repeating: 0, count: width), count: height)
    for i in 0..<(height / size) {
        for j in 0..<(width / size) {
            var best = (h: i * size, w: j * size)
            for u in 0..<size {
                for v in 0..<size where input[i * size + u][j * size + v] > input[best.h][best.w] {
                    best = (i * size + u, j * size + v)
                }
            }
            dx[best.h][best.w] += outputGradient[i][j]
        }
    }
    return dx
}
