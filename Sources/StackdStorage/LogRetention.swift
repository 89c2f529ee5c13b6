#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a retention pass removed.
public struct RetentionResult: Equatable, Sendable {
    /// Segments deleted whole, oldest first.
    public var deletedSegments: [String] = []
    /// The file name of the segment `compact()` rewrote, if any.
    public var rewrittenSegment: String?
    /// Records removed in total.
    public var recordsDropped = 0
}

/// Retention works on whole segments because deleting a file is cheap and atomic; only
/// `compact()` rewrites data, and only the oldest segment, which is where expired records are.
/// The newest segment is never touched: it is the one being appended to.
extension LogWriter {
    /// Deletes the oldest segments whose records are all outside `configuration.retention`.
    @discardableResult
    public func applyRetention() throws(StorageError) -> RetentionResult {
        var result = RetentionResult()
        let policy = configuration.retention
        let cutoff = ageCutoff()
        var remaining = entries.reduce(0) { $0 + $1.info.recordCount }
        while entries.count > 1 {
            let info = entries[0].info
            let countExpired = policy.maxRecords.map { remaining - info.recordCount >= $0 } ?? false
            let ageExpired = cutoff.map { (info.maxTimestamp ?? .min) < $0 } ?? false
            guard countExpired || ageExpired else { break }
            try LogDirectory.remove(entries[0].path)
            result.deletedSegments.append(info.fileName)
            result.recordsDropped += info.recordCount
            remaining -= info.recordCount
            entries.removeFirst()
        }
        if !result.deletedSegments.isEmpty { try LogDirectory.syncDirectory(directory) }
        return result
    }

    /// Applies retention, then rewrites the oldest segment without its expired records.
    ///
    /// The replacement is written to a temporary file, fsynced and renamed under its new first
    /// sequence before the original is unlinked; a crash in between leaves two overlapping
    /// segments, which the next open resolves by removing the original.
    @discardableResult
    public func compact() throws(StorageError) -> RetentionResult {
        var result = try applyRetention()
        guard entries.count > 1 else { return result }
        let policy = configuration.retention
        let cutoff = ageCutoff()
        let oldest = entries[0]
        let newer = entries.dropFirst().reduce(0) { $0 + $1.info.recordCount }
        let file = try RawFile(path: oldest.path, flags: O_RDONLY)
        var records: [LogRecord] = []
        for block in oldest.blocks {
            switch try BlockCodec.read(block, from: file) {
            case let .success(decoded): records.append(contentsOf: decoded)
            case let .failure(problem):
                // Rewriting would silently drop the damaged block: leave the evidence in place.
                throw .corruptBlock(path: oldest.path, offset: block.offset, reason: problem.reason)
            }
        }
        let kept = records.enumerated().filter { position, record in
            let newerCount = records.count - position - 1 + newer
            let withinCount = policy.maxRecords.map { newerCount < $0 } ?? true
            let withinAge = cutoff.map { record.timestamp >= $0 } ?? true
            return withinCount && withinAge
        }.map(\.element)
        guard kept.count < records.count else { return result }
        result.recordsDropped += records.count - kept.count
        guard let first = kept.first else {
            try LogDirectory.remove(oldest.path)
            try LogDirectory.syncDirectory(directory)
            entries.removeFirst()
            result.deletedSegments.append(oldest.info.fileName)
            return result
        }
        let header = SegmentHeader(createdAt: oldest.header.createdAt, firstSequence: first.sequence)
        var contents = header.encode()
        var pending = PendingBlock()
        for record in kept {
            record.payload.withUnsafeBytes {
                pending.add(sequence: record.sequence, timestamp: record.timestamp, payload: $0)
            }
            if pending.bytes.count >= configuration.maxBlockBytes || record == kept.last {
                contents += try BlockCodec.encode(pending, compress: configuration.compress).bytes
                pending.reset()
            }
        }
        let name = LogDirectory.segmentName(firstSequence: first.sequence)
        try LogDirectory.atomicallyWrite(contents, named: name, in: directory)
        if name != oldest.info.fileName {
            try LogDirectory.remove(oldest.path)
            try LogDirectory.syncDirectory(directory)
        }
        let path = LogDirectory.path(directory, name)
        guard case let .scanned(scan) = try SegmentScanner.scan(try RawFile(path: path, flags: O_RDONLY), verifyPayloads: true),
              scan.validEnd == scan.fileSize
        else { throw .corruptBlock(path: path, offset: 0, reason: "compacted segment failed verification") }
        entries[0] = SegmentEntry(path: path, fileName: name, header: scan.header, blocks: scan.blocks, byteSize: scan.validEnd)
        result.rewrittenSegment = name
        return result
    }

    /// Records with a timestamp below this are expired by age; relative to the newest written
    /// timestamp, saturating so extreme values cannot overflow.
    private func ageCutoff() -> Int64? {
        guard let maxAge = configuration.retention.maxAge,
              let newest = entries.compactMap(\.info.maxTimestamp).max() else { return nil }
        let (cutoff, overflow) = newest.subtractingReportingOverflow(maxAge)
        return overflow ? .min : cutoff
    }
}
