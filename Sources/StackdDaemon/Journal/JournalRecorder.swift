/// Records what the live daemon's ingest thread has already received, without slowing it.
///
/// Recording is a side channel: if the disk fails, ingest must go on, so `record` never throws.
/// The first failure stops recording and is kept for the daemon to log once (`takeFailure()`).
/// Messages are buffered by the segment log and written as blocks by the interval policy when
/// the daemon calls `tick(now:)` each loop turn, so the per-message cost is two memory copies
/// and no system call.
///
/// Owned by the ingest thread, like the sockets it records from.
public final class JournalRecorder {
    /// The journal being written.
    public let writer: JournalWriter
    private var failure: JournalError?
    private var failureReported = false

    /// Creates a new journal in `directory` for messages from `endpoints`.
    public init(directory: String, endpoints: [String], bind: Bool, topics: [String], note: String = "",
                configuration: JournalConfiguration = JournalConfiguration()) throws {
        let manifest = JournalManifest(endpoints: endpoints, bind: bind, topics: topics, note: note,
                                       monotonicToUnixOffsetNanoseconds: JournalManifest.currentClockOffset())
        writer = try JournalWriter(directory: directory, manifest: manifest, configuration: configuration)
    }

    /// Whether messages are still being recorded (false after a failure or `close()`).
    public var isRecording: Bool { failure == nil }

    /// Messages recorded.
    public var messageCount: Int { writer.messageCount }

    /// Records a `[topic][payload]` message.
    public func record(topic: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer, receivedAt: Int64) {
        guard failure == nil else { return }
        do { try writer.append(topic: topic, payload: payload, receivedAt: receivedAt) } catch { failure = error }
    }

    /// Records a message of any frame count (the framing rejects: one frame, three or more).
    public func record<Frames: Sequence<UnsafeRawBufferPointer>>(frames: Frames, receivedAt: Int64) {
        guard failure == nil else { return }
        do { try writer.append(frames: frames, receivedAt: receivedAt) } catch { failure = error }
    }

    /// Starts a message whose frames arrive one at a time into a reused `ZMQMessage`.
    public func beginMessage() {
        guard failure == nil else { return }
        writer.beginMessage()
    }

    /// Adds the next frame of the message begun with `beginMessage()`.
    public func addFrame(_ frame: UnsafeRawBufferPointer) {
        guard failure == nil else { return }
        writer.addFrame(frame)
    }

    /// Records the message begun with `beginMessage()`.
    public func endMessage(receivedAt: Int64) {
        guard failure == nil else { return }
        do { try writer.endMessage(receivedAt: receivedAt) } catch { failure = error }
    }

    /// Writes buffered messages once the flush interval has passed; call every loop turn.
    public func tick(now: Int64) {
        guard failure == nil else { return }
        do { try writer.tick(now: now) } catch { failure = error }
    }

    /// The failure that stopped recording, returned once so the daemon logs it once.
    public func takeFailure() -> JournalError? {
        guard let failure, !failureReported else { return nil }
        failureReported = true
        return failure
    }

    /// Flushes and fsyncs what was recorded and closes the journal.
    public func close() throws(JournalError) {
        if failure != nil { return }
        failure = .closed
        failureReported = true
        try writer.close()
    }
}
