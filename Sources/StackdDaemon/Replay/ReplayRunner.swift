import Foundation
import Logging
import StackdCore

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

    public init(configuration: DaemonConfiguration, trainer: TrainingFunction?, logger: Logger) {
        self.configuration = configuration
        self.trainer = trainer
        self.logger = logger
    }

    /// What a replay produced.
    public struct Result: Sendable {
        public var digest: OutputDigest
        public var counters: PipelineCounters
        public var horizons: [Int]
        public var modelNames: [String]
        /// Every labelled row per horizon index, in label order: the backtest's raw material.
        public var labelled: [LabelledRows]
        public var trainings: [TrainingSummary]
        public var events: Int
        public var ingestNanoseconds: UInt64
        public var trainingNanoseconds: UInt64
    }

    /// Rows with their label, the ensemble's output and every base model's.
    public struct LabelledRows: Sendable {
        public var eventTimes: [Int64] = []
        public var labels: [Int] = []
        public var forwardReturns: [Double] = []
        public var ensemble: [Double] = []        // N × K
        public var base: [Double] = []            // N × M·K
        public var modelVersions: [UInt32] = []
    }

    final class Handler: EnsembleOutputHandler {
        var digest = OutputDigest()
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1024, alignment: 8)
        var labelled: [LabelledRows]
        var trainings: [TrainingSummary] = []
        var trainingNanoseconds: UInt64 = 0
        let trainer: TrainingFunction?
        weak var pipeline: StackingPipeline?
        let logger: Logger
        var observer: (any ReplayObserver)?

        init(horizons: Int, trainer: TrainingFunction?, logger: Logger) {
            labelled = Array(repeating: LabelledRows(), count: horizons)
            self.trainer = trainer
            self.logger = logger
        }

        deinit { scratch.deallocate() }

        func emit(_ e: EnsembleEmission) {
            digest.add(e, scratch: scratch)
            observer?.emitted(e)
        }

        func rowLabeled(_ r: LabeledRow) {
            labelled[r.horizonIndex].eventTimes.append(r.eventTime)
            labelled[r.horizonIndex].labels.append(r.label)
            labelled[r.horizonIndex].forwardReturns.append(r.forwardReturn)
            labelled[r.horizonIndex].ensemble.append(contentsOf: r.ensemble)
            labelled[r.horizonIndex].base.append(contentsOf: r.basePredictions)
            labelled[r.horizonIndex].modelVersions.append(r.modelVersion)
        }

        var alerts: [Alert] = []
        func alert(_ alert: Alert) { alerts.append(alert) }

        func trainingDue(_ request: TrainingRequest) {
            guard let trainer, let pipeline else { return }
            let start = DispatchTime.now().uptimeNanoseconds
            let result = trainer(request)
            trainingNanoseconds += DispatchTime.now().uptimeNanoseconds - start
            trainings.append(TrainingSummary(result))
            logger.info("retrain", metadata: [
                "horizon": "\(result.horizon)", "rows": "\(result.rows)", "decision": "\(result.decision.rawValue)",
                "reason": "\(result.reason)"])
            if let combiner = result.combiner {
                pipeline.offer(combiner, forHorizonIndex: request.horizonIndex, applyFrom: request.applyFrom,
                               reference: result.reference)
            }
        }
    }

    /// Replays `events` (an oos-daily folder, the demo generator) as fast as possible; each is
    /// encoded as the binary message a publisher would send and delivered at its delivery time.
    public func run(events: [StreamEvent]) throws -> Result {
        try execute { pipeline, handler in
            var topic = [UInt8](repeating: 0, count: 256)
            var payload = [UInt8](repeating: 0, count: 4096)
            for event in events {
                let (t, p, time) = StreamEncoding.encode(event, topic: &topic, payload: &payload)
                handler.observer?.willDeliver(at: time)
                topic.withUnsafeBytes { tb in
                    payload.withUnsafeBytes { pb in
                        deliver(pipeline, &handler, topic: UnsafeRawBufferPointer(rebasing: tb[0..<t]),
                                payload: UnsafeRawBufferPointer(rebasing: pb[0..<p]), at: time)
                    }
                }
            }
            return events.count
        }
    }

    /// Replays a journal recorded by `stackd run` or `stackd record`: the recorded frames, bad
    /// ones included, at their recorded receive times, exactly as the live ingest loop saw them.
    public func run(journal: JournalReader) throws -> Result {
        try execute { pipeline, handler in
            let cursor = journal.entries()
            var count = 0
            while let entry = try cursor.next() {
                count += 1
                handler.observer?.willDeliver(at: entry.receivedAt)
                guard entry.frames.count == 2 else {
                    if let next = pipeline.nextDeadline, next <= entry.receivedAt { pipeline.advance(to: entry.receivedAt, handler: &handler) }
                    // A frameless entry is the recorder's stop marker (time only); others were bad framing.
                    if !entry.frames.isEmpty { pipeline.countRejection(.framing) }
                    continue
                }
                entry.frames[0].withUnsafeBytes { t in
                    entry.frames[1].withUnsafeBytes { p in
                        deliver(pipeline, &handler, topic: t, payload: p, at: entry.receivedAt)
                    }
                }
            }
            for c in journal.corruptions {
                logger.error("journal damage skipped", metadata: ["segment": "\(c.segment)", "offset": "\(c.byteOffset)", "reason": "\(c.reason)"])
            }
            return count
        }
    }

    /// One message, as the live loop handles it: due deadlines first, then the message.
    private func deliver(_ pipeline: StackingPipeline, _ handler: inout Handler, topic: UnsafeRawBufferPointer,
                         payload: UnsafeRawBufferPointer, at time: Int64) {
        if let next = pipeline.nextDeadline, next <= time { pipeline.advance(to: time, handler: &handler) }
        let outcome = pipeline.ingest(topic: topic, payload: payload, receivedAt: time, handler: &handler)
        if case .rejected(let r) = outcome {
            logger.debug("replayed message rejected", metadata: ["reason": "\(r.reason.rawValue)", "detail": "\(r.detail)"])
        }
    }

    private func execute(_ feed: (StackingPipeline, inout Handler) throws -> Int) throws -> Result {
        let pipeline = try StackingPipeline(configuration: configuration.pipeline, retrainPolicy: configuration.retrain,
                                            monitoring: configuration.monitoring.enabled,
                                            driftRetrainMinLabels: configuration.monitoring.retrainOnAlert ? configuration.monitoring.retrainMinLabels : .max)
        var handler = Handler(horizons: configuration.pipeline.horizons.count, trainer: trainer, logger: logger)
        handler.pipeline = pipeline
        handler.observer = observer
        observer?.replayWillStart(modelNames: pipeline.modelNames)
        let start = DispatchTime.now().uptimeNanoseconds
        let events = try feed(pipeline, &handler)
        pipeline.drain(handler: &handler)
        let total = DispatchTime.now().uptimeNanoseconds - start
        return Result(digest: handler.digest, counters: pipeline.counters, horizons: configuration.pipeline.horizons,
                      modelNames: pipeline.modelNames, labelled: handler.labelled, trainings: handler.trainings,
                      events: events, ingestNanoseconds: total - handler.trainingNanoseconds,
                      trainingNanoseconds: handler.trainingNanoseconds)
    }
}

