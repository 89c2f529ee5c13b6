import Foundation
import Logging
import StackdClock
import StackdCore
import StackdJournal
import StackdSystemd
import StackdTraining
import StackdZMQ

/// The live driver: ZeroMQ in, the pure pipeline, ZeroMQ out, on one dedicated thread.
///
/// ZeroMQ calls block, so they run on their own thread rather than in Swift concurrency's
/// cooperative pool. The thread polls with a timeout bounded by the next assembly deadline,
/// so deadlines fire on time and stop requests are seen within 100 ms.
public final class LiveRunner: @unchecked Sendable {
    public let configuration: DaemonConfiguration
    let logger: Logger
    let pipeline: StackingPipeline
    let context: ZMQContext
    let input: ZMQSocket
    let output: ZMQSocket
    /// CURVE on both sockets with its ZAP handler (`[security]`), or plaintext.
    public let security: SocketSecurity
    /// Reads the input socket's monitor: disconnects (a peer left, or sent an oversize frame).
    let inputMonitor: ZMQSocket
    let inputMonitorEndpoint: String
    /// Bytes allowed above `input.max_payload_bytes` before libzmq drops the connection instead
    /// of handing the frame over (it applies to every frame, topics included).
    static let oversizeMargin: Int64 = 4096
    /// How long the end of the ingest loop waits for the training thread (see
    /// `TrainingWorker.join`); the service sets it from its stop timeout.
    package var trainingStopTimeout: TimeInterval = 10
    /// True when the training thread was still running after `trainingStopTimeout`.
    package private(set) var trainingStillRunning = false
    let publisher: EnsemblePublisher
    let notifier: SystemdNotifier
    let trainingWorker: TrainingWorker?
    let window: DurableWindow?
    /// Journal of every inbound message (`[record] directory`), for replay.
    let recorder: JournalRecorder?
    /// The pipelines, their threads and the output forwarder with `ingest.shards > 1`; nil runs
    /// the single ingest loop below, unchanged.
    let sharded: ShardedIngest?
    /// The merged-window training of several pipelines (nil with one, or with training off).
    let shardedTraining: ShardedTraining?
    /// Rows restored from the durable window at start, per horizon.
    package private(set) var restoredRows: [Int] = []
    /// Stored model versions refused at start, by reason (`stackd_model_files_refused_total`).
    private var modelFilesRefused: [String: Int] = [:]
    private var rejectLog: RejectLog
    /// Input disconnects seen by the monitor (ingest thread).
    private var inputDisconnects = 0
    /// Emission latency percentiles of the last snapshot, and the count they were computed at.
    private var latencyQuantiles = LatencyQuantiles()

    private let lock = NSCondition()
    private var snapshotValue: RunnerSnapshot
    private var stopRequested = false
    private var retrainRequested = false
    private var requestedRejectLogRate: Int?
    private var finished = false
    private var thread: Thread?
    /// Endpoints actually bound (with the port chosen for `tcp://…:*`).
    public private(set) var inputEndpoints: [String] = []
    public private(set) var outputEndpoints: [String] = []

