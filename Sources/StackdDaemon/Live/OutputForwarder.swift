import Foundation
import Logging
import StackdSystemd
import StackdZMQ
import Synchronization

/// The one thread that relays the outputs of a daemon's pipelines (`ingest.shards > 1`) to its
/// output socket, so consumers still see one endpoint.
///
/// A ZeroMQ socket belongs to one thread and N XPUB sockets cannot bind one endpoint, so each
/// pipeline sends on its own inproc XPUB and this thread reads them all through one XSUB
/// (subscribed to everything) and sends on the daemon's XPUB (`output.bind`, `output.connect`).
/// Why not `zmq_proxy` (``ZMQProxy``): it cannot tell when it has forwarded everything the
/// pipelines sent before a stop, so the last outputs of a drain could be lost at shutdown, and its
/// blocking send would hold every consumer back behind one slow one. This loop sends without
/// waiting, counts a consumer at its high-water mark as `hwm` exactly as a single pipeline does,
/// counts the output subscriptions, and stops once it has relayed what the pipelines published.
final class OutputForwarder: @unchecked Sendable {
    let frontend: ZMQSocket
    let backend: ZMQSocket
    private let logger: Logger
    private let relayedCount = Atomic<Int>(0)
    /// Ensemble outputs and alerts the backend refused (a consumer at its high-water mark, or
    /// another error), and how many of those were ensemble outputs.
    private let refusedHighWaterMark = Atomic<Int>(0)
    private let refusedError = Atomic<Int>(0)
    private let refusedOutputs = Atomic<Int>(0)
    private let subscriptionCount = Atomic<Int>(0)
    /// Set at stop: the number of messages the pipelines published in all; the loop ends once it
    /// has relayed that many (or its bounded wait is over).
    private let stopTarget = Atomic<Int>(-1)
    private let lock = NSCondition()
    private var finished = false

    /// - Parameters:
    ///   - frontend: an XSUB connected to every pipeline's inproc endpoint.
    ///   - backend: the daemon's output XPUB, bound and connected as configured.
    init(frontend: ZMQSocket, backend: ZMQSocket, logger: Logger) throws {
        self.frontend = frontend
        self.backend = backend
        self.logger = logger
        // An XSUB subscribes by sending `\x01` + prefix; the empty prefix takes everything (the
        // output XPUB filters per consumer), and libzmq replays it to pipelines connected later.
        _ = try frontend.send([1])
    }

    var relayed: Int { relayedCount.load(ordering: .relaxed) }
    var sendFailuresHighWaterMark: Int { refusedHighWaterMark.load(ordering: .relaxed) }
    var sendFailuresError: Int { refusedError.load(ordering: .relaxed) }
    /// Ensemble outputs (not alerts) that reached a pipeline's socket but not the consumers.
    var outputsRefused: Int { refusedOutputs.load(ordering: .relaxed) }
    var subscriptions: Int { subscriptionCount.load(ordering: .relaxed) }

    func start() {
        let t = Thread { [self] in self.run() }
        t.name = "stackd-forward"
        t.start()
    }

    /// Ends the loop once `published` messages have been relayed, or after `timeout`.
    func finish(published: Int, timeout: TimeInterval) -> Bool {
        stopTarget.store(published, ordering: .releasing)
        let deadline = Date(timeIntervalSinceNow: timeout)
        lock.lock()
        defer { lock.unlock() }
        while !finished {
            if !lock.wait(until: deadline) { return finished }
        }
        return true
    }

    private func run() {
        let topic = ZMQMessage(), payload = ZMQMessage(), extra = ZMQMessage(), subscription = ZMQMessage()
        var items = [ZMQPollItem(socket: frontend), ZMQPollItem(socket: backend)]
        var relayed = 0
        var stopSeen: UInt64 = 0
        loop: while true {
            let target = stopTarget.load(ordering: .acquiring)
            if target >= 0 {
                if relayed >= target { break }
                let now = MonotonicClock.nanoseconds()
                if stopSeen == 0 { stopSeen = now }
                // Bounded: a message lost between the pipelines and here must not hold the stop.
                if now &- stopSeen > 2_000_000_000 {
                    logger.warning("output forwarder stopped before relaying every output", metadata: [
                        "relayed": "\(relayed)", "published": "\(target)"])
                    break
                }
            }
            do {
                try ZMQSocket.poll(&items, timeoutMilliseconds: target >= 0 ? 10 : 100)
            } catch let e as ZMQError where e.isInterrupted {
                continue
            } catch {
                logger.error("output forwarder poll failed; stopping", metadata: ["error": "\(error)"])
                break
            }
            if items[0].isReadable {
                var batch = 0
                while batch < 4096, (try? frontend.receive(into: topic, dontWait: true)) == true {
                    batch += 1
                    guard topic.hasMore, (try? frontend.receive(into: payload)) == true else { continue }
                    if payload.hasMore {  // the pipelines send two frames; never expected
                        repeat { guard (try? frontend.receive(into: extra)) == true else { break } } while extra.hasMore
                        continue
                    }
                    relayed += 1
                    let sent: Bool?
                    do {
                        sent = try topic.withUnsafeBytes { t in
                            try payload.withUnsafeBytes { p in try backend.send(topic: t, payload: p, dontWait: true) }
                        }
                    } catch {
                        sent = nil
                    }
                    if sent != true {
                        if sent == nil { refusedError.add(1, ordering: .relaxed) } else { refusedHighWaterMark.add(1, ordering: .relaxed) }
                        // Alerts are on `alert.<kind>`; everything else is an ensemble output.
                        if topic.withUnsafeBytes({ $0.first }) != UInt8(ascii: "a") { refusedOutputs.add(1, ordering: .relaxed) }
                    }
                }
                relayedCount.store(relayed, ordering: .relaxed)
            }
            if items[1].isReadable {
                while (try? backend.receive(into: subscription, dontWait: true)) == true {
                    subscription.withUnsafeBytes { s in
                        if let first = s.first { subscriptionCount.add(first == 1 ? 1 : (first == 0 ? -1 : 0), ordering: .relaxed) }
                    }
                }
            }
        }
        relayedCount.store(relayed, ordering: .relaxed)
        lock.lock()
        finished = true
        lock.broadcast()
        lock.unlock()
    }
}
