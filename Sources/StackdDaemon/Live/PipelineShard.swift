import Foundation
import Logging
import StackdCore
import StackdClock
import StackdTraining
import StackdZMQ
import Synchronization

/// One pipeline of a daemon with several (`ingest.shards = N`, N > 1), on its own thread: its
/// symbols' messages in, the pure pipeline, its outputs out on an inproc socket that the
/// ``OutputForwarder`` relays to `output.bind`.
///
/// It owns everything a single-pipeline daemon's ingest loop owns except the outer sockets: its
/// `StackingPipeline` (symbol table, rows under assembly, awaiting rows, scoreboard, monitors),
/// its publisher (encoding buffers, latency histogram, output `seq` per horizon) and its reject
/// log. Nothing on the per-message path is shared with another thread except the input ring's
/// indices; the snapshot is taken under a lock every 100 ms. Retraining crosses threads only at
/// retrain points: its window segment leaves at a trigger (``ShardedTraining``), and the merged
/// model comes back through ``deliver(_:)``, checked once per loop turn.
final class PipelineShard: @unchecked Sendable {
    /// Where this pipeline's messages come from.
    enum Source {
        /// Its own SUB socket, subscribed to its symbols' topic prefixes (`stream.symbols` set).
        case socket(ZMQSocket)
        /// A ring filled by the receive thread, which routes every message by its symbol's hash.
        case ring(SPSCRing)
    }

    let index: Int
    let pipeline: StackingPipeline
    let publisher: EnsemblePublisher
    let source: Source
    /// XPUB bound to ``outputEndpoint`` (no drop: a forwarder that falls behind makes sends
    /// fail with EAGAIN, counted as `hwm`, instead of vanishing).
    let output: ZMQSocket
    let outputEndpoint: String
    private let logger: Logger
    private var rejectLog: RejectLog
    private var latencyQuantiles = LatencyQuantiles()

    private let stopFlag = Atomic<Bool>(false)
    /// Models trained from the merged window (``ShardedTraining``), waiting for this loop to offer
    /// them: the count is read once per loop turn, the lock taken only when it is not zero.
    private let deliveredCount = Atomic<Int>(0)
    private var delivered: [(result: TrainingResult, windowFloor: Int64?)] = []
    /// Set by ``requestRetrain()``; read once per loop turn.
    private let retrainRequested = Atomic<Bool>(false)
    private let training: ShardedTraining?
    private let lock = NSCondition()
    private var snapshotValue: RunnerSnapshot
    private var requestedRejectLogRate: Int?
    /// The loop has ended and handled its ring; it waits for ``finish(at:)`` before its last
    /// advance and drain.
    private var loopEnded = false
    /// The daemon's stop time, the same for every pipeline (``finish(at:)``).
    private var stopTime: Int64?
    private var finished = false
    private var thread: Thread?

    init(index: Int, configuration: DaemonConfiguration, context: ZMQContext, source: Source, pipeline: StackingPipeline?,
         training: ShardedTraining?, logger: Logger) throws {
        self.index = index
        self.source = source
        self.training = training
        self.logger = logger
        self.pipeline = try pipeline ?? StackingPipeline(configuration: configuration.pipeline,
                                        retrainPolicy: ShardedTraining.pipelinePolicy(configuration.retrain),
                                        monitoring: configuration.monitoring.enabled, driftRetrainMinLabels: .max)
        output = try ZMQSocket.make(context: context, type: .xpub, settings: ZMQSocketSettings(
            lingerMilliseconds: 1000, sendHighWaterMark: Int32(configuration.output.sendHighWaterMark), xpubNoDrop: true))
        outputEndpoint = "inproc://stackd-pipeline-\(index)-\(ObjectIdentifier(output).hashValue)"
        do {
            try output.bind(outputEndpoint)
        } catch {
            output.close()
            throw error
        }
        publisher = EnsemblePublisher(socket: output, encoding: configuration.output.encoding, modelNames: self.pipeline.modelNames)
        publisher.alertLog = { [logger] alert in
            logger.warning("alert", metadata: ["kind": "\(alert.kind.rawValue)", "horizon": "\(alert.horizon)",
                                               "model": "\(alert.model ?? "-")", "message": "\(alert.message)",
                                               "pipeline": "\(index)"])
        }
        if let training {
            // At a retrain trigger only (this pipeline's thread): its window segment and symbol names.
            let owned = self.pipeline
            publisher.trainingSink = { request in
                training.submit(pipeline: index, request: request, symbolNames: owned.symbolNames)
            }
        }
        rejectLog = RejectLog(logger: logger, perSecond: configuration.rejectLogPerSecond)
        snapshotValue = RunnerSnapshot(horizonCount: configuration.pipeline.horizons.count)
    }