    /// Builds the pipeline and opens, binds and connects every socket, so that a wrong
    /// endpoint fails here, before the daemon reports itself ready.
    public init(configuration: DaemonConfiguration, logger: Logger, notifier: SystemdNotifier = SystemdNotifier(),
                trainer: TrainingFunction? = nil) throws {
        self.configuration = configuration
        self.logger = logger
        self.notifier = notifier
        // With several pipelines the minimum-rows check applies to the merged window (ShardedTraining).
        pipeline = try StackingPipeline(configuration: configuration.pipeline,
                                        retrainPolicy: configuration.ingestShards > 1
                                            ? ShardedTraining.pipelinePolicy(configuration.retrain) : configuration.retrain,
                                        monitoring: configuration.monitoring.enabled,
                                        driftRetrainMinLabels: configuration.monitoring.retrainOnAlert ? configuration.monitoring.retrainMinLabels : .max,
                                        challengers: configuration.learner.challengers, challengerWindow: configuration.learner.challengerMinRows)
        // The configured learner unless the caller supplies its own (tests).
        let modelStore = configuration.stateDirectory.map {
            ModelStore(directory: $0, horizons: configuration.pipeline.horizons, layout: StackingFeatureLayout(
                models: configuration.pipeline.models, classCount: configuration.pipeline.classCount,
                regimeNames: configuration.pipeline.regimeNames, skillWindow: configuration.pipeline.skillWindow), logger: logger)
        }
        // One training thread per daemon; with several pipelines it trains on their merged window
        // segments (one window and one model per horizon, bench/SCALING.md §5).
        let shardedTraining = configuration.ingestShards > 1
            ? ShardedTraining(pipelines: configuration.ingestShards, horizons: configuration.pipeline.horizons.count,
                              configuredSymbols: configuration.pipeline.symbols, policy: configuration.retrain, logger: logger)
            : nil
        trainingWorker = (trainer ?? DaemonTrainer.make(configuration: configuration)).map { train in
            TrainingWorker(logger: logger, modelStore: modelStore,
                           train: shardedTraining.map { ShardedTraining.trainFunction($0, train) } ?? train)
        }
        shardedTraining?.worker = trainingWorker
        let trainingForShards = trainingWorker == nil ? nil : shardedTraining
        self.shardedTraining = trainingForShards
        // The models served before the restart come back first (a version that fails validation
        // is refused and the previous valid one is used, with the reason logged).
        var refusedAtStart: [String: Int] = [:]
        // What each horizon serves from the start, for the journal's `session_started` record.
        var servedAtStart = [RestoredStateRecord.ServedModel](repeating: .none, count: configuration.pipeline.horizons.count)
        if let modelStore {
            for (i, h) in configuration.pipeline.horizons.enumerated() {
                guard let selection = modelStore.loadCurrent(horizon: h) else { continue }
                for refusal in selection.refusals { refusedAtStart[refusal.label, default: 0] += 1 }
                pipeline.install(selection.combiner, forHorizonIndex: i)
                servedAtStart[i] = selection.version == ModelStore.averaging ? .averaging
                    : .artifact(directory: modelStore.versionDirectory(h, selection.version))
                logger.notice("restored the served model", metadata: [
                    "horizon": "\(h)", "version": "\(selection.version)", "fell_back": "\(selection.fellBack)",
                    "reason": "\(selection.reason)"])
            }
        }
        modelFilesRefused = refusedAtStart
        // Locals first: the sockets are bound below, before every stored property is set.
        let context = try ZMQContext()
        let input = try ZMQSocket(context: context, type: .sub)
        let output = try ZMQSocket(context: context, type: .xpub)
        let inputMonitor = try ZMQSocket(context: context, type: .pair)
        let inputMonitorEndpoint = "inproc://stackd-input-monitor-\(ObjectIdentifier(inputMonitor).hashValue)"
        self.context = context
        self.input = input
        self.output = output
        self.inputMonitor = inputMonitor
        self.inputMonitorEndpoint = inputMonitorEndpoint
        security = try SocketSecurity.make(configuration.security, context: context, logger: logger)
        publisher = EnsemblePublisher(socket: output, encoding: configuration.output.encoding, modelNames: pipeline.modelNames)
        if let worker = trainingWorker, configuration.ingestShards == 1 { publisher.trainingSink = { worker.submit($0) } }
        publisher.alertLog = { [logger] alert in
            logger.warning("alert", metadata: ["kind": "\(alert.kind.rawValue)", "horizon": "\(alert.horizon)",
                                               "model": "\(alert.model ?? "-")", "message": "\(alert.message)"])
        }
        if let state = configuration.stateDirectory {
            var settings = DurableWindow.Settings()
            switch configuration.stateFlush {
            case .everyRows: settings.flush = .everyRecords(configuration.stateFlushRows)
            case .interval: settings.flush = .interval(nanoseconds: Int64(configuration.stateFlushIntervalMilliseconds * 1e6))
            case .everyRow: settings.flush = .everyRecord
            }
            settings.sync = configuration.stateSync == .everyFlush ? .everyFlush : .none
            let window: DurableWindow
            do {
                window = try DurableWindow(
                    directory: state, horizons: configuration.pipeline.horizons, modelCount: configuration.pipeline.models.count,
                    classCount: configuration.pipeline.classCount, featureCount: pipeline.layout.count,
                    retrain: configuration.retrain, settings: settings,
                    awaitingCapacity: configuration.pipeline.maxAwaitingLabels, logger: logger)
                restoredRows = try window.restore(into: pipeline)
            } catch {
                throw StartupError.directory("state.directory", state, what: "the durable window", error)
            }
            let awaiting = window.restoreAwaiting(into: pipeline)
            if awaiting > 0 { logger.notice("restored rows awaiting their labels", metadata: ["rows": "\(awaiting)"]) }
            logger.notice("restored the out-of-sample window", metadata: [
                "directory": "\(state)",
                "rows": "\(zip(configuration.pipeline.horizons, restoredRows).map { "h\($0)=\($1)" }.joined(separator: ","))"])
            publisher.labeledRowSink = { [unowned window] row in window.append(row, now: Int64(MonotonicClock.nanoseconds())) }
            publisher.emittedRowSink = { [unowned window] emission, now in window.appendAwaiting(emission, now: now) }
            self.window = window
        } else {
            window = nil
        }
        rejectLog = RejectLog(logger: logger, perSecond: configuration.rejectLogPerSecond)
        snapshotValue = RunnerSnapshot(horizonCount: configuration.pipeline.horizons.count)
        var inputEndpoints: [String] = [], outputEndpoints: [String] = []
        // With per-pipeline sockets, this input socket is pipeline 0's and takes its prefixes only.
        let pipelinePrefixes = ShardedIngest.perPipelinePrefixes(configuration)
        do {
            // Frames above `maxMessageSize` are refused by libzmq before they are buffered: the peer
            // is disconnected (counted by the monitor below). Payloads between the configured limit
            // and this are still received and rejected as `oversize`, with their topic logged.
            try input.configure(ZMQSocketSettings(
                lingerMilliseconds: 0, receiveHighWaterMark: Int32(configuration.input.receiveHighWaterMark),
                maxMessageSize: Int64(configuration.pipeline.maxPayloadBytes) + Self.oversizeMargin,
                subscriptions: pipelinePrefixes?[0] ?? configuration.inputSubscriptions)) { [security] in
                try security.applyToDaemonSocket($0, connects: configuration.input.connect, label: "input")
            }
            // At a subscriber's high-water mark a send returns EAGAIN (counted as `hwm`) instead of
            // the message vanishing inside libzmq (`xpubNoDrop`).
            try output.configure(ZMQSocketSettings(
                lingerMilliseconds: 1000, sendHighWaterMark: Int32(configuration.output.sendHighWaterMark),
                xpubVerbose: true, xpubNoDrop: true)) { [security] in
                try security.applyToDaemonSocket($0, connects: configuration.output.connect, label: "output")
            }
            // One monitor per socket: with CURVE the ZAP handler owns the input's monitor (it needs
            // the handshake events), and disconnects are not counted here.
            if !configuration.security.curve {
                try input.startMonitor(endpoint: inputMonitorEndpoint, events: .disconnected)
                try inputMonitor.connect(inputMonitorEndpoint)
            }
            for e in configuration.input.bind {
                do { try input.bind(e) } catch { throw StartupError.endpoint("input.bind", e, error) }
                inputEndpoints.append(try input.lastEndpoint)
            }
            for e in configuration.input.connect {
                do { try input.connect(e) } catch { throw StartupError.endpoint("input.connect", e, error) }
                inputEndpoints.append(e)
            }
            for e in configuration.output.bind {
                do { try output.bind(e) } catch { throw StartupError.endpoint("output.bind", e, error) }
                outputEndpoints.append(try output.lastEndpoint)
            }
            for e in configuration.output.connect {
                do { try output.connect(e) } catch { throw StartupError.endpoint("output.connect", e, error) }
                outputEndpoints.append(e)
            }
            // After the sockets, so the manifest lists the endpoints actually bound or connected.
            if let directory = configuration.recordDirectory {
                do {
                    recorder = try JournalRecorder(directory: directory, endpoints: inputEndpoints,
                                                   bind: !configuration.input.bind.isEmpty, topics: configuration.inputSubscriptions,
                                                   note: "recorded by stackd run",
                                                   configuration: JournalConfiguration(compress: configuration.recordCompress),
                                                   continuing: true)
                } catch {
                    throw StartupError.directory("record.directory", directory, what: "the input journal", error)
                }
                for q in recorder?.writer.openReport.quarantined ?? [] {
                    logger.error("journal corruption: segment header damaged, segment set aside and skipped", metadata: [
                        "path": "\(directory)/\(JournalManifest.segmentsDirectory)/\(q.segment)",
                        "renamed_to": "\(q.quarantinedAs)", "reason": "\(q.reason)",
                        "messages_lost": "\(q.recordsLost.map(String.init) ?? "unknown")"])
                }
                // First record of the session: the state it starts from, so a replay re-enacts the restart.
                recorder?.record(control: .sessionStarted(RestoredStateRecord.capture(pipeline: pipeline, served: servedAtStart)),
                                 at: Int64(MonotonicClock.nanoseconds()))
                logger.notice("recording inbound messages", metadata: [
                    "directory": "\(directory)", "compress": "\(configuration.recordCompress)",
                    "session": "\(recorder?.writer.manifest.sessions.count ?? 1)"])
            } else {
                recorder = nil
            }
            sharded = configuration.ingestShards > 1
                ? try ShardedIngest(configuration: configuration, context: context, input: input, output: output,
                                    prefixes: pipelinePrefixes, firstPipeline: pipeline, training: trainingForShards,
                                    recorder: recorder, logger: logger)
                : nil
            self.inputEndpoints = inputEndpoints
            self.outputEndpoints = outputEndpoints
        } catch {
            inputMonitor.close()
            input.close()
            output.close()
            security.stop()
            context.terminate()
            throw error
        }
    }

