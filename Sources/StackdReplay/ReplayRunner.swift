import Foundation
import Logging
import StackdCore
import StackdDaemon
import StackdJournal
import StackdReport
import StackdTraining

/// The replay driver: the very same `StackingPipeline` as `stackd run`, fed in event time from a
/// recorded stream, with retrains run inline at their trigger so that every model applies at
/// exactly the event time the schedule defines (`RetrainPolicy`). Deterministic: the same
/// stream and configuration give byte-identical outputs (see `OutputDigest`).
public struct ReplayRunner {
    public var configuration: DaemonConfiguration
    public var trainer: TrainingFunction?
    public var logger: Logger
    /// Sees every message's driver time before delivery and every output after the digest
    /// (`stackd replay --publish`); cannot change what the replay computes.
    public var observer: (any ReplayObserver)?
    /// Called every `progressEvery` events and after each retrain, on the replaying thread
    /// (`stackd replay`'s progress line); cannot change what the replay computes.
    public var progress: ((ReplayProgress) -> Void)?
    public static let progressEvery = 4096

    public init(configuration: DaemonConfiguration, trainer: TrainingFunction?, logger: Logger) {
        self.configuration = configuration
        self.trainer = trainer
        self.logger = logger
    }

    /// What a replay produced (defined with the report that reads it, `StackdReport`).
    public typealias Result = ReplayResult
    public typealias ModelWeights = ReplayResult.ModelWeights
    public typealias LabelledRows = ReplayResult.LabelledRows

    /// How far a replay has come.
    public struct ReplayProgress: Sendable {
        public var eventsDone: Int
        /// Events (or journal records) in the source.
        public var eventsTotal: Int
        public var retrainsDone: Int
    }

    /// Touched for every output and every labelled row by the one replaying thread; its hot
    /// properties skip the dynamic exclusivity check (a runtime access-set insert per access).
    final class Handler: EnsembleOutputHandler {
        @exclusivity(unchecked) var digest = OutputDigest()
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1024, alignment: 8)
        /// One box per horizon: appending a labelled row touches that horizon's arrays only, not
        /// an outer array of structs as well (a uniqueness check per field per row).
        final class LabelledBox {
            @exclusivity(unchecked) var rows = LabelledRows()
        }
        let labelledBoxes: [LabelledBox]
        var labelled: [LabelledRows] { labelledBoxes.map(\.rows) }
        var trainings: [TrainingSummary] = []
        var trainingNanoseconds: UInt64 = 0
        let trainer: TrainingFunction?
        weak var pipeline: StackingPipeline?
        let logger: Logger
        @exclusivity(unchecked) var observer: (any ReplayObserver)?
        var progress: ((ReplayProgress) -> Void)?
        var eventsDone = 0, eventsTotal = 0
        func reportProgress() { progress?(ReplayProgress(eventsDone: eventsDone, eventsTotal: eventsTotal, retrainsDone: trainings.count)) }

        init(horizons: Int, trainer: TrainingFunction?, logger: Logger, labelCapacity: [Int]? = nil, modelCount: Int = 0, classCount: Int = 0) {
            labelledBoxes = (0..<horizons).map { _ in LabelledBox() }
            if let labelCapacity {
                // Labels matched ≤ labels in the stream: reserving up front avoids regrowing (and
                // re-copying) the five growing arrays per horizon.
                for h in 0..<min(horizons, labelCapacity.count) {
                    let n = labelCapacity[h], box = labelledBoxes[h]
                    box.rows.eventTimes.reserveCapacity(n)
                    box.rows.exitTimes.reserveCapacity(n)
                    box.rows.labels.reserveCapacity(n)
                    box.rows.forwardReturns.reserveCapacity(n)
                    box.rows.ensemble.reserveCapacity(n * classCount)
                    box.rows.base.reserveCapacity(n * modelCount * classCount)
                    box.rows.modelVersions.reserveCapacity(n)
                }
            }
            self.trainer = trainer
            self.logger = logger
        }

        deinit { scratch.deallocate() }

