#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only view of a log directory, indexed from block headers when it is opened.
///
/// Readers never modify files, so any number may run next to the writer, each on its own
/// thread (a reader itself is not `Sendable`: one reader per thread). The index is a snapshot:
/// blocks flushed after `init` are not seen; open a new reader to see them.
public final class LogReader {
    /// The log directory.
    public let directory: String
    /// Damage found while indexing and while reading, in the order it was found.
    public private(set) var corruptions: [CorruptionReport] = []
    var entries: [SegmentEntry] = []

    /// Indexes every segment in `directory` (reading block headers only).
    public init(directory: String) throws(StorageError) {
        self.directory = directory
        let names = try LogDirectory.segmentNames(directory)
        for (position, name) in names.enumerated() {
            let path = LogDirectory.path(directory, name)
            let file: RawFile
            do {
                file = try RawFile(path: path, flags: O_RDONLY)
            } catch let error {
                if case let .io(_, _, code) = error, code == ENOENT {
                    record(.segmentVanished, name, 0, 0, "deleted before it was indexed")
                    continue
                }
                throw error
            }
            switch try SegmentScanner.scan(file, verifyPayloads: false) {
            case let .badHeader(fileSize, reason):
                record(.badSegmentHeader, name, 0, fileSize, reason)
            case let .scanned(scan):
                for region in scan.corruptRegions {
                    record(.corruptRegion, name, region.offset, region.length, region.reason)
                }
                if scan.validEnd < scan.fileSize {
                    record(position == names.count - 1 ? .tornTail : .truncatedSegment, name, scan.validEnd,
                           scan.fileSize - scan.validEnd, scan.tornTailReason ?? "incomplete block")
                }
                entries.append(SegmentEntry(
                    path: path, fileName: name, header: scan.header, blocks: scan.blocks, byteSize: scan.validEnd))
            }
        }
    }

    /// The index of every readable segment, oldest first.
    public var segments: [SegmentInfo] { entries.map(\.info) }

    /// A cursor over records with `sequence >= fromSequence` and, when given,
    /// `fromTimestamp <= timestamp <= untilTimestamp`, in sequence order. Segments and blocks
    /// whose header ranges exclude the bounds are skipped without being read.
    public func records(
        fromSequence: UInt64 = 0, fromTimestamp: Int64? = nil, untilTimestamp: Int64? = nil
    ) -> LogCursor {
        LogCursor(reader: self, fromSequence: fromSequence, fromTimestamp: fromTimestamp, untilTimestamp: untilTimestamp)
    }

    /// Collects what `records(fromSequence:fromTimestamp:untilTimestamp:)` yields.
    public func readAll(
        fromSequence: UInt64 = 0, fromTimestamp: Int64? = nil, untilTimestamp: Int64? = nil
    ) throws(StorageError) -> [LogRecord] {
        let cursor = records(fromSequence: fromSequence, fromTimestamp: fromTimestamp, untilTimestamp: untilTimestamp)
        var all: [LogRecord] = []
        while let record = try cursor.next() { all.append(record) }
        return all
    }

    func record(_ kind: CorruptionReport.Kind, _ segment: String, _ offset: Int, _ length: Int, _ reason: String, records: Int = 0) {
        corruptions.append(CorruptionReport(kind: kind, segment: segment, byteOffset: offset, length: length, reason: reason,
                                            records: records))
    }
}
