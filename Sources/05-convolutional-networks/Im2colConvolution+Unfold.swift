// Im2colConvolution's data movement: unfolding image patches into the
// columns of X̂ (im2col) and its adjoint (col2im), gathering dY, and the
// small vector helpers the passes share. The passes themselves, their plan
// and their threads are in Im2colConvolution.swift; the derivation is in
// chapters/05-convolutional-networks.md, "im2col: a convolution as one matrix product".

import BackpropCore
import Dispatch
import Foundation

extension Im2colConvolution {
    // MARK: im2col and col2im

    /// Unfolds images 0..<count at x into scratch.cols (row length count·HW,
    /// images side by side): cols[(c·k_h + u)·k_w + v, image·HW + i·W_out + j]
    /// = x[image, c, i·s − p + u·d, j·s − p + v·d], or 0 in the padding.
    @inline(__always)
    static func im2col<T: TensorScalar>(_ plan: Plan, _ x: UnsafePointer<T>, count: Int, _ scratch: Scratch<T>) {
        let g = plan.g
        let (H, W, Ho, Wo) = (g.height, g.width, g.outHeight, g.outWidth)
        let (s, p, d, kh, kw) = (g.stride, g.padding, g.dilation, g.kernelHeight, g.kernelWidth)
        let (Hp, Wp) = (plan.paddedHeight, plan.paddedWidth)
        let padded = scratch.padded
        // Zero-padded copies of the images.
        for image in 0..<count {
            for c in 0..<g.inChannels {
                let src = x + image * plan.imageSize + c * H * W
                let dst = padded + image * plan.paddedSize + c * Hp * Wp
                if p == 0 {
                    dst.update(from: src, count: H * W)
                } else {
                    zero(dst, count: p * Wp + p)
                    for h in 0..<H {
                        let row = dst + (h + p) * Wp + p
                        copyExact(src + h * W, row, count: W)
                        // right padding of this row and left padding of the next
                        zero(row + W, count: 2 * p)
                    }
                    zero(dst + (H + p) * Wp + p, count: p * Wp - p)
                }
            }
        }
        // Rows r in increasing order, images and output rows within: a whole
        // vector copied past a row's end lands on memory written later.
        let ld = count * plan.hw
        var r = 0
        for c in 0..<g.inChannels {
            for u in 0..<kh {
                for v in 0..<kw {
                    for image in 0..<count {
                        let src = padded + image * plan.paddedSize + c * Hp * Wp + u * d * Wp + v * d
                        let dst = scratch.cols + r * ld + image * plan.hw
                        if s == 1 {
                            for i in 0..<Ho { copyVectors(src + i * Wp, dst + i * Wo, count: Wo) }
                        } else {
                            for i in 0..<Ho {
                                let from = src + i * s * Wp, to = dst + i * Wo
                                for j in 0..<Wo { to[j] = from[j * s] }
                            }
                        }
                    }
                    r += 1
                }
            }
        }
    }

    /// The adjoint of `im2col`: dx[image, c, i·s − p + u·d, j·s − p + v·d] =
    /// Σ of the dX̂ entries (in scratch.cols) copied from there. Overwrites
    /// dx for images 0..<count.
    @inline(__always)
    static func col2im<T: TensorScalar>(_ plan: Plan, count: Int, _ scratch: Scratch<T>, _ dx: UnsafeMutablePointer<T>) {
        let g = plan.g
        let (H, W, Ho, Wo) = (g.height, g.width, g.outHeight, g.outWidth)
        let (s, p, d, kh, kw) = (g.stride, g.padding, g.dilation, g.kernelHeight, g.kernelWidth)
        let (Hp, Wp) = (plan.paddedHeight, plan.paddedWidth)
        let padded = scratch.padded
        padded.update(repeating: 0, count: count * plan.paddedSize)
        let ld = count * plan.hw
        var r = 0
        for c in 0..<g.inChannels {
            for u in 0..<kh {
                for v in 0..<kw {
                    for image in 0..<count {
                        let dst = padded + image * plan.paddedSize + c * Hp * Wp + u * d * Wp + v * d
                        let src = scratch.cols + r * ld + image * plan.hw
                        if s == 1 {
                            for i in 0..<Ho { addVectors(src + i * Wo, dst + i * Wp, count: Wo) }
                        } else {
                            for i in 0..<Ho {
                                let from = src + i * Wo, to = dst + i * s * Wp
                                for j in 0..<Wo { to[j * s] += from[j] }
                            }
                        }
                    }
                    r += 1
                }
            }
        }
        // The interior of the padded gradient is dx.
        for image in 0..<count {
            for c in 0..<g.inChannels {
                let src = padded + image * plan.paddedSize + c * Hp * Wp + p * Wp + p
                let dst = dx + image * plan.imageSize + c * H * W
                if p == 0 {
                    dst.update(from: src, count: H * W)
                } else {
                    for h in 0..<H { copyExact(src + h * Wp, dst + h * W, count: W) }
                }
            }
        }
    }

