#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The single writer of a log directory: buffers records, writes them as checksummed blocks,
/// rotates segments, and reports what it recovered when it opened.
///
/// Thread-safety: a writer is owned by one thread (or actor) at a time and is deliberately not
/// `Sendable`; it takes no locks. Only one writer may have a directory open (nothing enforces
/// it: the daemon owns its log directory). Readers open their own `LogReader` on the same
/// directory, from any thread, and see blocks once they are flushed.
///
/// Durability: `append` returns `true` once its record is acknowledged, which means *flushed
/// to the OS* (survives `kill -9`) under `SyncPolicy.none`, and *fsynced* (survives power loss)
/// under the other sync policies. `durableSequence` is the highest acknowledged sequence.
public final class LogWriter {
    /// Largest payload of one record.
    public static let maxRecordBytes = 1 << 30

    /// The log directory.
    public let directory: String
    /// The configuration the writer was opened with.
    public let configuration: LogConfiguration
    /// What recovery found and repaired when the writer opened.
    public let openReport: OpenReport
    // One owner appends (see the type's documentation); the state touched on every append skips
    // the dynamic exclusivity check, a thread-local lookup per access on the journal's hot path.
    /// The last sequence appended, buffered or not (nil for an empty log).
    @exclusivity(unchecked) public private(set) var lastSequence: UInt64?
    /// The highest sequence written to the OS (survives the process dying).
    @exclusivity(unchecked) public private(set) var writtenSequence: UInt64?
    /// The highest sequence fsynced (survives power loss).
    public private(set) var syncedSequence: UInt64?

    var entries: [SegmentEntry]
    var activeFile: RawFile?
    @exclusivity(unchecked) private var pending = PendingBlock()
    /// The block being written (header + stored payload), reused across flushes.
    @exclusivity(unchecked) private var scratch = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    @exclusivity(unchecked) private var pendingSince: Int64?
    private var flushesSinceSync = 0
    /// Sealed segments with flushed but not yet fsynced blocks; `sync()` covers them too.
    private var unsyncedSealed: [RawFile] = []
    @exclusivity(unchecked) private var failed = false
    @exclusivity(unchecked) private var closed = false

    /// Opens (creating if needed) the log in `directory`, recovering a torn tail.
    public init(directory: String, configuration: LogConfiguration = LogConfiguration()) throws(StorageError) {
        try configuration.validate()
        let recovered = try LogRecovery.open(directory)
        self.directory = directory
        self.configuration = configuration
        self.entries = recovered.entries
        self.activeFile = recovered.activeFile
        self.openReport = recovered.report
        lastSequence = entries.last { $0.info.lastSequence != nil }?.info.lastSequence
        // Sequences never go back over a segment set aside (damaged header): they keep naming
        // what was lost, and a journal's sessions keep distinct first sequences.
        if let setAside = recovered.report.quarantined.map(Self.lastSequence(of:)).max() {
            lastSequence = max(lastSequence ?? 0, setAside)
        }
        writtenSequence = lastSequence
        syncedSequence = lastSequence
    }

    /// The last sequence a set-aside segment is known to have held: its first (the record it was
    /// created for) plus the records inferred lost, saturating.
    private static func lastSequence(of segment: QuarantineReport) -> UInt64 {
        let (sum, overflow) = segment.firstSequence.addingReportingOverflow(UInt64(max(segment.recordsLost ?? 1, 1) - 1))
        return overflow ? UInt64.max : sum
    }

    /// Best effort only: an error here cannot be reported, so owners should call `close()`.
    deinit {
        if !failed && !closed { try? flush() }
        scratch.deallocate()
    }

    /// The highest acknowledged sequence under the configured `SyncPolicy`.
    public var durableSequence: UInt64? {
        configuration.sync == .none ? writtenSequence : syncedSequence
    }

    /// Records appended but not yet written.
    public var bufferedCount: Int { pending.count }

    /// The index of every segment, oldest first.
    public var segments: [SegmentInfo] { entries.map(\.info) }

    /// Appends one record and flushes/syncs as the policies say.
    ///
    /// - Parameters:
    ///   - sequence: must be greater than every sequence appended before.
    ///   - timestamp: event time in ns, for retention and time-bounded reads.
    ///   - now: the caller's monotonic clock in ns, needed only by `FlushPolicy.interval`.
    /// - Returns: whether this record is acknowledged (see the type's documentation).
    @discardableResult
    public func append(
        sequence: UInt64, timestamp: Int64, payload: UnsafeRawBufferPointer, now: Int64? = nil
    ) throws(StorageError) -> Bool {
        try checkUsable()
        if let last = lastSequence, sequence <= last {
            throw .sequenceNotIncreasing(previous: last, attempted: sequence)
        }
        guard payload.count <= Self.maxRecordBytes else { throw .recordTooLarge(bytes: payload.count) }
        if !pending.isEmpty && pending.bytes.count + PendingBlock.recordOverhead + payload.count > BlockHeader.maxPayloadBytes {
            try flush()
        }
        if pending.isEmpty { pendingSince = now }
        pending.add(sequence: sequence, timestamp: timestamp, payload: payload)
        lastSequence = sequence
        if shouldFlush(now: now) { try flush() }
        return isAcknowledged(sequence)
    }

