// Reference solution to exercise 5.5: the forward loops with the reads turned
// into accumulations. Each tap that read x[c][r][col] through W[o][c][u][v]
// for output (o, i, j) sends W·dy back to that input and x·dy to that weight.

import ExerciseKit

public func convolutionBackward(
    x: [[[Double]]], weight: [[[[Double]]]], dy: [[[Double]]], stride: Int, padding: Int
) throws -> (dx: [[[Double]]], dW: [[[[Double]]]], db: [Double]) {
    let channels = x.count, height = x.first?.count ?? 0, width = x.first?.first?.count ?? 0
    let k = weight.first?.first?.count ?? 0
    let outHeight = (height + 2 * padding - k) / stride + 1
    let outWidth = (width + 2 * padding - k) / stride + 1
    var dx = x.map { $0.map { $0.map { _ in 0.0 } } }
    var dW = weight.map { $0.map { $0.map { $0.map { _ in 0.0 } } } }
    var db = [Double](repeating: 0, count: weight.count)
    for o in weight.indices {
        for i in 0..<outHeight {
            for j in 0..<outWidth {
                let g = dy[o][i][j]
                db[o] += g
                for c in 0..<channels {
                    for u in 0..<k {
                        let r = i * stride - padding + u
                        guard r >= 0, r < height else { continue }
                        for v in 0..<k {
                            let col = j * stride - padding + v
                            guard col >= 0, col < width else { continue }
                            dx[c][r][col] += weight[o][c][u][v] * g
                            dW[o][c][u][v] += x[c][r][col] * g
                        }
                    }
                }
            }
        }
    }
    return (dx, dW, db)
}
