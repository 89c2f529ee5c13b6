import Foundation
import StackdStorage
import StackdZMQ

/// Records inbound ZeroMQ messages into a new journal directory.
///
/// Owned by one thread (like the `LogWriter` under it): no locks, not `Sendable`. Each message
/// is encoded into one reused buffer and handed to the log, which copies it into its pending
/// block; blocks reach the OS only when the flush policy says so, so appending costs no system
/// call and, in steady state, no allocation.
///
/// Receive times double as the flush clock: they are `CLOCK_MONOTONIC` nanoseconds, the same
/// clock `tick(now:)` expects, so the interval policy needs no extra clock read per message.
public final class JournalWriter {
    /// The journal directory.
    public let directory: String
    /// The manifest written when the journal was created.
    public let manifest: JournalManifest
    private let log: LogWriter
    // The writer is driven by one thread at a time (the journal thread, under the recorder's
    // lock): its per-message state skips the dynamic exclusivity check, a thread-local
    // access-set lookup on every access that showed up in the writer's profile next to its
    // copies (bench/RESULTS.md §6d).
    @exclusivity(unchecked) private var builder = JournalRecordBuilder()
    @exclusivity(unchecked) private var nextSequence: UInt64 = 1
    /// Messages appended.
    @exclusivity(unchecked) public private(set) var messageCount = 0
    /// Frame bytes appended (topics and payloads, without framing).
    @exclusivity(unchecked) public private(set) var frameBytes = 0
    /// Frames not stored because a message had more than `JournalRecordEncoding.maxFrames`.
    @exclusivity(unchecked) public private(set) var droppedFrames = 0
    /// Added to every receive time before it is stored (non-zero only in a session continuing a
    /// journal recorded before a reboot; see `JournalManifest.Run`).
    private var timeShift: Int64 = 0