    /// Waits until the forwarder's subscription reached this pipeline's output socket, so that no
    /// output sent after start is filtered out for want of a subscriber. Before ``start``.
    func waitForForwarder(timeoutMilliseconds: Int) -> Bool {
        let frame = ZMQMessage()
        var items = [ZMQPollItem(socket: output)]
        let deadline = MonotonicClock.nanoseconds() + UInt64(timeoutMilliseconds) * 1_000_000
        while MonotonicClock.nanoseconds() < deadline {
            let left = Int((deadline - MonotonicClock.nanoseconds()) / 1_000_000) + 1
            guard (try? ZMQSocket.poll(&items, timeoutMilliseconds: left)) != nil else { continue }
            while (try? output.receive(into: frame, dontWait: true)) == true {
                if frame.withUnsafeBytes({ $0.first }) == 1 { return true }
            }
        }
        return false
    }

    func start() {
        let t = Thread { [self] in self.run() }
        t.name = "stackd-pipe-\(index)"
        thread = t
        t.start()
    }

    /// Asks the loop to stop: it handles what its ring still holds, fires the deadlines due,
    /// drains the rows under assembly and finishes (its sockets stay open for the forwarder).
    func requestStop() {
        stopFlag.store(true, ordering: .releasing)
        if case .ring(let ring) = source { ring.wake() }
    }

