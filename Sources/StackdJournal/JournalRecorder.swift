import Foundation
import StackdClock
import Synchronization

/// Records what the live daemon's ingest thread has already received, without slowing it.
///
/// The ingest thread only copies each message into a `RecordingQueue` (one memory copy, no lock,
/// no system call, no allocation); a writer thread of its own encodes, compresses, checksums and
/// writes the blocks, so LZ4, CRC-32C and `pwrite` are off the ingest thread. Nothing is dropped:
/// if the writer falls a whole queue behind (a stalled disk), the ingest thread waits for room
/// and the wait is counted (`stallNanoseconds`) — a journal with holes would replay into other
/// outputs than the live run's.
///
/// Recording is a side channel: if the disk fails, ingest must go on, so `record` never throws.
/// The first failure stops recording and is kept for the daemon to log once (`takeFailure()`).
///
/// The recording calls are made by one thread (the ingest thread, which owns the sockets it
/// records from).
package final class JournalRecorder: @unchecked Sendable {
    /// The journal being written (used by the writer thread; read its counters through this type).
    package let writer: JournalWriter
    private let queue: RecordingQueue
    /// Guards `writer` and `failure` between the writer thread and the owner.
    private let lock = NSLock()
    private var failure: JournalError?
    private var failureReported = false
    private let failed = Atomic<Bool>(false)
    private let stopRequested = Atomic<Bool>(false)
    private let writerSleeping = Atomic<Bool>(false)
    private let recorded = Atomic<Int>(0)
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private var thread: Thread?
    private var closed = false
    /// How long the writer sleeps when the queue is empty: short enough that the queue never
    /// fills between naps (5 ms is ~0.5 MB at a million 100-byte messages per second).
    private let napNanoseconds: Int64
    /// Producer-side scratch for messages whose frames arrive one at a time.
    private var pendingFrames: [UInt8] = []
    private var pendingLengths: [Int] = []
    private var pendingActive = false
    /// Time the ingest thread spent waiting for room in the queue.
    package private(set) var stallNanoseconds: UInt64 = 0

    /// Creates a new journal in `directory` for messages from `endpoints`.
    ///
    /// - Parameter queueBytes: room for messages received but not yet written (default 32 MiB:
    ///   about 0.3 s of a million 100-byte messages per second).
    /// - Parameter continuing: when `directory` already holds a journal, append this session to
    ///   it (a restarted daemon) instead of refusing the directory.
    package init(directory: String, endpoints: [String], bind: Bool, topics: [String], note: String = "",
                 configuration: JournalConfiguration = JournalConfiguration(), queueBytes: Int = 32 << 20,
                 continuing: Bool = false) throws {
        let manifest = JournalManifest(endpoints: endpoints, bind: bind, topics: topics, note: note,
                                       monotonicToUnixOffsetNanoseconds: JournalManifest.currentClockOffset())
        if continuing, FileManager.default.fileExists(atPath: directory + "/" + JournalManifest.fileName) {
            let session = JournalManifest.Run(
                firstSequence: 1, createdAt: manifest.createdAt, timeShiftNanoseconds: 0,
                monotonicToUnixOffsetNanoseconds: manifest.monotonicToUnixOffsetNanoseconds,
                endpoints: endpoints, bind: bind, topics: topics, note: note)
            writer = try JournalWriter(continuing: directory, session: session,
                                       now: Int64(MonotonicClock.nanoseconds()), configuration: configuration)
        } else {
            writer = try JournalWriter(directory: directory, manifest: manifest, configuration: configuration)
        }
        queue = RecordingQueue(capacity: queueBytes)
        if case .interval(let ns) = configuration.flush {
            napNanoseconds = max(1_000_000, min(ns / 4, 5_000_000))
        } else {
            napNanoseconds = 5_000_000
        }
        // Strong: the thread ends in `close()`; a recorder never closed keeps its thread, not a dangling one.
        let thread = Thread { self.writeLoop() }
        thread.name = "stackd-journal"
        self.thread = thread
        thread.start()
    }

    /// Whether messages are still being recorded (false after a failure or `close()`).
    package var isRecording: Bool { !failed.load(ordering: .relaxed) && !closed }

    /// Messages written to the journal so far (the queue may hold more).
    package var messageCount: Int { recorded.load(ordering: .relaxed) }

    /// Records a `[topic][payload]` message.
    package func record(topic: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer, receivedAt: Int64) {
        guard isRecording else { return }
        let bytes = RecordingQueue.recordBytes(frameLengths: CollectionOfTwo(topic.count, payload.count))
        guard reserve(bytes: bytes, frameCount: 2, receivedAt: receivedAt) else {
            recordDirectly([topic, payload], receivedAt: receivedAt)
            return
        }
        queue.add(topic)
        queue.add(payload)
        publish()
    }

    /// Records a message of any frame count (the framing rejects: one frame, three or more).
    package func record<Frames: Sequence<UnsafeRawBufferPointer>>(frames: Frames, receivedAt: Int64) {
        guard isRecording else { return }
        let list = Array(frames)
        let bytes = RecordingQueue.recordBytes(frameLengths: list.lazy.map(\.count))
        guard reserve(bytes: bytes, frameCount: list.count, receivedAt: receivedAt) else {
            recordDirectly(list, receivedAt: receivedAt)
            return
        }
        for frame in list { queue.add(frame) }
        publish()
    }

    /// Records a control record (a model install, an on-demand retrain, the state restored at
    /// start) at this point of the input stream, with the driver time it took effect at. Rare
    /// (a few per retrain), so building its frames allocates.
    package func record(control: JournalControlRecord, at time: Int64) {
        guard isRecording else { return }
        let frames = control.encodedFrames()
        let joined = frames.flatMap { $0 }
        joined.withUnsafeBytes { all in
            var views: [UnsafeRawBufferPointer] = []
            var at = 0
            for frame in frames {
                views.append(UnsafeRawBufferPointer(rebasing: all[at ..< at + frame.count]))
                at += frame.count
            }
            let bytes = RecordingQueue.recordBytes(frameLengths: frames.lazy.map(\.count))
            guard reserve(bytes: bytes, frameCount: views.count, receivedAt: time, control: true) else {
                recordDirectly(views, receivedAt: time, control: true)
                return
            }
            for frame in views { queue.add(frame) }
            publish()
        }
    }

    /// Starts a message whose frames arrive one at a time into a reused `ZMQMessage`.
    package func beginMessage() {
        pendingFrames.removeAll(keepingCapacity: true)
        pendingLengths.removeAll(keepingCapacity: true)
        pendingActive = true
    }

    /// Adds the next frame of the message begun with `beginMessage()`.
    package func addFrame(_ frame: UnsafeRawBufferPointer) {
        guard pendingActive else { return }
        pendingFrames.append(contentsOf: frame)
        pendingLengths.append(frame.count)
    }

    /// Records the message begun with `beginMessage()`.
    package func endMessage(receivedAt: Int64) {
        guard pendingActive else { return }
        pendingActive = false
        pendingFrames.withUnsafeBytes { all in
            var frames: [UnsafeRawBufferPointer] = []
            var at = 0
            for length in pendingLengths {
                frames.append(UnsafeRawBufferPointer(rebasing: all[at ..< at + length]))
                at += length
            }
            record(frames: frames, receivedAt: receivedAt)
        }
    }

    /// Kept for the loop that owns the recorder: flushing is the writer thread's job now, on its
    /// own clock, so a quiet stream's messages still reach the disk within the flush interval.
    package func tick(now: Int64) {}

    /// The failure that stopped recording, returned once so the daemon logs it once.
    package func takeFailure() -> JournalError? {
        guard failed.load(ordering: .relaxed) else { return nil }
        lock.lock()
        defer { lock.unlock() }
        guard let failure, !failureReported else { return nil }
        failureReported = true
        return failure
    }

    /// Writes everything queued, fsyncs and closes the journal; the writer thread ends.
    package func close() throws(JournalError) {
        guard !closed else { return }
        closed = true
        stopRequested.store(true, ordering: .releasing)
        wake.signal()
        finished.wait()
        lock.lock()
        defer { lock.unlock() }
        if failure != nil {
            failureReported = true
            return
        }
        failure = .closed
        failureReported = true
        try writer.close()
    }

    // MARK: producer side

    /// Starts a queue record, waiting (counted) while the writer frees room. False when the
    /// record can never fit the queue or recording failed meanwhile.
    private func reserve(bytes: Int, frameCount: Int, receivedAt: Int64, control: Bool = false) -> Bool {
        guard bytes <= queue.maxRecordBytes else { return false }
        if queue.begin(bytes: bytes, frameCount: frameCount, receivedAt: receivedAt, control: control) { return true }
        let start = DispatchTime.now().uptimeNanoseconds
        defer { stallNanoseconds += DispatchTime.now().uptimeNanoseconds - start }
        while !failed.load(ordering: .relaxed) {
            wakeWriter()
            if queue.begin(bytes: bytes, frameCount: frameCount, receivedAt: receivedAt, control: control) { return true }
            sched_yield()
        }
        return false
    }

    private func publish() {
        queue.commit()
        // The writer naps between drains and is only woken early when the queue is half full:
        // a wake-up per message would be a system call per message on the ingest thread.
        if queue.backlog > queue.capacity / 2 { wakeWriter() }
    }

    private func wakeWriter() {
        if writerSleeping.load(ordering: .acquiring), writerSleeping.exchange(false, ordering: .acquiringAndReleasing) {
            wake.signal()
        }
    }

    /// A message too large for the queue: written on this thread once the queue is empty, so the
    /// journal keeps receive order.
    private func recordDirectly(_ frames: [UnsafeRawBufferPointer], receivedAt: Int64, control: Bool = false) {
        while queue.backlog > 0 && !failed.load(ordering: .relaxed) { wakeWriter(); sched_yield() }
        lock.lock()
        defer { lock.unlock() }
        guard failure == nil else { return }
        do {
            try writer.append(frames: frames, receivedAt: receivedAt, control: control)
            recorded.add(1, ordering: .relaxed)
        } catch { fail(error) }
    }

    // MARK: writer thread

    private func fail(_ error: JournalError) {
        failure = error
        failed.store(true, ordering: .releasing)
    }

    private func writeLoop() {
        // Below the ingest thread and libzmq's I/O threads when cores are short: the writer's
        // batches then wait instead of preempting ingest (the 32 MiB queue absorbs the delay).
        // Linux applies nice per thread (who = 0: this thread).
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 5)
        var frames: [UnsafeRawBufferPointer] = []
        frames.reserveCapacity(8)
        while true {
            if queue.backlog > 0 {
                lock.lock()
                let n = queue.drain(frames: &frames) { receivedAt, list, control in
                    guard failure == nil else { return }
                    do throws(JournalError) { try writer.append(frames: list, receivedAt: receivedAt, control: control) } catch { fail(error) }
                }
                lock.unlock()
                recorded.add(n, ordering: .relaxed)
                continue
            }
            if stopRequested.load(ordering: .acquiring) && queue.backlog == 0 { break }
            lock.lock()
            if failure == nil {
                do { try writer.tick(now: Int64(MonotonicClock.nanoseconds())) } catch { fail(error) }
            }
            lock.unlock()
            writerSleeping.store(true, ordering: .releasing)
            // Re-check after announcing sleep: a record published in between would not wake us.
            if queue.backlog > 0 || stopRequested.load(ordering: .acquiring) {
                _ = writerSleeping.exchange(false, ordering: .acquiringAndReleasing)
                continue
            }
            _ = wake.wait(timeout: .now() + .nanoseconds(Int(napNanoseconds)))
            writerSleeping.store(false, ordering: .releasing)
        }
        finished.signal()
    }
}

/// Two integers as a sequence, for sizing a two-frame record without an array.
private struct CollectionOfTwo: Sequence, IteratorProtocol {
    var values: (Int, Int)
    var index = 0
    init(_ a: Int, _ b: Int) { values = (a, b) }
    mutating func next() -> Int? {
        defer { index += 1 }
        switch index { case 0: return values.0; case 1: return values.1; default: return nil }
    }
}