        func emit(_ e: EnsembleEmission) {
            if sessionDigests.isEmpty {
                digest.add(e, scratch: scratch)
            } else {
                let n = OutputDigest.digestedBytes(e, scratch: scratch)
                let bytes = UnsafeRawBufferPointer(rebasing: scratch[0..<n])
                digest.add(bytes: bytes)
                sessionDigests[sessionDigests.count - 1].add(bytes: bytes)
            }
            if let c = e.contributions {
                contributionBoxes[e.horizonIndex].timeline.add(eventTime: e.eventTime, scale: c.scale, values: c.values)
            }
            observer?.emitted(e)
        }

        /// One per horizon, like `labelledBoxes`.
        final class ContributionBox {
            @exclusivity(unchecked) var timeline: ContributionTimeline
            init(_ timeline: ContributionTimeline) { self.timeline = timeline }
        }
        var contributionBoxes: [ContributionBox] = []

        // Journal control records (`ReplayControl.swift`).
        @exclusivity(unchecked) var sessionDigests: [OutputDigest] = []
        /// True once a control record was seen: retrains then run where the journal says, not
        /// at the pipeline's own schedule.
        var controlled = false
        /// Training requests taken and not yet finished (live: queued or training).
        var heldRequests: [TrainingRequest] = []
        var controlRecords = 0
        var parityMismatches: [String] = []
        /// The pipeline of the current session when a `session_started` record replaced the first one.
        var currentPipeline: StackingPipeline?
        /// Counters of the sessions before the current one.
        var finishedCounters: [PipelineCounters] = []

        func rowLabeled(_ r: LabeledRow) {
            let box = labelledBoxes[r.horizonIndex]
            box.rows.eventTimes.append(r.eventTime)
            box.rows.exitTimes.append(r.exitTime)
            box.rows.labels.append(r.label)
            box.rows.forwardReturns.append(r.forwardReturn)
            box.rows.ensemble.append(contentsOf: r.ensemble)
            box.rows.base.append(contentsOf: r.basePredictions)
            box.rows.modelVersions.append(r.modelVersion)
            if !r.challengers.isEmpty { box.rows.challengers.append(contentsOf: r.challengers) }
        }

        var alerts: [Alert] = []
        func alert(_ alert: Alert) { alerts.append(alert) }
        var modelWeights: [ModelWeights] = []

        /// The weights of the combiner a retrain installs; nil when it installs none.
        static func weights(of result: TrainingResult) -> ModelWeights? {
            guard let combiner = result.combiner else { return nil }
            var models: [Double], prior = 0.0
            if let p = combiner as? PriorShrinkageCombiner {
                models = [Double](repeating: p.averagingWeight / Double(p.modelCount), count: p.modelCount)
                prior = 1 - p.averagingWeight
            } else if let a = combiner as? AveragingCombiner {
                models = [Double](repeating: 1 / Double(a.modelCount), count: a.modelCount)
            } else if let b = combiner as? FittedBlendCombiner, result.outcome?.chosenCandidate == nil {
                models = b.modelWeights   // the best single model served as the fallback: one-hot
                prior = b.priorWeight
            } else if let chosen = result.outcome?.chosenCandidate, chosen.combiner === combiner {
                models = chosen.modelWeights.map(\.weight)
            } else {
                return nil
            }
            return ModelWeights(horizon: result.horizon, applyFrom: result.applyFrom, version: combiner.version,
                                models: models, prior: prior)
        }

