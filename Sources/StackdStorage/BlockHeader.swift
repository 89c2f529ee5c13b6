/// The 64-byte header in front of every block's payload (layout in `schemas/segment-log.md`).
///
/// The header has its own CRC, separate from the payload's, so that a damaged length field is
/// never followed: without it, one flipped bit could make recovery skip or truncate megabytes.
/// The sequence and time ranges make it the segment index: readers skip blocks (and whole
/// segments) from headers alone.
struct BlockHeader: Equatable, Sendable {
    static let size = 64
    /// "SKBK" as bytes on disk.
    static let magic: UInt32 = 0x4B42_4B53
    static let magicBytes: [UInt8] = Array("SKBK".utf8)
    /// Bounds accepted from disk: a header claiming more is damaged, whatever its CRC says.
    static let maxPayloadBytes = LZ4.maxInputSize

    enum Codec: UInt8, Sendable {
        /// Stored as-is because LZ4 did not make it smaller (random floats do not compress).
        case raw = 0
        case lz4 = 1
    }

    var codec: Codec
    var uncompressedLength: UInt32
    var storedLength: UInt32
    var recordCount: UInt32
    var firstSequence: UInt64
    var lastSequence: UInt64
    var minTimestamp: Int64
    var maxTimestamp: Int64
    var payloadCRC: UInt32

    func encode() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.size)
        bytes.appendLE(Self.magic)
        bytes.append(codec.rawValue)
        bytes.append(0)
        bytes.appendLE(UInt16(0))
        bytes.appendLE(uncompressedLength)
        bytes.appendLE(storedLength)
        bytes.appendLE(recordCount)
        bytes.appendLE(UInt32(0))
        bytes.appendLE(firstSequence)
        bytes.appendLE(lastSequence)
        bytes.appendLE(minTimestamp)
        bytes.appendLE(maxTimestamp)
        bytes.appendLE(payloadCRC)
        bytes.appendLE(CRC32C.checksum(bytes))
        return bytes
    }

    /// Writes the same 64 bytes as `encode()` into `out` (at least 64 bytes) without allocating:
    /// the writer's per-flush path.
    func encode(into out: UnsafeMutableRawBufferPointer) {
        out.storeBytes(of: Self.magic.littleEndian, toByteOffset: 0, as: UInt32.self)
        out[4] = codec.rawValue
        out[5] = 0
        out.storeBytes(of: UInt16(0), toByteOffset: 6, as: UInt16.self)
        out.storeBytes(of: uncompressedLength.littleEndian, toByteOffset: 8, as: UInt32.self)
        out.storeBytes(of: storedLength.littleEndian, toByteOffset: 12, as: UInt32.self)
        out.storeBytes(of: recordCount.littleEndian, toByteOffset: 16, as: UInt32.self)
        out.storeBytes(of: UInt32(0), toByteOffset: 20, as: UInt32.self)
        out.storeBytes(of: firstSequence.littleEndian, toByteOffset: 24, as: UInt64.self)
        out.storeBytes(of: lastSequence.littleEndian, toByteOffset: 32, as: UInt64.self)
        out.storeBytes(of: minTimestamp.littleEndian, toByteOffset: 40, as: Int64.self)
        out.storeBytes(of: maxTimestamp.littleEndian, toByteOffset: 48, as: Int64.self)
        out.storeBytes(of: payloadCRC.littleEndian, toByteOffset: 56, as: UInt32.self)
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: out[0..<60]))
        out.storeBytes(of: crc.littleEndian, toByteOffset: 60, as: UInt32.self)
    }

    /// Returns nil unless the bytes are a well-formed, checksum-valid header.
    static func decode(_ raw: UnsafeRawBufferPointer) -> BlockHeader? {
        guard raw.count >= size, raw.loadLE(UInt32.self, at: 0) == magic else { return nil }
        guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<60])) == raw.loadLE(UInt32.self, at: 60) else {
            return nil
        }
        guard let codec = Codec(rawValue: raw[4]) else { return nil }
        let header = BlockHeader(
            codec: codec,
            uncompressedLength: raw.loadLE(UInt32.self, at: 8),
            storedLength: raw.loadLE(UInt32.self, at: 12),
            recordCount: raw.loadLE(UInt32.self, at: 16),
            firstSequence: raw.loadLE(UInt64.self, at: 24),
            lastSequence: raw.loadLE(UInt64.self, at: 32),
            minTimestamp: raw.loadLE(Int64.self, at: 40),
            maxTimestamp: raw.loadLE(Int64.self, at: 48),
            payloadCRC: raw.loadLE(UInt32.self, at: 56)
        )
        guard header.recordCount > 0,
              header.firstSequence <= header.lastSequence,
              header.minTimestamp <= header.maxTimestamp,
              Int(header.storedLength) <= maxPayloadBytes,
              Int(header.uncompressedLength) <= maxPayloadBytes,
              codec == .lz4 || header.storedLength == header.uncompressedLength
        else { return nil }
        return header
    }

    static func decode(_ bytes: [UInt8]) -> BlockHeader? {
        bytes.withUnsafeBytes { decode($0) }
    }
}
