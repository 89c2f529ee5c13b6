import StackdStorage

/// Reads a journal back in recording order.
///
/// Damage never stops a read: the segment log reports torn tails, truncated segments and
/// corrupt blocks (file and byte offset) in `corruptions` and carries on with the next valid
/// block, so a replay of a damaged recording loses only the damaged messages and says which.
/// Like `LogReader`, the index is a snapshot taken at `init`; one reader per thread.
public final class JournalReader {
    /// The journal directory.
    public let directory: String
    /// Its manifest.
    public let manifest: JournalManifest
    private let log: LogReader
    /// Records that passed their block checksum but are not a valid journal record (a record
    /// version this build does not know, or a writer bug): skipped, with the reason.
    public private(set) var malformedRecords: [(sequence: UInt64, reason: String)] = []

    /// Opens the journal in `directory` and indexes its segments (block headers only).
    public init(directory: String) throws {
        let manifest = try JournalManifest.read(directory: directory)
        do {
            log = try LogReader(directory: directory + "/" + JournalManifest.segmentsDirectory)
        } catch {
            throw JournalError.storage(error)
        }
        self.directory = directory
        self.manifest = manifest
    }

    /// Damage found while indexing and reading so far, in the order found (file name relative
    /// to the `segments` directory, byte offset in that file).
    public var corruptions: [CorruptionReport] { log.corruptions }

    /// The per-segment index: sequence and receive-time ranges, record counts, sizes.
    public var segments: [SegmentInfo] { log.segments }

    /// A cursor over the messages received at or after `receivedAt` (all when nil), in order.
    /// Segments and blocks wholly before it are skipped from their headers without being read.
    public func entries(from receivedAt: Int64? = nil) -> Cursor {
        Cursor(reader: self, cursor: log.records(fromTimestamp: receivedAt))
    }

    /// Every message at or after `receivedAt`, in order.
    public func readAll(from receivedAt: Int64? = nil) throws -> [JournalEntry] {
        let cursor = entries(from: receivedAt)
        var all: [JournalEntry] = []
        while let entry = try cursor.next() { all.append(entry) }
        return all
    }

    /// Iterates a reader's messages, one decoded block in memory at a time.
    public final class Cursor {
        private let reader: JournalReader
        private let cursor: LogCursor

        init(reader: JournalReader, cursor: LogCursor) {
            self.reader = reader
            self.cursor = cursor
        }

        /// The next message without copying it (no allocation in steady state): its frames
        /// point into the cursor's block buffer and are valid only until the cursor's next call.
        /// Skips and reports malformed records exactly like `next()`.
        public func nextView() throws -> JournalEntryView? {
            while true {
                let record: LogRecordView?
                do { record = try cursor.nextView() } catch { throw JournalError.storage(error) }
                guard let record else { return nil }
                var first = UnsafeRawBufferPointer(start: nil, count: 0), second = first
                do {
                    let count = try JournalRecordEncoding.walk(record.payload) { index, frame in
                        if index == 0 { first = frame } else if index == 1 { second = frame }
                    }
                    return JournalEntryView(sequence: record.sequence, receivedAt: record.timestamp, frameCount: count,
                                            topic: first, payload: second, record: record.payload)
                } catch {
                    reader.malformedRecords.append((record.sequence, error.reason))
                }
            }
        }

        /// The next message, or nil at the end of the journal. Throws only for I/O failures.
        public func next() throws -> JournalEntry? {
            while true {
                let record: LogRecord?
                do { record = try cursor.next() } catch { throw JournalError.storage(error) }
                guard let record else { return nil }
                do {
                    let frames = try JournalRecordEncoding.decode(record.payload)
                    return JournalEntry(sequence: record.sequence, receivedAt: record.timestamp, frames: frames,
                                        isControl: record.payload.first == JournalRecordEncoding.controlVersion)
                } catch {
                    reader.malformedRecords.append((record.sequence, error.reason))
                }
            }
        }
    }
}
