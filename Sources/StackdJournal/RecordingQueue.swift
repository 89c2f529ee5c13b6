import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A single-producer, single-consumer byte ring of whole messages: how the ingest thread hands
/// what it received to the journal's writer thread with one memory copy and no lock, no system
/// call and no allocation per message.
///
/// Each record is contiguous and 8-byte aligned: `[u32 record bytes][u32 frame count]
/// [i64 received at]` then per frame `[u32 length][bytes]`. A record that does not fit before the
/// end of the buffer is preceded by a wrap marker (record bytes = `UInt32.max`) and starts at
/// offset 0. `written` and `consumed` count bytes since creation; the producer publishes with a
/// release store of `written`, the consumer frees space with a release store of `consumed`.
final class RecordingQueue: @unchecked Sendable {
    static let headerSize = 16
    static let wrapMarker = UInt32.max

    let capacity: Int
    private let buffer: UnsafeMutableRawPointer
    private let written = Atomic<Int>(0)
    private let consumed = Atomic<Int>(0)
    /// Producer-side cursor of the record being built (not yet published).
    private var building = 0
    private var buildingStart = -1

    /// - Parameter capacity: bytes; rounded up to a power of two, at least 64 KiB.
    init(capacity: Int) {
        var c = 1 << 16
        while c < capacity { c <<= 1 }
        self.capacity = c
        buffer = .allocate(byteCount: c, alignment: 8)
        // Touched once here, at start-up: otherwise the ingest thread takes a page fault (and
        // the kernel zeroes a page) every 4 KiB of messages during the ring's first lap.
        buffer.initializeMemory(as: UInt8.self, repeating: 0, count: c)
    }

    deinit { buffer.deallocate() }

    /// The largest record the queue can take.
    var maxRecordBytes: Int { capacity / 2 }

    static func recordBytes(frameLengths: some Sequence<Int>) -> Int {
        var n = headerSize
        for l in frameLengths { n += 4 + l }
        return (n + 7) & ~7
    }

    // MARK: producer

    /// Starts a record of `bytes` (from `recordBytes`) if there is room now; false when the
    /// consumer must free space first (or the record can never fit).
    /// - Parameter control: marks a control record (`JournalControlRecord`); carried in the top
    ///   bit of the frame count word (a message has at most 255 frames).
    func begin(bytes: Int, frameCount: Int, receivedAt: Int64, control: Bool = false) -> Bool {
        guard bytes <= maxRecordBytes else { return false }
        let w = written.load(ordering: .relaxed)
        let free = capacity - (w - consumed.load(ordering: .acquiring))
        var offset = w & (capacity - 1)
        var start = w
        if offset + bytes > capacity {  // wrap: skip the tail of the buffer
            let skip = capacity - offset
            guard free >= skip + bytes else { return false }
            buffer.storeBytes(of: Self.wrapMarker, toByteOffset: offset, as: UInt32.self)
            start = w + skip
            offset = 0
        } else if free < bytes {
            return false
        }
        buffer.storeBytes(of: UInt32(bytes), toByteOffset: offset, as: UInt32.self)
        buffer.storeBytes(of: UInt32(frameCount) | (control ? Self.controlFlag : 0), toByteOffset: offset + 4, as: UInt32.self)
        buffer.storeBytes(of: receivedAt, toByteOffset: offset + 8, as: Int64.self)
        buildingStart = start
        building = offset + Self.headerSize
        return true
    }

    /// Appends the next frame of the record begun with `begin`.
    func add(_ frame: UnsafeRawBufferPointer) {
        buffer.storeBytes(of: UInt32(frame.count), toByteOffset: building, as: UInt32.self)
        if let base = frame.baseAddress, frame.count > 0 {
            (buffer + building + 4).copyMemory(from: base, byteCount: frame.count)
        }
        building += 4 + frame.count
    }

    /// Publishes the record begun with `begin` to the consumer.
    func commit() {
        let bytes = Int(buffer.loadUnaligned(fromByteOffset: buildingStart & (capacity - 1), as: UInt32.self))
        written.store(buildingStart + bytes, ordering: .releasing)
        buildingStart = -1
    }

    /// Bytes not yet consumed.
    var backlog: Int { written.load(ordering: .relaxed) - consumed.load(ordering: .relaxed) }

    // MARK: consumer

    /// The frame count word's bit that marks a control record.
    static let controlFlag: UInt32 = 1 << 31

    /// Calls `body(receivedAt, frames, isControl)` for every published record, in order, then
    /// frees them. `frames` is only valid inside `body`. Returns the number of records consumed.
    @discardableResult
    func drain(frames: inout [UnsafeRawBufferPointer],
               _ body: (Int64, UnsafeBufferPointer<UnsafeRawBufferPointer>, Bool) -> Void) -> Int {
        let end = written.load(ordering: .acquiring)
        var at = consumed.load(ordering: .relaxed)
        var count = 0
        while at < end {
            var offset = at & (capacity - 1)
            var bytes = buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
            if bytes == Self.wrapMarker {
                at += capacity - offset
                offset = 0
                bytes = buffer.loadUnaligned(fromByteOffset: 0, as: UInt32.self)
            }
            let countWord = buffer.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
            let frameCount = Int(countWord & ~Self.controlFlag)
            let receivedAt = buffer.loadUnaligned(fromByteOffset: offset + 8, as: Int64.self)
            frames.removeAll(keepingCapacity: true)
            var p = offset + Self.headerSize
            for _ in 0..<frameCount {
                let length = Int(buffer.loadUnaligned(fromByteOffset: p, as: UInt32.self))
                frames.append(UnsafeRawBufferPointer(start: buffer + p + 4, count: length))
                p += 4 + length
            }
            frames.withUnsafeBufferPointer { body(receivedAt, $0, countWord & Self.controlFlag != 0) }
            at += Int(bytes)
            count += 1
            consumed.store(at, ordering: .releasing)
        }
        return count
    }
}
