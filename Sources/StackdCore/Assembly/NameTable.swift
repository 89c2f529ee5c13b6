/// Maps names (models, symbols) received as raw bytes to small dense ids, without allocating on
/// lookup: the hot path sees a name as a borrowed byte range inside a ZeroMQ frame.
///
/// Open addressing over a hash of the name's first and last 8 bytes (and its length); names are
/// kept in one byte arena. A name of at most 16 bytes is compared as those two words, a longer
/// one byte by byte as well: a lookup runs on every message, and a byte-wise hash and compare
/// cost ≈ 170 instructions per message. Insertion allocates (once per new name) and is refused
/// when the table is full.
///
/// A class, owned by one pipeline: a lookup on a struct stored in the pipeline (a class) copied
/// the struct first, retaining and releasing its seven arrays (≈ 140 instructions per lookup,
/// two or three lookups per row; bench/RESULTS.md).
public final class NameTable {
    private var slots: [Int32]          // -1 empty, else id
    private var offsets: [Int]          // id -> start in arena
    private var lengths: [Int]
    private var firstWords: [UInt64]    // id -> `words(of:)` of the name
    private var lastWords: [UInt64]
    private var arena: [UInt8]
    public private(set) var names: [String]
    public let capacity: Int

    public init(capacity: Int) {
        self.capacity = capacity
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: -1, count: size)
        offsets = []
        lengths = []
        firstWords = []
        lastWords = []
        arena = []
        names = []
        offsets.reserveCapacity(capacity)
        lengths.reserveCapacity(capacity)
        firstWords.reserveCapacity(capacity)
        lastWords.reserveCapacity(capacity)
        names.reserveCapacity(capacity)
        arena.reserveCapacity(capacity * 16)
    }

    public var count: Int { names.count }

    /// The name's first 8 bytes and its last 8 bytes, little-endian, zero-padded when shorter
    /// than 8 (then both are the same word). Together with the length they are the whole name
    /// when it has at most 16 bytes.
    @inline(__always)
    static func words(of bytes: UnsafeRawBufferPointer) -> (first: UInt64, last: UInt64) {
        let n = bytes.count
        if n >= 8 {
            return (UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self)),
                    UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)))
        }
        var w: UInt64 = 0
        for j in 0..<n { w |= UInt64(bytes[j]) << UInt64(8 * j) }
        return (w, w)
    }

    @inline(__always)
    static func hash(_ words: (first: UInt64, last: UInt64), count: Int) -> UInt64 {
        var h = (words.first ^ UInt64(truncatingIfNeeded: count)) &* 0x9e37_79b9_7f4a_7c15
        h = (h ^ (h >> 29) ^ words.last) &* 0xbf58_476d_1ce4_e5b9
        return h ^ (h >> 32)
    }

    /// The id of `bytes`, or nil when the name is not in the table.
    @inline(__always)
    public func id(of bytes: UnsafeRawBufferPointer) -> Int? {
        let w = Self.words(of: bytes), n = bytes.count
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: Self.hash(w, count: n)) & mask
        while true {
            let id = Int(slots[i])
            if id < 0 { return nil }
            if lengths[id] == n && firstWords[id] == w.first && lastWords[id] == w.last
                && (n <= 16 || matches(id, bytes)) { return id }
            i = (i + 1) & mask
        }
    }

    @inline(__always)
    private func matches(_ id: Int, _ bytes: UnsafeRawBufferPointer) -> Bool {
        arena.withUnsafeBufferPointer { a in
            let start = offsets[id]
            for j in 0..<bytes.count where a[start + j] != bytes[j] { return false }
            return true
        }
    }

    /// Inserts a name and returns its id (the existing id if present); nil when full.
    @discardableResult
    public func insert(_ bytes: UnsafeRawBufferPointer) -> Int? {
        if let existing = id(of: bytes) { return existing }
        guard names.count < capacity else { return nil }
        let id = names.count
        let w = Self.words(of: bytes)
        offsets.append(arena.count)
        lengths.append(bytes.count)
        firstWords.append(w.first)
        lastWords.append(w.last)
        arena.append(contentsOf: bytes)
        names.append(String(decoding: bytes, as: UTF8.self))
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: Self.hash(w, count: bytes.count)) & mask
        while slots[i] >= 0 { i = (i + 1) & mask }
        slots[i] = Int32(id)
        return id
    }

    @discardableResult
    public func insert(_ name: String) -> Int? {
        var copy = name
        return copy.withUTF8 { insert(UnsafeRawBufferPointer($0)) }
    }

    /// Calls `body` with the bytes of the name with this id.
    public func withName<R>(_ id: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try arena.withUnsafeBytes { a in
            try body(UnsafeRawBufferPointer(rebasing: a[offsets[id] ..< offsets[id] + lengths[id]]))
        }
    }
}