    /// Creates a journal in `directory` (created if needed; refused if it already holds one)
    /// and writes its manifest.
    public init(directory: String, manifest: JournalManifest,
                configuration: JournalConfiguration = JournalConfiguration()) throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: directory + "/" + JournalManifest.fileName) {
            throw JournalError.alreadyExists(directory: directory)
        }
        let segments = directory + "/" + JournalManifest.segmentsDirectory
        // Checked before the log opens: opening would "repair" (truncate) another recording.
        if let existing = try? fm.contentsOfDirectory(atPath: segments), !existing.isEmpty {
            throw JournalError.alreadyExists(directory: directory)
        }
        // 0700 directories, 0600 files (the log's own mode): a journal is the input stream, private.
        try PrivateFiles.createDirectories(segments)
        do {
            log = try LogWriter(directory: segments, configuration: configuration.log)
        } catch {
            throw JournalError.storage(error)
        }
        try manifest.write(directory: directory)
        self.directory = directory
        self.manifest = manifest
    }

    /// Continues the journal in `directory` with a new session (a restarted `stackd run` with
    /// the same `[record] directory`): the segment log is reopened (a torn tail left by a crash
    /// is cut off), sequences go on from the last record, and the session is added to the
    /// manifest's `runs`. Receive times stay non-decreasing: if the clock restarted (a reboot),
    /// this session's times are shifted past the last stored one and the shift is recorded.
    public init(continuing directory: String, session: JournalManifest.Run, now: Int64,
                configuration: JournalConfiguration = JournalConfiguration()) throws {
        var manifest = try JournalManifest.read(directory: directory)
        do {
            log = try LogWriter(directory: directory + "/" + JournalManifest.segmentsDirectory, configuration: configuration.log)
        } catch {
            throw JournalError.storage(error)
        }
        let last = log.segments.compactMap(\.maxTimestamp).max()
        var session = session
        session.firstSequence = (log.lastSequence ?? 0) + 1
        if let last, last >= now {
            session.timeShiftNanoseconds = last - now + 1
            session.monotonicToUnixOffsetNanoseconds -= session.timeShiftNanoseconds
        }
        manifest.runs = manifest.sessions + [session]
        // This session may write control records: a version 1 journal it continues becomes version 2.
        manifest.version = JournalManifest.currentVersion
        try manifest.write(directory: directory)
        timeShift = session.timeShiftNanoseconds
        nextSequence = session.firstSequence
        self.directory = directory
        self.manifest = manifest
    }

    /// What the segment log found and repaired when it opened (a continued journal): a torn
    /// tail cut off, segments set aside because their header is damaged.
    public var openReport: OpenReport { log.openReport }

    /// Segments written so far.
    public var segmentCount: Int { log.segments.count }

    /// Appends one message given as its frames, in order, exactly as received.
    ///
    /// - Parameter receivedAt: `CLOCK_MONOTONIC` ns at receipt; values going backwards are
    ///   stored as they are (the time index tolerates it; readers get record order).
    ///
    /// - Parameter control: the frames are a control record the daemon wrote (`JournalControlRecord`),
    ///   stored with record version 2 so readers never take it for a received message.
    public func append<Frames: Sequence<UnsafeRawBufferPointer>>(frames: Frames, receivedAt: Int64,
                                                                 control: Bool = false) throws(JournalError) {
        builder.begin(control: control)
        for frame in frames { builder.add(frame) }
        try commit(receivedAt: receivedAt)
    }

    /// Appends the usual two-frame `[topic][payload]` message without building a frame list.
    public func append(topic: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer, receivedAt: Int64) throws(JournalError) {
        builder.begin()
        builder.add(topic)
        builder.add(payload)
        try commit(receivedAt: receivedAt)
    }

    /// Appends a message whose frames were received zero-copy into `messages` (in order).
    public func append<Messages: Sequence<ZMQMessage>>(messages: Messages, receivedAt: Int64) throws(JournalError) {
        builder.begin()
        for message in messages { message.withUnsafeBytes { builder.add($0) } }
        try commit(receivedAt: receivedAt)
    }

    /// Starts a message whose frames are added one at a time as they arrive (a receive loop
    /// that reuses one `ZMQMessage` for every frame); finish it with `endMessage(receivedAt:)`.
    public func beginMessage() {
        builder.begin()
    }

    /// Adds the next frame of the message begun with `beginMessage()`.
    public func addFrame(_ frame: UnsafeRawBufferPointer) {
        builder.add(frame)
    }

    /// Appends the message begun with `beginMessage()`.
    public func endMessage(receivedAt: Int64) throws(JournalError) {
        try commit(receivedAt: receivedAt)
    }

    /// Lets the interval flush policy write a quiet stream's buffered messages; call it every
    /// loop turn with the current `CLOCK_MONOTONIC` ns.
    public func tick(now: Int64) throws(JournalError) {
        do { try log.tick(now: now) } catch { throw .storage(error) }
    }

    /// Writes buffered messages now.
    public func flush() throws(JournalError) {
        do { try log.flush() } catch { throw .storage(error) }
    }

    /// Flushes, fsyncs and closes; the writer cannot be used afterwards.
    public func close() throws(JournalError) {
        do { try log.close() } catch { throw .storage(error) }
    }

    private func commit(receivedAt: Int64) throws(JournalError) {
        builder.finish()
        droppedFrames += builder.droppedFrames
        frameBytes += builder.bytes.count - JournalRecordEncoding.headerSize
            - builder.frameCount * JournalRecordEncoding.frameOverhead
        let sequence = nextSequence
        let result = builder.bytes.withUnsafeBytes { payload in
            Result { () throws(StorageError) in
                try log.append(sequence: sequence, timestamp: receivedAt &+ timeShift, payload: payload, now: receivedAt)
            }
        }
        do { _ = try result.get() } catch {
            if error == .closed { throw .closed }
            throw .storage(error)
        }
        nextSequence += 1
        messageCount += 1
    }
}
