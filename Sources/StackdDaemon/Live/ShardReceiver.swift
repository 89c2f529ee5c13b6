import Foundation
import Logging
import StackdCore
import StackdSystemd
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
final class ShardReceiver: @unchecked Sendable {
    let input: ZMQSocket
    let rings: [SPSCRing]
    private let logger: Logger
    private var rejectLog: RejectLog
    private let receivedCount = Atomic<Int>(0)
    private let framingCount = Atomic<Int>(0)
    private let stopFlag = Atomic<Bool>(false)
    /// A new reject-log rate from a reload (-1: none pending), applied between two polls.
    private let requestedRate = Atomic<Int>(-1)
    private let lock = NSCondition()
    private var finished = false

    init(input: ZMQSocket, rings: [SPSCRing], logger: Logger, rejectsPerSecond: Int) {
        self.input = input
        self.rings = rings
        self.logger = logger
        rejectLog = RejectLog(logger: logger, perSecond: rejectsPerSecond)
    }

    func setRejectLogPerSecond(_ rate: Int) { requestedRate.store(max(0, rate), ordering: .relaxed) }

    /// Messages read from the input socket, valid or not.
    var received: Int { receivedCount.load(ordering: .relaxed) }
    /// Messages rejected here because they were not `[topic][payload]`.
    var framingRejects: Int { framingCount.load(ordering: .relaxed) }

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
                guard topic.hasMore, (try? input.receive(into: payload)) == true else {
                    rejectFraming(topic, "message is not two frames [topic][payload]", now: now)
                    continue
                }
                if payload.hasMore {
                    repeat {
                        guard (try? input.receive(into: extra)) == true else { break }
                    } while extra.hasMore
                    rejectFraming(topic, "message has more than two frames", now: now)
                    continue
                }
                let pipeline = topic.withUnsafeBytes { ShardRouter.pipeline(ofTopic: $0, pipelines: pipelines) }
                _ = rings[pipeline].push(topic: topic, payload: payload, receivedAt: now)
            }
            received += batch
            receivedCount.store(received, ordering: .relaxed)
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
