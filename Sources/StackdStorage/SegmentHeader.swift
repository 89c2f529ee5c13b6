/// The 40-byte header that opens every segment file (layout in `schemas/segment-log.md`).
///
/// It carries its own CRC so a reader can tell a foreign or damaged file from a log segment
/// before trusting any offset in it. Segments are created atomically, so a valid log never
/// holds a torn header.
struct SegmentHeader: Equatable, Sendable {
    static let size = 40
    static let magic: [UInt8] = Array("SKLOGSEG".utf8)
    static let formatVersion: UInt16 = 1

    /// Event time (ns) of the first record the segment was created for; the module reads no
    /// clock, so this is the only "creation time" that stays deterministic.
    var createdAt: Int64
    var firstSequence: UInt64

    func encode() -> [UInt8] {
        var bytes = Self.magic
        bytes.reserveCapacity(Self.size)
        bytes.appendLE(Self.formatVersion)
        bytes.appendLE(UInt16(Self.size))
        bytes.appendLE(UInt32(0))
        bytes.appendLE(createdAt)
        bytes.appendLE(firstSequence)
        bytes.appendLE(UInt32(0))
        bytes.appendLE(CRC32C.checksum(bytes))
        return bytes
    }

    /// Decodes a header, or explains why the bytes are not one.
    static func decode(_ bytes: [UInt8]) -> Result<SegmentHeader, HeaderProblem> {
        guard bytes.count >= size else { return .failure(.init("file shorter than the segment header")) }
        guard Array(bytes[0..<8]) == magic else { return .failure(.init("bad magic")) }
        guard CRC32C.checksum(bytes[0..<36]) == bytes.loadLE(UInt32.self, at: 36) else {
            return .failure(.init("header checksum mismatch"))
        }
        let version = bytes.loadLE(UInt16.self, at: 8)
        guard version == formatVersion else { return .failure(.init("unsupported format version \(version)")) }
        guard bytes.loadLE(UInt16.self, at: 10) == UInt16(size) else { return .failure(.init("bad header length")) }
        return .success(SegmentHeader(
            createdAt: bytes.loadLE(Int64.self, at: 16),
            firstSequence: bytes.loadLE(UInt64.self, at: 24)
        ))
    }

    struct HeaderProblem: Error, Equatable {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }
}
