// The encoder's cache: a word's bytes → its token ids. Natural text repeats
// its words (tinyshakespeare's 1.1 MB are about 250,000 GPT-2 pre-tokens but
// only about 15,000 distinct ones), so each distinct word is merged once and
// every later occurrence is one hash look-up and a copy.
//
// Keys are byte strings, not `String`s: hashing and comparing bytes avoids
// Unicode normalisation and String's per-word allocation. All keys live in
// one byte array and all values in one id array, so adding a word allocates
// nothing but amortised growth. The table is open addressing on a 64-bit
// hash (FNV-1a over 8-byte words, then a multiplicative mix).

/// Byte string → a run of token ids.
public struct WordCache {
    struct Entry {
        var hash: UInt64
        var keyStart: Int32, keyCount: Int32
        var idsStart: Int32, idsCount: Int32
    }

    private var slots: [Int32]
    private var entries: [Entry] = []
    private var keyBytes: [UInt8] = []
    private var ids: [UInt32] = []
    /// Beyond this many bytes of keys the cache starts afresh (bounded memory on endless input).
    public var byteLimit = 1 << 26

    public init() { slots = [Int32](repeating: -1, count: 1 << 12) }

    public var count: Int { entries.count }

    @inline(__always)
    static func hash(_ key: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ UInt64(key.count)
        var i = 0
        let n = key.count
        let base = key.baseAddress!
        while i + 8 <= n {
            h = (h ^ UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)) &* 0x0000_0100_0000_01B3
            i += 8
        }
        var tail: UInt64 = 0, shift: UInt64 = 0
        while i < n {
            tail |= UInt64(base[i]) << shift
            shift += 8
            i += 1
        }
        h = (h ^ tail) &* 0x0000_0100_0000_01B3
        return (h ^ (h >> 29)) &* 0x9E37_79B9_7F4A_7C15
    }

    /// Appends the ids cached for `key` to `output`; false if `key` is not cached.
    @inline(__always)
    public func lookUp(_ key: UnsafeBufferPointer<UInt8>, hash h: UInt64, into output: inout [UInt32]) -> Bool {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h >> 20) & mask
        return slots.withUnsafeBufferPointer { slots in
            entries.withUnsafeBufferPointer { entries in
                while true {
                    let e = slots[i]
                    if e < 0 { return false }
                    let entry = entries[Int(e)]
                    if entry.hash == h && Int(entry.keyCount) == key.count {
                        let same = keyBytes.withUnsafeBufferPointer { stored in
                            memcmpBytes(stored.baseAddress! + Int(entry.keyStart), key.baseAddress!, key.count)
                        }
                        if same {
                            let start = Int(entry.idsStart)
                            output.append(contentsOf: ids[start..<(start + Int(entry.idsCount))])
                            return true
                        }
                    }
                    i = (i + 1) & mask
                }
            }
        }
    }

    /// Remembers `key` → `value` (the key must not be cached yet).
    public mutating func insert(_ key: UnsafeBufferPointer<UInt8>, hash h: UInt64, value: ArraySlice<UInt32>) {
        if keyBytes.count + key.count > byteLimit || ids.count + value.count > Int(Int32.max) { self = WordCache() }
        if 2 * (entries.count + 1) > slots.count { grow() }
        entries.append(Entry(hash: h, keyStart: Int32(keyBytes.count), keyCount: Int32(key.count),
                             idsStart: Int32(ids.count), idsCount: Int32(value.count)))
        keyBytes.append(contentsOf: key)
        ids.append(contentsOf: value)
        place(entries.count - 1)
    }

    private mutating func place(_ index: Int) {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: entries[index].hash >> 20) & mask
        while slots[i] >= 0 { i = (i + 1) & mask }
        slots[i] = Int32(index)
    }

    private mutating func grow() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        for index in entries.indices { place(index) }
    }
}

@inline(__always)
func memcmpBytes(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    var i = 0
    while i + 8 <= n {
        if UnsafeRawPointer(a + i).loadUnaligned(as: UInt64.self) != UnsafeRawPointer(b + i).loadUnaligned(as: UInt64.self) { return false }
        i += 8
    }
    while i < n {
        if a[i] != b[i] { return false }
        i += 1
    }
    return true
}