    /// Appends one record; see `append(sequence:timestamp:payload:now:)` for the raw-buffer form.
    @discardableResult
    public func append(sequence: UInt64, timestamp: Int64, payload: [UInt8], now: Int64? = nil) throws(StorageError) -> Bool {
        let result = payload.withUnsafeBytes { buffer in
            Result { () throws(StorageError) in try append(sequence: sequence, timestamp: timestamp, payload: buffer, now: now) }
        }
        return try result.get()
    }

    /// Lets `FlushPolicy.interval` flush a quiet stream: call it from the owner's timer.
    /// - Returns: whether a block was written.
    @discardableResult
    public func tick(now: Int64) throws(StorageError) -> Bool {
        try checkUsable()
        guard !pending.isEmpty else { return false }
        guard pendingSince != nil else {
            pendingSince = now
            return false
        }
        guard shouldFlush(now: now) else { return false }
        try flush()
        return true
    }

    /// Whether `sequence` is acknowledged.
    public func isAcknowledged(_ sequence: UInt64) -> Bool {
        guard let durable = durableSequence else { return false }
        return sequence <= durable
    }

    /// Writes buffered records as one block (then syncs if the sync policy says so).
    public func flush() throws(StorageError) {
        try checkUsable()
        guard !pending.isEmpty else { return }
        let (header, length) = try BlockCodec.encode(pending, compress: configuration.compress, into: &scratch)
        try prepareActiveSegment()
        guard let file = activeFile else { throw .writerFailed }
        let index = entries.count - 1
        let offset = entries[index].info.byteSize
        do {
            try file.write(UnsafeRawBufferPointer(rebasing: scratch[0..<length]), at: offset)
        } catch {
            // A partial block would be truncated by recovery anyway; cutting it now keeps the
            // file valid for readers, but the writer's view is no longer trustworthy.
            failed = true
            try? file.truncate(to: offset)
            throw error
        }
        entries[index].append(ScannedBlock(offset: offset, header: header))
        writtenSequence = pending.lastSequence
        pending.reset()
        pendingSince = nil
        flushesSinceSync += 1
        switch configuration.sync {
        case .none: break
        case .everyFlush: try syncActive()
        case let .everyFlushes(n): if flushesSinceSync >= n { try syncActive() }
        }
    }

    /// Flushes and fsyncs, whatever the policies.
    public func sync() throws(StorageError) {
        try flush()
        try syncActive()
    }

    /// Flushes, fsyncs and releases the file; the writer cannot be used afterwards.
    public func close() throws(StorageError) {
        guard !closed else { return }
        try sync()
        closed = true
        activeFile = nil
    }

    private func checkUsable() throws(StorageError) {
        if closed { throw .closed }
        if failed { throw .writerFailed }
    }

    private func shouldFlush(now: Int64?) -> Bool {
        if pending.bytes.count >= configuration.maxBlockBytes { return true }
        switch configuration.flush {
        case .everyRecord: return true
        case let .everyRecords(n): return pending.count >= n
        case let .interval(nanoseconds):
            guard let now, let since = pendingSince else { return false }
            return now &- since >= nanoseconds
        case .manual: return false
        }
    }

    private func syncActive() throws(StorageError) {
        guard syncedSequence != writtenSequence else { return }
        do {
            for file in unsyncedSealed { try file.sync() }
            unsyncedSealed.removeAll()
            try activeFile?.sync()
        } catch {
            // After a failed fsync the kernel may have dropped the dirty pages (fsyncgate):
            // retrying would report success for data that is gone.
            failed = true
            throw error
        }
        syncedSequence = writtenSequence
        flushesSinceSync = 0
    }

    /// Starts a new segment when there is none or the current one is full. The name is the
    /// first sequence of the block about to be written, so it is known only at flush time.
    private func prepareActiveSegment() throws(StorageError) {
        if activeFile != nil, let current = entries.last,
           current.info.byteSize < configuration.maxSegmentBytes,
           current.info.recordCount < configuration.maxSegmentRecords {
            return
        }
        if let old = activeFile, syncedSequence != writtenSequence { unsyncedSealed.append(old) }
        let header = SegmentHeader(createdAt: pending.firstTimestamp, firstSequence: pending.firstSequence)
        let name = LogDirectory.segmentName(firstSequence: pending.firstSequence)
        let path = LogDirectory.path(directory, name)
        try LogDirectory.atomicallyWrite(header.encode(), named: name, in: directory)
        activeFile = try RawFile(path: path, flags: O_RDWR)
        entries.append(SegmentEntry(path: path, fileName: name, header: header, blocks: [], byteSize: SegmentHeader.size))
    }
}
