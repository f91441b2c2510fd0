// ScratchPool: reusable, 64-byte aligned scratch memory for the SIMD kernels.

import Foundation

/// Scratch memory reused across kernel calls (the GEMM's packing buffers,
/// im2col's columns). Allocating a fresh few hundred KiB on every call costs
/// page faults (glibc returns freed blocks this large to the kernel),
/// measured at ~10% of a small convolution's time. The pool keeps
/// at most `capacity` freed blocks of at most `largest` bytes each; larger
/// requests are allocated and freed directly.
public final class ScratchPool: @unchecked Sendable {
    public struct Block: @unchecked Sendable {
        public let pointer: UnsafeMutableRawPointer
        public let bytes: Int
    }

    public static let shared = ScratchPool()
    /// Enough for every thread of a GEMM (a packed B and per-thread A blocks)
    /// and of an im2col convolution around it to find its buffers again.
    let capacity = 4 * max(1, ProcessInfo.processInfo.activeProcessorCount) + 4
    let largest = 16 << 20
    private let lock = NSLock()
    private var blocks: [Block] = []

    /// A block of at least `bytes` bytes, 64-byte aligned (uninitialised).
    public func take(bytes: Int) -> Block {
        lock.lock()
        // The smallest block that fits, by a plain loop: no temporary array
        // under the lock (two GEMM threads take their buffers at the same
        // moment; the filtered index array showed as 1% of a GPT step).
        var best = -1
        for i in blocks.indices where blocks[i].bytes >= bytes && (best < 0 || blocks[i].bytes < blocks[best].bytes) {
            best = i
        }
        if best >= 0 {
            let block = blocks.remove(at: best)
            lock.unlock()
            return block
        }
        lock.unlock()
        let size = max(64, bytes)
        return Block(pointer: UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64), bytes: size)
    }

    /// Returns a block for reuse (or frees it: too large, or the pool is full
    /// and it is the smallest).
    public func give(_ block: Block) {
        guard block.bytes <= largest else { block.pointer.deallocate(); return }
        lock.lock()
        blocks.append(block)
        var evicted: Block?
        if blocks.count > capacity, let i = blocks.indices.min(by: { blocks[$0].bytes < blocks[$1].bytes }) {
            evicted = blocks.remove(at: i)
        }
        lock.unlock()
        evicted?.pointer.deallocate()
    }
}
