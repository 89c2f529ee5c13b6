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

/// A segment set aside by a writer opening the log because its file header is damaged.
///
/// Without a valid header none of the segment's offsets can be trusted, and the writer could not
/// know which sequences to follow; refusing to open would instead keep the owner down for one
/// flipped byte. So the file is renamed (never deleted) to a name the log ignores
/// (`<name>.damaged`, see `schemas/segment-log.md`) and the log opens with the rest.
public struct QuarantineReport: Equatable, Sendable {
    /// The segment's file name before it was set aside.
    public var segment: String
    /// Its file name now, in the same directory.
    public var quarantinedAs: String
    /// The first sequence its file name gave (the name survives a damaged header).
    public var firstSequence: UInt64
    /// The file's size in bytes.
    public var byteSize: Int
    /// Why the header is invalid.
    public var reason: String
    /// Records the log lost with it, when they can be inferred: the next segment's first
    /// sequence minus this one's (both from file names), or, for the newest segment, the records
    /// its intact block headers count. Nil when unknown.
    public var recordsLost: Int?
}

/// Everything opening a log for writing found and did.
public struct OpenReport: Equatable, Sendable {
    /// Set when the newest segment had a torn tail and was truncated.
    public var recovery: RecoveryReport?
    /// Damage found in block headers (payload checksums of sealed segments are checked when they
    /// are read, not at open); a damaged segment header is in `quarantined` instead.
    public var corruptions: [CorruptionReport] = []
    /// Files removed: leftover temporaries, an empty newest segment, or the original of an
    /// interrupted compaction.
    public var removedFiles: [String] = []
    /// Segments set aside (renamed, not deleted) because their file header is damaged.
    public var quarantined: [QuarantineReport] = []
}
