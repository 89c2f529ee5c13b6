/// What the block headers of one segment say about it: the per-segment index that lets
/// time- and sequence-bounded reads and retention skip whole files without decompressing them.
public struct SegmentInfo: Equatable, Sendable {
    /// The file name, `seg-<first sequence, 20 digits>.sklog`.
    public var fileName: String
    /// From the segment header.
    public var firstSequence: UInt64
    /// Event time of the record the segment was created for.
    public var createdAt: Int64
    /// Nil while the segment holds no block.
    public var lastSequence: UInt64?
    /// Nil while the segment holds no block.
    public var minTimestamp: Int64?
    /// Nil while the segment holds no block.
    public var maxTimestamp: Int64?
    /// Records in the segment's valid blocks.
    public var recordCount: Int
    /// Bytes up to the end of the last valid block.
    public var byteSize: Int
}

/// A block found by the scanner: where it starts and what its (checksum-valid) header says.
struct ScannedBlock: Equatable, Sendable {
    var offset: Int
    var header: BlockHeader
    var end: Int { offset + BlockHeader.size + Int(header.storedLength) }
}

/// A segment's index as kept by writers and readers.
struct SegmentEntry {
    var path: String
    var header: SegmentHeader
    var blocks: [ScannedBlock]
    var info: SegmentInfo

    init(path: String, fileName: String, header: SegmentHeader, blocks: [ScannedBlock], byteSize: Int) {
        self.path = path
        self.header = header
        self.blocks = blocks
        self.info = SegmentInfo(
            fileName: fileName, firstSequence: header.firstSequence, createdAt: header.createdAt,
            lastSequence: nil, minTimestamp: nil, maxTimestamp: nil, recordCount: 0, byteSize: byteSize
        )
        for block in blocks { account(block.header) }
    }

    mutating func append(_ block: ScannedBlock) {
        blocks.append(block)
        account(block.header)
        info.byteSize = block.end
    }

    private mutating func account(_ header: BlockHeader) {
        info.lastSequence = header.lastSequence
        info.minTimestamp = min(info.minTimestamp ?? header.minTimestamp, header.minTimestamp)
        info.maxTimestamp = max(info.maxTimestamp ?? header.maxTimestamp, header.maxTimestamp)
        info.recordCount += Int(header.recordCount)
    }
}