    /// Releases the sockets, journal and window of a runner that was never started (a start-up
    /// step after it failed); a started runner releases them when its ingest loop ends.
    public func close() {
        guard thread == nil else { return }
        try? recorder?.close()
        window?.close()
        sharded?.closeUnstarted()
        inputMonitor.close()
        input.close()
        output.close()
        context.terminate()
    }

    /// Starts the ingest thread.
    public func start() {
        trainingWorker?.start()
        lock.lock()
        snapshotValue.running = true
        lock.unlock()
        sharded?.start()
        let t = Thread { [self] in if let sharded { self.coordinate(sharded) } else { self.ingestLoop() } }
        t.name = sharded == nil ? "stackd-ingest" : "stackd-coordinate"
        thread = t
        t.start()
        logger.info("stackd is running", metadata: [
            "input": "\(inputEndpoints.joined(separator: ","))", "output": "\(outputEndpoints.joined(separator: ","))",
            "models": "\(pipeline.modelNames.joined(separator: ","))",
            "horizons": "\(pipeline.horizonList.map(String.init).joined(separator: ","))",
            "pipelines": "\(configuration.ingestShards)",
        ])
    }

    /// Asks the ingest loop to stop: it stops reading, emits pending rows by the drain policy,
    /// closes its sockets and finishes.
    public func requestStop() {
        lock.lock()
        stopRequested = true
        lock.unlock()
    }

