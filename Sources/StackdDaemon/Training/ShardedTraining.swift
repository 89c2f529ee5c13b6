import Foundation
import Logging
import StackdCore
import StackdTraining

/// One training window and one model per horizon for a daemon with several pipelines
/// (`ingest.shards = N`, bench/SCALING.md §5).
///
/// Every pipeline runs the same clock schedule (`retrain.every_event_times`) on its own event
/// clock and, at a trigger, hands over its window segment (on its thread, at that retrain point
/// only). Once all N segments of a horizon are here, one request goes to the daemon's single
/// ``TrainingWorker``; the worker merges the segments on its own thread
/// (``ShardedWindowMerge``) and trains once. The result's immutable model is handed to every
/// pipeline (``PipelineShard/deliver(_:)``), and each offers it at the same apply time.
final class ShardedTraining: @unchecked Sendable {
    private let pipelines: Int
    private let configuredSymbols: [String]
    private let policy: RetrainPolicy
    private let logger: Logger
    private let lock = NSLock()
    /// Per horizon, the segments handed over for the pending trigger (index = pipeline).
    private var waiting: [[(request: TrainingRequest, segment: ShardWindowSegment)?]]
    /// The same for an on-demand retrain (SIGUSR1): kept apart from the schedule's, so that a
    /// request arriving while a scheduled trigger is half collected completes neither wrongly.
    private var waitingOnDemand: [[(request: TrainingRequest, segment: ShardWindowSegment)?]]
    /// By request sequence, the oldest event time of the merged window it trained on (rows older
    /// than it are dropped by every pipeline once the result is delivered).
    private var windowFloors: [Int: Int64] = [:]
    /// Merged groups by the sequence of the request submitted for them.
    private var submitted: [Int: (horizonIndex: Int, segments: [ShardWindowSegment])] = [:]
    private var nextSequence = 0
    /// Set once after the worker is built (the worker's train function calls back here).
    var worker: TrainingWorker?
    /// Triggers whose pipelines disagreed on the trigger time (not every pipeline saw the same
    /// event times): their model applies from the latest apply time.
    private(set) var misalignedTriggers = 0
    /// Retrains handed to the worker (the daemon's `stackd_retrains_triggered_total`).
    var requested: Int {
        lock.lock()
        defer { lock.unlock() }
        return nextSequence
    }
    /// Triggers dropped because the merged window held fewer than `retrain.min_rows` rows.
    private(set) var triggersBelowMinRows = 0

    /// Pipelines a retrain waits for: with `stream.symbols` set, a pipeline that owns none of them
    /// never sees a prediction (others are rejected) and so never triggers.
    private let participating: [Bool]

    init(pipelines: Int, horizons: Int, configuredSymbols: [String], policy: RetrainPolicy, logger: Logger) {
        self.pipelines = pipelines
        participating = configuredSymbols.isEmpty ? Array(repeating: true, count: pipelines)
            : (0..<pipelines).map { i in configuredSymbols.contains { ShardRouter.pipeline(ofSymbol: $0, pipelines: pipelines) == i } }
        self.configuredSymbols = configuredSymbols
        self.policy = policy
        self.logger = logger
        waiting = Array(repeating: Array(repeating: nil, count: pipelines), count: horizons)
        waitingOnDemand = waiting
    }

    /// The retrain policy each pipeline runs: the daemon's, without the minimum-rows check (it
    /// applies to the merged window here, so every pipeline triggers at the same event times).
    static func pipelinePolicy(_ policy: RetrainPolicy) -> RetrainPolicy {
        var p = policy
        p.minRows = 0
        return p
    }