        func trainingDue(_ request: TrainingRequest) {
            if controlled {
                // Trained when the journal says its result was taken (`retrain_finished`).
                heldRequests.append(request)
                return
            }
            guard let trainer, let pipeline else { return }
            let start = DispatchTime.now().uptimeNanoseconds
            let result = trainer(request)
            trainingNanoseconds += DispatchTime.now().uptimeNanoseconds - start
            trainings.append(TrainingSummary(result))
            if let weights = Self.weights(of: result) { modelWeights.append(weights) }
            reportProgress()
            logger.info("retrain", metadata: [
                "horizon": "\(result.horizon)", "rows": "\(result.rows)", "decision": "\(result.decision.rawValue)",
                "reason": "\(result.reason)"])
            if let combiner = result.combiner {
                pipeline.offer(combiner, forHorizonIndex: request.horizonIndex, applyFrom: request.applyFrom,
                               reference: result.reference)
            }
            if !result.challengers.isEmpty {
                pipeline.offerChallengers(result.challengers, forHorizonIndex: request.horizonIndex, applyFrom: request.applyFrom)
            }
        }
    }

    /// Replays `events` (an oos-daily folder, the demo generator) as fast as possible; each is
    /// delivered at its delivery time as the binary message a publisher would send. The events
    /// are encoded once before the replay starts (`EncodedStream`): the reported ingest time is
    /// the pipeline's, as for a journal.
    public func run(events: [StreamEvent]) throws -> Result {
        let stream = EncodedStream(events, classCount: configuration.pipeline.classCount)
        return try execute(labelCapacity: StreamEncoding.labelCounts(events, horizons: configuration.pipeline.horizons),
                           eventsTotal: stream.count, trainsOnDemand: false) { pipeline, handler in
            let topics = stream.topics, payloads = stream.payloads
            stream.messages.withUnsafeBufferPointer { messages in
                for i in messages.indices {
                    let m = messages[i]
                    handler.observer?.willDeliver(at: m.deliveryTime)
                    if i % Self.progressEvery == 0 { handler.eventsDone = i; handler.reportProgress() }
                    deliver(pipeline, &handler,
                            topic: UnsafeRawBufferPointer(rebasing: topics[m.topicOffset..<(m.topicOffset + Int(m.topicLength))]),
                            payload: UnsafeRawBufferPointer(
                                rebasing: payloads[m.payloadOffset..<(m.payloadOffset + Int(m.payloadLength))]),
                            at: m.deliveryTime)
                }
            }
            withExtendedLifetime(stream) {}
            return stream.count
        }
    }

    /// Replays a journal recorded by `stackd run` or `stackd record`: the recorded frames, bad
    /// ones included, at their recorded receive times, exactly as the live ingest loop saw them.
    public func run(journal: JournalReader) throws -> Result {
        // A journal's labels are not known before reading it: reserve for a stream of one label
        // per row of predictions, spread evenly over the horizons (arrays still grow past it).
        let messages = journal.segments.reduce(0) { $0 + $1.recordCount }
        let horizons = configuration.pipeline.horizons.count
        let perHorizon = messages / max(1, (configuration.pipeline.models.count + 1) * horizons)
        return try execute(labelCapacity: Array(repeating: perHorizon, count: horizons), eventsTotal: messages) { pipeline, handler in
            let cursor = journal.entries()
            var count = 0
            var pipeline = pipeline
            var afterStopMarker = false
            // In place: no per-message allocation (the frames borrow the cursor's block buffer).
            while let entry = try cursor.nextView() {
                count += 1
                if count % Self.progressEvery == 0 { handler.eventsDone = count; handler.reportProgress() }
                handler.observer?.willDeliver(at: entry.receivedAt)
                if entry.isControl {
                    try applyControl(entry, pipeline: &pipeline, handler: &handler, isFirstRecord: count == 1,
                                     afterStopMarker: afterStopMarker)
                    continue
                }
                afterStopMarker = entry.frameCount == 0
                guard entry.frameCount == 2 else {
                    if let next = pipeline.nextDeadline, next <= entry.receivedAt { pipeline.advance(to: entry.receivedAt, handler: &handler) }
                    // A frameless entry is the recorder's stop marker (time only); others were bad framing.
                    if entry.frameCount != 0 { pipeline.countRejection(.framing) }
                    continue
                }
                deliver(pipeline, &handler, topic: entry.topic, payload: entry.payload, at: entry.receivedAt)
            }
            for c in journal.corruptions {
                logger.error("journal damage skipped", metadata: ["segment": "\(c.segment)", "offset": "\(c.byteOffset)", "reason": "\(c.reason)"])
            }
            return count
        }
    }

    /// One message, as the live loop handles it: due deadlines first, then the message.
    func deliver(_ pipeline: StackingPipeline, _ handler: inout Handler, topic: UnsafeRawBufferPointer,
                         payload: UnsafeRawBufferPointer, at time: Int64) {
        if let next = pipeline.nextDeadline, next <= time { pipeline.advance(to: time, handler: &handler) }
        let outcome = pipeline.ingest(topic: topic, payload: payload, receivedAt: time, handler: &handler)
        if case .rejected(let r) = outcome {
            logger.debug("replayed message rejected", metadata: ["reason": "\(r.reason.rawValue)", "detail": "\(r.detail)"])
        }
    }

    /// A fresh pipeline as the live daemon builds it at start.
    ///
    /// - Parameter trainsOnDemand: whether a retrain may be asked for outside the schedule (a
    ///   journal's control records re-enact on-demand retrains). Without that and without a
    ///   retrain schedule nothing ever trains from this pipeline, so it keeps no training window:
    ///   mirroring every labelled row into the window's two column sets was ≈ 480 instructions per
    ///   replayed oos-daily event, for rows nothing reads (bench/RESULTS.md). An event replay's
    ///   handler never reads the outputs' features either (`StackingPipeline.emitsFeatures`):
    ///   they are computed only where the window, challengers, contributions or the combiner
    ///   need them. A journal replay builds the pipeline exactly as the live daemon does.
    func makePipeline(trainsOnDemand: Bool = true) throws -> StackingPipeline {
        try StackingPipeline(configuration: configuration.pipeline, retrainPolicy: configuration.retrain,
                             monitoring: configuration.monitoring.enabled,
                             driftRetrainMinLabels: configuration.monitoring.retrainOnAlert ? configuration.monitoring.retrainMinLabels : .max,
                             keepsTrainingWindow: trainer != nil && (trainsOnDemand || configuration.retrain.isScheduled),
                             challengers: configuration.learner.challengers,
                             challengerWindow: configuration.learner.challengerMinRows, emitsFeatures: trainsOnDemand)
    }

    private func execute(labelCapacity: [Int]? = nil, eventsTotal: Int = 0, trainsOnDemand: Bool = true,
                         _ feed: (StackingPipeline, inout Handler) throws -> Int) throws -> Result {
        let first = try makePipeline(trainsOnDemand: trainsOnDemand)
        if let labelCapacity {
            for h in 0..<min(labelCapacity.count, configuration.pipeline.horizons.count) {
                first.reserveTrainingWindow(rows: labelCapacity[h], horizonIndex: h)
            }
        }
        var handler = Handler(horizons: configuration.pipeline.horizons.count, trainer: trainer, logger: logger,
                              labelCapacity: labelCapacity, modelCount: configuration.pipeline.models.count,
                              classCount: configuration.pipeline.classCount)
        handler.pipeline = first
        handler.observer = observer
        handler.progress = progress
        handler.eventsTotal = eventsTotal
        handler.contributionBoxes = configuration.pipeline.horizons.map {
            Handler.ContributionBox(ContributionTimeline(horizon: $0, modelCount: configuration.pipeline.models.count))
        }
        observer?.replayWillStart(modelNames: first.modelNames)
        let start = DispatchTime.now().uptimeNanoseconds
        let events = try feed(first, &handler)
        // A `session_started` record may have replaced the first pipeline (a restart re-enacted).
        let pipeline = handler.currentPipeline ?? first
        handler.eventsDone = events
        handler.reportProgress()
        pipeline.drain(handler: &handler)
        let total = DispatchTime.now().uptimeNanoseconds - start
        let counters = handler.finishedCounters.reduce(pipeline.counters) { $0.adding($1) }
        return Result(digest: handler.digest, counters: counters, horizons: configuration.pipeline.horizons,
                      modelNames: pipeline.modelNames, labelled: handler.labelled, trainings: handler.trainings,
                      alerts: handler.alerts, modelWeights: handler.modelWeights, events: events, ingestNanoseconds: total - handler.trainingNanoseconds,
                      trainingNanoseconds: handler.trainingNanoseconds, classCount: configuration.pipeline.classCount,
                      sessionDigests: handler.sessionDigests,
                      controlRecords: handler.controlRecords, parityMismatches: handler.parityMismatches,
                      contributions: handler.contributionBoxes.map(\.timeline),
                      challengerNames: configuration.learner.challengers)
    }
}
