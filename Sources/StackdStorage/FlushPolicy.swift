/// When buffered records are written to the OS as one block.
///
/// Fewer, larger blocks compress better and cost fewer system calls; flushing every record
/// gives the smallest loss window. Time is always passed in by the caller (a monotonic "now"
/// in nanoseconds) because the module reads no clock, which keeps tests deterministic.
public enum FlushPolicy: Equatable, Sendable {
    /// Each append writes its own block: acknowledged on return.
    case everyRecord
    /// A block is written once this many records are buffered.
    case everyRecords(Int)
    /// A block is written once the oldest buffered record has waited this long (checked by
    /// `append(…, now:)` and `tick(now:)`).
    case interval(nanoseconds: Int64)
    /// Only `flush()`, `sync()`, `close()` and the block-size cap write.
    case manual
}

/// When written blocks are forced to stable storage with `fsync`.
///
/// Separate from flushing because the two protect against different failures: a flushed block
/// survives the process being killed (it is in the page cache), only a synced one survives
/// power loss or a kernel crash.
public enum SyncPolicy: Equatable, Sendable {
    /// Never fsync except on `sync()` and `close()`; acknowledgement means "flushed".
    case none
    /// fsync after every flush; acknowledgement means "synced".
    case everyFlush
    /// fsync after every n-th flush; acknowledgement means "synced".
    case everyFlushes(Int)
}

/// How much history the log keeps; records outside *either* bound are expired.
public struct RetentionPolicy: Equatable, Sendable {
    /// Keep at least the newest this many records; nil: no count bound.
    public var maxRecords: Int?
    /// Expire records whose timestamp is older than the newest timestamp minus this (ns);
    /// nil: no age bound. Relative to the data, not a clock, so replays behave the same.
    public var maxAge: Int64?

    /// Creates a policy; both bounds nil keeps everything.
    public init(maxRecords: Int? = nil, maxAge: Int64? = nil) {
        self.maxRecords = maxRecords
        self.maxAge = maxAge
    }

    /// Keeps everything.
    public static let unbounded = RetentionPolicy()
}
