/// What recovery did to a torn tail: the last segment was cut back to its last valid block.
///
/// A torn tail is the expected result of a crash during a write (the OS may persist any prefix
/// of it), so it is repaired, not refused; the report lets the operator see how much of an
/// unacknowledged write was discarded.
public struct RecoveryReport: Equatable, Sendable {
    /// File name of the segment that was truncated.
    public var segment: String
    /// Where the file now ends (the end of its last valid block).
    public var byteOffset: Int
    /// Bytes removed from the end of the file.
    public var bytesDropped: Int
    /// Records still in the segment after truncation.
    public var recordsRecovered: Int
}

/// Damage found somewhere other than the tail, which recovery must not "repair" by truncation
/// because valid data follows it.
public struct CorruptionReport: Equatable, Sendable {
    /// What was found.
    public enum Kind: Equatable, Sendable {
        /// Bytes that are not a valid block, followed by a valid block that was resynchronised on.
        case corruptRegion
        /// A block whose header is valid but whose payload fails its checksum or decoding; the
        /// header's length let the reader step over it.
        case corruptBlock
        /// A segment whose file header is invalid; the whole segment is skipped.
        case badSegmentHeader
        /// A sealed (not last) segment that ends in an incomplete block.
        case truncatedSegment
        /// An incomplete block at the end of the newest segment, seen by a reader (a write in
        /// progress, or a crash not yet recovered by a writer).
        case tornTail
        /// A segment listed when the reader opened was deleted (retention) before it was read.
        case segmentVanished
    }

    /// The kind of damage.
    public var kind: Kind
    /// File name of the segment.
    public var segment: String
    /// Byte offset of the damage in the file.
    public var byteOffset: Int
    /// Bytes skipped (0 where unknown).
    public var length: Int
    /// Human-readable detail.
    public var reason: String
    /// Records lost with the damage when its block header said how many (`corruptBlock`); 0
    /// when unknown (a reader can still count the gap in sequence numbers).
    public var records: Int = 0
}

/// Everything opening a log for writing found and did.
public struct OpenReport: Equatable, Sendable {
    /// Set when the newest segment had a torn tail and was truncated.
    public var recovery: RecoveryReport?
    /// Damage found in segment headers and block headers (payload checksums of sealed segments
    /// are checked when they are read, not at open).
    public var corruptions: [CorruptionReport] = []
    /// Files removed: leftover temporaries, an empty newest segment, or the original of an
    /// interrupted compaction.
    public var removedFiles: [String] = []
}
