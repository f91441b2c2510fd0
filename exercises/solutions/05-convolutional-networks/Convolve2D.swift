// Reference solution to exercise 5.2: cross-correlation (no flip), with the
// padding handled by skipping taps that fall outside the image.

import ExerciseKit

public func convolve2D(image: [[Double]], kernel: [[Double]], stride: Int, padding: Int) throws -> [[Double]] {
    let height = image.count, width = image.first?.count ?? 0
    let kh = kernel.count, kw = kernel.first?.count ?? 0
    let outHeight = (height + 2 * padding - kh) / stride + 1
    let outWidth = (width + 2 * padding - kw) / stride + 1
    var y = [[Double]](repeating: [Double](repeating: 0, count: outWidth), count: outHeight)
    for i in 0..<outHeight {
        for j in 0..<outWidth {
            var sum = 0.0
            for u in 0..<kh {
                let h = i * stride - padding + u
                guard h >= 0, h < height else { continue }
                for v in 0..<kw {
                    let w = j * stride - padding + v
                    guard w >= 0, w < width else { continue }
                    sum += kernel[u][v] * image[h][w]
                }
            }
            y[i][j] = sum
        }
    }
    return y
}
