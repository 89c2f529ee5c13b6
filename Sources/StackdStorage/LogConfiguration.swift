/// Tuning for a `LogWriter`.
public struct LogConfiguration: Equatable, Sendable {
    /// When buffered records become a block.
    public var flush: FlushPolicy
    /// When blocks are fsynced; also decides what "durable" means for `append`'s result.
    public var sync: SyncPolicy
    /// A new segment starts once the current one reaches this many bytes. Smaller segments make
    /// retention finer-grained; larger ones mean fewer files.
    public var maxSegmentBytes: Int
    /// A new segment starts once the current one holds this many records.
    public var maxSegmentRecords: Int
    /// Buffered (uncompressed) bytes that force a flush whatever the policy, bounding memory
    /// and the size of a block a reader must decompress at once.
    public var maxBlockBytes: Int
    /// Compress blocks with LZ4 (stored raw anyway when that would not make them smaller).
    public var compress: Bool
    /// Applied by `applyRetention()` and `compact()`, which the owner calls (for example after
    /// each append that rotated): never implicitly, so an append cannot fail on a deletion.
    public var retention: RetentionPolicy

    /// Creates a configuration; the defaults favour durability (flush every record).
    public init(
        flush: FlushPolicy = .everyRecord,
        sync: SyncPolicy = .none,
        maxSegmentBytes: Int = 64 << 20,
        maxSegmentRecords: Int = 1_000_000,
        maxBlockBytes: Int = 1 << 20,
        compress: Bool = true,
        retention: RetentionPolicy = .unbounded
    ) {
        self.flush = flush
        self.sync = sync
        self.maxSegmentBytes = maxSegmentBytes
        self.maxSegmentRecords = maxSegmentRecords
        self.maxBlockBytes = maxBlockBytes
        self.compress = compress
        self.retention = retention
    }

    func validate() throws(StorageError) {
        if case let .everyRecords(n) = flush, n < 1 { throw .invalidConfiguration("everyRecords needs n >= 1") }
        if case let .interval(ns) = flush, ns < 0 { throw .invalidConfiguration("negative flush interval") }
        if case let .everyFlushes(n) = sync, n < 1 { throw .invalidConfiguration("everyFlushes needs n >= 1") }
        guard maxSegmentBytes > 0, maxSegmentRecords > 0, maxBlockBytes > 0 else {
            throw .invalidConfiguration("segment and block limits must be positive")
        }
        if let maxRecords = retention.maxRecords, maxRecords < 0 { throw .invalidConfiguration("negative maxRecords") }
        if let maxAge = retention.maxAge, maxAge < 0 { throw .invalidConfiguration("negative maxAge") }
    }
}
