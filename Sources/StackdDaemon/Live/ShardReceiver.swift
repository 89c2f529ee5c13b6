import Foundation
import Logging
import StackdCore
import StackdClock
import StackdJournal
import StackdZMQ
import Synchronization

/// The receive thread of a daemon with several pipelines when their symbols are not known in
/// advance (no `stream.symbols`, so no per-pipeline subscriptions) or the input binds: it reads
/// the one input socket, hashes each topic's symbol segment (``ShardRouter``) and moves the
/// frames into the owning pipeline's ``SPSCRing``, without a copy, a lock or an allocation.
///
/// A message that is not two frames is rejected here (`framing`, counted and logged as a single
/// pipeline would); everything else goes to a pipeline, which validates it. A full ring drops the
/// message and counts it for that pipeline (``SPSCRing/dropped``): ingest never waits.
///
/// With `[record]` this thread is the journal's one producer: it records every message, bad
/// framing included, the moment it has read it and before it routes it — the daemon's arrival
/// order, with the receive time the pipeline is given, in the same `JournalRecorder` queue and
/// format as a single ingest loop. A message a full ring drops is still in the journal (it was
/// received; `stackd_ring_drops_total` says the live outputs lack it).
final class ShardReceiver: @unchecked Sendable {
    let input: ZMQSocket
    let rings: [SPSCRing]
    /// The input journal (`[record]`), fed by this thread only while it runs.
    private let recorder: JournalRecorder?
    /// The recorder's stall time, copied once per batch for the snapshot (the recorder's own
    /// counter belongs to its producer thread).
    private let stallCount = Atomic<UInt64>(0)
    private let logger: Logger
    private var rejectLog: RejectLog
    private let receivedCount = Atomic<Int>(0)
    private let framingCount = Atomic<Int>(0)
    private let stopFlag = Atomic<Bool>(false)
    /// A new reject-log rate from a reload (-1: none pending), applied between two polls.
    private let requestedRate = Atomic<Int>(-1)
    private let lock = NSCondition()
    private var finished = false

    init(input: ZMQSocket, rings: [SPSCRing], recorder: JournalRecorder?, logger: Logger, rejectsPerSecond: Int) {
        self.input = input
        self.rings = rings
        self.recorder = recorder
        self.logger = logger
        rejectLog = RejectLog(logger: logger, perSecond: rejectsPerSecond)
    }

    func setRejectLogPerSecond(_ rate: Int) { requestedRate.store(max(0, rate), ordering: .relaxed) }

    /// Messages read from the input socket, valid or not.
    var received: Int { receivedCount.load(ordering: .relaxed) }
    /// Messages rejected here because they were not `[topic][payload]`.
    var framingRejects: Int { framingCount.load(ordering: .relaxed) }
    /// Time this thread waited for room in the recording queue (the disk fell behind).
    var journalStallNanoseconds: UInt64 { stallCount.load(ordering: .relaxed) }

    func start() {
        let t = Thread { [self] in self.run() }
        t.name = "stackd-receive"
        t.start()
    }

    /// Stops reading (what the socket still queues is not read, as with one pipeline) and waits
    /// for the thread; afterwards the rings hold everything it received.
    func stop(timeout: TimeInterval) -> Bool {
        stopFlag.store(true, ordering: .releasing)
        let deadline = Date(timeIntervalSinceNow: timeout)
        lock.lock()
        defer { lock.unlock() }
        while !finished {
            if !lock.wait(until: deadline) { return finished }
        }
        return true
    }

    private func run() {
        let topic = ZMQMessage(), payload = ZMQMessage(), extra = ZMQMessage()
        var items = [ZMQPollItem(socket: input)]
        let pipelines = rings.count
        var received = 0
        while !stopFlag.load(ordering: .acquiring) {
            let rate = requestedRate.exchange(-1, ordering: .relaxed)
            if rate >= 0 { rejectLog.perSecond = rate }
            do {
                try ZMQSocket.poll(&items, timeoutMilliseconds: 100)
            } catch let e as ZMQError where e.isInterrupted {
                continue
            } catch {
                logger.error("poll failed; the receive thread stops", metadata: ["error": "\(error)"])
                break
            }
            guard items[0].isReadable else { continue }
            var batch = 0
            while batch < 4096 {
                guard (try? input.receive(into: topic, dontWait: true)) == true else { break }
                batch += 1
                let now = MonotonicClock.nanoseconds()
                // Recorded as the single ingest loop records (LiveRunner.ingestLoop), so a replay
                // counts the same framing rejects.
                guard topic.hasMore, (try? input.receive(into: payload)) == true else {
                    topic.withUnsafeBytes { recorder?.record(frames: CollectionOfOne($0), receivedAt: Int64(now)) }
                    rejectFraming(topic, "message is not two frames [topic][payload]", now: now)
                    continue
                }
                if payload.hasMore {
                    recorder?.beginMessage()
                    topic.withUnsafeBytes { recorder?.addFrame($0) }
                    payload.withUnsafeBytes { recorder?.addFrame($0) }
                    repeat {
                        guard (try? input.receive(into: extra)) == true else { break }
                        extra.withUnsafeBytes { recorder?.addFrame($0) }
                    } while extra.hasMore
                    recorder?.endMessage(receivedAt: Int64(now))
                    rejectFraming(topic, "message has more than two frames", now: now)
                    continue
                }
                if let recorder {
                    topic.withUnsafeBytes { t in
                        payload.withUnsafeBytes { p in recorder.record(topic: t, payload: p, receivedAt: Int64(now)) }
                    }
                }
                let pipeline = topic.withUnsafeBytes { ShardRouter.pipeline(ofTopic: $0, pipelines: pipelines) }
                _ = rings[pipeline].push(topic: topic, payload: payload, receivedAt: now)
            }
            received += batch
            receivedCount.store(received, ordering: .relaxed)
            if let recorder { stallCount.store(recorder.stallNanoseconds, ordering: .relaxed) }
        }
        lock.lock()
        finished = true
        lock.broadcast()
        lock.unlock()
    }

    private func rejectFraming(_ topic: ZMQMessage, _ why: StaticString, now: UInt64) {
        framingCount.add(1, ordering: .relaxed)
        topic.withUnsafeBytes { t in
            rejectLog.record(WireRejection(.framing, why), topic: t, payload: UnsafeRawBufferPointer(start: nil, count: 0), now: now)
        }
    }
}
