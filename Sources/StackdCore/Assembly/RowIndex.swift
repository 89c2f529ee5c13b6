/// A fixed-capacity hash map from `RowKey` to a slot number, for the two hot-path indexes
/// (rows under assembly, rows awaiting labels).
///
/// Swift's `Dictionary` showed up as the largest stackd cost in the live-path profile (hashing
/// through `Hasher`, generic lookups). Keys here pack into three integers, so a multiplicative
/// hash and linear probing with backward-shift deletion (no tombstones) do the same job with no
/// allocation after `init` and no per-lookup generic dispatch.
public struct RowIndex: Sendable {
    private var symbols: [Int32]
    private var horizons: [Int32]
    private var times: [Int64]
    private var values: [Int32]      // -1: empty
    private let mask: Int
    public private(set) var count = 0

    /// Holds up to `capacity` keys at a load factor of at most one half.
    public init(capacity: Int) {
        var size = 16
        while size < max(capacity, 1) * 2 { size <<= 1 }
        symbols = Array(repeating: 0, count: size)
        horizons = Array(repeating: 0, count: size)
        times = Array(repeating: 0, count: size)
        values = Array(repeating: -1, count: size)
        mask = size - 1
    }

    @inline(__always)
    private func home(_ key: RowKey) -> Int {
        var h = UInt64(bitPattern: key.eventTime) &* 0x9E37_79B9_7F4A_7C15
        h ^= (UInt64(UInt32(bitPattern: key.symbol)) << 32 | UInt64(UInt32(bitPattern: key.horizonIndex))) &* 0xC2B2_AE3D_27D4_EB4F
        h ^= h >> 29
        return Int(truncatingIfNeeded: h) & mask
    }

    @inline(__always)
    private func matches(_ i: Int, _ key: RowKey) -> Bool {
        times[i] == key.eventTime && symbols[i] == key.symbol && horizons[i] == key.horizonIndex
    }

    public subscript(key: RowKey) -> Int32? {
        var i = home(key)
        while values[i] >= 0 {
            if matches(i, key) { return values[i] }
            i = (i + 1) & mask
        }
        return nil
    }

    /// Inserts or replaces.
    public mutating func set(_ key: RowKey, _ value: Int32) {
        var i = home(key)
        while values[i] >= 0 {
            if matches(i, key) { values[i] = value; return }
            i = (i + 1) & mask
        }
        precondition(count < (mask + 1) / 2, "RowIndex is over its capacity")
        symbols[i] = key.symbol
        horizons[i] = key.horizonIndex
        times[i] = key.eventTime
        values[i] = value
        count += 1
    }

    /// Removes `key` and returns its value.
    @discardableResult
    public mutating func remove(_ key: RowKey) -> Int32? {
        var i = home(key)
        while values[i] >= 0 {
            if matches(i, key) {
                let removed = values[i]
                // Backward-shift deletion keeps every probe chain unbroken without tombstones.
                var hole = i
                var j = (i + 1) & mask
                while values[j] >= 0 {
                    let h = home(RowKey(symbol: Int(symbols[j]), horizonIndex: Int(horizons[j]), eventTime: times[j]))
                    // Move j into the hole unless its home lies cyclically in (hole, j].
                    let inRange = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j)
                    if !inRange {
                        symbols[hole] = symbols[j]
                        horizons[hole] = horizons[j]
                        times[hole] = times[j]
                        values[hole] = values[j]
                        hole = j
                    }
                    j = (j + 1) & mask
                }
                values[hole] = -1
                count -= 1
                return removed
            }
            i = (i + 1) & mask
        }
        return nil
    }
}