    /// A pipeline's trigger (its thread; at retrain points only). `onDemand`: its part of a
    /// retrain asked for now (SIGUSR1), taken at its own current event time: the pipelines'
    /// times differ by design, so neither a differing apply time nor the minimum rows count as
    /// for a scheduled trigger (as one pipeline's on-demand retrain, it needs only one row).
    func submit(pipeline: Int, request: TrainingRequest, symbolNames: [String], onDemand: Bool = false) {
        if onDemand {
            submitOnDemand(pipeline: pipeline, request: request, symbolNames: symbolNames)
            return
        }
        let h = request.horizonIndex
        var complete: [(request: TrainingRequest, segment: ShardWindowSegment)]? = nil
        lock.lock()
        var silent: [Int] = []
        if waiting[h][pipeline] != nil {
            // This pipeline triggered again before every other one did: they do not see the same
            // event times. The newer segment replaces the older (a superset, as the worker coalesces).
            misalignedTriggers += 1
            silent = waiting[h].indices.filter { waiting[h][$0] == nil && participating[$0] }
        }
        waiting[h][pipeline] = (request, ShardWindowSegment(rows: request.rows, symbolNames: symbolNames))
        if waiting[h].indices.allSatisfy({ waiting[h][$0] != nil || !participating[$0] }) {
            complete = waiting[h].compactMap { $0 }
            waiting[h] = Array(repeating: nil, count: pipelines)
        }
        lock.unlock()
        if !silent.isEmpty {
            logger.warning("a pipeline triggered a retrain twice while others have not triggered it once; a retrain waits for every pipeline, so each must see every event time (its symbols predict at each)",
                           metadata: ["horizon": "\(request.horizon)", "pipeline": "\(pipeline)", "waiting_for": "\(silent)"])
        }
        guard let complete else { return }
        let segments = complete.map(\.segment)
        let rows = ShardedWindowMerge.mergedCount(segments, maxRows: policy.windowRows, maxAge: policy.windowAge)
        guard rows >= policy.minRows else {
            lock.lock()
            triggersBelowMinRows += 1
            lock.unlock()
            return
        }
        let applyFrom = complete.map(\.request.applyFrom).max()!
        if complete.contains(where: { $0.request.applyFrom != applyFrom }) {
            lock.lock()
            misalignedTriggers += 1
            lock.unlock()
            logger.warning("pipelines triggered a retrain at different event times; the model applies from the latest",
                           metadata: ["horizon": "\(request.horizon)", "apply_from": "\(applyFrom)"])
        }
        submitMerged(complete, applyFrom: applyFrom, horizonIndex: h)
    }

    private func submitOnDemand(pipeline: Int, request: TrainingRequest, symbolNames: [String]) {
        let h = request.horizonIndex
        guard participating[pipeline] else { return }
        var complete: [(request: TrainingRequest, segment: ShardWindowSegment)]? = nil
        lock.lock()
        waitingOnDemand[h][pipeline] = (request, ShardWindowSegment(rows: request.rows, symbolNames: symbolNames))
        if waitingOnDemand[h].indices.allSatisfy({ waitingOnDemand[h][$0] != nil || !participating[$0] }) {
            complete = waitingOnDemand[h].compactMap { $0 }
            waitingOnDemand[h] = Array(repeating: nil, count: pipelines)
        }
        lock.unlock()
        guard let complete else { return }
        let segments = complete.map(\.segment)
        guard ShardedWindowMerge.mergedCount(segments, maxRows: policy.windowRows, maxAge: policy.windowAge) > 0 else {
            logger.info("retrain requested, but every pipeline's window is empty", metadata: ["horizon": "\(request.horizon)"])
            return
        }
        submitMerged(complete, applyFrom: complete.map(\.request.applyFrom).max()!, horizonIndex: h)
    }

    /// One request for a complete group: the merged window is built on the training thread.
    private func submitMerged(_ complete: [(request: TrainingRequest, segment: ShardWindowSegment)], applyFrom: Int64,
                              horizonIndex h: Int) {
        let segments = complete.map(\.segment)
        let request = complete[0].request
        var merged = request
        merged.applyFrom = applyFrom
        merged.triggerEventTime = complete.map(\.request.triggerEventTime).max()!
        merged.rows = OutOfSampleRows(modelCount: request.rows.modelCount, classCount: request.rows.classCount,
                                      featureCount: request.rows.featureCount)
        lock.lock()
        nextSequence += 1
        merged.sequence = nextSequence
        submitted[nextSequence] = (h, segments)
        lock.unlock()
        worker?.submit(merged)
    }

    /// The request with its merged rows (training thread, inside the worker's train function).
    func merged(_ request: TrainingRequest) -> TrainingRequest {
        lock.lock()
        let segments = submitted.removeValue(forKey: request.sequence)?.segments
        // A request of this horizon the worker coalesced away never comes back: drop its group.
        submitted = submitted.filter { $0.value.horizonIndex != request.horizonIndex || $0.key > request.sequence }
        lock.unlock()
        guard let segments else { return request }
        var r = request
        r.rows = ShardedWindowMerge.merge(segments, configuredSymbols: configuredSymbols, maxRows: policy.windowRows,
                                          maxAge: policy.windowAge)
        if let oldest = r.rows.eventTimes.first {
            lock.lock()
            windowFloors[request.sequence] = oldest
            lock.unlock()
        }
        return r
    }

    /// The oldest event time of the merged window that the result of request `sequence` was
    /// trained on (nil if none: not merged, or empty). Taken once, by the thread that delivers
    /// the result to the pipelines.
    func takeWindowFloor(sequence: Int) -> Int64? {
        lock.lock()
        defer { lock.unlock() }
        return windowFloors.removeValue(forKey: sequence)
    }

    /// The worker's train function for a daemon with several pipelines: merge, then `train`.
    static func trainFunction(_ sharded: ShardedTraining, _ train: @escaping TrainingFunction) -> TrainingFunction {
        { request in train(sharded.merged(request)) }
    }
}
