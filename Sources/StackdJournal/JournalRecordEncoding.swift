/// The byte layout of one journal record's payload (`schemas/journal.md` §3): `u8 version`,
/// `u8 frame count`, then per frame `u32 length` (little-endian) and the bytes.
///
/// Frames are kept exactly as received, including a wrong count (one frame, three frames), so
/// that a replay feeds the pipeline the same malformed input the live daemon saw.
package enum JournalRecordEncoding {
    /// Record payload layout version of an inbound message; a reader refuses versions other
    /// than this and `controlVersion`.
    package static let version: UInt8 = 1
    /// The same frame layout, marking a control record the daemon wrote itself (a model
    /// install, an on-demand retrain, the state restored at start): `JournalControlRecord`.
    package static let controlVersion: UInt8 = 2
    /// The count is one byte: messages with more frames are cut to this many (see the schema).
    package static let maxFrames = 255
    /// Version and frame count.
    static let headerSize = 2
    /// Per-frame length prefix.
    static let frameOverhead = 4

    /// Why a record payload could not be decoded.
    package struct DecodeError: Error, Equatable, Sendable, CustomStringConvertible {
        package let reason: String
        package var description: String { reason }
    }

    /// Splits a record payload back into its frames.
    package static func decode(_ bytes: UnsafeRawBufferPointer) throws(DecodeError) -> [[UInt8]] {
        var frames: [[UInt8]] = []
        try walk(bytes) { index, frame in
            if index == 0 { frames.reserveCapacity(Int(bytes[1])) }
            frames.append(Array(frame))
        }
        return frames
    }

    /// Validates a record payload exactly as `decode` does, without copying: `body` sees each
    /// frame in place (index, bytes), in order. Returns the frame count.
    @discardableResult
    static func walk(_ bytes: UnsafeRawBufferPointer, _ body: (Int, UnsafeRawBufferPointer) -> Void) throws(DecodeError) -> Int {
        guard bytes.count >= headerSize else { throw DecodeError(reason: "record shorter than its header") }
        guard bytes[0] == version || bytes[0] == controlVersion else { throw DecodeError(reason: "unsupported record version \(bytes[0])") }
        let count = Int(bytes[1])
        var offset = headerSize
        for index in 0..<count {
            guard bytes.count - offset >= frameOverhead else { throw DecodeError(reason: "frame \(index): truncated length") }
            let length = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
            offset += frameOverhead
            guard bytes.count - offset >= length else { throw DecodeError(reason: "frame \(index): overruns the record") }
            body(index, UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)]))
            offset += length
        }
        guard offset == bytes.count else { throw DecodeError(reason: "\(bytes.count - offset) trailing bytes") }
        return count
    }

    /// Decodes a record payload held in an array.
    package static func decode(_ bytes: [UInt8]) throws(DecodeError) -> [[UInt8]] {
        let result = bytes.withUnsafeBytes { raw in Result { () throws(DecodeError) in try decode(raw) } }
        return try result.get()
    }
}

/// Builds one record payload frame by frame in a buffer reused across messages, so encoding
/// allocates nothing in steady state and a caller can add frames as it receives them (the
/// count is patched in when the message ends, so it need not be known up front).
struct JournalRecordBuilder {
    private(set) var bytes: [UInt8] = []
    private(set) var frameCount = 0
    /// Frames offered beyond `maxFrames` and not stored.
    private(set) var droppedFrames = 0

    init(capacity: Int = 64 << 10) {
        bytes.reserveCapacity(capacity)
    }

    mutating func begin(control: Bool = false) {
        bytes.removeAll(keepingCapacity: true)
        bytes.append(control ? JournalRecordEncoding.controlVersion : JournalRecordEncoding.version)
        bytes.append(0)
        frameCount = 0
        droppedFrames = 0
    }

    mutating func add(_ frame: UnsafeRawBufferPointer) {
        guard frameCount < JournalRecordEncoding.maxFrames else {
            droppedFrames += 1
            return
        }
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: frame.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: frame)
        frameCount += 1
    }

    mutating func finish() {
        bytes[1] = UInt8(frameCount)
    }
}