    /// dY of images first..<first+count as one [C_out, count·HW] matrix:
    /// the images' own storage when count == 1, else copied into `buffer`.
    @inline(__always)
    static func gather<T>(
        _ plan: Plan, _ dy: UnsafePointer<T>, first: Int, count: Int, into buffer: UnsafeMutablePointer<T>
    ) -> UnsafePointer<T> {
        if count == 1 { return dy + first * plan.outputSize }
        let n = count * plan.hw
        for image in 0..<count {
            let src = dy + (first + image) * plan.outputSize
            for o in 0..<plan.outChannels {
                (buffer + o * n + image * plan.hw).update(from: src + o * plan.hw, count: plan.hw)
            }
        }
        return UnsafePointer(buffer)
    }

    // MARK: Vector helpers

    /// dst[0..<count] = src[0..<count] in whole vectors: up to one vector
    /// minus one element past `count` is read and written too.
    @inline(__always)
    static func copyVectors<T: TensorScalar>(_ src: UnsafePointer<T>, _ dst: UnsafeMutablePointer<T>, count: Int) {
        let w = T.Vector.scalarCount
        var j = 0
        repeat {
            UnsafeMutableRawPointer(dst + j).storeBytes(of: UnsafeRawPointer(src + j).loadUnaligned(as: T.Vector.self), as: T.Vector.self)
            j += w
        } while j < count
    }

    /// dst[0..<count] = src[0..<count], exactly `count` elements: whole
    /// vectors, then single elements. For the short rows of small images,
    /// where a call to memmove per row costs more than the copy.
    @inline(__always)
    static func copyExact<T: TensorScalar>(_ src: UnsafePointer<T>, _ dst: UnsafeMutablePointer<T>, count: Int) {
        let w = T.Vector.scalarCount
        var j = 0
        while j + w <= count {
            UnsafeMutableRawPointer(dst + j).storeBytes(of: UnsafeRawPointer(src + j).loadUnaligned(as: T.Vector.self), as: T.Vector.self)
            j += w
        }
        while j < count { dst[j] = src[j]; j += 1 }
    }

    /// row[0..<count] = 0, element by element (counts here are a few padding columns).
    @inline(__always)
    static func zero<T: TensorScalar>(_ row: UnsafeMutablePointer<T>, count: Int) {
        for j in 0..<count { row[j] = 0 }
    }

    /// dst[0..<count] += src[0..<count], exactly `count` elements.
    @inline(__always)
    static func addVectors<T: TensorScalar>(_ src: UnsafePointer<T>, _ dst: UnsafeMutablePointer<T>, count: Int) {
        let w = T.Vector.scalarCount
        var j = 0
        while j + w <= count {
            let to = UnsafeMutableRawPointer(dst + j)
            to.storeBytes(of: to.loadUnaligned(as: T.Vector.self) + UnsafeRawPointer(src + j).loadUnaligned(as: T.Vector.self),
                          as: T.Vector.self)
            j += w
        }
        while j < count { dst[j] += src[j]; j += 1 }
    }

    /// row[0..<count] += value
    @inline(__always)
    static func addScalar<T: TensorScalar>(_ value: T, _ row: UnsafeMutablePointer<T>, count: Int) {
        let w = T.Vector.scalarCount, v = T.Vector(repeating: value)
        var j = 0
        while j + w <= count {
            let to = UnsafeMutableRawPointer(row + j)
            to.storeBytes(of: to.loadUnaligned(as: T.Vector.self) + v, as: T.Vector.self)
            j += w
        }
        while j < count { row[j] += value; j += 1 }
    }

    /// Σ row[0..<count], in four vector accumulators.
    @inline(__always)
    static func sum<T: TensorScalar>(_ row: UnsafePointer<T>, count: Int) -> T {
        let w = T.Vector.scalarCount
        var a0 = T.Vector(), a1 = T.Vector(), a2 = T.Vector(), a3 = T.Vector()
        var j = 0
        let raw = UnsafeRawPointer(row), size = MemoryLayout<T>.stride
        while j + 4 * w <= count {
            a0 += raw.loadUnaligned(fromByteOffset: j * size, as: T.Vector.self)
            a1 += raw.loadUnaligned(fromByteOffset: (j + w) * size, as: T.Vector.self)
            a2 += raw.loadUnaligned(fromByteOffset: (j + 2 * w) * size, as: T.Vector.self)
            a3 += raw.loadUnaligned(fromByteOffset: (j + 3 * w) * size, as: T.Vector.self)
            j += 4 * w
        }
        while j + w <= count { a0 += raw.loadUnaligned(fromByteOffset: j * size, as: T.Vector.self); j += w }
        var total = ((a0 + a1) + (a2 + a3)).sum()
        while j < count { total += row[j]; j += 1 }
        return total
    }

    /// 64-byte-aligned scratch (uninitialised).
    static func allocate<T>(_: T.Type, _ count: Int) -> UnsafeMutablePointer<T> {
        UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * MemoryLayout<T>.stride, alignment: 64)
            .assumingMemoryBound(to: T.self)
    }
}
