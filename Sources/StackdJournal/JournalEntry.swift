/// One recorded inbound message, as the recorder received it.
public struct JournalEntry: Equatable, Sendable {
    /// Position in the journal: 1 for the first message, +1 per message.
    public var sequence: UInt64
    /// `CLOCK_MONOTONIC` ns at receipt (see `JournalManifest.date(receivedAt:)` for a date).
    public var receivedAt: Int64
    /// Every frame, in order; a well-formed stackd message has two, but whatever arrived is
    /// kept so replay sees the same malformed input.
    public var frames: [[UInt8]]
    /// True for a control record the daemon wrote itself (`JournalControlRecord`), not a message
    /// it received: its frames are the control record's, never fed to the pipeline.
    public var isControl: Bool

    /// Creates an entry value (for comparisons in tests and callers).
    public init(sequence: UInt64, receivedAt: Int64, frames: [[UInt8]], isControl: Bool = false) {
        self.sequence = sequence
        self.receivedAt = receivedAt
        self.frames = frames
        self.isControl = isControl
    }

    /// The first frame (the SUB-filtered topic), or nil for an empty message.
    public var topic: [UInt8]? { frames.first }

    /// The second frame, or nil when the message had fewer than two.
    public var payload: [UInt8]? { frames.count >= 2 ? frames[1] : nil }

    /// Whether the message has the `[topic][payload]` shape the pipeline accepts.
    public var isTwoFrames: Bool { frames.count == 2 }

    /// The topic decoded as UTF-8 (invalid sequences repaired), for summaries.
    public var topicString: String { String(decoding: topic ?? [], as: UTF8.self) }
}

/// A recorded message read in place (`JournalReader.Cursor.nextView()`): the buffers borrow the
/// cursor's block and are valid only until its next call. Already validated as a record.
public struct JournalEntryView {
    /// Position in the journal (see `JournalEntry.sequence`).
    public let sequence: UInt64
    /// `CLOCK_MONOTONIC` ns at receipt.
    public let receivedAt: Int64
    /// Frames in the message (0 for the recorder's stop marker).
    public let frameCount: Int
    /// Frame 0 (empty when there is none).
    public let topic: UnsafeRawBufferPointer
    /// Frame 1 (empty when there are fewer than two).
    public let payload: UnsafeRawBufferPointer
    let record: UnsafeRawBufferPointer

    /// True for a control record (`JournalControlRecord`), not a received message.
    public var isControl: Bool { record.first == JournalRecordEncoding.controlVersion }

    /// Whether the entry is a received message of the `[topic][payload]` shape the pipeline accepts.
    public var isTwoFrames: Bool { frameCount == 2 && !isControl }

    /// Every frame, copied (for control records, which are rare).
    public var frames: [[UInt8]] {
        var frames: [[UInt8]] = []
        _ = try? JournalRecordEncoding.walk(record) { _, frame in frames.append(Array(frame)) }
        return frames
    }

    /// A copy that outlives the cursor.
    public var entry: JournalEntry {
        JournalEntry(sequence: sequence, receivedAt: receivedAt, frames: frames, isControl: isControl)
    }
}
