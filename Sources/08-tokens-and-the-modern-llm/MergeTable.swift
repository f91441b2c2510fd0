// The merge rules of a byte-level BPE as a look-up table: a pair of adjacent
// tokens (a, b) → the token they merge into, or nothing.
//
// Both tokenizers of the chapter number their tokens so that the id of a
// merged token is also its rank, its priority among the merges: the trained
// BPE gives merge k the id 256 + k, and GPT-2's `encoder.json` does the same
// (merge k of `vocab.bpe` makes token 256 + k). So "apply the merge of lowest
// rank first" is "make the token of smallest id first", and the table needs
// to hold only the merged id.
//
// Encoding looks this table up for every adjacent pair of every word, so it
// is an open-addressing hash table on 64-bit keys (a << 32 | b) with a
// multiplicative (Fibonacci) hash, instead of a `Dictionary` of tuples:
// one multiply, a shift and usually one probe.

/// Pair of token ids → merged token id (which is also the merge's rank).
public struct MergeTable: Sendable {
    private var keys: [UInt64]
    private var values: [UInt32]
    private var shift: UInt64
    public private(set) var count = 0

    static let empty = UInt64.max

    /// An empty table with room for `capacity` merges before it grows.
    public init(capacity: Int = 16) {
        var size = 16
        while size < 2 * max(capacity, 1) { size *= 2 }
        keys = [UInt64](repeating: Self.empty, count: size)
        values = [UInt32](repeating: 0, count: size)
        shift = UInt64(64 - size.trailingZeroBitCount)
    }

    @inline(__always)
    static func key(_ a: UInt32, _ b: UInt32) -> UInt64 { UInt64(a) << 32 | UInt64(b) }

    @inline(__always)
    func slot(_ key: UInt64) -> Int { Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift) }

    /// The token `a` and `b` merge into, or nil.
    @inline(__always)
    public func merged(_ a: UInt32, _ b: UInt32) -> UInt32? {
        let key = Self.key(a, b)
        let mask = keys.count - 1
        var i = slot(key)
        return keys.withUnsafeBufferPointer { k in
            while true {
                let found = k[i]
                if found == key { return values[i] }
                if found == Self.empty { return nil }
                i = (i + 1) & mask
            }
        }
    }

    /// Adds (or replaces) the merge a, b → token.
    public mutating func insert(_ a: UInt32, _ b: UInt32, merged token: UInt32) {
        if 2 * (count + 1) > keys.count { grow() }
        let key = Self.key(a, b)
        let mask = keys.count - 1
        var i = slot(key)
        while keys[i] != Self.empty && keys[i] != key { i = (i + 1) & mask }
        if keys[i] == Self.empty { count += 1 }
        keys[i] = key
        values[i] = token
    }

    private mutating func grow() {
        var bigger = MergeTable(capacity: keys.count)
        for (i, k) in keys.enumerated() where k != Self.empty {
            bigger.insert(UInt32(truncatingIfNeeded: k >> 32), UInt32(truncatingIfNeeded: k), merged: values[i])
        }
        self = bigger
    }
}