    func waitUntilFinished(deadline: Date) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        while !finished {
            if !lock.wait(until: deadline) { return finished }
        }
        return true
    }

    /// Waits until the loop has ended and handled what its ring held (after ``requestStop()``).
    func waitUntilLoopEnded(deadline: Date) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        while !loopEnded {
            if !lock.wait(until: deadline) { return loopEnded }
        }
        return true
    }

    /// Gives the ended loop the daemon's stop time: it fires the deadlines due by then and drains.
    /// Every pipeline stops at the same time, taken after all of them ended their loops (so no
    /// pipeline has advanced past it), which is the time the input journal's stop marker carries:
    /// a replay then fires the same deadlines before its drain as the N pipelines did.
    func finish(at time: Int64) {
        lock.lock()
        stopTime = time
        lock.broadcast()
        lock.unlock()
    }

    /// True once the loop has ended (asked to, or its poll failed).
    var isFinished: Bool {
        lock.lock()
        defer { lock.unlock() }
        return loopEnded || finished
    }

    func snapshot() -> RunnerSnapshot {
        lock.lock()
        defer { lock.unlock() }
        return snapshotValue
    }

    func setRejectLogPerSecond(_ rate: Int) {
        lock.lock()
        requestedRejectLogRate = max(0, rate)
        lock.unlock()
    }

    /// Hands this pipeline a model trained from the merged window (the coordinating thread). The
    /// loop offers it before it ingests its next message, and then drops its window rows older
    /// than `windowFloor` (the merged window's oldest row): no later merge could keep them, so
    /// together the pipelines hold about one window instead of up to N.
    func deliver(_ result: TrainingResult, windowFloor: Int64? = nil) {
        lock.lock()
        delivered.append((result, windowFloor))
        deliveredCount.add(1, ordering: .releasing)
        lock.unlock()
        if case .ring(let ring) = source { ring.wake() }
    }

    /// Offers the delivered models to the pipeline, each from its apply time (this loop's thread,
    /// between two messages, as a single pipeline installs).
    private func offerDelivered() {
        lock.lock()
        let results = delivered
        delivered.removeAll()
        deliveredCount.store(0, ordering: .relaxed)
        lock.unlock()
        for (result, windowFloor) in results {
            if let windowFloor { pipeline.dropWindowRows(horizonIndex: result.horizonIndex, olderThan: windowFloor) }
            let onTime = result.combiner.map {
                pipeline.offer($0, forHorizonIndex: result.horizonIndex, applyFrom: result.applyFrom, reference: result.reference)
            } ?? true
            if !onTime, let combiner = result.combiner {
                logger.warning("model arrived after its apply time; it applies from the next row", metadata: [
                    "horizon": "\(result.horizon)", "version": "\(combiner.version)", "pipeline": "\(index)"])
            }
        }
    }

    /// Asks for this pipeline's part of a retrain of every horizon now (SIGUSR1): at its next loop
    /// turn, its window segment at its current event time goes to ``ShardedTraining``.
    func requestRetrain() {
        retrainRequested.store(true, ordering: .releasing)
        if case .ring(let ring) = source { ring.wake() }
    }

    /// The pipeline's part of an on-demand retrain (this loop's thread, between two messages):
    /// deadlines due now fire first, as a single pipeline does.
    private func submitRetrainSegments(handler: inout EnsemblePublisher) {
        guard let training else { return }
        pipeline.advance(to: Int64(MonotonicClock.nanoseconds()), handler: &handler)
        for h in 0..<pipeline.horizonList.count {
            training.submit(pipeline: index, request: pipeline.requestTrainingSegment(horizonIndex: h),
                            symbolNames: pipeline.symbolNames, onDemand: true)
        }
    }

    /// Closes the sockets this pipeline owns (after its loop and the forwarder finished).
    func close() {
        if case .socket(let input) = source { input.close() }
        output.close()
    }

    private func takeRejectLogRate() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        let r = requestedRejectLogRate
        requestedRejectLogRate = nil
        return r
    }

    // MARK: - The loop

    private func run() {
        let topic = ZMQMessage(), payload = ZMQMessage(), extra = ZMQMessage(), subscription = ZMQMessage()
        var handler = publisher
        var received = 0
        var lastSnapshot: UInt64 = 0
        var items: [ZMQPollItem] = []
        if case .socket(let input) = source { items = [ZMQPollItem(socket: input)] }
        while !stopFlag.load(ordering: .acquiring) {
            if deliveredCount.load(ordering: .acquiring) != 0 { offerDelivered() }
            if retrainRequested.load(ordering: .acquiring), retrainRequested.exchange(false, ordering: .acquiringAndReleasing) {
                submitRetrainSegments(handler: &handler)
            }
            var timeoutNanoseconds = 100_000_000
            if let next = pipeline.nextDeadline {
                let now = Int64(MonotonicClock.nanoseconds())
                timeoutNanoseconds = Int(max(0, min(100_000_000, next - now)))
            }
            switch source {
            case .socket(let input):
                do {
                    try ZMQSocket.poll(&items, timeoutMilliseconds: (timeoutNanoseconds + 999_999) / 1_000_000)
                } catch let e as ZMQError where e.isInterrupted {
                    continue
                } catch {
                    logger.error("poll failed; this pipeline stops", metadata: ["error": "\(error)", "pipeline": "\(index)"])
                    stopFlag.store(true, ordering: .relaxed)
                    continue
                }
                if deliveredCount.load(ordering: .acquiring) != 0 { offerDelivered() }
                if items[0].isReadable {
                    received += receiveBatch(input, topic: topic, payload: payload, extra: extra, handler: &handler)
                }
            case .ring(let ring):
                let n = consumeBatch(ring, handler: &handler)
                received += n
                if n == 0 { ring.park(nanoseconds: timeoutNanoseconds) }
            }
            let now = MonotonicClock.nanoseconds()
            pipeline.advance(to: Int64(now), handler: &handler)
            if now &- lastSnapshot >= 100_000_000 {
                lastSnapshot = now
                if let rate = takeRejectLogRate() { rejectLog.perSecond = rate }
                // The forwarder's subscription (and nothing else) arrives here; read it so it does not queue.
                while (try? output.receive(into: subscription, dontWait: true)) == true {}
                publishSnapshot(received: received, running: true)
            }
        }
        // What the receive thread already handed over is handled (it stopped first), then the
        // same end as a single pipeline: deadlines due at the stop, then the drain policy.
        if case .ring(let ring) = source {
            while true {
                let n = consumeBatch(ring, handler: &handler)
                if n == 0 { break }
                received += n
            }
        }
        pipeline.advance(to: awaitStopTime(), handler: &handler)
        pipeline.drain(handler: &handler)
        publishSnapshot(received: received, running: false)
        lock.lock()
        finished = true
        lock.broadcast()
        lock.unlock()
    }

    /// Announces the end of the loop and waits for the daemon's stop time (``finish(at:)``); its
    /// own clock if none comes within ``stopTimeWaitSeconds`` (the coordinating thread always
    /// gives one when it stops the pipelines; this bounds the wait if it cannot).
    private func awaitStopTime() -> Int64 {
        lock.lock()
        defer { lock.unlock() }
        loopEnded = true
        lock.broadcast()
        let deadline = Date(timeIntervalSinceNow: Self.stopTimeWaitSeconds)
        while stopTime == nil {
            if !lock.wait(until: deadline) { break }
        }
        return stopTime ?? Int64(MonotonicClock.nanoseconds())
    }

    static let stopTimeWaitSeconds: TimeInterval = 30

    /// One pipeline's share of `LiveRunner`'s receive loop: a bounded batch, framing checked.
    private func receiveBatch(_ input: ZMQSocket, topic: ZMQMessage, payload: ZMQMessage, extra: ZMQMessage,
                              handler: inout EnsemblePublisher) -> Int {
        var batch = 0
        while batch < 4096 {
            guard (try? input.receive(into: topic, dontWait: true)) == true else { break }
            batch += 1
            let now = MonotonicClock.nanoseconds()
            guard topic.hasMore, (try? input.receive(into: payload)) == true else {
                pipeline.countRejection(.framing)
                topic.withUnsafeBytes { t in
                    rejectLog.record(WireRejection(.framing, "message is not two frames [topic][payload]"),
                                     topic: t, payload: UnsafeRawBufferPointer(start: nil, count: 0), now: now)
                }
                continue
            }
            if payload.hasMore {
                repeat {
                    guard (try? input.receive(into: extra)) == true else { break }
                } while extra.hasMore
                pipeline.countRejection(.framing)
                topic.withUnsafeBytes { t in
                    rejectLog.record(WireRejection(.framing, "message has more than two frames"),
                                     topic: t, payload: UnsafeRawBufferPointer(start: nil, count: 0), now: now)
                }
                continue
            }
            ingest(topic: topic, payload: payload, receivedAt: now, handler: &handler)
        }
        return batch
    }

    private func consumeBatch(_ ring: SPSCRing, handler: inout EnsemblePublisher) -> Int {
        ring.consume(limit: 4096) { topic, payload, receivedAt in
            ingest(topic: topic, payload: payload, receivedAt: receivedAt, handler: &handler)
        }
    }

    @inline(__always)
    private func ingest(topic: ZMQMessage, payload: ZMQMessage, receivedAt now: UInt64, handler: inout EnsemblePublisher) {
        topic.withUnsafeBytes { t in
            payload.withUnsafeBytes { p in
                // Deadlines that passed before this message arrived fire first, as in one pipeline.
                if let next = pipeline.nextDeadline, next <= Int64(now) {
                    pipeline.advance(to: Int64(now), handler: &handler)
                }
                let outcome = pipeline.ingest(topic: t, payload: p, receivedAt: Int64(now), handler: &handler)
                if case .rejected(let r) = outcome { rejectLog.record(r, topic: t, payload: p, now: now) }
            }
        }
    }

    /// This pipeline's part of the daemon's snapshot (merged by ``ShardedIngest``).
    private func publishSnapshot(received: Int, running: Bool) {
        var s = RunnerSnapshot(pipeline: pipeline, publisher: publisher, received: received, running: running,
                               latency: &latencyQuantiles)
        s.pipelineWindowRows = [(0..<pipeline.horizonList.count).map { pipeline.windowRowCount(horizonIndex: $0) }]
        lock.lock()
        snapshotValue = s
        lock.broadcast()
        lock.unlock()
    }
}
