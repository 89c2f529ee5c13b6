/// A fixed-capacity hash map from `RowKey` to a slot number, for the two hot-path indexes
/// (rows under assembly, rows awaiting labels).
///
/// Swift's `Dictionary` showed up as the largest stackd cost in the live-path profile (hashing
/// through `Hasher`, generic lookups). Keys here pack into three integers, so a multiplicative
/// hash and linear probing with backward-shift deletion (no tombstones) do the same job with no
/// allocation after `init` and no per-lookup generic dispatch. Each entry keeps its key and
/// value together (24 bytes), so a probe touches one cache line: the awaiting-labels index is
/// megabytes large and probed at random.
public struct RowIndex: Sendable {
    @usableFromInline
    struct Entry: Sendable {
        var eventTime: Int64
        var symbol: Int32
        var horizonIndex: Int32
        var value: Int32      // -1: empty
    }

    private var entries: [Entry]
    private var mask: Int
    /// The table never grows past this many entries (twice the key capacity).
    private let maxSize: Int
    public private(set) var count = 0

    /// Holds up to `capacity` keys at a load factor of at most one half. The table starts small
    /// and doubles as keys are added (up to the size `capacity` needs): the keys in flight are
    /// usually far fewer than the capacity, and a small table stays in cache.
    public init(capacity: Int, initialSize: Int = 1024) {
        var size = 16
        while size < max(capacity, 1) * 2 { size <<= 1 }
        maxSize = size
        var start = 16
        while start < min(initialSize, size) { start <<= 1 }
        entries = Array(repeating: Entry(eventTime: 0, symbol: 0, horizonIndex: 0, value: -1), count: start)
        mask = start - 1
    }

    /// Doubles the table and re-inserts every key (amortised O(1) per insert; only while the
    /// number of keys in flight reaches a new high).
    private mutating func grow() {
        let old = entries
        let size = (mask + 1) * 2
        entries = Array(repeating: Entry(eventTime: 0, symbol: 0, horizonIndex: 0, value: -1), count: size)
        mask = size - 1
        let mask = self.mask
        entries.withUnsafeMutableBufferPointer { e in
            for entry in old where entry.value >= 0 {
                var i = Self.home(entry.eventTime, entry.symbol, entry.horizonIndex, mask)
                while e[i].value >= 0 { i = (i + 1) & mask }
                e[i] = entry
            }
        }
    }

    @inline(__always)
    private static func home(_ eventTime: Int64, _ symbol: Int32, _ horizonIndex: Int32, _ mask: Int) -> Int {
        var h = UInt64(bitPattern: eventTime) &* 0x9E37_79B9_7F4A_7C15
        h ^= (UInt64(UInt32(bitPattern: symbol)) << 32 | UInt64(UInt32(bitPattern: horizonIndex))) &* 0xC2B2_AE3D_27D4_EB4F
        h ^= h >> 29
        return Int(truncatingIfNeeded: h) & mask
    }

    @inline(__always)
    private static func matches(_ e: Entry, _ key: RowKey) -> Bool {
        e.eventTime == key.eventTime && e.symbol == key.symbol && e.horizonIndex == key.horizonIndex
    }

    public subscript(key: RowKey) -> Int32? {
        let mask = self.mask
        return entries.withUnsafeBufferPointer { e -> Int32? in
            var i = Self.home(key.eventTime, key.symbol, key.horizonIndex, mask)
            while e[i].value >= 0 {
                if Self.matches(e[i], key) { return e[i].value }
                i = (i + 1) & mask
            }
            return nil
        }
    }

    /// Inserts or replaces.
    public mutating func set(_ key: RowKey, _ value: Int32) {
        if (count + 1) * 2 > mask + 1, mask + 1 < maxSize { grow() }
        let mask = self.mask
        let inserted = entries.withUnsafeMutableBufferPointer { e -> Bool in
            var i = Self.home(key.eventTime, key.symbol, key.horizonIndex, mask)
            while e[i].value >= 0 {
                if Self.matches(e[i], key) { e[i].value = value; return false }
                i = (i + 1) & mask
            }
            e[i] = Entry(eventTime: key.eventTime, symbol: key.symbol, horizonIndex: key.horizonIndex, value: value)
            return true
        }
        if inserted {
            count += 1
            precondition(count <= maxSize / 2, "RowIndex is over its capacity")
        }
    }

    /// Removes `key` and returns its value.
    @discardableResult
    public mutating func remove(_ key: RowKey) -> Int32? {
        let mask = self.mask
        let removed = entries.withUnsafeMutableBufferPointer { e -> Int32? in
            var i = Self.home(key.eventTime, key.symbol, key.horizonIndex, mask)
            while e[i].value >= 0 {
                if Self.matches(e[i], key) {
                    let removed = e[i].value
                    // Backward-shift deletion keeps every probe chain unbroken without tombstones.
                    var hole = i
                    var j = (i + 1) & mask
                    while e[j].value >= 0 {
                        let h = Self.home(e[j].eventTime, e[j].symbol, e[j].horizonIndex, mask)
                        // Move j into the hole unless its home lies cyclically in (hole, j].
                        let inRange = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j)
                        if !inRange {
                            e[hole] = e[j]
                            hole = j
                        }
                        j = (j + 1) & mask
                    }
                    e[hole].value = -1
                    return removed
                }
                i = (i + 1) & mask
            }
            return nil
        }
        if removed != nil { count -= 1 }
        return removed
    }
}
