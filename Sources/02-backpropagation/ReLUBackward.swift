// ReLUBackward: the Float SIMD loop of ReLU's backward pass that Activation
// uses, dx = dy · (x > 0 ? 1 : 0).
//
// The core's `mapBackward` computes the same thing through one generic loop
// shared by every activation, which calls its per-vector body through a
// closure that is not inlined (each SIMD8 crosses a call in two halves):
// about 1 cycle per element on a CNN's feature maps, where the loop below
// is a load, a compare, a blend, a multiply and a store per 8 elements.
// Same IEEE operations as Naive.derivative (dy times exactly 1 or 0, so
// −0, NaN and ∞ in dy behave the same), hence the same bits.

/// dx = dy ⊙ relu′(x) for Float, eight lanes at a time.
enum ReLUBackward {
    static func float(count: Int, x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>) {
        typealias V = SIMD8<Float>
        let (zero, one) = (V(), V(repeating: 1))
        let (px, pdy, pdx) = (UnsafeRawPointer(x), UnsafeRawPointer(dy), UnsafeMutableRawPointer(dx))
        var i = 0
        while i + 8 <= count {
            let offset = i * MemoryLayout<Float>.stride
            let derivative = zero.replacing(with: one, where: px.loadUnaligned(fromByteOffset: offset, as: V.self) .> zero)
            pdx.storeBytes(of: pdy.loadUnaligned(fromByteOffset: offset, as: V.self) * derivative, toByteOffset: offset, as: V.self)
            i += 8
        }
        while i < count {
            dx[i] = dy[i] * (x[i] > 0 ? 1 : 0)
            i += 1
        }
    }
}