    /// Waits until the ingest loop has finished; false on timeout.
    @discardableResult
    public func waitUntilFinished(timeout: TimeInterval = .infinity) -> Bool {
        let deadline = Date(timeIntervalSinceNow: min(timeout, 1e9))
        lock.lock()
        defer { lock.unlock() }
        while !finished {
            if !lock.wait(until: deadline) { return finished }
        }
        return true
    }

    /// The latest snapshot (refreshed by the ingest thread every 100 ms and at the end).
    public func snapshot() -> RunnerSnapshot {
        lock.lock()
        defer { lock.unlock() }
        return snapshotValue
    }

    /// Waits until the snapshot satisfies `condition`; false on timeout. For tests and the
    /// demo, which must wait for readiness rather than sleep.
    public func wait(timeout: TimeInterval, until condition: (RunnerSnapshot) -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        lock.lock()
        defer { lock.unlock() }
        while !condition(snapshotValue) {
            if !lock.wait(until: deadline) { return condition(snapshotValue) }
        }
        return true
    }

    private func takeRetrainRequest() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        let r = retrainRequested
        retrainRequested = false
        return r
    }

    private func takeRejectLogRate() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        let r = requestedRejectLogRate
        requestedRejectLogRate = nil
        return r
    }

    /// Changes the reject log rate (lines per reason per second) from another thread, e.g. on a
    /// configuration reload; the ingest loop applies it on its next turn.
    package func setRejectLogPerSecond(_ rate: Int) {
        lock.lock()
        requestedRejectLogRate = max(0, rate)
        lock.unlock()
        sharded?.setRejectLogPerSecond(rate)
    }

    private var isStopRequested: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopRequested
    }

    private func ingestLoop() {
        let topic = ZMQMessage(), payload = ZMQMessage(), extra = ZMQMessage(), subscription = ZMQMessage()
        var items = [ZMQPollItem(socket: input), ZMQPollItem(socket: output), ZMQPollItem(socket: inputMonitor)]
        let monitorEvent = ZMQMessage()
        var handler = publisher
        var received = 0
        var subscriptions = 0
        var lastSnapshot: UInt64 = 0
        var watchdog = notifier.makeWatchdogPacer()
        var lastStatus: UInt64 = 0
        loop: while true {
            if isStopRequested { break }
            if let rate = takeRejectLogRate() { rejectLog.perSecond = rate }
            if takeRetrainRequest(), let worker = trainingWorker {
                // Deadlines due now fire first, at the time journalled with the request, so a replay
                // takes the requests' window snapshots at the same point.
                let now = Int64(MonotonicClock.nanoseconds())
                pipeline.advance(to: now, handler: &handler)
                var sequences: [Int?] = []
                for h in 0..<pipeline.horizonList.count {
                    let request = pipeline.requestTraining(horizonIndex: h)
                    sequences.append(request?.sequence)
                    if let request { worker.submit(request) }
                }
                recorder?.record(control: .retrainRequested(.init(reason: "on_demand", sequences: sequences)), at: now)
            }
            var timeout = 100
            if let next = pipeline.nextDeadline {
                let now = Int64(MonotonicClock.nanoseconds())
                timeout = max(0, min(100, Int((next - now + 999_999) / 1_000_000)))
            }
            do {
                try ZMQSocket.poll(&items, timeoutMilliseconds: timeout)
            } catch let e as ZMQError where e.isInterrupted {
                continue
            } catch {
                logger.error("poll failed; stopping", metadata: ["error": "\(error)"])
                break
            }
            if items[0].isReadable {
                // Drain a bounded batch so deadlines and the output socket are still served under load.
                var batch = 0
                while batch < 4096 {
                    guard (try? input.receive(into: topic, dontWait: true)) == true else { break }
                    batch += 1
                    received += 1
                    let now = MonotonicClock.nanoseconds()
                    guard topic.hasMore, (try? input.receive(into: payload)) == true else {
                        topic.withUnsafeBytes { recorder?.record(frames: CollectionOfOne($0), receivedAt: Int64(now)) }
                        pipeline.countRejection(.framing)
                        topic.withUnsafeBytes { t in
                            rejectLog.record(WireRejection(.framing, "message is not two frames [topic][payload]"),
                                             topic: t, payload: UnsafeRawBufferPointer(start: nil, count: 0), now: now)
                        }
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
                        pipeline.countRejection(.framing)
                        topic.withUnsafeBytes { t in
                            rejectLog.record(WireRejection(.framing, "message has more than two frames"),
                                             topic: t, payload: UnsafeRawBufferPointer(start: nil, count: 0), now: now)
                        }
                        continue
                    }
                    topic.withUnsafeBytes { t in
                        payload.withUnsafeBytes { p in
                            recorder?.record(topic: t, payload: p, receivedAt: Int64(now))
                            // Deadlines that passed before this message arrived fire first, as in replay:
                            // the outputs depend on receive times only, never on scheduling.
                            if let next = pipeline.nextDeadline, next <= Int64(now) {
                                pipeline.advance(to: Int64(now), handler: &handler)
                            }
                            let outcome = pipeline.ingest(topic: t, payload: p, receivedAt: Int64(now), handler: &handler)
                            if case .rejected(let r) = outcome { rejectLog.record(r, topic: t, payload: p, now: now) }
                        }
                    }
                }
            }
            if items[1].isReadable {
                while (try? output.receive(into: subscription, dontWait: true)) == true {
                    subscription.withUnsafeBytes { s in
                        if let first = s.first { subscriptions += first == 1 ? 1 : (first == 0 ? -1 : 0) }
                    }
                }
            }
            if items[2].isReadable {
                while let event = try? inputMonitor.receiveMonitorEvent(into: monitorEvent) {
                    if event.event == .disconnected { inputDisconnects += 1 }
                }
            }
            if let worker = trainingWorker {
                for result in worker.takeResults() { install(result, handler: &handler) }
            }
            let now = MonotonicClock.nanoseconds()
            pipeline.advance(to: Int64(now), handler: &handler)
            window?.tick(now: Int64(now))
            if let recorder {
                recorder.tick(now: Int64(now))
                if let e = recorder.takeFailure() { logger.error("input recording stopped", metadata: ["error": "\(e)"]) }
            }
            if watchdog.shouldPing(atNanoseconds: now) { notifier.watchdog() }
            if now &- lastSnapshot >= 100_000_000 {
                lastSnapshot = now
                publishSnapshot(received: received, subscriptions: subscriptions, running: true)
            }
            if notifier.isEnabled, now &- lastStatus >= 5_000_000_000 {
                lastStatus = now
                let c = pipeline.counters
                notifier.status("in \(received) out \(publisher.published) rejected \(c.totalRejected) pending \(pipeline.pendingRows)")
            }
        }
        // The stop time goes into the journal as a frameless entry, so that a replay fires the
        // same deadlines before draining what is left.
        let stopTime = Int64(MonotonicClock.nanoseconds())
        pipeline.advance(to: stopTime, handler: &handler)
        recorder?.record(frames: EmptyCollection<UnsafeRawBufferPointer>(), receivedAt: stopTime)
        pipeline.drain(handler: &handler)
        if let window {
            let saved = window.saveAwaiting(from: pipeline)
            logger.info("saved rows awaiting their labels", metadata: ["rows": "\(saved)"])
        }
        do { try recorder?.close() } catch { logger.error("closing the input journal failed", metadata: ["error": "\(error)"]) }
        if let worker = trainingWorker, !worker.join(timeout: trainingStopTimeout) {
            trainingStillRunning = true
            logger.critical("the training thread did not stop in time", metadata: ["seconds": "\(trainingStopTimeout)"])
        }
        window?.close()
        publishSnapshot(received: received, subscriptions: subscriptions, running: false)
        inputMonitor.close()
        input.close()
        output.close()
        security.stop()
        context.terminate()
        let c = pipeline.counters
        logger.info("stackd stopped", metadata: [
            "received": "\(received)", "published": "\(publisher.published)", "rejected": "\(c.totalRejected)",
            "digest": "\(publisher.digest)",
        ])
        lock.lock()
        finished = true
        lock.broadcast()
        lock.unlock()
    }

    /// Hands a finished retrain's model to the pipeline (ingest thread, between two events).
    /// Journalled (`retrain_finished`) at this point of the input, after the deadlines due now, so
    /// that a replay takes the same result at the same point whatever the training latency was.
    private func install(_ result: TrainingResult, handler: inout EnsemblePublisher) {
        lock.lock()
        snapshotValue.recordTraining(TrainingSummary(result))
        lock.unlock()
        let now = Int64(MonotonicClock.nanoseconds())
        if recorder != nil { pipeline.advance(to: now, handler: &handler) }
        let onTime = result.combiner.map {
            pipeline.offer($0, forHorizonIndex: result.horizonIndex, applyFrom: result.applyFrom, reference: result.reference)
        } ?? true
        if !result.challengers.isEmpty {
            pipeline.offerChallengers(result.challengers, forHorizonIndex: result.horizonIndex, applyFrom: result.applyFrom)
        }
        recorder?.record(control: .retrainFinished(.init(
            horizon: result.horizon, horizonIndex: result.horizonIndex, sequence: result.requestSequence,
            decision: result.decision.rawValue, version: result.combiner?.version ?? 0, method: result.combiner?.method.name ?? "",
            applyFrom: result.applyFrom, onTime: onTime,
            probeDigest: recorder == nil ? nil : result.combiner.map {
                ModelProbeDigest.digest(of: $0, modelCount: pipeline.modelNames.count, classCount: pipeline.configuration.classCount,
                                        featureCount: pipeline.layout.count)
            })), at: now)
        guard let combiner = result.combiner else { return }
        if !onTime {
            logger.warning("model arrived after its apply time; it applies from the next row", metadata: [
                "horizon": "\(result.horizon)", "version": "\(combiner.version)"])
        }
    }

    /// Asks for a retrain of every horizon now (on demand: a signal or a control message).
    package func requestRetrainAll() {
        lock.lock()
        retrainRequested = true
        lock.unlock()
    }

    private func publishSnapshot(received: Int, subscriptions: Int, running: Bool) {
        var s = RunnerSnapshot(pipeline: pipeline, publisher: publisher, received: received, running: running,
                               latency: &latencyQuantiles)
        s.inputDisconnects = inputDisconnects
        s.outputSubscriptions = subscriptions
        s.journalRecording = recorder?.isRecording ?? false
        s.journalMessages = recorder?.messageCount ?? 0
        s.journalStallNanoseconds = recorder?.stallNanoseconds ?? 0
        s.windowRowsPersisted = window?.appended ?? 0
        s.windowPersistFailures = window?.failures ?? 0
        s.modelFilesRefused = modelFilesRefused
        s.windowBlocksSkipped = window?.blocksSkipped ?? 0
        s.windowRowsLost = window?.rowsLost ?? 0
        s.windowSegmentsQuarantined = window?.segmentsQuarantined ?? 0
        s.authentication = security.snapshot()
        lock.lock()
        s.trainingResults = snapshotValue.trainingResults
        s.trainingResultsTotal = snapshotValue.trainingResultsTotal
        s.trainingResultsByDecision = snapshotValue.trainingResultsByDecision
        snapshotValue = s
        lock.broadcast()
        lock.unlock()
    }

    // MARK: - Several pipelines

    /// The runner's thread with `ingest.shards > 1`: the pipelines ingest on their own threads,
    /// and this one does what the single ingest loop does besides ingesting: the input monitor,
    /// the snapshot (merged from the pipelines' every 100 ms), the watchdog (pinged only while
    /// every pipeline is turning), the status line, and the stop in order.
    private func coordinate(_ sharded: ShardedIngest) {
        var items = [ZMQPollItem(socket: inputMonitor)]
        let monitorEvent = ZMQMessage()
        var watchdog = notifier.makeWatchdogPacer()
        var lastStatus: UInt64 = 0
        while !isStopRequested {
            if takeRetrainRequest() {
                // Each pipeline hands over its segment at its own current event time; one merged
                // retrain per horizon follows once all are in (ShardedTraining).
                if shardedTraining == nil {
                    logger.warning("retrain requested, but retraining is off")
                } else if recorder != nil {
                    // The merged retrain's install points are not journalled with several pipelines
                    // (bench/SCALING.md §5), so a replay of the journal could not re-enact it.
                    logger.warning("retrain requested, but not made: with [record] and more than one pipeline the input journal cannot carry a merged retrain (replay would diverge); restart with ingest.shards = 1 to retrain while recording")
                } else {
                    for shard in sharded.shards { shard.requestRetrain() }
                }
            }
            if let worker = trainingWorker {
                // Every pipeline gets the model before the result shows in the snapshot, so whoever
                // sees it there knows each pipeline offers it before its next message.
                for result in worker.takeResults() {
                    let floor = shardedTraining?.takeWindowFloor(sequence: result.requestSequence)
                    for shard in sharded.shards { shard.deliver(result, windowFloor: floor) }
                    lock.lock()
                    snapshotValue.recordTraining(TrainingSummary(result))
                    lock.unlock()
                }
            }
            _ = takeRejectLogRate()  // applied to the pipelines by setRejectLogPerSecond
            do {
                try ZMQSocket.poll(&items, timeoutMilliseconds: 100)
            } catch let e as ZMQError where e.isInterrupted {
                continue
            } catch {
                logger.error("poll failed; stopping", metadata: ["error": "\(error)"])
                break
            }
            if items[0].isReadable {
                while let event = try? inputMonitor.receiveMonitorEvent(into: monitorEvent) {
                    if event.event == .disconnected { inputDisconnects += 1 }
                }
            }
            if let e = recorder?.takeFailure() { logger.error("input recording stopped", metadata: ["error": "\(e)"]) }
            let s = publishMergedSnapshot(sharded)
            // A pipeline whose loop failed ends the daemon, as the single ingest loop's failure does.
            if let dead = sharded.shards.first(where: \.isFinished) {
                logger.error("a pipeline stopped; stopping", metadata: ["pipeline": "\(dead.index)"])
                break
            }
            let now = MonotonicClock.nanoseconds()
            if s.refreshedAtNanoseconds != 0, now &- s.refreshedAtNanoseconds < 2_000_000_000, watchdog.shouldPing(atNanoseconds: now) {
                notifier.watchdog()
            }
            if notifier.isEnabled, now &- lastStatus >= 5_000_000_000 {
                lastStatus = now
                notifier.status("in \(s.messagesReceived) out \(s.published) rejected \(s.counters.totalRejected) pending \(s.pendingRows) pipelines \(sharded.shards.count)")
            }
        }
        if !sharded.stop(timeout: trainingStopTimeout) {
            logger.error("a pipeline or the output forwarder did not stop in time", metadata: ["seconds": "\(trainingStopTimeout)"])
        }
        // After the receive thread and the stop marker (ShardedIngest.stop).
        do { try recorder?.close() } catch { logger.error("closing the input journal failed", metadata: ["error": "\(error)"]) }
        if let worker = trainingWorker, !worker.join(timeout: trainingStopTimeout) {
            trainingStillRunning = true
            logger.critical("the training thread did not stop in time", metadata: ["seconds": "\(trainingStopTimeout)"])
        }
        let s = publishMergedSnapshot(sharded, running: false)
        inputMonitor.close()
        input.close()
        output.close()
        security.stop()
        context.terminate()
        logger.info("stackd stopped", metadata: [
            "received": "\(s.messagesReceived)", "published": "\(s.published)", "rejected": "\(s.counters.totalRejected)",
            "pipelines": "\(sharded.shards.count)",
        ])
        lock.lock()
        finished = true
        lock.broadcast()
        lock.unlock()
    }

    /// The pipelines' merged snapshot with what this thread knows, made the runner's snapshot.
    @discardableResult
    private func publishMergedSnapshot(_ sharded: ShardedIngest, running: Bool = true) -> RunnerSnapshot {
        var s = sharded.snapshot()
        s.running = running && s.running
        if let shardedTraining { s.counters.retrainsTriggered = shardedTraining.requested }
        s.journalRecording = recorder?.isRecording ?? false
        s.journalMessages = recorder?.messageCount ?? 0
        s.inputDisconnects = inputDisconnects
        s.modelFilesRefused = modelFilesRefused
        s.authentication = security.snapshot()
        lock.lock()
        s.trainingResults = snapshotValue.trainingResults
        s.trainingResultsTotal = snapshotValue.trainingResultsTotal
        s.trainingResultsByDecision = snapshotValue.trainingResultsByDecision
        snapshotValue = s
        lock.broadcast()
        lock.unlock()
        return s
    }
}
