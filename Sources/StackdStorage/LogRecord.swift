/// One record as read back from the log.
public struct LogRecord: Equatable, Sendable {
    /// The caller's sequence number; strictly increasing within a log.
    public var sequence: UInt64
    /// Event time in nanoseconds; only retention and time-bounded reads interpret it.
    public var timestamp: Int64
    /// The opaque bytes the caller appended.
    public var payload: [UInt8]

    /// Creates a record value (useful for comparisons in tests and callers).
    public init(sequence: UInt64, timestamp: Int64, payload: [UInt8]) {
        self.sequence = sequence
        self.timestamp = timestamp
        self.payload = payload
    }
}

/// A record read in place (`LogCursor.nextView()`): `payload` borrows the cursor's block buffer
/// and is valid only until the cursor's next call.
public struct LogRecordView {
    public let sequence: UInt64
    public let timestamp: Int64
    public let payload: UnsafeRawBufferPointer
}
