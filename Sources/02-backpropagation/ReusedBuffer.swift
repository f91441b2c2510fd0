// ReusedBuffer: storage a layer keeps for one of its outputs between
// training steps.
//
// A training step allocates the same tensors every time: each layer's
// output and each input gradient. Arrays of a few hundred KiB come straight
// from the operating system (glibc serves them with mmap, or trims them off
// the heap's top when freed), so every step pays a page fault per 4 KiB
// page of every such tensor, and zero-fills it before the kernel overwrites
// it. Measured on the digits CNN: ~700 page faults a step, about a fifth of
// its time.
//
// A layer keeps a `ReusedBuffer` per output instead and asks it for the
// tensor of each step. The returned tensor shares the buffer's storage
// (copy-on-write, as any Array), so nothing is copied when the step's
// tensors are released before the next step writes the buffer again — the
// usual case in a training loop. If someone still holds the last step's
// tensor, writing makes Array copy it first: that tensor keeps its values,
// only the speed is lost. So reuse never changes a result.
//
// Layers reuse buffers only in training mode (and in backward): inference
// may run the same model on several threads at once, and must allocate.
// The methods are `@inlinable` so they are specialised for Float and Double
// in the layers' modules (unspecialised, filling a new array copies each
// element through a generic value witness).

import BackpropCore

/// An array reused from call to call while its size stays the same.
public struct ReusedBuffer<Element: Numeric> {
    @usableFromInline var storage: [Element] = []

    @inlinable public init() {}

    /// The array of `count` elements after `write` has set every one of them.
    /// `write` receives the base address (nothing is called for count 0);
    /// on a size change the array is reallocated (and zeroed once).
    @inlinable
    public mutating func array(count: Int, _ write: (UnsafeMutablePointer<Element>) -> Void) -> [Element] {
        if storage.count != count {
            storage = []  // release the old block before allocating the new one
            storage = [Element](repeating: .zero, count: count)
        }
        if count > 0 { storage.withUnsafeMutableBufferPointer { write($0.baseAddress!) } }
        return storage
    }
}

extension ReusedBuffer where Element: TensorScalar {
    /// A tensor of `shape` whose every element `write` sets (see `array`).
    @inlinable
    public mutating func tensor(_ shape: [Int], _ write: (UnsafeMutablePointer<Element>) -> Void) -> Tensor<Element> {
        let scalars = array(count: shape.reduce(1, *), write)
        return try! Tensor(shape: shape, scalars: scalars)  // the count matches the shape by construction
    }
}
