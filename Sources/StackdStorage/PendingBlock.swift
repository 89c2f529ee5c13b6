/// Records appended but not yet flushed, already in their on-disk payload encoding.
///
/// Encoding at append time (instead of keeping `LogRecord`s) means a flush is one compression
/// call over one contiguous buffer, and the buffer's capacity is reused across flushes.
struct PendingBlock {
    /// Per-record framing: sequence u64, timestamp i64, length u32.
    static let recordOverhead = 20

    private(set) var bytes: [UInt8] = []
    private(set) var count = 0
    private(set) var firstSequence: UInt64 = 0
    private(set) var firstTimestamp: Int64 = 0
    private(set) var lastSequence: UInt64 = 0
    private(set) var minTimestamp = Int64.max
    private(set) var maxTimestamp = Int64.min

    var isEmpty: Bool { count == 0 }

    mutating func add(sequence: UInt64, timestamp: Int64, payload: UnsafeRawBufferPointer) {
        if count == 0 {
            firstSequence = sequence
            firstTimestamp = timestamp
        }
        lastSequence = sequence
        minTimestamp = min(minTimestamp, timestamp)
        maxTimestamp = max(maxTimestamp, timestamp)
        count += 1
        bytes.appendLE(sequence)
        bytes.appendLE(timestamp)
        bytes.appendLE(UInt32(payload.count))
        bytes.append(contentsOf: payload)
    }

    mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        count = 0
        minTimestamp = .max
        maxTimestamp = .min
    }
}
