/// Walks a segment's blocks from their headers and classifies what it cannot use.
///
/// The distinction that matters is *tail* versus *middle*: an invalid region with no valid
/// block after it is a torn write (safe to truncate); one followed by a valid block is
/// corruption (truncating would destroy acknowledged data). The scanner finds out by searching
/// forward for the block magic and accepting only a block whose header *and* payload
/// checksums hold, so payload bytes that happen to contain the magic never resynchronise it.
enum SegmentScanner {
    struct Scan {
        var header: SegmentHeader
        var blocks: [ScannedBlock]
        /// Invalid regions followed by a valid block: (offset, length, reason).
        var corruptRegions: [(offset: Int, length: Int, reason: String)]
        var fileSize: Int
        /// End of the last valid block; less than `fileSize` when the tail is torn.
        var validEnd: Int
        var tornTailReason: String?
    }

    enum Outcome {
        case badHeader(fileSize: Int, reason: String)
        case scanned(Scan)
    }

    /// - Parameter verifyPayloads: also check every payload CRC (writer recovery of the newest
    ///   segment); readers verify payloads as they decode them instead.
    static func scan(_ file: RawFile, verifyPayloads: Bool) throws(StorageError) -> Outcome {
        let fileSize = try file.size()
        let headerBytes = try file.read(at: 0, count: SegmentHeader.size)
        let header: SegmentHeader
        switch SegmentHeader.decode(headerBytes) {
        case let .failure(problem): return .badHeader(fileSize: fileSize, reason: problem.reason)
        case let .success(decoded): header = decoded
        }
        var scan = Scan(header: header, blocks: [], corruptRegions: [], fileSize: fileSize,
                        validEnd: SegmentHeader.size, tornTailReason: nil)
        var offset = SegmentHeader.size
        while offset < fileSize {
            switch try block(in: file, at: offset, fileSize: fileSize, verifyPayload: verifyPayloads) {
            case let .success(block):
                scan.blocks.append(block)
                offset = block.end
            case let .failure(problem):
                if let next = try resynchronise(file, after: offset, fileSize: fileSize) {
                    scan.corruptRegions.append((offset, next - offset, problem.reason))
                    offset = next
                } else {
                    scan.validEnd = offset
                    scan.tornTailReason = problem.reason
                    return .scanned(scan)
                }
            }
        }
        scan.validEnd = offset
        return .scanned(scan)
    }

    /// Records in the valid blocks of a segment whose file header is damaged, walking its blocks
    /// as `scan` would (resynchronising over damage): all a writer can still learn of a newest
    /// segment it sets aside. A lower bound when blocks are damaged too; nil when none is valid.
    static func recordsBehindDamagedHeader(_ file: RawFile) throws(StorageError) -> Int? {
        let fileSize = try file.size()
        var offset = SegmentHeader.size
        var records: Int?
        while offset < fileSize {
            switch try block(in: file, at: offset, fileSize: fileSize, verifyPayload: true) {
            case let .success(block):
                records = (records ?? 0) + Int(block.header.recordCount)
                offset = block.end
            case .failure:
                guard let next = try resynchronise(file, after: offset, fileSize: fileSize) else { return records }
                offset = next
            }
        }
        return records
    }

    struct BlockProblem: Error { let reason: String }

    static func block(
        in file: RawFile, at offset: Int, fileSize: Int, verifyPayload: Bool
    ) throws(StorageError) -> Result<ScannedBlock, BlockProblem> {
        guard fileSize - offset >= BlockHeader.size else { return .failure(.init(reason: "partial block header")) }
        let bytes = try file.read(at: offset, count: BlockHeader.size)
        guard let header = BlockHeader.decode(bytes) else { return .failure(.init(reason: "invalid block header")) }
        let block = ScannedBlock(offset: offset, header: header)
        guard block.end <= fileSize else { return .failure(.init(reason: "short block payload")) }
        if verifyPayload {
            let payload = try file.read(at: offset + BlockHeader.size, count: Int(header.storedLength))
            guard CRC32C.checksum(payload) == header.payloadCRC else {
                return .failure(.init(reason: "payload checksum mismatch"))
            }
        }
        return .success(block)
    }

    /// The offset of the first fully valid block after `offset`, if any.
    private static func resynchronise(_ file: RawFile, after offset: Int, fileSize: Int) throws(StorageError) -> Int? {
        let start = offset + 1
        guard fileSize - start >= BlockHeader.size else { return nil }
        let rest = try file.read(at: start, count: fileSize - start)
        let magic = BlockHeader.magicBytes
        var index = 0
        while index + BlockHeader.size <= rest.count {
            if rest[index] == magic[0] && rest[index + 1] == magic[1] && rest[index + 2] == magic[2]
                && rest[index + 3] == magic[3] {
                if case .success = try block(in: file, at: start + index, fileSize: fileSize, verifyPayload: true) {
                    return start + index
                }
            }
            index += 1
        }
        return nil
    }
}
