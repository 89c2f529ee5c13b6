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

    /// `encode(_:compress:)` into `scratch` (grown when too small, then reused), header first:
    /// no allocation once the scratch has grown, which keeps a flush per record (the window's and
    /// the awaiting log's `every_row`) off the allocator. Returns the header and the block's length.
    static func encode(_ pending: PendingBlock, compress: Bool,
                       into scratch: inout UnsafeMutableRawBufferPointer) throws(StorageError) -> (header: BlockHeader, count: Int) {
        let rawCount = pending.bytes.count
        guard rawCount <= BlockHeader.maxPayloadBytes else { throw .recordTooLarge(bytes: rawCount) }
        let room = max(rawCount, compress ? LZ4.compressBound(rawCount) : 0)
        if scratch.count < BlockHeader.size + room {
            scratch.deallocate()
            scratch = .allocate(byteCount: max(BlockHeader.size + room, 64 << 10), alignment: 16)
        }
        let payload = UnsafeMutableRawBufferPointer(rebasing: scratch[BlockHeader.size..<(BlockHeader.size + room)])
        var codec = BlockHeader.Codec.raw
        var storedCount = rawCount
        pending.bytes.withUnsafeBytes { raw in
            if compress && rawCount > 0, let written = try? LZ4.compress(raw, into: payload), written < rawCount {
                codec = .lz4
                storedCount = written
            } else if rawCount > 0 {
                payload.baseAddress!.copyMemory(from: raw.baseAddress!, byteCount: rawCount)
            }
        }
        let header = BlockHeader(
            codec: codec,
            uncompressedLength: UInt32(rawCount),
            storedLength: UInt32(storedCount),
            recordCount: UInt32(pending.count),
            firstSequence: pending.firstSequence,
            lastSequence: pending.lastSequence,
            minTimestamp: pending.minTimestamp,
            maxTimestamp: pending.maxTimestamp,
            payloadCRC: CRC32C.checksum(UnsafeRawBufferPointer(rebasing: payload[0..<storedCount]))
        )
        header.encode(into: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<BlockHeader.size]))
        return (header, BlockHeader.size + storedCount)
    }

    /// Where one record's payload lies in a decoded block (see `decode(header:stored:into:spans:)`).
    struct RecordSpan {
        var sequence: UInt64
        var timestamp: Int64
        var offset: Int
        var length: Int
    }

    /// Reads and decodes one indexed block. The header is read again and must match the index:
    /// a segment replaced by compaction since it was indexed must not be decoded at stale offsets.
    static func read(_ block: ScannedBlock, from file: RawFile) throws(StorageError) -> Result<[LogRecord], DecodeError> {
        var buffer = UnsafeMutableRawBufferPointer(start: nil, count: 0)
        var stored = UnsafeMutableRawBufferPointer(start: nil, count: 0)
        defer { buffer.deallocate(); stored.deallocate() }
        var spans: [RecordSpan] = []
        if let problem = try read(block, from: file, into: &buffer, spans: &spans, stored: &stored) { return .failure(problem) }
        return .success(records(spans, in: UnsafeRawBufferPointer(buffer)))
    }

    /// `read(_:from:)` without a record array: the block's uncompressed bytes go to `buffer`
    /// (grown as needed, reused across calls) and the records' places in it to `spans`, so a
    /// reader can hand out payloads in place. The block as stored is read into `stored`, which
    /// is reused the same way. Returns the damage found, nil when valid.
    static func read(_ block: ScannedBlock, from file: RawFile, into buffer: inout UnsafeMutableRawBufferPointer,
                     spans: inout [RecordSpan], stored: inout UnsafeMutableRawBufferPointer) throws(StorageError) -> DecodeError? {
        let size = BlockHeader.size + Int(block.header.storedLength)
        if stored.count < size {
            stored.deallocate()
            stored = .allocate(byteCount: max(size, 64 << 10), alignment: 16)
        }
        let bytes = UnsafeMutableRawBufferPointer(rebasing: stored[0..<size])
        guard try file.read(at: block.offset, into: bytes) == size else {
            return DecodeError(reason: "block shorter than indexed")
        }
        guard BlockHeader.decode(UnsafeRawBufferPointer(rebasing: bytes[0..<BlockHeader.size])) == block.header else {
            return DecodeError(reason: "block header changed since indexing")
        }
        do {
            try decode(header: block.header, stored: UnsafeRawBufferPointer(rebasing: bytes[BlockHeader.size...]),
                       into: &buffer, spans: &spans)
        } catch {
            return error
        }
        return nil
    }

    /// Decodes a block's stored payload; every record must frame exactly and agree with the header.
    static func decode(header: BlockHeader, stored: [UInt8]) throws(DecodeError) -> [LogRecord] {
        var buffer = UnsafeMutableRawBufferPointer(start: nil, count: 0)
        defer { buffer.deallocate() }
        var spans: [RecordSpan] = []
        let result = stored.withUnsafeBytes { s in
            Result { () throws(DecodeError) in try decode(header: header, stored: s, into: &buffer, spans: &spans) }
        }
        try result.get()
        return records(spans, in: UnsafeRawBufferPointer(buffer))
    }

    private static func records(_ spans: [RecordSpan], in buffer: UnsafeRawBufferPointer) -> [LogRecord] {
        spans.map { span in
            LogRecord(sequence: span.sequence, timestamp: span.timestamp,
                      payload: Array(UnsafeRawBufferPointer(rebasing: buffer[span.offset..<(span.offset + span.length)])))
        }
    }

    /// The validation of `decode(header:stored:)`, writing the uncompressed payload into `buffer`
    /// (reallocated when too small) and the records' positions into `spans` (replaced).
    static func decode(header: BlockHeader, stored: UnsafeRawBufferPointer, into buffer: inout UnsafeMutableRawBufferPointer,
                       spans: inout [RecordSpan]) throws(DecodeError) {
        spans.removeAll(keepingCapacity: true)
        guard stored.count == Int(header.storedLength) else { throw DecodeError(reason: "short payload") }
        guard CRC32C.checksum(stored) == header.payloadCRC else { throw DecodeError(reason: "payload checksum mismatch") }
        let rawCount = header.codec == .lz4 ? Int(header.uncompressedLength) : stored.count
        if buffer.count < rawCount {
            buffer.deallocate()
            buffer = .allocate(byteCount: max(rawCount, 64 << 10), alignment: 16)
        }
        let raw = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<rawCount])
        if header.codec == .lz4 {
            guard let written = try? LZ4.decompress(stored, into: raw) else { throw DecodeError(reason: "LZ4 refused the payload") }
            guard written == rawCount else { throw DecodeError(reason: "decompressed length mismatch") }
        } else if rawCount > 0 {
            raw.copyMemory(from: stored)
        }
        spans.reserveCapacity(Int(header.recordCount))
        let bytes = UnsafeRawBufferPointer(raw)
        var offset = 0
        while offset < bytes.count {
            guard bytes.count - offset >= PendingBlock.recordOverhead else { throw DecodeError(reason: "truncated record") }
            let sequence = bytes.loadLE(UInt64.self, at: offset)
            let timestamp = bytes.loadLE(Int64.self, at: offset + 8)
            let length = Int(bytes.loadLE(UInt32.self, at: offset + 16))
            offset += PendingBlock.recordOverhead
            guard bytes.count - offset >= length else { throw DecodeError(reason: "record overruns payload") }
            if let previous = spans.last, sequence <= previous.sequence { throw DecodeError(reason: "sequences not increasing") }
            spans.append(RecordSpan(sequence: sequence, timestamp: timestamp, offset: offset, length: length))
            offset += length
        }
        guard spans.count == Int(header.recordCount),
              spans.first?.sequence == header.firstSequence,
              spans.last?.sequence == header.lastSequence
        else { throw DecodeError(reason: "records disagree with block header") }
    }
}