/// Encodes stream events as the binary wire messages a publisher would send, so that replay
/// exercises the same decoding and validation as live ingest.
enum StreamEncoding {
    /// Returns (topic length, payload length, delivery time).
    static func encode(_ e: StreamEvent, topic: inout [UInt8], payload: inout [UInt8]) -> (Int, Int, Int64) {
        switch e.kind {
        case .prediction(let model, let probabilities):
            let t = Array(Topic.prediction(symbol: e.symbol, horizon: e.horizon, model: model).utf8)
            let p = WireEncoder.binaryPrediction(model: model, symbol: e.symbol, horizon: e.horizon, eventTime: e.eventTime,
                                                 sequence: 0, probabilities: probabilities)
            topic.replaceSubrange(0..<t.count, with: t)
            payload.replaceSubrange(0..<p.count, with: p)
            return (t.count, p.count, e.eventTime)
        case .label(let c, let r, let exit):
            let t = Array(Topic.label(symbol: e.symbol, horizon: e.horizon).utf8)
            let p = WireEncoder.binaryLabel(symbol: e.symbol, horizon: e.horizon, eventTime: e.eventTime, sequence: 0,
                                            classIndex: c, classCount: 3, forwardReturn: r, exitTime: exit)
            topic.replaceSubrange(0..<t.count, with: t)
            payload.replaceSubrange(0..<p.count, with: p)
            return (t.count, p.count, exit)
        }
    }
}
