import StackdStorage

/// How a `JournalWriter` rotates and flushes its segment log.
///
/// The defaults suit recording at up to about a million messages per second: blocks are
/// written every 100 ms of receive time (or at 1 MiB), so a crash loses at most that much and
/// the recorder never makes a system call per message; fsync only on close, because a
/// recording is not acknowledged data and power-loss durability would cost throughput.
public struct JournalConfiguration: Equatable, Sendable {
    /// When buffered messages are written as a block.
    public var flush: FlushPolicy
    /// When written blocks are fsynced.
    public var sync: SyncPolicy
    /// A new segment starts once the current one reaches this many bytes.
    public var maxSegmentBytes: Int
    /// A new segment starts once the current one holds this many messages.
    public var maxSegmentRecords: Int
    /// Buffered bytes that force a block whatever the flush policy.
    public var maxBlockBytes: Int
    /// LZ4-compress blocks (topics and JSON payloads compress well).
    public var compress: Bool

    /// Creates a configuration; see the type's documentation for the defaults.
    public init(
        flush: FlushPolicy = .interval(nanoseconds: 100_000_000),
        sync: SyncPolicy = .none,
        maxSegmentBytes: Int = 256 << 20,
        maxSegmentRecords: Int = 4_000_000,
        maxBlockBytes: Int = 1 << 20,
        compress: Bool = true
    ) {
        self.flush = flush
        self.sync = sync
        self.maxSegmentBytes = maxSegmentBytes
        self.maxSegmentRecords = maxSegmentRecords
        self.maxBlockBytes = maxBlockBytes
        self.compress = compress
    }

    var log: LogConfiguration {
        LogConfiguration(flush: flush, sync: sync, maxSegmentBytes: maxSegmentBytes, maxSegmentRecords: maxSegmentRecords,
                         maxBlockBytes: maxBlockBytes, compress: compress, retention: .unbounded)
    }
}
