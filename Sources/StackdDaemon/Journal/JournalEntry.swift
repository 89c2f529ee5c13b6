/// One recorded inbound message, as the recorder received it.
public struct JournalEntry: Equatable, Sendable {
    /// Position in the journal: 1 for the first message, +1 per message.
    public var sequence: UInt64
    /// `CLOCK_MONOTONIC` ns at receipt (see `JournalManifest.date(receivedAt:)` for a date).
    public var receivedAt: Int64
    /// Every frame, in order; a well-formed stackd message has two, but whatever arrived is
    /// kept so replay sees the same malformed input.
    public var frames: [[UInt8]]

    /// Creates an entry value (for comparisons in tests and callers).
    public init(sequence: UInt64, receivedAt: Int64, frames: [[UInt8]]) {
        self.sequence = sequence
        self.receivedAt = receivedAt
        self.frames = frames
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
