/// Labels that arrived before the row they label was emitted (a slow model, a fast label feed).
///
/// Rule (`schemas/event-time.md`, "Label join"): a label whose row is not awaiting it is held
/// here when the row can still be emitted — its event time is above the assembly watermark of
/// its (symbol, horizon) — and joined the moment the row is emitted; otherwise it is unmatched
/// (a duplicate, or its row was dropped). The store is a fixed ring: when full, the oldest held
/// label is dropped and counted.
public struct EarlyLabels {
    public struct Held: Equatable {
        public var classIndex: Int
        public var forwardReturn: Double
        public var exitTime: Int64
    }

    public let capacity: Int
    private var index: RowIndex
    private var keys: [RowKey]
    private var held: [Held]
    private var next = 0
    public private(set) var dropped = 0

    public init(capacity: Int) {
        self.capacity = max(capacity, 1)
        index = RowIndex(capacity: self.capacity)
        keys = Array(repeating: RowKey(symbol: -1, horizonIndex: -1, eventTime: 0), count: self.capacity)
        held = Array(repeating: Held(classIndex: 0, forwardReturn: 0, exitTime: 0), count: self.capacity)
    }

    public var count: Int { index.count }

    /// Holds a label; a second label for the same row replaces the first.
    public mutating func hold(_ key: RowKey, _ label: Held) {
        if let existing = index[key] {
            held[Int(existing)] = label
            return
        }
        let slot = next
        next = (next + 1) % capacity
        let old = keys[slot]
        if old.symbol >= 0, index[old] == Int32(slot) {
            index.remove(old)
            dropped += 1
        }
        keys[slot] = key
        held[slot] = label
        index.set(key, Int32(slot))
    }

    /// Takes the label held for `key`, if any.
    public mutating func take(_ key: RowKey) -> Held? {
        guard count > 0, let slot = index.remove(key) else { return nil }
        keys[Int(slot)] = RowKey(symbol: -1, horizonIndex: -1, eventTime: 0)
        return held[Int(slot)]
    }
}
