// Reference solution to exercise 5.7: the forward loops of 5.2 summed over
// input channels and over the batch, on flat arrays; the backward pass is
// the same loops with each product's two factors receiving dy times the
// other (5.5's scatter), added into the parameters' gradients.

import Backpropagation
import BackpropCore
import ExerciseKit

public final class ConvolutionLayer: Layer {
    public let weight: Parameter<Double>
    public let bias: Parameter<Double>
    public let stride: Int, padding: Int
    public var backend: Backend = .naive
    public var parameters: [Parameter<Double>] { [weight, bias] }
    public var summary: String { "ConvolutionLayer(\(weight.value.shape), stride \(stride), padding \(padding))" }

    public init(weight: Tensor<Double>, bias: Tensor<Double>, stride: Int, padding: Int) {
        self.weight = Parameter("weight", weight)
        self.bias = Parameter("bias", bias)
        self.stride = stride
        self.padding = padding
    }

    /// (N, C_in, H, W, C_out, k, H_out, W_out) for an input shape.
    func sizes(_ shape: [Int]) -> (n: Int, cin: Int, h: Int, w: Int, cout: Int, k: Int, ho: Int, wo: Int) {
        let k = weight.value.shape[2]
        return (shape[0], shape[1], shape[2], shape[3], weight.value.shape[0], k,
                (shape[2] + 2 * padding - k) / stride + 1, (shape[3] + 2 * padding - k) / stride + 1)
    }

    public func forward(_ x: Tensor<Double>, mode: Mode) throws -> (output: Tensor<Double>, cache: Tensor<Double>) {
        let g = sizes(x.shape)
        let xs = x.scalars, ws = weight.value.scalars, bs = bias.value.scalars
        var y = [Double](repeating: 0, count: g.n * g.cout * g.ho * g.wo)
        for n in 0..<g.n {
            for o in 0..<g.cout {
                for i in 0..<g.ho {
                    for j in 0..<g.wo {
                        var sum = bs[o]
                        for c in 0..<g.cin {
                            for u in 0..<g.k {
                                let r = i * stride - padding + u
                                guard r >= 0, r < g.h else { continue }
                                for v in 0..<g.k {
                                    let col = j * stride - padding + v
                                    guard col >= 0, col < g.w else { continue }
                                    sum += ws[((o * g.cin + c) * g.k + u) * g.k + v] * xs[((n * g.cin + c) * g.h + r) * g.w + col]
                                }
                            }
                        }
                        y[((n * g.cout + o) * g.ho + i) * g.wo + j] = sum
                    }
                }
            }
        }
        return (try Tensor(shape: [g.n, g.cout, g.ho, g.wo], scalars: y), x)
    }

    public func backward(_ dy: Tensor<Double>, cache x: Tensor<Double>) throws -> Tensor<Double> {
        let g = sizes(x.shape)
        let xs = x.scalars, ws = weight.value.scalars, dys = dy.scalars
        var dx = [Double](repeating: 0, count: x.count)
        var dw = weight.grad.scalars, db = bias.grad.scalars
        for n in 0..<g.n {
            for o in 0..<g.cout {
                for i in 0..<g.ho {
                    for j in 0..<g.wo {
                        let d = dys[((n * g.cout + o) * g.ho + i) * g.wo + j]
                        db[o] += d
                        for c in 0..<g.cin {
                            for u in 0..<g.k {
                                let r = i * stride - padding + u
                                guard r >= 0, r < g.h else { continue }
                                for v in 0..<g.k {
                                    let col = j * stride - padding + v
                                    guard col >= 0, col < g.w else { continue }
                                    let xi = ((n * g.cin + c) * g.h + r) * g.w + col
                                    let wi = ((o * g.cin + c) * g.k + u) * g.k + v
                                    dw[wi] += d * xs[xi]
                                    dx[xi] += d * ws[wi]
                                }
                            }
                        }
                    }
                }
            }
        }
        weight.grad = try Tensor(shape: weight.value.shape, scalars: dw)
        bias.grad = try Tensor(shape: bias.value.shape, scalars: db)
        return try Tensor(shape: x.shape, scalars: dx)
    }
}
