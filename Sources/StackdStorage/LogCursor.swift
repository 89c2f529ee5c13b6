#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Iterates a `LogReader`'s records in sequence order, one decoded block in memory at a time.
///
/// A block that fails its checksum or decoding is skipped and reported in the reader's
/// `corruptions` (its header gave its length, so reading continues with the next block); the
/// caller sees a gap, never damaged bytes. Records at or below the last one returned are
/// dropped, so a segment and its compacted replacement seen together never yield duplicates.
public final class LogCursor {
    private let reader: LogReader
    private let fromSequence: UInt64
    private let fromTimestamp: Int64?
    private let untilTimestamp: Int64?
    private var segmentIndex = 0
    private var blockIndex = 0
    private var file: RawFile?
    /// The current block's uncompressed bytes (reused across blocks) and its records' places.
    @exclusivity(unchecked) private var block = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    @exclusivity(unchecked) private var spans: [BlockCodec.RecordSpan] = []
    /// The current block as stored (header + compressed payload), reused across blocks.
    @exclusivity(unchecked) private var stored = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    @exclusivity(unchecked) private var bufferedPosition = 0
    @exclusivity(unchecked) private var lastReturned: UInt64?

    init(reader: LogReader, fromSequence: UInt64, fromTimestamp: Int64?, untilTimestamp: Int64?) {
        self.reader = reader
        self.fromSequence = fromSequence
        self.fromTimestamp = fromTimestamp
        self.untilTimestamp = untilTimestamp
    }

    deinit { block.deallocate(); stored.deallocate() }

    /// The next record, or nil at the end of the indexed log.
    public func next() throws(StorageError) -> LogRecord? {
        guard let view = try nextView() else { return nil }
        return LogRecord(sequence: view.sequence, timestamp: view.timestamp, payload: Array(view.payload))
    }

    /// The next record without copying its payload: `payload` points into the cursor's block
    /// buffer and is valid only until the next call on this cursor (or its release). The
    /// zero-allocation path for readers that consume each record at once (journal replay).
    public func nextView() throws(StorageError) -> LogRecordView? {
        while true {
            while bufferedPosition < spans.count {
                let span = spans[bufferedPosition]
                bufferedPosition += 1
                if accepts(sequence: span.sequence, timestamp: span.timestamp) {
                    lastReturned = span.sequence
                    return LogRecordView(sequence: span.sequence, timestamp: span.timestamp,
                                         payload: UnsafeRawBufferPointer(rebasing: block[span.offset..<(span.offset + span.length)]))
                }
            }
            guard try loadNextBlock() else { return nil }
        }
    }

    private func accepts(sequence: UInt64, timestamp: Int64) -> Bool {
        if sequence < fromSequence { return false }
        if let last = lastReturned, sequence <= last { return false }
        if let from = fromTimestamp, timestamp < from { return false }
        if let until = untilTimestamp, timestamp > until { return false }
        return true
    }

    private func overlaps(lastSequence: UInt64?, minTimestamp: Int64?, maxTimestamp: Int64?) -> Bool {
        guard let lastSequence, let minTimestamp, let maxTimestamp else { return false }
        if lastSequence < fromSequence { return false }
        if let from = fromTimestamp, maxTimestamp < from { return false }
        if let until = untilTimestamp, minTimestamp > until { return false }
        return true
    }

    private func loadNextBlock() throws(StorageError) -> Bool {
        let entries = reader.entries
        while segmentIndex < entries.count {
            let entry = entries[segmentIndex]
            if file == nil {
                let info = entry.info
                guard overlaps(lastSequence: info.lastSequence, minTimestamp: info.minTimestamp,
                               maxTimestamp: info.maxTimestamp) else {
                    advanceSegment()
                    continue
                }
                do {
                    file = try RawFile(path: entry.path, flags: O_RDONLY)
                } catch let error {
                    guard case let .io(_, _, code) = error, code == ENOENT else { throw error }
                    reader.record(.segmentVanished, info.fileName, 0, 0, "deleted (retention) before it was read")
                    advanceSegment()
                    continue
                }
            }
            while blockIndex < entry.blocks.count {
                let block = entry.blocks[blockIndex]
                blockIndex += 1
                let header = block.header
                guard overlaps(lastSequence: header.lastSequence, minTimestamp: header.minTimestamp,
                               maxTimestamp: header.maxTimestamp) else { continue }
                bufferedPosition = 0
                if let problem = try BlockCodec.read(block, from: file!, into: &self.block, spans: &spans, stored: &stored) {
                    spans.removeAll(keepingCapacity: true)
                    reader.record(.corruptBlock, entry.info.fileName, block.offset,
                                  BlockHeader.size + Int(header.storedLength), problem.reason, records: Int(header.recordCount))
                } else {
                    return true
                }
            }
            advanceSegment()
        }
        return false
    }

    private func advanceSegment() {
        segmentIndex += 1
        blockIndex = 0
        file = nil
    }
}
