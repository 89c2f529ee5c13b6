/// Turns pending records into a block (header + stored payload) and a stored block back into
/// records, validating everything a damaged file could get wrong.
enum BlockCodec {
    struct DecodeError: Error, Equatable {
        let reason: String
    }

    static func encode(_ pending: PendingBlock, compress: Bool) throws(StorageError) -> (header: BlockHeader, bytes: [UInt8]) {
        let raw = pending.bytes
        guard raw.count <= BlockHeader.maxPayloadBytes else { throw .recordTooLarge(bytes: raw.count) }
        var stored = raw
        var codec = BlockHeader.Codec.raw
        if compress && !raw.isEmpty {
            var out = [UInt8](repeating: 0, count: LZ4.compressBound(raw.count))
            let written = raw.withUnsafeBytes { src in
                out.withUnsafeMutableBytes { dst in try? LZ4.compress(src, into: dst) }
            }
            if let written, written < raw.count {
                out.removeSubrange(written...)
                stored = out
                codec = .lz4
            }
        }
        let header = BlockHeader(
            codec: codec,
            uncompressedLength: UInt32(raw.count),
            storedLength: UInt32(stored.count),
            recordCount: UInt32(pending.count),
            firstSequence: pending.firstSequence,
            lastSequence: pending.lastSequence,
            minTimestamp: pending.minTimestamp,
            maxTimestamp: pending.maxTimestamp,
            payloadCRC: CRC32C.checksum(stored)
        )
        return (header, header.encode() + stored)
    }

    /// Reads and decodes one indexed block. The header is read again and must match the index:
    /// a segment replaced by compaction since it was indexed must not be decoded at stale offsets.
    static func read(_ block: ScannedBlock, from file: RawFile) throws(StorageError) -> Result<[LogRecord], DecodeError> {
        let bytes = try file.read(at: block.offset, count: BlockHeader.size + Int(block.header.storedLength))
        guard bytes.count == BlockHeader.size + Int(block.header.storedLength) else {
            return .failure(DecodeError(reason: "block shorter than indexed"))
        }
        guard BlockHeader.decode(Array(bytes[0..<BlockHeader.size])) == block.header else {
            return .failure(DecodeError(reason: "block header changed since indexing"))
        }
        do {
            return .success(try decode(header: block.header, stored: Array(bytes[BlockHeader.size...])))
        } catch {
            return .failure(error)
        }
    }

    /// Decodes a block's stored payload; every record must frame exactly and agree with the header.
    static func decode(header: BlockHeader, stored: [UInt8]) throws(DecodeError) -> [LogRecord] {
        guard stored.count == Int(header.storedLength) else { throw DecodeError(reason: "short payload") }
        guard CRC32C.checksum(stored) == header.payloadCRC else { throw DecodeError(reason: "payload checksum mismatch") }
        var raw = stored
        if header.codec == .lz4 {
            raw = [UInt8](repeating: 0, count: Int(header.uncompressedLength))
            let written = stored.withUnsafeBytes { src in
                raw.withUnsafeMutableBytes { dst in try? LZ4.decompress(src, into: dst) }
            }
            guard let written else { throw DecodeError(reason: "LZ4 refused the payload") }
            guard written == raw.count else { throw DecodeError(reason: "decompressed length mismatch") }
        }
        var records: [LogRecord] = []
        records.reserveCapacity(Int(header.recordCount))
        let problem: String? = raw.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                guard bytes.count - offset >= PendingBlock.recordOverhead else { return "truncated record" }
                let sequence = bytes.loadLE(UInt64.self, at: offset)
                let timestamp = bytes.loadLE(Int64.self, at: offset + 8)
                let length = Int(bytes.loadLE(UInt32.self, at: offset + 16))
                offset += PendingBlock.recordOverhead
                guard bytes.count - offset >= length else { return "record overruns payload" }
                if let previous = records.last, sequence <= previous.sequence { return "sequences not increasing" }
                records.append(LogRecord(
                    sequence: sequence, timestamp: timestamp,
                    payload: Array(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)]))
                ))
                offset += length
            }
            return nil
        }
        if let problem { throw DecodeError(reason: problem) }
        guard records.count == Int(header.recordCount),
              records.first?.sequence == header.firstSequence,
              records.last?.sequence == header.lastSequence
        else { throw DecodeError(reason: "records disagree with block header") }
        return records
    }
}
